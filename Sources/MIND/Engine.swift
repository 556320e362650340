// The execution engine: lowers specialized MIR to LLVM, optimizes it with the new pass manager,
// emits an object file, links it into one ORC LLJIT and calls the entry point. Host functions
// are defined in the JIT as absolute symbols; the runtime context collects output and errors.
// With an object cache, the object of a program already compiled on this machine is loaded
// from disk instead: differentiation, lowering, optimization and codegen are skipped.

import CLLVM
import MindCodegen
import MindFrontend
import MindIR
import MindJIT
import MindRuntime

#if canImport(Glibc)
  import Glibc
#endif

/// A function of this module, whose code's address names the file the compiler was loaded from.
private let buildMarker: @convention(c) () -> Void = {}

public final class Engine {
  public static let compilerVersion = "mind 0.3.0"
  public let optimizationLevel: Int
  let target: TargetMachine
  let jit: JIT
  var compiledModules = 0

  /// Compiled code allocates a call's buffers with malloc when they fill less than 2 MiB (and
  /// `mind build` objects always): keep glibc from serving them with fresh mmaps (a page fault
  /// per 4 KiB on every call) and from returning freed memory to the system, so that buffers
  /// are reused across calls.
  static let mallocTuned: Bool = {
    #if canImport(Glibc)
      // mallopt is declared in <malloc.h>, which Swift's Glibc module does not export.
      typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
      if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-3, 1 << 30)  // M_MMAP_THRESHOLD
        _ = mallopt(-1, 1 << 30)  // M_TRIM_THRESHOLD
      }
    #endif
    return true
  }()

  /// `flushesSubnormals: false` keeps IEEE subnormal arithmetic in generated code (see
  /// MindCodegen/Subnormals.swift).
  public init(optimizationLevel: Int = 2, flushesSubnormals: Bool = true) throws {
    precondition(Self.mallocTuned)
    self.optimizationLevel = optimizationLevel
    target = try TargetMachine(optimizationLevel: optimizationLevel, flushesSubnormals: flushesSubnormals)
    jit = try JIT()
    try jit.defineAbsoluteSymbols(HostFunctions.symbols)
  }

  /// Which build of the compiler this is: the size and modification time of the file the
  /// compiler's code was loaded from (`mind`, a program that links the library statically, or
  /// libmindc.so inside a Python process, whose executable is the interpreter). A rebuilt
  /// compiler may generate different code under the same version number, so its cache entries
  /// must not be found by another build.
  static let compilerBuild: String = {
    #if canImport(Glibc)
      var status = stat()
      if let image = imageContaining(unsafeBitCast(buildMarker, to: UInt.self)),
        stat(image, &status) == 0
      {
        return "build \(status.st_size)-\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
      }
    #endif
    return "build unknown"
  }()

  /// The file mapped at `address`, from /proc/self/maps (`start-end perms offset dev inode path`).
  static func imageContaining(_ address: UInt) -> String? {
    guard let maps = readFile("/proc/self/maps") else { return nil }
    for line in maps.split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      let range = fields.first?.split(separator: "-").compactMap { UInt($0, radix: 16) } ?? []
      if fields.count >= 6, range.count == 2, range[0] <= address, address < range[1], fields[5].hasPrefix("/") {
        return fields[5...].joined(separator: " ")
      }
    }
    return nil
  }

  /// What distinguishes this compiler and machine: part of every cache key and entry.
  public var fingerprint: String {
    "\(Self.compilerVersion) \(Self.compilerBuild) llvm \(Self.llvmVersion) \(target.triple) \(target.cpuName) \(target.cpuFeatures) O\(optimizationLevel) \(target.flushesSubnormals ? "ftz" : "ieee-subnormals")"
  }

  /// The LLVM library's version, `19.1.7`.
  static var llvmVersion: String {
    var major: UInt32 = 0
    var minor: UInt32 = 0
    var patch: UInt32 = 0
    LLVMGetVersion(&major, &minor, &patch)
    return "\(major).\(minor).\(patch)"
  }

  /// What `mind --version` prints: the compiler, LLVM, the CPU it compiles for, and the
  /// OpenBLAS kernels that large products run (loading OpenBLAS to ask).
  public static func versionReport() -> String {
    var lines = ["\(compilerVersion) (\(compilerBuild))", "LLVM \(llvmVersion)"]
    if let target = try? TargetMachine(optimizationLevel: 2) {
      lines.append("CPU: \(target.cpuName) (\(target.triple))")
    }
    do {
      lines.append(try BLAS.kernel().description)
    } catch {
      lines.append("OpenBLAS: \(error)")
    }
    return lines.joined(separator: "\n")
  }

  /// The OpenBLAS kernels, if linked code has loaded OpenBLAS in this process.
  public static var blasKernel: String? { BLAS.loadedKernel?.description }

  /// An object cache in the default folder (`$MIND_CACHE_DIR`, ...) for this engine.
  public func defaultCache() -> ObjectCache {
    ObjectCache(
      directory: ObjectCache.defaultDirectory(), maximumBytes: ObjectCache.defaultMaximumBytes(),
      fingerprint: fingerprint)
  }

  /// The LLVM IR of a MIR module (after optimization when `optimized`).
  public func llvmIR(_ mir: Module, optimized: Bool) throws -> String {
    let module = try lower(mir)
    if optimized { try module.optimize(level: optimizationLevel, target: target) }
    return module.text
  }

  public func assembly(_ mir: Module) throws -> String {
    let module = try lower(mir)
    try module.optimize(level: optimizationLevel, target: target)
    return String(decoding: try module.emit(target, assembly: true), as: UTF8.self)
  }

  func lower(_ mir: Module) throws -> LLVMModule {
    let module = LLVMModule(name: "mind", target: target)
    let lowering = ModuleLowering(mir: mir, into: module, target: target)
    lowering.inProcess = true
    try lowering.lower()
    try module.verify()
    return module
  }

  /// Lowers, optimizes and emits an object file.
  func compile(_ mir: Module, timings: inout StageTimings) throws -> (object: [UInt8], sites: [RuntimeSite]) {
    var stages = StageTimings()
    let file = try ObjectFile(
      mir, name: "mind", target: target, level: optimizationLevel, record: { stages.record($0, $1) }
    ) { _ in }
    timings.merge(stages)
    return (file.bytes, file.sites)
  }

  /// Runs the program's entry function, through the object cache when one is given: on a hit
  /// the object is loaded; on a miss the program is differentiated, compiled and stored.
  public func run(
    program: Program, entry name: String = "main", cache: ObjectCache?, output: @escaping (String) -> Void
  ) throws -> RunReport {
    var timings = StageTimings()
    let (module, entry) = try program.specialize(entry: name)
    // The key prints the whole specialized program and the source items it reaches (custom
    // gradient rules are specialized only when differentiated): only worth it with a cache.
    let key =
      cache == nil
      ? ""
      : ObjectCache.key([
        fingerprint, entry.name, program.reachedItems(from: [name]), Printer.print(module, runtimeLocations: true),
      ])
    var report = RunReport(timings: timings, cache: .disabled, key: key)
    if let cache {
      let (hit, loadTime) = measure { cache.load(key) }
      report.cache = .miss
      if let hit {
        let (linked, linkTime) = measure {
          linkCached(hit, key: key, from: cache, name: nextObjectName(), entry: ModuleLowering.symbol(entry.name))
        }
        if let linked {
          timings.record("cache-load", loadTime)
          timings.record("link", linkTime)
          report.cache = .hit(savedSeconds: max(0, linked.compileSeconds - loadTime))
          report.warnings = cache.warnings
          let function = unsafeBitCast(UInt(linked.address), to: EntryPoint.self)
          try run(function, sites: linked.sites, location: entry.location, timings: &timings, output: output)
          report.timings = timings
          return report
        }
      }
    }
    let compileStart = now()
    try program.finish(module, entry: entry, optimize: true)
    let (object, sites) = try compile(module, timings: &timings)
    let compileTime = now() - compileStart
    if let cache {
      let (stored, storeTime) = measure {
        cache.store(key, CacheEntry(metadata: Self.encodeMetadata(sites, compileSeconds: compileTime), object: object))
      }
      timings.record("cache-store", storeTime)
      // A folder that is refused or cannot be written (the warnings say why) is no cache.
      if !stored { report.cache = .disabled }
      report.warnings = cache.warnings
    }
    let function = try link(object, entry: entry.name, timings: &timings)
    try run(function, sites: sites, location: entry.location, timings: &timings, output: output)
    report.timings = timings
    return report
  }

  typealias EntryPoint = @convention(c) (UnsafeMutableRawPointer?) -> Int32

  /// Adds an object to the JIT and returns its entry function.
  func link(_ object: [UInt8], entry: String, timings: inout StageTimings) throws -> EntryPoint {
    let (address, linkTime) = try measureThrowing {
      try jit.link(object, name: nextObjectName(), entry: ModuleLowering.symbol(entry))
    }
    timings.record("link", linkTime)
    return unsafeBitCast(UInt(address), to: EntryPoint.self)
  }

  /// A name for the next object added to the JIT.
  func nextObjectName() -> String {
    compiledModules += 1
    return "mind-\(compiledModules).o"
  }

  /// A cached object linked into the JIT: the address of its symbol `entry`, its runtime-error
  /// sites and its compile time; nil when its metadata cannot be read or its object does not
  /// link, and then the entry is discarded (with a warning) for the caller to rebuild.
  func linkCached(_ hit: CacheEntry, key: String, from cache: ObjectCache, name: String, entry: String) -> (
    address: UInt64, sites: [RuntimeSite], compileSeconds: Double
  )? {
    if let (sites, seconds) = Self.decodeMetadata(hit.metadata),
      let address = try? jit.link(hit.object, name: name, entry: entry)
    {
      return (address, sites, seconds)
    }
    cache.discard(key, because: "its object cannot be linked or its metadata read")
    return nil
  }

  func run(
    _ function: EntryPoint, sites: [RuntimeSite], location: SourceSpan, timings: inout StageTimings,
    output: @escaping (String) -> Void
  ) throws {
    let (failure, runTime) = measure {
      CompiledCode.run(sites: sites, fallback: location, output: output) { function($0) }
    }
    timings.record("run", runTime)
    if let failure { throw RuntimeError(diagnostic: failure, timings: timings) }
  }

  // MARK: - Cache metadata: the runtime-error sites and the compile time of an object.

  static func encodeMetadata(_ sites: [RuntimeSite], compileSeconds: Double) -> [String] {
    ["compile\t\(compileSeconds)"]
      + sites.map { site in
        let message = site.message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
          of: "\n", with: "\\n")
        return "site\t\(site.code)\t\(site.location.file)\t\(site.location.start)\t\(site.location.end)\t\(message)"
      }
  }

  static func decodeMetadata(_ lines: [String]) -> ([RuntimeSite], Double)? {
    var sites: [RuntimeSite] = []
    var compileSeconds = 0.0
    for line in lines {
      let fields = line.split(separator: "\t", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
      if fields.first == "compile", fields.count == 2, let seconds = Double(fields[1]) {
        compileSeconds = seconds
      } else if fields.first == "site", fields.count == 6, let file = Int(fields[2]), let start = Int(fields[3]),
        let end = Int(fields[4])
      {
        let message = fields[5].replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\\\", with: "\\")
        sites.append(
          RuntimeSite(code: fields[1], message: message, location: SourceSpan(file: file, start: start, end: end)))
      } else {
        return nil
      }
    }
    return (sites, compileSeconds)
  }
}

/// What a run did besides printing: per-stage times and how the object cache served it.
public struct RunReport {
  public enum CacheOutcome: Equatable {
    /// No cache, or one that was refused or could not be written.
    case disabled
    case miss
    case hit(savedSeconds: Double)
  }

  public var timings: StageTimings
  public var cache: CacheOutcome
  /// The cache key of the program (SHA-256 of its specialized MIR and the compiler); empty
  /// without a cache.
  public var key: String
  public var warnings: [String] = []
}

/// A runtime error of compiled code, located at the operation that failed.
public struct RuntimeError: Error {
  public let diagnostic: Diagnostic
  public let timings: StageTimings
}
