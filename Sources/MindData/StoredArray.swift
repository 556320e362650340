// An array as a file stores it: its type, where its bytes are in memory the file owns (a
// mapping, or an inflated `.npz` member), and how they are laid out. `usableInPlace` says
// whether compiled code can read them where they are; otherwise `copyNative` converts them
// (byte order, Fortran order, bools other than 0 and 1) into a buffer of the caller's.

#if canImport(Glibc)
  import Glibc
#endif

/// Memory that holds a file's bytes for as long as an array made from it lives.
public protocol ByteOwner: AnyObject, Sendable {
  var bytes: UnsafeRawBufferPointer { get }
}

extension MappedFile: ByteOwner {}

/// Bytes in 64-byte aligned memory of their own: an inflated member, or a file read from a pipe.
public final class OwnedBytes: ByteOwner, @unchecked Sendable {
  public let bytes: UnsafeRawBufferPointer
  private let base: UnsafeMutableRawPointer

  public init(count: Int) throws(DataError) {
    guard count >= 0, count < Int.max - 64, let base = malloc(count + 64) else {
      throw DataError(.unreadable, "cannot allocate \(count) bytes")
    }
    self.base = base
    bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(base) + (64 - Int(bitPattern: base) % 64) % 64, count: count)
  }

  public convenience init(copying data: [UInt8]) throws(DataError) {
    try self.init(count: data.count)
    if !data.isEmpty { data.withUnsafeBytes { mutable.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
  }

  var mutable: UnsafeMutableRawPointer { UnsafeMutableRawPointer(mutating: bytes.baseAddress!) }

  deinit { free(base) }
}

public struct StoredArray: @unchecked Sendable {
  public let type: ArrayType
  public let owner: ByteOwner
  public let offset: Int
  public let bigEndian: Bool
  public let fortranOrder: Bool

  init(type: ArrayType, owner: ByteOwner, offset: Int, bigEndian: Bool = false, fortranOrder: Bool = false) {
    (self.type, self.owner, self.offset, self.bigEndian, self.fortranOrder) =
      (type, owner, offset, bigEndian, fortranOrder)
  }

  public var data: UnsafeRawPointer { owner.bytes.baseAddress! + offset }

  /// Little-endian, C order (or of rank < 2), 64-byte aligned, and every bool 0 or 1.
  public var usableInPlace: Bool {
    guard type.byteCount > 0 else { return false }
    guard !bigEndian || type.dtype.byteSize == 1, !fortranOrder || type.shape.count < 2 else { return false }
    guard UInt(bitPattern: data) % 64 == 0 else { return false }
    if type.dtype == .bool {
      return !UnsafeRawBufferPointer(start: data, count: type.count).contains { $0 > 1 }
    }
    return true
  }

  /// Writes the elements in native byte order and C order into `destination` (`type.byteCount`
  /// bytes).
  public func copyNative(into destination: UnsafeMutableRawPointer) {
    let size = type.dtype.byteSize
    let source = UnsafeRawBufferPointer(start: data, count: type.byteCount)
    if fortranOrder && type.shape.count >= 2 {
      // A Fortran-order array's axis k advances by the product of the extents before it.
      var strides = [Int](repeating: size, count: type.shape.count)
      for axis in 1..<type.shape.count { strides[axis] = strides[axis - 1] * type.shape[axis - 1] }
      StridedCopy.gather(
        source.baseAddress!, strides: strides, shape: type.shape, elementSize: size, into: destination)
    } else if type.byteCount > 0 {
      destination.copyMemory(from: source.baseAddress!, byteCount: type.byteCount)
    }
    if bigEndian && size > 1 {
      let bytes = destination.assumingMemoryBound(to: UInt8.self)
      for element in 0..<type.count {
        let start = bytes + element * size
        for i in 0..<size / 2 { swap(&start[i], &start[size - 1 - i]) }
      }
    }
    if type.dtype == .bool {
      let bytes = destination.assumingMemoryBound(to: UInt8.self)
      for i in 0..<type.count where bytes[i] > 1 { bytes[i] = 1 }
    }
  }
}
