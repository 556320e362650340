// The object cache on disk: compiled object files stored under a SHA-256 key, so that a
// program compiled once starts without differentiation, lowering, optimization or codegen.
//
// An entry is one file `<key>.mobj`:
//     "MINDOBJ\n" · format version (u32) · key (64 hex) · metadata length (u64) · metadata ·
//     object length (u64) · object · HMAC-SHA256 of everything before it (32 bytes)
// The HMAC's key is a per-user secret, 32 random bytes in `<folder>/secret.key` (mode 0600,
// made on first use), so an entry copied in from another cache, or written by anyone without the
// secret, is rejected: the cache runs only code this user's compiler wrote. The folder must
// belong to the user and not be writable by group or others (created 0700); an entry must be a
// regular file (not a symbolic link) of the user's, not writable by group or others (written
// 0600). A folder that fails these checks is not used: `mind` compiles in memory, with a
// warning (as ccache and sccache refuse shared folders they cannot trust).
// Writes go to a temporary file in the same folder and are renamed into place (atomic, so
// concurrent processes never see half an entry). Every load checks the owner and mode, the
// magic, the version, the key, the lengths, the HMAC, the object's ELF header and the
// metadata's compiler and CPU: anything else is ignored with a warning, removed and rebuilt;
// so is an entry whose object the JIT cannot link (`discard`). A folder that cannot be created
// or written degrades to compiling in memory, with a warning. The cache is bounded in size; the
// least recently used entries go first.

import Crypto
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

public struct CacheEntry: Equatable, Sendable {
  /// Free-form lines the caller needs besides the object (runtime-error sites, ...).
  public var metadata: [String]
  public var object: [UInt8]

  public init(metadata: [String], object: [UInt8]) {
    self.metadata = metadata
    self.object = object
  }
}

public final class ObjectCache: Sendable {
  public let directory: String
  public let maximumBytes: Int
  /// Describes the compiler and machine; an entry written by another is not loaded.
  public let fingerprint: String
  /// The warnings so far, and the secret once read (a Session stores optimized tiers from
  /// another thread).
  private let state = Mutex<(warnings: [String], secret: SymmetricKey??)>(([], nil))
  static let magic = Array("MINDOBJ\n".utf8)
  static let formatVersion: UInt32 = 2
  static let suffix = ".mobj"
  static let secretName = "secret.key"
  static let secretLength = 32

  public init(directory: String, maximumBytes: Int = 1 << 30, fingerprint: String) {
    self.directory = directory
    self.maximumBytes = maximumBytes
    self.fingerprint = fingerprint
  }

  /// `$MIND_CACHE_DIR`, else `$XDG_CACHE_HOME/mind`, else `~/.cache/mind`.
  public static func defaultDirectory(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let explicit = environment["MIND_CACHE_DIR"], !explicit.isEmpty { return explicit }
    if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/mind" }
    return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/mind"
  }

  /// `$MIND_CACHE_MAX_BYTES`, else 1 GiB.
  public static func defaultMaximumBytes(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
    environment["MIND_CACHE_MAX_BYTES"].flatMap(Int.init) ?? 1 << 30
  }

  /// The hex SHA-256 of the parts, each length-prefixed (so that no two lists collide).
  public static func key(_ parts: [String]) -> String {
    var hasher = SHA256()
    for part in parts {
      let bytes = Array(part.utf8)
      hasher.update(data: withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Array($0) })
      hasher.update(data: bytes)
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
  }

  func path(_ key: String) -> String { directory + "/" + key + Self.suffix }

  public var warnings: [String] { state.withLock { $0.warnings } }

  func warn(_ message: String) { state.withLock { $0.warnings.append(message) } }

  /// The per-user HMAC key, read (or made) on first use; nil when the folder is not trusted.
  var secret: SymmetricKey? {
    if let known = state.withLock({ $0.secret }) { return known }
    // Outside the lock (trustedSecret warns); two first uses at once agree through link().
    let secret = trustedSecret()
    return state.withLock { state in
      if let known = state.secret { return known }
      state.secret = .some(secret)
      return secret
    }
  }

  // MARK: - Reading

