// The bytes of host tensors, laid out for compiled code:
// - 64-byte aligned, so that vector loads and stores (64 bytes with AVX-512) never straddle two
//   cache lines (Swift arrays place their elements 16 or 48 bytes past a line: W1's gradient at
//   N = 1e6 took 7% longer on such buffers). Small tensors take malloc(size + 63) and use the
//   first boundary inside (glibc's aligned allocation of large blocks kept faulting in new heap
//   pages for about ten calls when results were freed and requested again).
// - Tensors of at least 2 MiB take whole 2 MiB-aligned blocks from mmap, advised for transparent
//   huge pages: streaming a million-element tensor otherwise misses the TLB on every 4 KiB
//   page (W1 at N = 1e6 is about 10% faster on huge pages). Freed blocks are kept for reuse (a
//   fresh block costs a page fault and zeroing per 2 MiB), up to `HugePageBlocks.cachedBytes`.

import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Written once when the tensor is made (by a copy, or by compiled code writing a result),
/// read-only afterwards.
final class TensorStorage: @unchecked Sendable, Equatable {
  let pointer: UnsafeMutableRawPointer
  let count: Int
  /// What to free: a malloc block, or a huge-page block of `blockBytes`.
  private let base: UnsafeMutableRawPointer
  private let blockBytes: Int?

  init(count: Int) {
    self.count = count
    if count >= HugePageBlocks.size, let block = HugePageBlocks.take(bytes: count) {
      (base, blockBytes, pointer) = (block.pointer, block.bytes, block.pointer)
    } else {
      base = malloc(max(count, 1) + 63)!
      blockBytes = nil
      pointer = UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: base) + 63) & ~63)!
    }
  }

  convenience init(copying bytes: UnsafeRawBufferPointer) {
    self.init(count: bytes.count)
    if let source = bytes.baseAddress { pointer.copyMemory(from: source, byteCount: bytes.count) }
  }

  deinit {
    if let blockBytes { HugePageBlocks.give(base, bytes: blockBytes) } else { free(base) }
  }

  static func == (a: TensorStorage, b: TensorStorage) -> Bool {
    a.count == b.count && memcmp(a.pointer, b.pointer, a.count) == 0
  }
}

/// 2 MiB-aligned blocks advised for huge pages, recycled by size.
enum HugePageBlocks {
  static let size = 2 << 20
  /// Freed blocks kept for reuse, in bytes at most.
  static let cachedBytes = 256 << 20
  private static let free = Mutex<(blocks: [Int: [UInt]], bytes: Int)>(([:], 0))

  /// A block of at least `bytes` (rounded up to whole huge pages), or nil if mmap fails.
  static func take(bytes: Int) -> (pointer: UnsafeMutableRawPointer, bytes: Int)? {
    let rounded = (bytes + size - 1) / size * size
    let reused = free.withLock { cache -> UInt? in
      guard let address = cache.blocks[rounded]?.popLast() else { return nil }
      cache.bytes -= rounded
      return address
    }
    if let reused { return (UnsafeMutableRawPointer(bitPattern: reused)!, rounded) }
    #if canImport(Glibc)
      // Map one page more than needed, then keep the 2 MiB-aligned part.
      let mapped = mmap(nil, rounded + size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
      guard let mapped, mapped != MAP_FAILED else { return nil }
      let start = (UInt(bitPattern: mapped) + UInt(size) - 1) & ~UInt(size - 1)
      let head = Int(start - UInt(bitPattern: mapped))
      if head > 0 { munmap(mapped, head) }
      if size - head > 0 { munmap(UnsafeMutableRawPointer(bitPattern: start + UInt(rounded)), size - head) }
      let pointer = UnsafeMutableRawPointer(bitPattern: start)!
      _ = madvise(pointer, rounded, 14)  // MADV_HUGEPAGE
      return (pointer, rounded)
    #else
      return nil
    #endif
  }

  /// Returns a block for reuse, or unmaps it when the cache is full.
  static func give(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
    let kept = free.withLock { cache -> Bool in
      guard cache.bytes + bytes <= cachedBytes else { return false }
      cache.blocks[bytes, default: []].append(UInt(bitPattern: pointer))
      cache.bytes += bytes
      return true
    }
    #if canImport(Glibc)
      if !kept { munmap(pointer, bytes) }
    #endif
  }
}
