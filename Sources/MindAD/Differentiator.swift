// The entry point of differentiation: derives the VJP function of a MIR function,
//
//     @f(x1, ..., xn) -> (r1, ..., rm)
//     @vjp.f(x1, ..., xn, c1, ..., cm) -> (r1, ..., rm, a1, ..., an)
//
// where the `c` are cotangents of the results and the `a` the adjoints of the parameters
// (zero for integer and bool parameters). Every transform of LANGUAGE.md is built from it:
// grad seeds the cotangent with 1, vjp returns a pullback, jvp differentiates the (linear)
// pullback once more, hessian differentiates grad. VJP functions are memoized per function.
//
// Before differentiating, a copy of the function has its calls inlined, except calls to
// functions in `keep` (checkpointed ones, and those with a custom gradient): their VJP is
// derived on its own (recomputing the callee) or supplied by `customVJP`; and except calls to
// `shared` functions (SharedFunctions), whose VJP is also split into a forward half that keeps
// its residuals and a backward half that reads them (SplitCalls), so nothing is recomputed.

import MindFrontend
import MindIR

public final class Differentiator {
  public let module: Module
  /// Functions whose calls are differentiated as calls: checkpointed ones and those with a
  /// custom gradient.
  public var keep: Set<String> = []
  /// Functions called from several places that are compiled once (SharedFunctions): their
  /// calls are kept too, and their VJP is also split into a forward and a backward half.
  public private(set) var shared: Set<String> = []
  var checkpointed: Set<String> = []
  /// Builds the VJP function of a function with a user-supplied gradient (or returns nil).
  public var customVJP: ((Function) throws -> Function?)?
  var derived: [String: Function] = [:]
  var pending: [Function] = []
  /// Bytes of forward values each VJP function keeps for its adjoint code, which values, and
  /// the VJP functions it calls (a checkpointed callee recomputes and keeps its own inside).
  var ownSavedBytes: [String: Int] = [:]
  var savedCallees: [String: [String]] = [:]
  public private(set) var savedValues: [String: [TensorType]] = [:]
  /// Per VJP function: how the backward sweep of each of its loops runs (LoopSweeps).
  public private(set) var loopSweeps: [String: [(location: SourceSpan, sweep: LoopSweep)]] = [:]

  /// Peak bytes of saved forward values per VJP function: its own, plus those of every call of
  /// a shared function (its forward half's residuals all live until the backward sweep), plus
  /// the largest of the checkpointed and custom ones (recomputed one at a time).
  public var savedBytes: [String: Int] {
    var memo: [String: Int] = [:]
    func total(_ name: String, _ depth: Int) -> Int {
      if let known = memo[name] { return known }
      let callees = depth > 64 ? [] : savedCallees[name] ?? []
      let isShared = { (callee: String) in self.shared.contains(String(callee.dropFirst(4))) }
      let held = callees.filter(isShared).map { total($0, depth + 1) }.reduce(0, +)
      let transient = callees.filter { !isShared($0) }.map { total($0, depth + 1) }.max() ?? 0
      let value = (ownSavedBytes[name] ?? 0) + held + transient
      memo[name] = value
      return value
    }
    for name in ownSavedBytes.keys { _ = total(name, 0) }
    return memo
  }
  var values: ValueFactory

  public init(module: Module) {
    self.module = module
    values = ValueFactory(startingAfter: module.largestValueID)
  }

  public static func vjpName(_ name: String) -> String { "vjp." + name }

  public func vjpFunction(named name: String) throws -> Function {
    guard let function = module.function(named: name) else {
      throw Diagnostic("E5000", "internal: no function @\(name) to differentiate", at: .unknown)
    }
    return try vjpFunction(of: function)
  }

  /// The VJP function of `function`: its declaration, whose body `derivePending` fills (a
  /// function with a custom gradient gets the user's rule at once).
  public func vjpFunction(of function: Function) throws -> Function {
    if let done = derived[function.name] { return done }
    if keep.contains(function.name), let custom = try customVJP?(function) {
      derived[function.name] = custom
      ownSavedBytes[custom.name] = 0
      return custom
    }
    let vjp = Function(
      name: Self.vjpName(function.name),
      body: Block(arguments: (function.parameters.map(\.type) + function.resultTypes).map(values.make)),
      resultTypes: function.resultTypes + function.parameters.map(\.type), location: function.location)
    vjp.derivativeOf = function.name
    module.add(vjp)
    derived[function.name] = vjp
    pending.append(vjp)
    return vjp
  }

