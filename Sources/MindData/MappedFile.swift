// A whole file mapped read-only into memory (MAP_PRIVATE): the arrays of a `.npy` or
// safetensors file are used in place where their bytes are already what compiled code reads
// (native byte order, C order, 64-byte aligned), so loading one costs no copy. The mapping
// lives as long as the last tensor that uses it.

#if canImport(Glibc)
  import Glibc
#endif

public final class MappedFile: @unchecked Sendable {
  public let bytes: UnsafeRawBufferPointer
  private let mapping: UnsafeMutableRawPointer?

  /// What the mapping is for, which decides what the kernel is told.
  public enum Use: Sendable {
    /// Only the headers are read (the compiler learning a file's types): nothing more is read.
    case headers
    /// The arrays are used in place, whole: the kernel reads the file ahead (page faults one by
    /// one would read it in small pieces).
    case inPlace
    /// The arrays are about to be copied whole: every page is mapped up front (MAP_POPULATE: one
    /// call instead of a page fault per 4 KiB).
    case copy
  }

  /// Maps a regular file; a missing, unreadable or non-regular file is `.unreadable`.
  public init(path: String, use: Use = .inPlace) throws(DataError) {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw DataError(.unreadable, "cannot open: \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
      throw DataError(.unreadable, "not a regular file")
    }
    let size = Int(status.st_size)
    guard size > 0 else {
      (mapping, bytes) = (nil, UnsafeRawBufferPointer(start: nil, count: 0))
      return
    }
    let address = mmap(nil, size, PROT_READ, MAP_PRIVATE | (use == .copy ? MAP_POPULATE : 0), descriptor, 0)
    guard let address, address != MAP_FAILED else {
      throw DataError(.unreadable, "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
    }
    if use == .inPlace { madvise(address, size, MADV_WILLNEED) }
    mapping = address
    bytes = UnsafeRawBufferPointer(start: address, count: size)
  }

  deinit {
    if let mapping { munmap(mapping, bytes.count) }
  }
}
