// The object cache on disk: compiled object files stored under a SHA-256 key, so that a
// program compiled once starts without differentiation, lowering, optimization or codegen.
//
// An entry is one file `<key>.mobj`:
//     "MINDOBJ\n" · format version (u32) · key (64 hex) · metadata length (u64) · metadata ·
//     object length (u64) · object · SHA-256 of everything before it (32 bytes)
// Writes go to a temporary file in the same folder and are renamed into place (atomic, so
// concurrent processes never see half an entry). Every load checks the magic, the version,
// the key, the lengths, the checksum, the object's ELF header and the metadata's compiler and
// CPU: anything else is ignored with a warning, removed and rebuilt. A folder that cannot be
// created or written degrades to compiling in memory, with a warning. The cache is bounded in
// size; the least recently used entries go first.

import Crypto
import Foundation

public struct CacheEntry: Equatable, Sendable {
  /// Free-form lines the caller needs besides the object (runtime-error sites, ...).
  public var metadata: [String]
  public var object: [UInt8]

  public init(metadata: [String], object: [UInt8]) {
    self.metadata = metadata
    self.object = object
  }
}

public final class ObjectCache: @unchecked Sendable {
  public let directory: String
  public let maximumBytes: Int
  /// Describes the compiler and machine; an entry written by another is not loaded.
  public let fingerprint: String
  public private(set) var warnings: [String] = []
  static let magic = Array("MINDOBJ\n".utf8)
  static let formatVersion: UInt32 = 1
  static let suffix = ".mobj"

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

  func warn(_ message: String) { warnings.append(message) }

  // MARK: - Reading

  public func load(_ key: String) -> CacheEntry? {
    let file = path(key)
    guard FileManager.default.fileExists(atPath: file) else { return nil }
    guard let data = FileManager.default.contents(atPath: file) else {
      warn("cache entry \(file) cannot be read; compiling instead")
      return nil
    }
    switch decode(Array(data), key: key) {
    case .success(let entry):
      // Loading refreshes the entry for least-recently-used eviction.
      try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: file)
      return entry
    case .failure(let problem):
      warn("ignoring cache entry \(file): \(problem.reason); it is rebuilt")
      try? FileManager.default.removeItem(atPath: file)
      return nil
    }
  }

  struct Problem: Error {
    let reason: String
  }

  func decode(_ bytes: [UInt8], key: String) -> Result<CacheEntry, Problem> {
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
    guard let metadataLength = reader.uint64(), let metadata = reader.take(Int(metadataLength)),
      let objectLength = reader.uint64(), let object = reader.take(Int(objectLength)), let checksum = reader.take(32),
      reader.atEnd
    else { return .failure(Problem(reason: "truncated")) }
    guard Array(SHA256.hash(data: bytes[..<(bytes.count - 32)])) == checksum else {
      return .failure(Problem(reason: "checksum mismatch (corrupt)"))
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

    mutating func take(_ count: Int) -> [UInt8]? {
      guard count >= 0, offset + count <= bytes.count else { return nil }
      defer { offset += count }
      return Array(bytes[offset..<offset + count])
    }

    mutating func uint32() -> UInt32? {
      take(4).map { $0.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) } }
    }

    mutating func uint64() -> UInt64? {
      take(8).map { $0.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) } }
    }
  }

  // MARK: - Writing

  static func encode(_ entry: CacheEntry, key: String, fingerprint: String) -> [UInt8] {
    let metadata = Array(([fingerprint] + entry.metadata).joined(separator: "\n").utf8)
    var bytes = magic
    bytes += withUnsafeBytes(of: formatVersion.littleEndian) { Array($0) }
    bytes += Array(key.utf8)
    bytes += withUnsafeBytes(of: UInt64(metadata.count).littleEndian) { Array($0) }
    bytes += metadata
    bytes += withUnsafeBytes(of: UInt64(entry.object.count).littleEndian) { Array($0) }
    bytes += entry.object
    bytes += Array(SHA256.hash(data: bytes))
    return bytes
  }

  /// Stores an entry; returns false (with a warning) when the folder cannot take it.
  @discardableResult
  public func store(_ key: String, _ entry: CacheEntry) -> Bool {
    let manager = FileManager.default
    do {
      try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
      let temporary =
        directory + "/.\(key).\(ProcessInfo.processInfo.processIdentifier).\(UInt64.random(in: 0...UInt64.max)).tmp"
      let data = Data(Self.encode(entry, key: key, fingerprint: fingerprint))
      guard manager.createFile(atPath: temporary, contents: data) else {
        throw CocoaError(.fileWriteUnknown)
      }
      // A short write (a full disk) leaves a smaller file: never rename it into place.
      let written = (try? manager.attributesOfItem(atPath: temporary)[.size] as? Int) ?? -1
      guard written == data.count else {
        try? manager.removeItem(atPath: temporary)
        throw CocoaError(.fileWriteOutOfSpace)
      }
      guard rename(temporary, path(key)) == 0 else {
        try? manager.removeItem(atPath: temporary)
        throw CocoaError(.fileWriteUnknown)
      }
    } catch {
      warn("cannot write the object cache in \(directory) (\(error.localizedDescription)); compiled in memory only")
      return false
    }
    evict()
    return true
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
