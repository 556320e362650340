// Inlining: replaces `call` ops by a copy of the callee's body, except calls to functions in
// `keep` (the differentiator keeps `@checkpoint` and `@custom_grad` callees as calls, so that
// their derivative is a recomputation or the user's rule).
//
// Takes verified MIR without recursion (the elaborator rejects it). Guarantees verified MIR in
// which no call to a function outside `keep` remains in the roots; functions no longer reachable
// from `roots` are removed.

public enum Inline {
  public static func run(_ module: Module, roots: [String], keep: Set<String> = []) {
    let values = ValueFactory(startingAfter: module.largestValueID)
    for name in roots {
      guard let function = module.function(named: name) else { continue }
      inline(function.body, module: module, keep: keep, values: values)
    }
    removeUnreachable(module, roots: roots)
  }

  /// Inlines the calls of `block` (and of its regions) in place.
  public static func inline(_ block: Block, module: Module, keep: Set<String>, values: ValueFactory) {
    var result: [Operation] = []
    var replacements: [Value: Value] = [:]
    for op in block.operations {
      op.operands = op.operands.map { replacements[$0] ?? $0 }
      for region in op.regions {
        Simplify.substitute(region, replacements)
        inline(region, module: module, keep: keep, values: values)
      }
      guard case .call(let name) = op.kind, !keep.contains(name), let callee = module.function(named: name) else {
        result.append(op)
        continue
      }
      let cloner = Cloner(values: values)
      for (parameter, argument) in zip(callee.parameters, op.operands) { cloner.map(parameter, to: argument) }
      let copied = Block(arguments: [])
      copied.operations = cloner.clone(callee.body.operations.dropLast())
      inline(copied, module: module, keep: keep, values: values)
      result += copied.operations
      for (old, returned) in zip(op.results, callee.body.operations.last!.operands) {
        replacements[old] = cloner.lookup(returned)
      }
    }
    block.operations = result
  }

  static func removeUnreachable(_ module: Module, roots: [String]) {
    var reachable = Set(roots)
    var work = roots
    while let name = work.popLast() {
      guard let function = module.function(named: name) else { continue }
      for callee in callees(function.body) where !reachable.contains(callee) {
        reachable.insert(callee)
        work.append(callee)
      }
    }
    module.functions.removeAll { !reachable.contains($0.name) }
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
