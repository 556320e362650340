// The Swift API: load MIND source, look up a function (or a transform of one, written as MIND
// source: `grad(loss)`), and call it with host tensors. Each distinct (function, argument
// types) is specialized, differentiated, compiled and linked into the session's JIT on its
// first call, and reused afterwards. Shapes are checked against the function's signature and
// reported as MIND diagnostics.
//
//     let session = try Session(source: source)
//     let loss = try session.function("mse_loss")
//     let gradient = try loss.grad()(Tensor([1, 2, 3]), Tensor([1.5, 2.5, 3.5]))

import Foundation
import MindAD
import MindCodegen
import MindFrontend
import MindIR
import MindJIT
import MindRuntime
import MindSema

/// An error of the MIND program or of a call into it, rendered like the compiler's.
public struct MindError: Error, CustomStringConvertible {
  public let code: String
  public let message: String
  /// The diagnostic with its location and source line.
  public let description: String

  public init(code: String, message: String, description: String) {
    (self.code, self.message, self.description) = (code, message, description)
  }

  /// An error without a source location: its description is `error[code]: message`.
  public init(code: String, unlocated message: String) {
    self.init(code: code, message: message, description: "error[\(code)]: \(message)\n")
  }
}

public final class Session {
  let program: Program
  let engine: Engine
  /// Where `print` in called functions writes (standard output by default).
  public var output: (String) -> Void = { Swift.print($0, terminator: "") }
  var compiled: [CallKey: CompiledCall] = [:]
  /// The specialization called last, and the expression it is of.
  var lastCall: (expression: String, call: CompiledCall)?
  /// Target machines for code built on the caller's thread, by optimization level (creating
  /// one takes about 0.25 ms; background tiers create their own).
  var targets: [Int: TargetMachine] = [:]

  /// A specialization: the function's expression and the argument types.
  struct CallKey: Hashable {
    let expression: String
    let types: [TensorType]

    var text: String { expression + "(" + types.map(\.description).joined(separator: ", ") + ")" }
  }
  /// The object cache specializations are stored in (nil: compile in memory only).
  public let cache: ObjectCache?
  /// How many specializations came from the object cache and how many were compiled.
  public private(set) var cacheHits = 0
  public private(set) var compilations = 0

  struct CompiledCall {
    let entry: EntryPoint
    let parameters: [TensorType]
    let results: [TensorType]
    let resultLayout: ValueLayout
    let sites: [RuntimeSite]
  }

  /// The address of a specialization's code. With tiered compilation it starts as unoptimized
  /// code and is replaced by the optimized code when the background compilation finishes.
  final class EntryPoint: @unchecked Sendable {
    private var address: UInt64
    private let lock = NSLock()
    private let finished = DispatchGroup()

    init(_ address: UInt64) { self.address = address }

    var current: UInt64 { lock.withLock { address } }

    func replace(with optimized: UInt64) { lock.withLock { address = optimized } }

    func beginUpgrade() { finished.enter() }
    func endUpgrade() { finished.leave() }
    func waitForUpgrade() { finished.wait() }
  }

  /// Compile the first call of a specialization without LLVM optimization and build the
  /// optimized code in the background (it replaces the first when ready, and is what the
  /// cache keeps). Off: compile optimized code before the first call.
  public var tieredCompilation = true
  let backgroundLock = NSLock()
  /// Optimized tiers to start once the current call has returned.
  var pendingUpgrades: [Thread] = []

  /// Loads a program. `cacheDirectory` is the object cache's folder: by default the one of
  /// `mind jit` ($MIND_CACHE_DIR, ...); pass nil to compile in memory only.
  public convenience init(
    source: String, name: String = "embedded.mind", optimizationLevel: Int = 2,
    cacheDirectory: String? = ObjectCache.defaultDirectory(), flushesSubnormals: Bool = true
  ) throws {
    let program: Program
    do {
      program = try Program(source: source, name: name)
    } catch let list as DiagnosticList {
      throw MindError(
        code: list.diagnostics.first?.code ?? "E7000", message: list.diagnostics.first?.message ?? "error",
        description: list.rendered)
    }
    try self.init(
      program: program, optimizationLevel: optimizationLevel, cacheDirectory: cacheDirectory,
      flushesSubnormals: flushesSubnormals)
  }

