// The bytes of host tensors, laid out for compiled code:
// - 64-byte aligned, so that vector loads and stores (64 bytes with AVX-512) never straddle two
//   cache lines (Swift arrays place their elements 16 or 48 bytes past a line: W1's gradient at
//   N = 1e6 took 7% longer on such buffers). Small tensors take malloc(size + 63) and use the
//   first boundary inside (glibc's aligned allocation of large blocks kept faulting in new heap
//   pages for about ten calls when results were freed and requested again).
// - Tensors of at least 2 MiB take whole 2 MiB-aligned blocks from mmap, advised for transparent
//   huge pages (LargeBlocks).
// - Or the tensor's bytes are used where a file holds them (a mapped `.npy` or safetensors file
//   whose data is already native, C order and aligned), and the file's memory is kept alive;
//   or where a C caller holds them for the duration of a call (libmindc), neither copied nor
//   freed.

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
  /// What to free: a malloc block, or a huge-page block of `blockBytes`; nil for a file's bytes.
  private let base: UnsafeMutableRawPointer?
  private let blockBytes: Int?
  /// The file whose bytes these are.
  private let owner: ByteOwner?

  init(count: Int) {
    self.count = count
    owner = nil
    if count >= LargeBlocks.unit, let block = LargeBlocks.take(bytes: count, .hugePages) {
      (base, blockBytes, pointer) = (block.pointer, block.bytes, block.pointer)
    } else {
      let block = malloc(max(count, 1) + 63)!
      (base, blockBytes) = (block, nil)
      pointer = UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: block) + 63) & ~63)!
    }
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
    (self.count, base, blockBytes, owner) = (count, nil, nil, nil)
    pointer = UnsafeMutableRawPointer(mutating: data)
  }

  private init(inPlace array: StoredArray) {
    (count, base, blockBytes, owner) = (array.type.byteCount, nil, nil, array.owner)
    pointer = UnsafeMutableRawPointer(mutating: array.data)
  }

  deinit {
    guard let base else { return }
    if let blockBytes { LargeBlocks.give(base, bytes: blockBytes, .hugePages) } else { free(base) }
  }

  static func == (a: TensorStorage, b: TensorStorage) -> Bool {
    a.count == b.count && memcmp(a.pointer, b.pointer, a.count) == 0
  }
}
