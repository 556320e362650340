// 2 MiB-aligned memory blocks advised for transparent huge pages, recycled by size: for host
// tensors of at least 2 MiB and for the buffers of compiled code that runs in this process.
// Streaming a million-element tensor otherwise misses the TLB on every 4 KiB page (W1 at
// N = 1e6 is about 10% faster on huge pages), and the first touch of fresh memory costs one
// page fault per 4 KiB instead of one per 2 MiB. Freed blocks are kept for reuse (a fresh block
// costs a page fault and zeroing per 2 MiB), up to `cachedBytes`.

import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// 2 MiB-aligned blocks advised for huge pages, recycled by size.
public enum HugePageBlocks {
  public static let size = 2 << 20
  /// Freed blocks kept for reuse, in bytes at most.
  static let cachedBytes = 256 << 20
  private static let free = Mutex<(blocks: [Int: [UInt]], bytes: Int)>(([:], 0))

  /// A block of at least `bytes` (rounded up to whole huge pages), or nil if mmap fails.
  public static func take(bytes: Int) -> (pointer: UnsafeMutableRawPointer, bytes: Int)? {
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
  public static func give(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
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