  /// A session on a loaded program (`Program(path:)` brings in the files it imports).
  public init(
    program: Program, optimizationLevel: Int = 2, cacheDirectory: String? = ObjectCache.defaultDirectory(),
    flushesSubnormals: Bool = true
  ) throws {
    self.program = program
    let engine = try Engine(optimizationLevel: optimizationLevel, flushesSubnormals: flushesSubnormals)
    self.engine = engine
    cache = cacheDirectory.map {
      ObjectCache(directory: $0, maximumBytes: ObjectCache.defaultMaximumBytes(), fingerprint: engine.fingerprint)
    }
  }

  /// Warnings of the object cache (damaged entries, unwritable folder).
  public var warnings: [String] { cache?.warnings ?? [] }

  public convenience init(
    path: String, optimizationLevel: Int = 2, cacheDirectory: String? = ObjectCache.defaultDirectory(),
    flushesSubnormals: Bool = true
  ) throws {
    guard let text = readFile(path) else {
      throw MindError(code: "E7001", unlocated: "cannot read `\(path)`")
    }
    try self.init(
      source: text, name: path, optimizationLevel: optimizationLevel, cacheDirectory: cacheDirectory,
      flushesSubnormals: flushesSubnormals)
  }

  static func error(_ diagnostics: [Diagnostic], _ renderer: DiagnosticRenderer) -> MindError {
    let first = diagnostics.first
    return MindError(
      code: first?.code ?? "E7000", message: first?.message ?? "error", description: renderer.render(diagnostics))
  }

  func error(_ diagnostics: [Diagnostic]) -> MindError {
    Self.error(diagnostics, DiagnosticRenderer(sources: program.sources))
  }

  /// A function of the program, or any MIND expression that denotes one:
  /// `"loss"`, `"grad(loss, wrt=1)"`, `"|x| loss(x, x)"`.
  public func function(_ expression: String) throws -> CompiledFunction {
    CompiledFunction(session: self, expression: expression)
  }

  func call(_ expression: String, _ arguments: [Tensor]) throws -> [Tensor] {
    try callLaidOut(expression, arguments).leaves
  }

