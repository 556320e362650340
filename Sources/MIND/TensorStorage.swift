// The bytes of host tensors: HostMemory (aligned, huge pages for large tensors), or the
// tensor's bytes where a file holds them (a mapped `.npy` or safetensors file whose data is
// already native, C order and aligned), the file's memory kept alive; or where a C caller
// holds them for the duration of a call (libmindc), neither copied nor freed.

import MindData
import MindRuntime

#if canImport(Glibc)
  import Glibc
#endif

/// Written once when the tensor is made (by a copy, or by compiled code writing a result),
/// read-only afterwards.
final class TensorStorage: @unchecked Sendable, Equatable {
  let pointer: UnsafeMutableRawPointer
  let count: Int
  /// What to release; nil for bytes of a file's or a caller's.
  private let memory: HostMemory?
  /// The file whose bytes these are.
  private let owner: ByteOwner?

  init(count: Int) {
    self.count = count
    owner = nil
    let memory = HostMemory(bytes: count)
    (self.memory, pointer) = (memory, memory.pointer)
  }

  convenience init(copying bytes: UnsafeRawBufferPointer) {
    self.init(count: bytes.count)
    if let source = bytes.baseAddress { pointer.copyMemory(from: source, byteCount: bytes.count) }
  }

  /// The bytes of a stored array, in place when compiled code can read them there, else converted
  /// into storage of its own.
  static func holding(_ array: StoredArray) -> TensorStorage {
    guard array.usableInPlace else {
      let storage = TensorStorage(count: array.type.byteCount)
      array.copyNative(into: storage.pointer)
      return storage
    }
    return TensorStorage(inPlace: array)
  }

  /// Memory of the caller's, neither copied nor freed.
  init(borrowing data: UnsafeRawPointer, count: Int) {
    (self.count, memory, owner) = (count, nil, nil)
    pointer = UnsafeMutableRawPointer(mutating: data)
  }

  private init(inPlace array: StoredArray) {
    (count, memory, owner) = (array.type.byteCount, nil, array.owner)
    pointer = UnsafeMutableRawPointer(mutating: array.data)
  }

  deinit { memory?.release() }

  static func == (a: TensorStorage, b: TensorStorage) -> Bool {
    a.count == b.count && memcmp(a.pointer, b.pointer, a.count) == 0
  }
}