  /// Derives the bodies of the declared VJP functions whose original reaches only functions with
  /// bodies (a VJP function of a transform's wrapper needs the VJP functions the wrapper calls; a
  /// function calling a batched function needs that built), including those declared while
  /// deriving. Returns whether it derived any; the others wait for what they reach.
  @discardableResult
  public func derivePending(roots: [String]) throws -> Bool {
    shared.formUnion(SharedFunctions.find(in: module, roots: roots).subtracting(keep))
    var derivedAny = false
    var progress = true
    while progress {
      progress = false
      for vjp in pending {
        guard let original = vjp.derivativeOf, let function = module.function(named: original) else { continue }
        let reached = module.reachable(from: [original]).compactMap(module.function(named:))
        guard !reached.contains(where: { $0.derivativeOf != nil || $0.batchOf != nil }) else { continue }
        pending.removeAll { $0 === vjp }
        try derive(vjp, of: function)
        progress = true
        derivedAny = true
      }
    }
    return derivedAny
  }

  public var hasPending: Bool { !pending.isEmpty }

  func derive(_ vjp: Function, of function: Function) throws {
    values = ValueFactory(startingAfter: max(module.largestValueID, values.next))
    // Differentiate a copy whose calls are inlined (except the kept ones).
    let copy = Cloner(values: values).cloneFunction(function, name: function.name + ".inlined")
    module.add(copy)
    defer { module.removeFunctions { $0 === copy } }
    var inliner = Inliner(module: module, keep: keep.union(shared), values: values)
    inliner.process(copy)
    Simplify.run(copy)
    let parameters = copy.parameters.map { values.make($0.type) }
    let cotangents = copy.resultTypes.map(values.make)
    let entry = Block(arguments: parameters + cotangents)
    let builder = Builder(values: values, block: entry)
    builder.location = function.location
    let activity = Activity(function: copy, inputs: copy.parameters)
    let reverse = ReverseMode(differentiator: self, activity: activity, values: values, builder: builder)
    let seeds: [Value?] = cotangents.map { $0.type.dtype.isFloat ? $0 : nil }
    let result = try reverse.differentiate(
      copy.body, arguments: parameters, outer: [:], seeds: seeds, free: [], replay: false)
    let adjoints = zip(copy.parameters, result.argumentAdjoints).map { parameter, adjoint in
      adjoint ?? builder.splat(0, like: parameter.type)
    }
    builder.create(.returnOp, result.primal + adjoints, resultTypes: [])
    vjp.body = entry
    vjp.derivativeOf = nil
    let sweeps = Sweeps(vjp, primalCount: function.resultTypes.count, forwardCount: reverse.forwardCount)
    recordSavedValues(vjp, sweeps)
    loopSweeps[vjp.name] = reverse.loopSweeps
    if shared.contains(function.name) { split(vjp, of: function, sweeps) }
  }

  /// The calls the compiler keeps after differentiation: shared functions with their VJP and
  /// its halves, and checkpointed functions with their VJP (inlined, the recomputation would
  /// be merged with the forward sweep and keep every intermediate alive: no checkpoint at all).
  public var keptCalls: Set<String> {
    var kept: Set<String> = []
    for name in shared { kept.formUnion([name, Self.vjpName(name), Self.forwardName(name), Self.backwardName(name)]) }
    for name in checkpointed { kept.formUnion([name, Self.vjpName(name)]) }
    return kept
  }

  /// Marks a function `@checkpoint`: its derivative recomputes its intermediates.
  public func checkpoint(_ name: String) {
    keep.insert(name)
    checkpointed.insert(name)
  }

  /// The forward values the adjoint code keeps (constants and views excepted: they are
  /// recomputed from what they read), and the VJP functions it calls.
  func recordSavedValues(_ vjp: Function, _ sweeps: Sweeps) {
    let (saved, _) = sweeps.residuals(passed: [])
    var callees: [String] = []
    func visit(_ op: Operation) {
      if case .call(let callee) = op.kind, callee.hasPrefix("vjp.") { callees.append(callee) }
      for region in op.regions { region.operations.forEach(visit) }
    }
    sweeps.adjoint.forEach(visit)
    savedValues[vjp.name] = saved.map(\.type)
    ownSavedBytes[vjp.name] = saved.map(\.type.byteCount).reduce(0, +)
    savedCallees[vjp.name] = callees
  }
}

extension Cloner {
  /// A copy of a whole function under a new name.
  public func cloneFunction(_ function: Function, name: String) -> Function {
    let body = clone(function.body)
    return Function(name: name, body: body, resultTypes: function.resultTypes, location: function.location)
  }
}