  /// Calls `expression` with tensors that are the leaves of its arguments; returns the results'
  /// leaves and how they are laid out.
  func callLaidOut(_ expression: String, _ arguments: [Tensor]) throws -> (leaves: [Tensor], layout: ValueLayout) {
    let compiled = try specialization(expression, arguments)
    // New storage the results are written into.
    let storages = compiled.results.map { TensorStorage(count: $0.byteCount) }
    try withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: arguments.count + storages.count) {
      table in
      for (i, argument) in arguments.enumerated() { table[i] = argument.storage.pointer }
      for (i, storage) in storages.enumerated() { table[arguments.count + i] = storage.pointer }
      try withExtendedLifetime(arguments) { try run(compiled, table.baseAddress!) }
    }
    let results = zip(compiled.results, storages).map { type, storage in
      Tensor(elementType: ElementType(type.dtype), shape: type.extents, storage: storage)
    }
    return (results, compiled.resultLayout)
  }

  /// The specialization of `expression` for the arguments' types: the last one called when
  /// they fit it, else a memoized or newly compiled one.
  func specialization(_ expression: String, _ arguments: [Tensor]) throws -> CompiledCall {
    if let last = lastCall, last.expression == expression, Self.fits(arguments, last.call.parameters) {
      return last.call
    }
    let key = CallKey(expression: expression, types: arguments.map(\.type))
    let compiled = try self.compiled[key] ?? compile(key)
    lastCall = (expression, compiled)
    return compiled
  }

  /// Runs a specialization's code over its entry table: the arguments' storage, then the
  /// results' memory, which the code writes in place. Starts the optimized tiers a first call
  /// left pending once the code has returned.
  func run(_ compiled: CompiledCall, _ table: UnsafeMutablePointer<UnsafeMutableRawPointer?>) throws {
    typealias Entry =
      @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32
    let entry = unsafeBitCast(UInt(compiled.entry.current), to: Entry.self)
    let failure = CompiledCode.run(sites: compiled.sites, fallback: .unknown, output: output) { runtime in
      entry(runtime, table)
    }
    if !pendingUpgrades.isEmpty {
      for thread in pendingUpgrades { thread.start() }
      pendingUpgrades.removeAll()
    }
    if let failure { throw error([failure]) }
  }

  /// Whether the arguments have exactly these types (compared in place: a repeated call of the
  /// last specialization skips building and hashing its key).
  static func fits(_ arguments: [Tensor], _ types: [TensorType]) -> Bool {
    guard arguments.count == types.count else { return false }
    for (argument, type) in zip(arguments, types) {
      guard argument.elementType.dtype == type.dtype, argument.shape.count == type.shape.count else { return false }
      for (extent, dim) in zip(argument.shape, type.shape) where dim != .known(extent) { return false }
    }
    return true
  }

  /// `expression` parsed as a source file of its own (where its diagnostics point).
  func parse(_ expression: String) throws -> Expr {
    let file = SourceFile(name: "<call \(expression)>", text: expression)
    var parser = Parser(source: file, fileIndex: program.sources.add(file))
    do {
      return try parser.parseExpression()
    } catch let diagnostic as Diagnostic {
      throw error([diagnostic])
    }
  }

  /// How the arguments of the function `expression` denotes are laid out, by parameter.
  func parameterLayouts(_ expression: String) throws -> [ParameterLayout] {
    let callee = try parse(expression)
    do {
      return try onLargeStack { try self.program.elaborator.parameterLayouts(of: callee) }
    } catch let diagnostic as Diagnostic {
      throw error([diagnostic])
    }
  }

  /// Specializes, differentiates and compiles `expression` for these argument types, or loads
  /// the object of that specialization from the cache.
  func compile(_ memoKey: CallKey) throws -> CompiledCall {
    let (expression, types) = (memoKey.expression, memoKey.types)
    let name = "api_" + ObjectCache.key([memoKey.text]).prefix(16)
    let callee = try parse(expression)
    let mir: MindIR.Function
    let resultLayout: ValueLayout
    let canonical: String?
    do {
      // The cache key prints the whole specialized program: only worth it with a cache.
      (mir, resultLayout, canonical) = try program.specializeCall(callee, types, name: name, canonical: cache != nil)
    } catch let diagnostic as Diagnostic {
      throw error([diagnostic])
    } catch let list as DiagnosticList {
      throw error(list.diagnostics)
    }
    let key = canonical.map { ObjectCache.key([engine.fingerprint, name, $0]) }
    let results = mir.resultTypes
    if let cache, let key, let hit = cache.load(key),
      let linked = engine.linkCached(hit, key: key, from: cache, name: name + ".o", entry: name + ".entry")
    {
      cacheHits += 1
      let call = CompiledCall(
        entry: EntryPoint(linked.address), parameters: types, results: results, resultLayout: resultLayout,
        sites: linked.sites)
      compiled[memoKey] = call
      return call
    }
    compilations += 1
    let module: Module
    do {
      module = try program.finishCall(mir)
    } catch let list as DiagnosticList {
      throw error(list.diagnostics)
    }
    let optimizationLevel = engine.optimizationLevel
    let flushesSubnormals = engine.target.flushesSubnormals
    let tiered = tieredCompilation && optimizationLevel > 0
    let start = now()
    // The optimized object's entry is `<name>.entry` (what the cache stores); a quick tier's
    // is `<name>.quick.entry`, so both can live in the JIT at once.
    let quickName = tiered ? name + ".quick" : name
    let level = tiered ? 0 : optimizationLevel
    let target = try targets[level] ?? TargetMachine(optimizationLevel: level, flushesSubnormals: flushesSubnormals)
    targets[level] = target
    let (object, sites) = try Self.object(of: module, root: mir.name, entry: quickName + ".entry", target: target)
    let entry = EntryPoint(try engine.jit.link(object, name: quickName + ".o", entry: quickName + ".entry"))
    let call = CompiledCall(
      entry: entry, parameters: types, results: results, resultLayout: resultLayout, sites: sites)
    compiled[memoKey] = call
    guard tiered else {
      storeInCache(key, object, sites, seconds: now() - start)
      return call
    }
    // The optimized tier is built on another thread once this first call has returned, so
    // that it never delays the call (see `call`).
    entry.beginUpgrade()
    let jit = UncheckedSendable(engine.jit)
    let function = UncheckedSendable(module)
    let root = mir.name
    let session = UncheckedSendable(self)
    pendingUpgrades.append(
      Thread {
        defer { entry.endUpgrade() }
        // Lowest priority, then let the caller go on: on a busy (or single) core, the caller's
        // work comes first (a new thread otherwise often runs a whole time slice at once).
        #if canImport(Glibc)
          _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
          sched_yield()
        #endif
        guard
          let target = try? TargetMachine(optimizationLevel: optimizationLevel, flushesSubnormals: flushesSubnormals),
          let (optimized, optimizedSites) = try? Self.object(
            of: function.value, root: root, entry: name + ".entry", target: target),
          let address = try? jit.value.link(optimized, name: name + ".o", entry: name + ".entry")
        else { return }
        entry.replace(with: address)
        session.value.storeInCache(key, optimized, optimizedSites, seconds: now() - start)
      })
    return call
  }

  /// The arguments of the function `expression` denotes, bound from command-line words
  /// (EntryArguments: files, `name=file`, numbers for scalars), for `call(values:)`.
  public func arguments(of expression: String, from words: [String], standardInput: @escaping () -> [UInt8]) throws
    -> [HostValue]
  {
    try EntryArguments(entry: expression, parameters: try parameterLayouts(expression), standardInput: standardInput)
      .bind(words)
  }

  /// A struct (or tuple) value of the type a parameter of `expression` is declared with, read
  /// from a safetensors or `.npz` file or a folder of `.npy` files (fields by dotted name).
  public func argument(_ parameter: String, of expression: String, from path: String) throws -> HostValue {
    let parameters = try parameterLayouts(expression)
    guard let layout = parameters.first(where: { $0.name == parameter }) else {
      throw MindError.entry("`\(expression)` has no parameter `\(parameter)`")
    }
    return try EntryArguments(entry: expression, parameters: parameters, standardInput: { [] })
      .value(layout, from: path)
  }

  /// Waits until every optimized tier started so far has replaced its quick code.
  public func waitForOptimizedCode() {
    for call in compiled.values { call.entry.waitForUpgrade() }
  }

  func storeInCache(_ key: String?, _ object: [UInt8], _ sites: [RuntimeSite], seconds: Double) {
    guard let cache, let key else { return }
    backgroundLock.withLock {
      _ = cache.store(key, CacheEntry(metadata: Engine.encodeMetadata(sites, compileSeconds: seconds), object: object))
    }
  }

  /// Lowers a self-contained MIR module (`root` and the functions it calls) to an object file
  /// at the target machine's optimization level, with the array-of-pointers entry point
  /// `entry` of `root` (the only symbol it exports). Tiers built on different threads use
  /// different target machines.
  static func object(of module: Module, root: String, entry: String, target: TargetMachine) throws -> (
    [UInt8], [RuntimeSite]
  ) {
    let file = try ObjectFile(module, name: entry, target: target, level: target.optimizationLevel) { lowering in
      lowering.internalizeDefinitions()
      lowering.addArrayWrapper(for: module.function(named: root)!, name: entry)
    }
    return (file.bytes, file.sites)
  }
}

