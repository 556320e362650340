// Loop-invariant code motion, one of Simplify's rounds.
//
// Takes verified MIR; moves every op of a `for` or `while` region that reads only values defined
// outside the loop, is pure (no side effects, no runtime check: see `OpKind.hasSideEffects`) and
// has no regions of its own, to just before the loop, inner loops first, so that an op invariant
// in two nested loops leaves both. Guarantees verified MIR computing the same values: the ops
// moved cannot fail, so evaluating them once even when the loop runs zero times changes no
// result. A `hessian`'s rows (one loop iteration per input element) then share the forward
// sweep and the function's constants instead of recomputing them; an RNN's transposed weights
// are computed once.

extension Simplify {
  static func hoistLoopInvariants(_ block: Block) -> Bool {
    var changed = false
    var index = 0
    while index < block.operations.count {
      let op = block.operations[index]
      for region in op.regions { changed = hoistLoopInvariants(region) || changed }
      if op.kind == .forOp || op.kind == .whileOp {
        let invariant = removeInvariants(of: op)
        block.operations.insert(contentsOf: invariant, at: index)
        index += invariant.count
        changed = changed || !invariant.isEmpty
      }
      index += 1
    }
    return changed
  }

  /// Removes the invariant ops from a loop's regions and returns them, in order.
  static func removeInvariants(of loop: Operation) -> [Operation] {
    var invariant: [Operation] = []
    for region in loop.regions {
      var defined = Set(region.arguments)
      var kept: [Operation] = []
      for op in region.operations {
        if op.regions.isEmpty && !op.kind.hasSideEffects && !op.operands.contains(where: defined.contains) {
          invariant.append(op)
        } else {
          kept.append(op)
          defined.formUnion(op.results)
        }
      }
      region.operations = kept
    }
    return invariant
  }
}
