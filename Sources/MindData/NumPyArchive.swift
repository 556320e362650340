// NumPy's `.npz`: a zip archive of `.npy` members (`np.savez` stores them, `np.savez_compressed`
// deflates them; NumPy writes ZIP64 records). Members are found through the central directory;
// a stored member is read in place in the mapping, a deflated one is inflated with the system
// zlib into memory of its own.

import CZlib

#if canImport(Glibc)
  import Glibc
#endif

public enum NumPyArchive {
  struct Member {
    let name: String
    let method: Int
    let compressedSize: Int
    let size: Int
    let localHeader: Int
  }

  /// The arrays of an archive, named as `np.load` names them (the member name without `.npy`),
  /// in the order of the central directory.
  public static func read(_ owner: ByteOwner) throws(DataError) -> [(name: String, array: StoredArray)] {
    let bytes = owner.bytes
    var arrays: [(name: String, array: StoredArray)] = []
    for member in try members(bytes) {
      let local = member.localHeader
      guard local >= 0, local <= bytes.count - 30, read32(bytes, local) == 0x0403_4b50 else {
        throw DataError(.malformed, "member `\(member.name)`: no local header at byte \(local)")
      }
      let start = local + 30 + read16(bytes, local + 26) + read16(bytes, local + 28)
      guard start <= bytes.count, member.compressedSize <= bytes.count - start else {
        throw DataError(.malformed, "truncated: member `\(member.name)` runs past the end of the archive")
      }
      let name = member.name.hasSuffix(".npy") ? String(member.name.dropLast(4)) : member.name
      let array: StoredArray
      do throws(DataError) {
        switch member.method {
        case 0:
          guard member.size == member.compressedSize else {
            throw DataError(.malformed, "a stored member's sizes differ")
          }
          array = try NumPyFormat.read(owner, start: start, end: start + member.size)
        case 8:
          let inflated = try OwnedBytes(count: member.size)
          try inflate(bytes.baseAddress! + start, member.compressedSize, into: inflated)
          array = try NumPyFormat.read(inflated)
        default:
          throw DataError(.unsupported, "compression method \(member.method) (mind reads stored and deflated members)")
        }
      } catch {
        throw DataError(error.kind, "member `\(member.name)`: \(error.message)")
      }
      arrays.append((name, array))
    }
    return arrays
  }

  static func read16(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }

  static func read32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> Int {
    read16(bytes, at) | read16(bytes, at + 2) << 16
  }

  static func read64(_ bytes: UnsafeRawBufferPointer, _ at: Int) throws(DataError) -> Int {
    let value = UInt64(read32(bytes, at)) | UInt64(read32(bytes, at + 4)) << 32
    guard value <= UInt64(Int.max) else { throw DataError(.malformed, "a ZIP64 size beyond 2^63") }
    return Int(value)
  }

  /// The central directory's members, with ZIP64 sizes and offsets where the 32-bit fields are
  /// saturated.
  static func members(_ bytes: UnsafeRawBufferPointer) throws(DataError) -> [Member] {
    // The end-of-central-directory record: 22 bytes and a comment of up to 65535.
    var end = -1
    var at = bytes.count - 22
    while at >= 0 && at >= bytes.count - 22 - 65535 {
      if read32(bytes, at) == 0x0605_4b50 {
        end = at
        break
      }
      at -= 1
    }
    guard end >= 0 else { throw DataError(.malformed, "not an .npz file (no zip end record)") }
    var count = read16(bytes, end + 10)
    var directory = read32(bytes, end + 16)
    // A ZIP64 end record, found through its locator just before the end record.
    if end >= 20, read32(bytes, end - 20) == 0x0706_4b50 {
      let record = try read64(bytes, end - 12)
      guard record >= 0, record <= bytes.count - 56, read32(bytes, record) == 0x0606_4b50 else {
        throw DataError(.malformed, "a ZIP64 locator points at no ZIP64 end record")
      }
      count = try read64(bytes, record + 32)
      directory = try read64(bytes, record + 48)
    }
    var members: [Member] = []
    at = directory
    for _ in 0..<count {
      guard at >= 0, at <= bytes.count - 46, read32(bytes, at) == 0x0201_4b50 else {
        throw DataError(.malformed, "truncated or damaged central directory at byte \(at)")
      }
      let nameLength = read16(bytes, at + 28)
      let extraLength = read16(bytes, at + 30)
      let commentLength = read16(bytes, at + 32)
      guard nameLength + extraLength + commentLength <= bytes.count - at - 46 else {
        throw DataError(.malformed, "truncated central directory")
      }
      let name = String(
        decoding: UnsafeRawBufferPointer(rebasing: bytes[(at + 46)..<(at + 46 + nameLength)]), as: UTF8.self)
      var fields = [read32(bytes, at + 24), read32(bytes, at + 20), read32(bytes, at + 42)]  // size, compressed, offset
      // The ZIP64 extra field (id 1) holds, in this order, each field that is saturated.
      var extra = at + 46 + nameLength
      let extraEnd = extra + extraLength
      while extra + 4 <= extraEnd {
        let id = read16(bytes, extra)
        let size = read16(bytes, extra + 2)
        if id == 1 {
          var value = extra + 4
          for i in fields.indices where fields[i] == 0xFFFF_FFFF && value + 8 <= extra + 4 + size {
            fields[i] = try read64(bytes, value)
            value += 8
          }
        }
        extra += 4 + size
      }
      members.append(
        Member(
          name: name, method: read16(bytes, at + 10), compressedSize: fields[1], size: fields[0], localHeader: fields[2]
        ))
      at += 46 + nameLength + extraLength + commentLength
    }
    return members
  }

  /// Inflates raw deflate data that must fill `destination` exactly.
  static func inflate(_ source: UnsafeRawPointer, _ count: Int, into destination: OwnedBytes) throws(DataError) {
    var stream = z_stream()
    guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw DataError(.unreadable, "zlib could not start inflating")
    }
    defer { inflateEnd(&stream) }
    var input = count
    var inputAt = UnsafeMutablePointer(mutating: source.assumingMemoryBound(to: UInt8.self))
    var output = destination.bytes.count
    var outputAt = destination.mutable.assumingMemoryBound(to: UInt8.self)
    var status = Z_OK
    // zlib counts in 32 bits: feed at most 1 GiB at a time.
    while status == Z_OK {
      let inChunk = min(input, 1 << 30)
      let outChunk = min(output, 1 << 30)
      stream.next_in = inputAt
      stream.avail_in = UInt32(inChunk)
      stream.next_out = outputAt
      stream.avail_out = UInt32(outChunk)
      status = CZlib.inflate(&stream, Z_NO_FLUSH)
      let consumed = inChunk - Int(stream.avail_in)
      let produced = outChunk - Int(stream.avail_out)
      (input, inputAt, output, outputAt) = (
        input - consumed, inputAt + consumed, output - produced, outputAt + produced
      )
      if status == Z_BUF_ERROR && consumed == 0 && produced == 0 { break }
      if status == Z_BUF_ERROR { status = Z_OK }
    }
    guard status == Z_STREAM_END, output == 0 else {
      throw DataError(
        .malformed, status == Z_STREAM_END ? "inflates to fewer bytes than its directory says" : "damaged deflate data")
    }
  }
}