/// A function value of a session; calling it compiles a specialization on first use.
public struct CompiledFunction {
  let session: Session
  public let expression: String

  public func callAsFunction(_ arguments: Tensor...) throws -> [Tensor] { try call(arguments) }

  public func call(_ arguments: [Tensor]) throws -> [Tensor] { try session.call(expression, arguments) }

  /// Calls with tensors, tuples and structs (a struct argument passes its fields); the result
  /// keeps its structure.
  public func call(values: [HostValue]) throws -> HostValue { try call(leaves: values.flatMap(\.leaves)) }

  /// Calls with the arguments' leaves (a struct's fields in declaration order, as
  /// `parameterLayouts` lays them out); the result keeps its structure.
  public func call(leaves: [Tensor]) throws -> HostValue {
    let (results, layout) = try callFlat(leaves: leaves)
    var remaining = results[...]
    return HostValue.laidOut(layout, &remaining)
  }

  /// Calls with the arguments' leaves; returns the results' leaves and their layout (the C
  /// interface's path: no structure is built).
  public func callFlat(leaves: [Tensor]) throws -> (results: [Tensor], layout: ValueLayout) {
    let (results, layout) = try session.callLaidOut(expression, leaves)
    return (results, layout)
  }

  /// How the function's parameters are laid out (empty when it declares none).
  public func parameterLayouts() throws -> [ParameterLayout] { try session.parameterLayouts(expression) }

