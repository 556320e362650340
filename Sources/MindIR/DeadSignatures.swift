// Dead code across calls. Simplify removes dead ops inside a function, but a call is opaque to
// it: a function kept as a call (SharedFunctions) computes every result it declares, even those
// no caller reads. This pass removes, in every function but the roots:
//   - results that no call site reads (and so the work only they needed),
//   - parameters the body does not read (and so, in callers, the work that only fed them),
// and the calls of functions without effects whose results nobody reads; to a fixed point.
//
// Takes verified MIR in which functions are only referenced by `call` ops and the roots.
// Guarantees verified MIR in which the roots keep their signatures and compute the same values.

public enum DeadSignatures {
  public static func run(_ module: Module, roots: Set<String>) {
    var changed = true
    while changed {
      changed = false
      let calls = callSites(module)
      var trimmed: [String: (results: [Int], parameters: [Int])] = [:]
      for function in module.functions where !roots.contains(function.name) {
        guard let sites = calls[function.name] else { continue }
        var used: Set<Int> = []
        for (op, counts) in sites {
          for (i, result) in op.results.enumerated() where (counts[result] ?? 0) > 0 { used.insert(i) }
        }
        var reads: [Value: Int] = [:]
        Simplify.countUses(function.body, into: &reads)
        let results = function.resultTypes.indices.filter(used.contains)
        let parameters = function.parameters.indices.filter { (reads[function.parameters[$0]] ?? 0) > 0 }
        guard results.count < function.resultTypes.count || parameters.count < function.parameters.count else {
          continue
        }
        let terminator = function.body.operations.removeLast()
        function.body.operations.append(
          Operation.make(
            .returnOp, results.map { terminator.operands[$0] }, results: [], location: terminator.location))
        function.resultTypes = results.map { function.resultTypes[$0] }
        function.body.arguments = parameters.map { function.parameters[$0] }
        Simplify.run(function)
        trimmed[function.name] = (results, parameters)
      }
      let pure = effectFree(module)
      for function in module.functions {
        if rewriteCalls(function.body, trimmed: trimmed, pure: pure) {
          Simplify.run(function)
          changed = true
        }
      }
      changed = changed || !trimmed.isEmpty
    }
  }

  /// Every call op per callee, with the use counts of the function it is in.
  static func callSites(_ module: Module) -> [String: [(Operation, [Value: Int])]] {
    var sites: [String: [(Operation, [Value: Int])]] = [:]
    for function in module.functions {
      var counts: [Value: Int] = [:]
      Simplify.countUses(function.body, into: &counts)
      func visit(_ block: Block) {
        for op in block.operations {
          if case .call(let callee) = op.kind { sites[callee, default: []].append((op, counts)) }
          op.regions.forEach(visit)
        }
      }
      visit(function.body)
    }
    return sites
  }

  /// Functions whose calls may be removed when nobody reads their results: no output, no
  /// runtime check, and only calls of such functions.
  static func effectFree(_ module: Module) -> Set<String> {
    var memo: [String: Bool] = [:]
    func free(_ name: String) -> Bool {
      if let known = memo[name] { return known }
      memo[name] = false
      guard let function = module.function(named: name) else { return false }
      func clean(_ block: Block) -> Bool {
        block.operations.allSatisfy { op in
          switch op.kind {
          case .call(let callee): return free(callee)
          case .print, .assert, .dynamicSlice, .dynamicUpdateSlice, .gather, .scatterAdd, .load, .save: return false
          default: return op.regions.allSatisfy(clean)
          }
        }
      }
      let result = function.derivativeOf == nil && clean(function.body)
      memo[name] = result
      return result
    }
    return Set(module.functions.map(\.name).filter(free))
  }

  /// Rebuilds the calls of trimmed functions and removes effect-free calls nobody reads.
  static func rewriteCalls(
    _ block: Block, trimmed: [String: (results: [Int], parameters: [Int])], pure: Set<String>
  ) -> Bool {
    var counts: [Value: Int] = [:]
    Simplify.countUses(block, into: &counts)
    var changed = false
    block.operations = block.operations.compactMap { op in
      for region in op.regions { changed = rewriteCalls(region, trimmed: trimmed, pure: pure) || changed }
      guard case .call(let callee) = op.kind else { return op }
      if pure.contains(callee) && op.results.allSatisfy({ (counts[$0] ?? 0) == 0 }) {
        changed = true
        return nil
      }
      guard let (results, parameters) = trimmed[callee] else { return op }
      changed = true
      return Operation.make(
        op.kind, parameters.map { op.operands[$0] }, results: results.map { op.results[$0] }, regions: [],
        location: op.location)
    }
    return changed
  }
}