  public func load(_ key: String) -> CacheEntry? {
    guard let secret else { return nil }
    let file = path(key)
    let bytes: [UInt8]
    switch readOwnedFile(file) {
    case .missing: return nil
    case .refused(let reason):
      discard(key, because: reason)
      return nil
    case .contents(let contents): bytes = contents
    }
    switch decode(bytes, key: key, secret: secret) {
    case .success(let entry):
      // Loading refreshes the entry for least-recently-used eviction.
      try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: file)
      return entry
    case .failure(let problem):
      discard(key, because: problem.reason)
      return nil
    }
  }

  /// Removes an entry that cannot be used (a caller could not link its object), with a
  /// warning; the caller compiles instead and stores a new one.
  public func discard(_ key: String, because reason: String) {
    warn("ignoring cache entry \(path(key)): \(reason); it is rebuilt")
    unlink(path(key))
  }

  struct Problem: Error {
    let reason: String
  }

  func decode(_ bytes: [UInt8], key: String, secret: SymmetricKey) -> Result<CacheEntry, Problem> {
    var reader = Reader(bytes: bytes)
    let headerLength = Self.magic.count + 4 + 64
    guard bytes.count >= headerLength + 16 + 32 else { return .failure(Problem(reason: "truncated")) }
    guard reader.take(Self.magic.count) == Self.magic else {
      return .failure(Problem(reason: "not a mind object cache entry"))
    }
    guard let version = reader.uint32(), version == Self.formatVersion else {
      return .failure(Problem(reason: "written by another version of the cache format"))
    }
    guard let storedKey = reader.take(64), String(decoding: storedKey, as: UTF8.self) == key else {
      return .failure(Problem(reason: "its key does not match its name"))
    }
    guard let metadataLength = reader.uint64(), let metadata = reader.take(metadataLength),
      let objectLength = reader.uint64(), let object = reader.take(objectLength), let code = reader.take(32),
      reader.atEnd
    else { return .failure(Problem(reason: "truncated")) }
    guard HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: bytes[..<(bytes.count - 32)], using: secret)
    else {
      return .failure(Problem(reason: "not authenticated by this user's key (corrupt, or written by someone else)"))
    }
    guard object.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else { return .failure(Problem(reason: "not an ELF object")) }
    let lines = String(decoding: metadata, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(
      String.init)
    guard lines.first == fingerprint else {
      return .failure(Problem(reason: "compiled by another compiler or for another CPU (\(lines.first ?? "?"))"))
    }
    return .success(CacheEntry(metadata: Array(lines.dropFirst()), object: object))
  }

  struct Reader {
    let bytes: [UInt8]
    var offset = 0
    var atEnd: Bool { offset == bytes.count }

    /// The next `count` bytes, or nil past the end (a length field may hold any number).
    mutating func take<Count: BinaryInteger>(_ count: Count) -> [UInt8]? {
      guard count >= 0, count <= bytes.count - offset else { return nil }
      let end = offset + Int(count)
      defer { offset = end }
      return Array(bytes[offset..<end])
    }

    mutating func uint32() -> UInt32? {
      take(4).map { $0.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) } }
    }

    mutating func uint64() -> UInt64? {
      take(8).map { $0.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) } }
    }
  }

  // MARK: - Writing

  static func encode(_ entry: CacheEntry, key: String, fingerprint: String, secret: SymmetricKey) -> [UInt8] {
    let metadata = Array(([fingerprint] + entry.metadata).joined(separator: "\n").utf8)
    var bytes = magic
    bytes += withUnsafeBytes(of: formatVersion.littleEndian) { Array($0) }
    bytes += Array(key.utf8)
    bytes += withUnsafeBytes(of: UInt64(metadata.count).littleEndian) { Array($0) }
    bytes += metadata
    bytes += withUnsafeBytes(of: UInt64(entry.object.count).littleEndian) { Array($0) }
    bytes += entry.object
    bytes += Array(HMAC<SHA256>.authenticationCode(for: bytes, using: secret))
    return bytes
  }

  /// Stores an entry; returns false (with a warning) when the folder cannot take it.
  @discardableResult
  public func store(_ key: String, _ entry: CacheEntry) -> Bool {
    guard let secret else { return false }
    let temporary =
      directory + "/.\(key).\(ProcessInfo.processInfo.processIdentifier).\(UInt64.random(in: 0...UInt64.max)).tmp"
    do {
      try writeNewFile(temporary, Self.encode(entry, key: key, fingerprint: fingerprint, secret: secret))
      guard rename(temporary, path(key)) == 0 else { throw CocoaError(.fileWriteUnknown) }
    } catch {
      unlink(temporary)
      warn("cannot write the object cache in \(directory) (\(error.localizedDescription)); compiled in memory only")
      return false
    }
    evict()
    return true
  }

  // MARK: - Trust: the folder, the secret, the entries

  /// Creates the folder (0700) if needed, checks that it can be trusted, and reads or makes the
  /// secret; nil (with a warning) when the cache must not be used.
  func trustedSecret() -> SymmetricKey? {
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      warn("cannot write the object cache in \(directory) (\(error.localizedDescription)); compiled in memory only")
      return nil
    }
    var status = stat()
    guard stat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
      warn("cannot write the object cache in \(directory) (not a folder); compiled in memory only")
      return nil
    }
    if let problem = Self.untrusted(status) {
      warn(
        "not using the object cache in \(directory): the folder \(problem); compiling in memory (`chmod 700` it, or set MIND_CACHE_DIR to a folder of your own)"
      )
      return nil
    }
    let file = directory + "/" + Self.secretName
    var secret = readOwnedFile(file, privately: true)
    if case .missing = secret {
      makeSecret(file)
      secret = readOwnedFile(file, privately: true)
    }
    switch secret {
    case .contents(let bytes) where bytes.count == Self.secretLength: return SymmetricKey(data: bytes)
    case .refused(let reason):
      warn("not using the object cache in \(directory): its key \(file) \(reason); compiling in memory")
    default:
      warn("not using the object cache in \(directory): its key \(file) cannot be read or made; compiling in memory")
    }
    return nil
  }

  /// Writes 32 random bytes to `file` (0600) under a temporary name and links them into place,
  /// so that concurrent first runs agree on one secret: link fails if another process was
  /// first, and then its secret is the one read.
  func makeSecret(_ file: String) {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<Self.secretLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let temporary = file + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
    defer { unlink(temporary) }
    guard (try? writeNewFile(temporary, bytes)) != nil else { return }
    _ = link(temporary, file)
  }

  /// Why a file or folder with this status cannot be trusted, or nil.
  static func untrusted(_ status: stat, privately: Bool = false) -> String? {
    if status.st_uid != geteuid() { return "belongs to another user (uid \(status.st_uid))" }
    let forbidden: mode_t = privately ? 0o077 : 0o022
    if status.st_mode & forbidden != 0 {
      return
        "is \(privately ? "readable or writable" : "writable") by group or others (mode \(String(status.st_mode & 0o777, radix: 8)))"
    }
    return nil
  }

  enum OwnedFile {
    case missing
    case refused(String)
    case contents([UInt8])
  }

  /// A file's bytes if it is a regular file (not a symbolic link) of this user's that group
  /// and others cannot write (nor read, when `privately`).
  func readOwnedFile(_ file: String, privately: Bool = false) -> OwnedFile {
    let descriptor = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard descriptor >= 0 else {
      switch errno {
      case ENOENT: return .missing
      case ELOOP: return .refused("is a symbolic link")
      default: return .refused("cannot be read (\(String(cString: strerror(errno))))")
      }
    }
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    var status = stat()
    guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
      return .refused("is not a regular file")
    }
    if let problem = Self.untrusted(status, privately: privately) { return .refused(problem) }
    guard let data = try? handle.readToEnd() else { return .refused("cannot be read") }
    return .contents(Array(data ?? Data()))
  }

  /// Writes a file that must not exist yet, mode 0600, checking that every byte was written
  /// (a full disk makes a short write).
  func writeNewFile(_ file: String, _ bytes: [UInt8]) throws {
    let descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission) }
    defer { close(descriptor) }
    var written = 0
    while written < bytes.count {
      let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
      guard count > 0 else { throw CocoaError(.fileWriteOutOfSpace) }
      written += count
    }
  }

  // MARK: - Size

  public struct Stats: Equatable, Sendable {
    public var entries: Int
    public var bytes: Int
  }

  func entries() -> [(path: String, bytes: Int, used: Date)] {
    let manager = FileManager.default
    guard let names = try? manager.contentsOfDirectory(atPath: directory) else { return [] }
    return names.filter { $0.hasSuffix(Self.suffix) }.compactMap { name in
      let file = directory + "/" + name
      guard let attributes = try? manager.attributesOfItem(atPath: file) else { return nil }
      return (file, (attributes[.size] as? Int) ?? 0, (attributes[.modificationDate] as? Date) ?? .distantPast)
    }
  }

  public func stats() -> Stats {
    let all = entries()
    return Stats(entries: all.count, bytes: all.map(\.bytes).reduce(0, +))
  }

  /// Removes least recently used entries until the cache fits its bound.
  func evict() {
    var all = entries().sorted { $0.used < $1.used }
    var total = all.map(\.bytes).reduce(0, +)
    while total > maximumBytes, let oldest = all.first {
      try? FileManager.default.removeItem(atPath: oldest.path)
      total -= oldest.bytes
      all.removeFirst()
    }
  }

  /// Removes every entry; returns how many.
  @discardableResult
  public func clear() -> Int {
    let all = entries()
    for entry in all { try? FileManager.default.removeItem(atPath: entry.path) }
    return all.count
  }
}
