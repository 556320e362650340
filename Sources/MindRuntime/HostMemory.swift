// Memory for host tensors, laid out for compiled code:
// - 64-byte aligned, so that vector loads and stores (64 bytes with AVX-512) never straddle two
//   cache lines (Swift arrays place their elements 16 or 48 bytes past a line: W1's gradient at
//   N = 1e6 took 7% longer on such buffers). Small blocks take malloc(size + 63) and use the
//   first boundary inside (glibc's aligned allocation of large blocks kept faulting in new heap
//   pages for about ten calls when results were freed and requested again).
// - Blocks of at least 2 MiB are whole 2 MiB-aligned blocks from mmap, advised for transparent
//   huge pages (LargeBlocks).
// Used by the Swift API's tensors and by the result blocks of the C interface.

#if canImport(Glibc)
  import Glibc
#endif

/// One block: `pointer` is its aligned start. A trivial value, so it can be stored inside the
/// memory it describes.
public struct HostMemory {
  public let pointer: UnsafeMutableRawPointer
  /// What to free: a malloc block, or a huge-page block of `blockBytes` (0 for malloc).
  private let base: UnsafeMutableRawPointer
  private let blockBytes: Int

  public init(bytes: Int) {
    if bytes >= LargeBlocks.unit, let block = LargeBlocks.take(bytes: bytes, .hugePages) {
      (base, blockBytes, pointer) = (block.pointer, block.bytes, block.pointer)
    } else {
      let block = malloc(max(bytes, 1) + 63)!
      (base, blockBytes) = (block, 0)
      pointer = UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: block) + 63) & ~63)!
    }
  }

  public func release() {
    if blockBytes > 0 { LargeBlocks.give(base, bytes: blockBytes, .hugePages) } else { free(base) }
  }
}
