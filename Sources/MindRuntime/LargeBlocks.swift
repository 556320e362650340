// Memory blocks of whole 2 MiB units, 2 MiB-aligned, recycled by size: for host tensors of at
// least 2 MiB and for the buffers of compiled code that runs in this process (one block per
// call of a function whose buffers fill 2 MiB or more). A freed block is kept for reuse (a
// fresh one costs its page faults and zeroing), up to `cachedBytes` of each kind. Two kinds:
//
// - Host tensors are advised for transparent huge pages: streaming a million-element tensor
//   otherwise misses the TLB on every 4 KiB page (W1 at N = 1e6 is about 10% faster).
// - Compiled code's buffers are on 4 KiB pages, populated when mapped (one system call instead
//   of a fault per page: 0.34 against 0.53 ms per MiB here). Huge pages made the 8-block W4
//   gradient's steady state only 1.5% faster, and its first call much slower on this VM: right
//   after another large process exits, its freed memory is reclaimed by the host (free page
//   reporting, on 2 MiB blocks), and a fresh huge page then costs 2.1 ms per MiB to fault in
//   (0.11 ms otherwise). The first call took 166 ms after a quiet pause, 245 ms after a
//   PyTorch process; on 4 KiB pages, 185 ms either way.

import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

public enum LargeBlocks {
  public static let unit = 2 << 20
  /// Freed blocks kept for reuse, in bytes at most, per kind.
  static let cachedBytes = 256 << 20

  public enum Kind: Sendable {
    /// Advised for transparent huge pages.
    case hugePages
    /// 4 KiB pages, all faulted in when mapped.
    case populated
  }

  static func wholeUnits(_ bytes: Int) -> Int { (bytes + unit - 1) / unit * unit }

  private static let free = Mutex<[Kind: (blocks: [Int: [UInt]], bytes: Int)]>([:])

  /// A block of at least `bytes` (rounded up to whole units), or nil if mmap fails.
  public static func take(bytes: Int, _ kind: Kind) -> (pointer: UnsafeMutableRawPointer, bytes: Int)? {
    let rounded = wholeUnits(bytes)
    let reused = free.withLock { cache -> UInt? in
      guard let address = cache[kind]?.blocks[rounded]?.popLast() else { return nil }
      cache[kind]!.bytes -= rounded
      return address
    }
    if let reused { return (UnsafeMutableRawPointer(bitPattern: reused)!, rounded) }
    #if canImport(Glibc)
      // Map one unit more than needed, then keep the aligned part.
      let mapped = mmap(nil, rounded + unit, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
      guard let mapped, mapped != MAP_FAILED else { return nil }
      let start = (UInt(bitPattern: mapped) + UInt(unit) - 1) & ~UInt(unit - 1)
      let head = Int(start - UInt(bitPattern: mapped))
      if head > 0 { munmap(mapped, head) }
      if unit - head > 0 { munmap(UnsafeMutableRawPointer(bitPattern: start + UInt(rounded)), unit - head) }
      let pointer = UnsafeMutableRawPointer(bitPattern: start)!
      switch kind {
      case .hugePages: _ = madvise(pointer, rounded, 14)  // MADV_HUGEPAGE
      case .populated: _ = madvise(pointer, rounded, 23)  // MADV_POPULATE_WRITE
      }
      return (pointer, rounded)
    #else
      return nil
    #endif
  }

  /// Returns a block that `take` gave for `bytes` (requested or rounded) for reuse, or unmaps
  /// it when that kind's cache is full.
  public static func give(_ pointer: UnsafeMutableRawPointer, bytes requested: Int, _ kind: Kind) {
    let bytes = wholeUnits(requested)
    let kept = free.withLock { cache -> Bool in
      guard (cache[kind]?.bytes ?? 0) + bytes <= cachedBytes else { return false }
      cache[kind, default: ([:], 0)].blocks[bytes, default: []].append(UInt(bitPattern: pointer))
      cache[kind]!.bytes += bytes
      return true
    }
    #if canImport(Glibc)
      if !kept { munmap(pointer, bytes) }
    #endif
  }
}