  static func wrt(_ indices: [Int]) -> String {
    indices.isEmpty
      ? ""
      : indices.count == 1 ? ", wrt=\(indices[0])" : ", wrt=(" + indices.map(String.init).joined(separator: ", ") + ")"
  }

  /// `grad(f)`, or with respect to other arguments.
  public func grad(wrt indices: Int...) -> CompiledFunction {
    CompiledFunction(session: session, expression: "grad(\(expression)\(Self.wrt(indices)))")
  }

  /// `value_and_grad(f)`: the value, then the gradient(s).
  public func valueAndGrad(wrt indices: Int...) -> CompiledFunction {
    CompiledFunction(session: session, expression: "value_and_grad(\(expression)\(Self.wrt(indices)))")
  }

  /// `vjp(f)(arguments)`: the outputs and the pullback (cotangents of the outputs to
  /// cotangents of the arguments).
  public func vjp(_ arguments: [Tensor]) throws -> (outputs: [Tensor], pullback: ([Tensor]) throws -> [Tensor]) {
    let outputs = try call(arguments)
    let names = arguments.indices.map { "a\($0)" }
    let pullback = CompiledFunction(
      session: session,
      expression:
        "|\((names + ["v"]).joined(separator: ", "))| { let (y, p) = vjp(\(expression))(\(names.joined(separator: ", "))); p(v) }"
    )
    return (
      outputs,
      { cotangents in
        guard cotangents.count == 1 else {
          throw MindError(code: "E2007", unlocated: "a pullback takes one cotangent")
        }
        return try pullback.call(arguments + cotangents)
      }
    )
  }
}

extension Program {
  /// The MIR function computing `callee(arguments)`, specialized but not yet differentiated,
  /// and, when `canonical`, the text of it and everything it reaches, in MIR and in the source
  /// (for the cache key).
  func specializeCall(_ callee: Expr, _ types: [TensorType], name: String, canonical: Bool) throws -> (
    MindIR.Function, ValueLayout, String?
  ) {
    try onLargeStack {
      let (function, layout) = try self.elaborator.specializeExport(callee: callee, argumentTypes: types, name: name)
      guard canonical else { return (function, layout, nil) }
      var names: [String] = []
      ASTWalker.visitNames(callee) { names.append($0) }
      return (
        function, layout,
        self.reachedItems(from: names) + Printer.print(self.reachable(from: function), runtimeLocations: true)
      )
    }
  }

  /// Differentiates the function, and returns it with the functions it keeps calling (see
  /// `optimize`), copied out of the program's module, ready to compile.
  func finishCall(_ function: MindIR.Function) throws -> Module {
    try onLargeStack {
      try self.differentiate(roots: [function.name])
      let values = ValueFactory(startingAfter: self.elaborator.module.largestValueID)
      let copy = Module(
        functions: self.reachable(from: function).functions.map {
          Cloner(values: values).cloneFunction($0, name: $0.name)
        })
      self.optimize(copy, roots: [function.name])
      try Self.verified(copy)
      return copy
    }
  }

  /// The functions `root` calls, directly or through a VJP declaration, in module order.
  func reachable(from root: MindIR.Function) -> Module {
    let module = elaborator.module
    let names = module.reachable(from: [root.name])
    let reached = Module()
    reached.replaceFunctions(with: module.functions.filter { names.contains($0.name) })
    return reached
  }
}
