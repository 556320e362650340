// The object cache: a warm run loads the object and skips compilation; damaged, foreign or
// outdated entries, entries of another user or another cache, and entries whose object does not
// link are ignored with a warning and rebuilt; a folder others can write is not used; an
// unwritable or full folder degrades to compiling in memory; the size bound evicts least recently used entries;
// concurrent processes are safe.

import Foundation
import MIND
import Testing

@Suite struct CacheTests {
  static let source = """
    fn f(x: f32) -> f32 { x ** 4 }
    fn main() {
        print(grad(grad(grad(grad(f))))(2.0), grad(f)(2.0));
    }
    """

  func freshDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("mind-cache-\(UUID().uuidString)").path
  }

  /// One run in a fresh engine, as a new process would do it.
  func runOnce(_ source: String = source, directory: String?, optimizationLevel: Int = 2) throws -> (
    output: String, report: RunReport
  ) {
    let program = try Program(source: source, name: "cached.mind")
    let engine = try Engine(optimizationLevel: optimizationLevel)
    let cache = directory.map { ObjectCache(directory: $0, fingerprint: engine.fingerprint) }
    var output = ""
    let report = try engine.run(program: program, cache: cache) { output += $0 }
    return (output, report)
  }

  func entryPath(_ directory: String) throws -> String {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".mobj") }
    try #require(names.count == 1)
    return directory + "/" + names[0]
  }

  @Test func warmRunLoadsTheObjectAndPrintsTheSame() throws {
    let directory = freshDirectory()
    let cold = try runOnce(directory: directory)
    #expect(cold.report.cache == .miss)
    #expect(cold.output == "24.0 32.0\n")
    let warm = try runOnce(directory: directory)
    guard case .hit = warm.report.cache else {
      Issue.record("expected a hit, got \(warm.report.cache)")
      return
    }
    #expect(warm.output == cold.output)
    #expect(warm.report.warnings.isEmpty)
    // The warm run did no differentiation, lowering, optimization or codegen.
    let stages = warm.report.timings.stages.map(\.name)
    for skipped in ["ad", "lower", "llvm-opt", "codegen"] { #expect(!stages.contains(skipped)) }
  }

  @Test func runtimeErrorsFromACachedObjectPointAtTheSource() throws {
    let source =
      "fn main() {\n    let x = [1.0, 2.0];\n    let mut i = 0;\n    for k in 0..3 { i += 1; }\n    print(x[i]);\n}\n"
    let directory = freshDirectory()
    for _ in 0..<2 {
      let program = try Program(source: source, name: "bad.mind")
      let engine = try Engine()
      do {
        _ = try engine.run(program: program, cache: ObjectCache(directory: directory, fingerprint: engine.fingerprint))
        { _ in }
        Issue.record("expected a runtime error")
      } catch let error as RuntimeError {
        #expect(error.diagnostic.code == "E6001")
        #expect(program.sources.describe(error.diagnostic.span) == "bad.mind:5:11")
      }
    }
  }

  @Test func keysFollowTheProgramNotItsComments() throws {
    let directory = freshDirectory()
    let a = try runOnce(directory: directory).report.key
    let b = try runOnce("// a comment\n" + Self.source, directory: directory)
    #expect(b.report.key == a)
    let c = try runOnce(Self.source.replacingOccurrences(of: "2.0", with: "3.0"), directory: directory).report.key
    #expect(c != a)
    let d = try runOnce(directory: directory, optimizationLevel: 1).report.key
    #expect(d != a)
  }

  static let dependentSource = """
    struct Pair { a: f32, b: f32 }
    let scale = 3.0;
    fn helper(u: f32) -> f32 { u * 2.0 }
    fn rule(x: f32, upstream: f32) -> f32 { helper(upstream) }
    fn other_rule(x: f32, upstream: f32) -> f32 { upstream }
    @custom_grad(rule)
    fn f(x: f32) -> f32 { x * x }
    @checkpoint
    fn block(x: f32) -> f32 { tanh(x) * scale }
    fn unused(x: f32) -> f32 { x }
    fn main() { let h = |x: f32| f(x) + block(x); print(grad(h)(1.0)); }
    """

  /// The key covers every item the compiled code depends on, custom gradient rules reached
  /// through a closure included (once, two programs differing in a rule's body shared a key and
  /// the second printed the first's gradient), and nothing else.
  @Test func keysCoverEveryItemTheEntryReaches() throws {
    let directory = freshDirectory()
    let base = try runOnce(Self.dependentSource, directory: directory)
    #expect(base.output == "3.259923\n")
    let mutations: [(item: String, from: String, to: String)] = [
      ("a custom rule's body", "helper(upstream) }", "helper(upstream) + 5.0 }"),
      ("a function the rule calls", "u * 2.0", "u * 7.0"),
      ("which rule", "@custom_grad(rule)", "@custom_grad(other_rule)"),
      ("a checkpoint attribute", "@checkpoint\n", ""),
      ("a constant", "let scale = 3.0", "let scale = 4.0"),
      ("a struct", "a: f32, b: f32", "a: f32, c: f32"),
    ]
    for mutation in mutations {
      let source = Self.dependentSource.replacingOccurrences(of: mutation.from, with: mutation.to)
      try #require(source != Self.dependentSource)
      let cached = try runOnce(source, directory: directory)
      #expect(cached.report.cache == .miss, "changing \(mutation.item) must change the key")
      #expect(cached.output == (try runOnce(source, directory: nil)).output, "\(mutation.item)")
    }
    let unrelated = Self.dependentSource.replacingOccurrences(of: "{ x }", with: "{ x + 1.0 }")
    guard case .hit = try runOnce(unrelated, directory: directory).report.cache else {
      Issue.record("a change to a function the entry does not reach must keep the key")
      return
    }
  }

  @Test func sessionKeysCoverCustomRules() throws {
    let directory = freshDirectory()
    var outputs: [Float] = []
    for factor in ["2.0", "7.0", "2.0"] {
      let source = Self.dependentSource.replacingOccurrences(of: "u * 2.0", with: "u * " + factor)
      let session = try Session(source: source, cacheDirectory: directory)
      session.tieredCompilation = false  // the entry is stored before the call returns
      outputs += try session.function("grad(|x: f32| f(x))")(Tensor(1 as Float))[0].floats
      #expect(session.cacheHits == (factor == "2.0" && outputs.count == 3 ? 1 : 0))
    }
    #expect(outputs == [2, 7, 2])
  }

  /// Damages the entry, then expects a warning with `reason`, a rebuild, and a valid entry.
  func expectRebuild(after damage: (String) throws -> Void, reason: String) throws {
    let directory = freshDirectory()
    _ = try runOnce(directory: directory)
    try damage(try entryPath(directory))
    let damaged = try runOnce(directory: directory)
    #expect(damaged.report.cache == .miss)
    #expect(damaged.output == "24.0 32.0\n")
    #expect(damaged.report.warnings.contains { $0.contains(reason) }, "\(damaged.report.warnings)")
    let again = try runOnce(directory: directory)
    guard case .hit = again.report.cache else {
      Issue.record("the rebuilt entry was not used")
      return
    }
  }

  @Test func truncatedEntryIsRebuilt() throws {
    try expectRebuild(
      after: { path in
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
      }, reason: "truncated")
  }

  @Test func corruptEntryIsRebuilt() throws {
    try expectRebuild(
      after: { path in
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
      }, reason: "not authenticated")
  }

  @Test func damagedLengthFieldIsRebuilt() throws {
    try expectRebuild(
      after: { path in
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // The metadata length follows the magic (8 bytes), the version (4) and the key (64).
        for i in 76..<84 { bytes[i] = 0xFF }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
      }, reason: "truncated")
  }

  // MARK: - Trust: only this user's own entries, in a folder only this user can write

  @Test func newFoldersEntriesAndTheKeyArePrivate() throws {
    let directory = freshDirectory()
    _ = try runOnce(directory: directory)
    func mode(_ path: String) throws -> Int {
      try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }
    #expect(try mode(directory) == 0o700)
    #expect(try mode(try entryPath(directory)) == 0o600)
    #expect(try mode(directory + "/secret.key") == 0o600)
  }

  @Test func entryPlantedByAnotherUserIsRebuilt() throws {
    // Changing an owner needs root, which CI and sessions have.
    try expectRebuild(
      after: { path in try FileManager.default.setAttributes([.ownerAccountID: 65534], ofItemAtPath: path) },
      reason: "belongs to another user (uid 65534)")
  }

  @Test func entryWritableByOthersIsRebuilt() throws {
    try expectRebuild(
      after: { path in try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: path) },
      reason: "writable by group or others")
  }

  @Test func symlinkedEntryIsRebuilt() throws {
    try expectRebuild(
      after: { path in
        let elsewhere = freshDirectory()
        try FileManager.default.moveItem(atPath: path, toPath: elsewhere)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: elsewhere)
      }, reason: "is a symbolic link")
  }

  @Test func entryCopiedFromAnotherUsersCacheIsRebuilt() throws {
    // Another cache has another secret: its entries, valid there, are not authenticated here.
    try expectRebuild(
      after: { path in
        let other = freshDirectory()
        _ = try runOnce(directory: other)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: try entryPath(other), toPath: path)
      }, reason: "not authenticated by this user's key")
  }

  @Test func folderOthersCanWriteOrOwnIsNotUsed() throws {
    for (attributes, reason) in [
      ([FileAttributeKey.posixPermissions: 0o777], "the folder is writable by group or others (mode 777)"),
      ([.ownerAccountID: 65534], "the folder belongs to another user (uid 65534)"),
    ] {
      let directory = freshDirectory()
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      try FileManager.default.setAttributes(attributes, ofItemAtPath: directory)
      let result = try runOnce(directory: directory)
      #expect(result.output == "24.0 32.0\n")
      #expect(result.report.cache == .disabled)
      #expect(result.report.warnings.contains { $0.contains(reason) }, "\(result.report.warnings)")
      #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }
  }

  @Test func entryWhoseObjectCannotBeLinkedIsRebuilt() throws {
    // Authenticated (written through the cache) but not a loadable object: once, every later
    // run failed with E7000 until `mind cache clear`.
    try expectRebuild(
      after: { path in
        let key = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let cache = ObjectCache(
          directory: URL(fileURLWithPath: path).deletingLastPathComponent().path, fingerprint: try Engine().fingerprint)
        var entry = try #require(cache.load(key))
        entry.object = Array(entry.object.prefix(64)) + [UInt8](repeating: 0xAB, count: 256)
        cache.store(key, entry)
      }, reason: "its object cannot be linked")
  }

  @Test func entryOfAnotherCPUIsRebuilt() throws {
    try expectRebuild(
      after: { path in
        let key = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let foreign = ObjectCache(
          directory: directory, fingerprint: "mind 0.3.0 llvm 19.1.7 x86_64-pc-linux-gnu znver4 +avx2 O2")
        let original = try #require(ObjectCache(directory: directory, fingerprint: try Engine().fingerprint).load(key))
        foreign.store(key, original)
      }, reason: "another compiler or for another CPU")
  }

  @Test func entryOfAnotherBuildOfTheCompilerIsRebuilt() throws {
    // Same version, LLVM and CPU: only the compiler binary differs (its size and time).
    try expectRebuild(
      after: { path in
        let key = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fingerprint = try Engine().fingerprint
        let build = try #require(fingerprint.firstRange(of: /build [0-9]+-[0-9.]+/))
        let foreign = ObjectCache(
          directory: directory, fingerprint: fingerprint.replacingCharacters(in: build, with: "build 1-2.3"))
        let original = try #require(ObjectCache(directory: directory, fingerprint: fingerprint).load(key))
        foreign.store(key, original)
      }, reason: "another compiler or for another CPU")
  }

  @Test func entryOfAnOlderFormatIsRebuilt() throws {
    try expectRebuild(
      after: { path in
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[8] = 0  // the format version follows the 8-byte magic
        try Data(bytes).write(to: URL(fileURLWithPath: path))
      }, reason: "another version")
  }

  @Test func unwritableFolderDegradesToCompilingInMemory() throws {
    let blocker = freshDirectory()
    try Data("a file, not a folder".utf8).write(to: URL(fileURLWithPath: blocker))
    let result = try runOnce(directory: blocker + "/cache")
    #expect(result.output == "24.0 32.0\n")
    #expect(result.report.warnings.contains { $0.contains("cannot write the object cache") })
  }

  @Test func fullFolderDegradesToCompilingInMemory() throws {
    // A 4 KiB tmpfs cannot take an entry. Mounting needs root, which CI and sessions have.
    let mountPoint = freshDirectory()
    try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
    let mounted = try Tools.shell("mount -t tmpfs -o size=4k,mode=0700 tmpfs \(mountPoint)")
    try #require(mounted.status == 0, "cannot mount a small tmpfs: \(mounted.error)")
    defer { _ = try? Tools.shell("umount \(mountPoint)") }
    // A 16 KiB constant makes the object larger than the folder.
    let result = try runOnce(
      "fn main() { print(sum(arange(0.0, 4096.0, 1.0) * randn([4096], seed=1)) != 0.0); }", directory: mountPoint)
    #expect(result.output == "true\n")
    #expect(
      result.report.warnings.contains { $0.contains("cannot write the object cache") }, "\(result.report.warnings)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint).filter { $0.hasSuffix(".mobj") }.isEmpty)
  }

  @Test func sizeBoundEvictsLeastRecentlyUsedEntries() throws {
    let directory = freshDirectory()
    let object: [UInt8] = [0x7F, 0x45, 0x4C, 0x46] + [UInt8](repeating: 7, count: 1000)
    let cache = ObjectCache(directory: directory, maximumBytes: 2600, fingerprint: "test")
    let keys = (0..<3).map { ObjectCache.key(["entry \($0)"]) }
    for (i, key) in keys.prefix(2).enumerated() {
      cache.store(key, CacheEntry(metadata: [], object: object))
      try FileManager.default.setAttributes(
        [.modificationDate: Date(timeIntervalSinceNow: Double(i - 10))],
        ofItemAtPath: cache.directory + "/" + key + ".mobj")
    }
    // Using the first entry makes the second the least recently used.
    #expect(cache.load(keys[0]) != nil)
    cache.store(keys[2], CacheEntry(metadata: [], object: object))
    #expect(cache.stats().entries == 2)
    #expect(cache.load(keys[1]) == nil)
    #expect(cache.load(keys[0]) != nil && cache.load(keys[2]) != nil)
  }

  @Test func concurrentProcessesShareTheCacheSafely() throws {
    let directory = freshDirectory()
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("concurrent-\(UUID().uuidString).mind")
      .path
    try Self.source.write(toFile: path, atomically: true, encoding: .utf8)
    let command =
      (0..<4).map {
        "(MIND_CACHE_DIR=\(directory) \(Tools.mind) jit \(path) > \(path).\($0).out 2>&1; echo $? >> \(path).status) &"
      }.joined(separator: " ") + " wait"
    _ = try Tools.shell(command)
    let statuses = try String(contentsOfFile: path + ".status", encoding: .utf8).split(separator: "\n")
    #expect(statuses == ["0", "0", "0", "0"])
    for i in 0..<4 { #expect(try String(contentsOfFile: "\(path).\(i).out", encoding: .utf8) == "24.0 32.0\n") }
    let entries = try FileManager.default.contentsOfDirectory(atPath: directory)
    #expect(entries.filter { $0.hasSuffix(".mobj") }.count == 1)
    #expect(entries.filter { $0.hasSuffix(".tmp") }.isEmpty)
  }

  @Test func commandLineStatsClearAndNoCache() throws {
    let directory = freshDirectory()
    let example = Repository.root.appendingPathComponent("Examples/basic_usage.mind").path
    let environment = "MIND_CACHE_DIR=\(directory)"
    let uncached = try Tools.shell("\(environment) \(Tools.mind) jit --no-cache \(example)")
    #expect(uncached.status == 0)
    #expect(!FileManager.default.fileExists(atPath: directory))
    let cold = try Tools.shell("\(environment) \(Tools.mind) jit --time \(example)")
    #expect(cold.error.contains("cache: miss"))
    let warm = try Tools.shell("\(environment) \(Tools.mind) jit --time \(example)")
    #expect(warm.error.contains("cache: hit"))
    #expect(warm.output == cold.output)
    let stats = try Tools.shell("\(environment) \(Tools.mind) cache stats")
    #expect(stats.output.contains("entries: 1"))
    let clear = try Tools.shell("\(environment) \(Tools.mind) cache clear")
    #expect(clear.output.contains("removed 1 entries"))
    #expect(try Tools.shell("\(environment) \(Tools.mind) cache stats").output.contains("entries: 0"))
  }
}
