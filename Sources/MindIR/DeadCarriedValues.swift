// Dead loop-carried values and repeated bounds checks, two of Simplify's rounds.
//
// A `for` loop's carried value is dead when nothing after the loop reads its result and nothing
// the loop must still compute (the other carried values it yields, ops with effects) reads it in
// the body: the adjoint a backward loop accumulates for an input nobody differentiates with
// respect to (an RNN's inputs `xs` under `grad(rnn, wrt=(0, 1, 2))`), say. Such values are
// removed from the loop (initial value, body argument, yielded value and result), and dead-code
// elimination then removes the work that computed them in every iteration.
//
// Dynamic slices and updates have an effect, their bounds check, so they are kept when dead; but
// a check that repeats an earlier one in the same block (the same offsets into a tensor of the
// same extents, for a window of the same extents) cannot fail where the earlier one passed, and
// such an op is removed like a pure one when dead.
//
// Takes verified MIR; guarantees verified MIR computing the same values and the same errors.

extension Simplify {
  static func removeDeadCarriedValues(_ block: Block, uses counts: [Value: Int]) -> Bool {
    var changed = false
    for (index, op) in block.operations.enumerated() {
      for region in op.regions { changed = removeDeadCarriedValues(region, uses: counts) || changed }
      guard op.kind == .forOp, let body = op.regions.first, let terminator = body.terminator else { continue }
      let live = liveCarriedValues(op, body, terminator, counts)
      guard live.count < op.results.count else { continue }
      body.arguments = [body.arguments[0]] + live.map { body.arguments[$0 + 1] }
      body.operations[body.operations.count - 1] = Operation.make(
        .yield, live.map { terminator.operands[$0] }, results: [], location: terminator.location)
      block.operations[index] = Operation.make(
        .forOp, Array(op.operands.prefix(2)) + live.map { op.operands[$0 + 2] }, results: live.map { op.results[$0] },
        regions: op.regions, location: op.location)
      changed = true
    }
    return changed
  }

  /// The carried values of a `for` loop that are read after it or by what the body must compute.
  static func liveCarriedValues(_ loop: Operation, _ body: Block, _ terminator: Operation, _ counts: [Value: Int])
    -> [Int]
  {
    var live = Set(loop.results.indices.filter { (counts[loop.results[$0]] ?? 0) > 0 })
    let redundant = repeatedChecks(body)
    while true {
      var needed = Set(live.map { terminator.operands[$0] })
      for op in body.operations.dropLast() where op.kind.hasSideEffects && !redundant.contains(ObjectIdentifier(op)) {
        needed.formUnion(op.operands)
        needed.formUnion(op.regions.flatMap(freeValues))
      }
      for op in body.operations.dropLast().reversed() where op.results.contains(where: needed.contains) {
        needed.formUnion(op.operands)
        needed.formUnion(op.regions.flatMap(freeValues))
      }
      let grown = live.union(loop.results.indices.filter { needed.contains(body.arguments[$0 + 1]) })
      if grown == live { return live.sorted() }
      live = grown
    }
  }

  /// The dynamic slices and updates of `block` whose bounds check an earlier one repeats.
  static func repeatedChecks(_ block: Block) -> Set<ObjectIdentifier> {
    struct Check: Hashable {
      let extents: [Int]
      let window: [Int]
      let offsets: [Value]
    }
    var seen: Set<Check> = []
    var repeated: Set<ObjectIdentifier> = []
    for op in block.operations {
      let check: Check
      switch op.kind {
      case .dynamicSlice:
        check = Check(
          extents: op.operands[0].type.extents, window: op.result.type.extents, offsets: Array(op.operands.dropFirst()))
      case .dynamicUpdateSlice:
        check = Check(
          extents: op.operands[0].type.extents, window: op.operands[1].type.extents,
          offsets: Array(op.operands.dropFirst(2)))
      default: continue
      }
      if !seen.insert(check).inserted { repeated.insert(ObjectIdentifier(op)) }
    }
    return repeated
  }
}
