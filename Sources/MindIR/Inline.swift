// Inlining: replaces `call` ops by a copy of the callee's body, except calls to functions in
// `keep` (the differentiator keeps `@checkpoint` and `@custom_grad` callees as calls, so that
// their derivative is a recomputation or the user's rule; the compiler keeps calls of shared
// functions, see SharedFunctions).
//
// Takes verified MIR without recursion (the elaborator rejects it). Guarantees verified MIR in
// which no call to a function outside `keep` remains in the roots and the kept functions they
// reach; functions no longer reachable from `roots` are removed.

public enum Inline {
  public static func run(_ module: Module, roots: [String], keep: Set<String> = []) {
    var inliner = Inliner(module: module, keep: keep, values: ValueFactory(startingAfter: module.largestValueID))
    // The roots, then every kept function they reach: each is compiled on its own, so the
    // calls in its body are inlined too.
    var work = roots
    var seen = Set(roots)
    while let name = work.popLast() {
      guard let function = module.function(named: name) else { continue }
      inliner.process(function)
      for callee in callees(function.body) where keep.contains(callee) && !seen.contains(callee) {
        seen.insert(callee)
        work.append(callee)
      }
    }
    removeUnreachable(module, roots: roots)
  }

  public static func removeUnreachable(_ module: Module, roots: [String]) {
    let reachable = module.reachable(from: roots)
    module.removeFunctions { !reachable.contains($0.name) }
  }

  public static func callees(_ block: Block) -> [String] {
    var names: [String] = []
    for op in block.operations {
      if case .call(let name) = op.kind { names.append(name) }
      for region in op.regions { names += callees(region) }
    }
    return names
  }
}

/// Inlines top-down: a call is replaced by a copy of the callee's body as written, and the calls
/// in that copy are inlined in turn. The work is the size of the inlined result; inlining
/// bottom-up (callees first, then copying their inlined bodies) also builds the inlined body of
/// every function on the way, quadratic in the depth of a chain of calls (2,000 functions
/// deep: 5 s and 1.3 GB to check, against 0.1 s).
public struct Inliner {
  let module: Module
  let keep: Set<String>
  let values: ValueFactory
  var done: Set<String> = []

  public init(module: Module, keep: Set<String>, values: ValueFactory) {
    self.module = module
    self.keep = keep
    self.values = values
  }

  public mutating func process(_ function: Function) {
    guard !done.contains(function.name) else { return }
    done.insert(function.name)
    inline(function.body)
  }

  mutating func inline(_ block: Block) {
    var replacements: [Value: Value] = [:]
    var result: [Operation] = []
    expand(block.operations, into: &result, &replacements)
    block.operations = result
  }

  /// Appends the ops to `result`, each call of a function that is not kept replaced by the
  /// callee's body, itself expanded; `replacements` maps the results of replaced calls to the
  /// values they returned.
  mutating func expand(_ operations: [Operation], into result: inout [Operation], _ replacements: inout [Value: Value])
  {
    for op in operations {
      op.operands = op.operands.map { replacements[$0] ?? $0 }
      for region in op.regions {
        Simplify.substitute(region, replacements)
        inline(region)
      }
      guard case .call(let name) = op.kind, !keep.contains(name), let callee = module.function(named: name),
        callee.derivativeOf == nil
      else {
        result.append(op)
        continue
      }
      let cloner = Cloner(values: values)
      for (parameter, argument) in zip(callee.parameters, op.operands) { cloner.map(parameter, to: argument) }
      expand(cloner.clone(callee.body.operations.dropLast()), into: &result, &replacements)
      for (old, returned) in zip(op.results, callee.body.operations.last!.operands) {
        let copy = cloner.lookup(returned)
        replacements[old] = replacements[copy] ?? copy
      }
    }
  }
}

extension Module {
  /// The names of the functions `roots` reach through calls (a declared VJP function also
  /// reaches the function it differentiates), roots included.
  public func reachable(from roots: [String]) -> Set<String> {
    var reached = Set(roots)
    var work = roots
    while let name = work.popLast() {
      guard let function = function(named: name) else { continue }
      var next = Inline.callees(function.body)
      if let original = function.derivativeOf ?? function.batchOf { next.append(original) }
      for callee in next where reached.insert(callee).inserted { work.append(callee) }
    }
    return reached
  }
}
