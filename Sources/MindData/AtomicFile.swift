// Writes a result file whole or not at all: the bytes go to a temporary file beside the
// target, are flushed to disk, and the temporary is renamed over the target. A run that is
// interrupted or fails leaves the target as it was (and no temporary behind).

#if canImport(Glibc)
  import Glibc
#endif

public enum AtomicFile {
  /// Writes `header` followed by `parts` to `path`.
  public static func write(_ path: String, header: [UInt8], _ parts: [UnsafeRawBufferPointer]) throws(DataError) {
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[..<$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    var template = Array("\(folder.isEmpty ? "/" : folder)/.\(name).XXXXXX".utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard descriptor >= 0 else {
      throw DataError(.unwritable, "`\(path)`: cannot write: \(String(cString: strerror(errno)))")
    }
    let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var failure = header.withUnsafeBytes { writeAll(descriptor, $0) }
    for part in parts where failure == nil { failure = writeAll(descriptor, part) }
    // mkstemp makes 0600; a result file gets the usual 0666 less the umask.
    let mask = umask(0)
    umask(mask)
    if failure == nil, fchmod(descriptor, 0o666 & ~mask) != 0 || fsync(descriptor) != 0 {
      failure = String(cString: strerror(errno))
    }
    if close(descriptor) != 0, failure == nil { failure = String(cString: strerror(errno)) }
    if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
    if let failure {
      unlink(temporary)
      throw DataError(.unwritable, "`\(path)`: cannot write: \(failure)")
    }
  }

  /// Writes the whole buffer; the error's description if that fails.
  static func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer) -> String? {
    var offset = 0
    while offset < buffer.count {
      let written = Glibc.write(descriptor, buffer.baseAddress! + offset, min(buffer.count - offset, 1 << 30))
      if written <= 0 { return String(cString: strerror(errno)) }
      offset += written
    }
    return nil
  }
}
