// Accumulated outer products leave their loop. In a `for` loop with constant bounds, a carried
// matrix that each iteration only increases by an outer product of two vectors the iteration
// computes,
//
//     acc' = acc + a_i @ b_i        (a_i: [M, 1], b_i: [1, N]; acc read nowhere else)
//
// is computed after the loop as one product over all iterations,
//
//     acc + [a_0 a_1 ... a_{n-1}] @ [b_0; b_1; ...; b_{n-1}]        ([M, n] x [n, N])
//
// from tapes of the vectors the loop writes (a transposed operand is taped untransposed and
// read through a transpose, which the product reads in place). Each rank-1 update reads and
// writes the whole accumulator for one multiply-add per element; the one product after the loop
// does n per element. This is the weight gradient of a recurrent step on one state vector.
// Measured (single core, `mind bench`, one pass of 64-float state, 1000 steps): 0.69 -> 0.50 ms.
// Only inner dimension 1 pays: with k rows per step the per-step product already does k
// multiply-adds per accumulator element, and batching measured 0.75 -> 0.78 ms at k = 4, level at
// k = 8, 4.9 -> 5.8 ms at k = 16 and 7.0 -> 8.2 ms at k = 32 (an RNN on a batch of 32), the tapes'
// writes and the packing of a long transposed operand costing more than the per-step products'
// overhead saved. The tapes cost n (M + N) elements, at most `tapeBudget` bytes per loop.
//
// Takes verified MIR; guarantees verified MIR computing the same values up to the order of the
// sum's terms. Runs after inlining and simplification (invariants are out of their loops).

public enum AccumulatedProducts {
  public static let tapeBudget = 64 << 20

  @discardableResult
  public static func run(_ module: Module) -> Bool {
    let values = ValueFactory(startingAfter: module.largestValueID)
    var changed = false
    for function in module.functions { changed = rewrite(function.body, values) || changed }
    return changed
  }

  /// One accumulation: its carried slot, and the product's operands as the loop tapes them.
  struct Accumulation {
    let slot: Int
    let lhs: TapedOperand
    let rhs: TapedOperand
  }

  /// An operand of the product, or the value it transposes (then taped untransposed).
  struct TapedOperand {
    let value: Value
    let transposed: Bool

    init(_ operand: Value) {
      if let op = operand.definingOp, op.kind == .transpose(perm: [1, 0]) {
        (value, transposed) = (op.operands[0], true)
      } else {
        (value, transposed) = (operand, false)
      }
    }
  }

  static func rewrite(_ block: Block, _ values: ValueFactory) -> Bool {
    var changed = false
    var index = 0
    while index < block.operations.count {
      let op = block.operations[index]
      for region in op.regions { changed = rewrite(region, values) || changed }
      guard op.kind == .forOp, let (lower, upper) = op.constantBounds, upper - lower >= 2 else {
        index += 1
        continue
      }
      let count = upper - lower
      let accumulations = self.accumulations(in: op, count: count)
      guard !accumulations.isEmpty else {
        index += 1
        continue
      }
      let (replacement, results) = split(op, accumulations, count: count, values)
      block.operations.replaceSubrange(index...index, with: replacement)
      Simplify.substitute(block, results)
      index += replacement.count
      changed = true
    }
    return changed
  }

  /// The carried slots of `loop` that only accumulate outer products of values its body computes.
  static func accumulations(in loop: Operation, count: Int) -> [Accumulation] {
    guard let body = loop.regions.first, let yield = body.terminator else { return [] }
    var uses: [Value: Int] = [:]
    Simplify.countUses(body, into: &uses)
    let defined = Set(body.operations.flatMap(\.results))
    var budget = tapeBudget
    var found: [Accumulation] = []
    for (slot, yielded) in yield.operands.enumerated() {
      let accumulator = body.arguments[slot + 1]
      guard accumulator.type.dtype.isFloat, accumulator.type.rank == 2, uses[accumulator] == 1, uses[yielded] == 1,
        let sum = yielded.definingOp, sum.kind == .binary(.add), sum.operands.contains(accumulator)
      else { continue }
      let term = sum.operands[0] == accumulator ? sum.operands[1] : sum.operands[0]
      guard term != accumulator, let product = term.definingOp, product.kind == .matmul,
        product.operands.allSatisfy({ $0.type.rank == 2 }), product.operands[0].type.shape[1] == .known(1)
      else { continue }
      let (lhs, rhs) = (TapedOperand(product.operands[0]), TapedOperand(product.operands[1]))
      guard defined.contains(lhs.value), defined.contains(rhs.value) else { continue }
      let (bytes, overflow) = (lhs.value.type.byteCount + rhs.value.type.byteCount).multipliedReportingOverflow(
        by: count)
      guard !overflow, bytes <= budget else { continue }
      budget -= bytes
      found.append(Accumulation(slot: slot, lhs: lhs, rhs: rhs))
    }
    return found
  }

  /// The loop without the accumulations, writing their operands' tapes instead, followed by the
  /// products; and the replacement of each accumulation's result.
  static func split(_ loop: Operation, _ accumulations: [Accumulation], count: Int, _ values: ValueFactory)
    -> ([Operation], [Value: Value])
  {
    let body = loop.regions[0]
    let yield = body.terminator!
    let outside = Builder(values: values, block: Block(arguments: []))
    outside.location = loop.location
    // Each value once (a step's adjoint is the right operand of every weight's product).
    var taped: [Value] = []
    for value in accumulations.flatMap({ [$0.lhs.value, $0.rhs.value] }) where !taped.contains(value) {
      taped.append(value)
    }
    let tapeTypes = taped.map { TensorType($0.type.dtype, [.known(count)] + $0.type.shape) }
    let emptyTapes = tapeTypes.map { outside.value(.empty, [], type: $0) }
    // Each iteration writes row i - lower of every tape.
    let inside = Builder(values: values, block: Block(arguments: []))
    inside.location = loop.location
    let row = inside.binary(.sub, body.arguments[0], loop.operands[0])
    let zero = inside.scalar(0, .i64)
    let tapeArguments = tapeTypes.map(values.make)
    let written = zip(taped, tapeArguments).map { value, tape in
      let offsets = [row] + value.type.shape.map { _ in zero }
      return inside.value(
        .dynamicUpdateSlice, [tape, inside.reshape(value, [.known(1)] + value.type.shape)] + offsets)
    }
    let removed = Set(accumulations.map(\.slot))
    let kept = yield.operands.indices.filter { !removed.contains($0) }
    body.operations.removeLast()
    body.operations += inside.block.operations
    body.operations.append(
      Operation.make(.yield, kept.map { yield.operands[$0] } + written, results: [], location: yield.location))
    body.arguments = [body.arguments[0]] + kept.map { body.arguments[$0 + 1] } + tapeArguments
    let tapes = tapeTypes.map(values.make)
    let newLoop = Operation.make(
      .forOp, Array(loop.operands.prefix(2)) + kept.map { loop.operands[$0 + 2] } + emptyTapes,
      results: kept.map { loop.results[$0] } + tapes, regions: loop.regions, location: loop.location)
    let after = Builder(values: values, block: Block(arguments: []))
    after.location = loop.location
    var results: [Value: Value] = [:]
    for accumulation in accumulations {
      let tape = { (operand: TapedOperand) in tapes[taped.firstIndex(of: operand.value)!] }
      let lhs = stacked(tape(accumulation.lhs), accumulation.lhs, contractsLastAxis: true, after)
      let rhs = stacked(tape(accumulation.rhs), accumulation.rhs, contractsLastAxis: false, after)
      let type = loop.results[accumulation.slot].type
      let product = after.value(.matmul, [lhs, rhs], type: type)
      results[loop.results[accumulation.slot]] = after.binary(.add, loop.operands[accumulation.slot + 2], product)
    }
    return (outside.block.operations + [newLoop] + after.block.operations, results)
  }

  /// The n operands of the products as one matrix: side by side for the left one ([M, n K]),
  /// stacked for the right one ([n K, N]), from the tape of the values taped.
  static func stacked(_ tape: Value, _ operand: TapedOperand, contractsLastAxis: Bool, _ b: Builder) -> Value {
    let (n, rows, columns) = (tape.type.shape[0], tape.type.shape[1], tape.type.shape[2])
    let dtype = tape.type.dtype
    func joined(_ a: Dim, _ c: Dim) -> Dim { .known((a.value ?? 0) * (c.value ?? 0)) }
    func transpose(_ x: Value) -> Value {
      b.value(.transpose(perm: [1, 0]), [x], type: TensorType(dtype, [x.type.shape[1], x.type.shape[0]]))
    }
    // The contracted axis of the taped value is its last (a left operand taped as is, a right one
    // taped transposed) or its first.
    if contractsLastAxis != operand.transposed && columns == .known(1) {
      // A column per iteration: the stack's transpose, read in place by the product.
      let side = transpose(b.reshape(tape, [n, rows]))
      return operand.transposed ? transpose(side) : side
    }
    if contractsLastAxis != operand.transposed {
      let moved = b.value(.transpose(perm: [1, 0, 2]), [tape], type: TensorType(dtype, [rows, n, columns]))
      let side = b.reshape(moved, [rows, joined(n, columns)])
      return operand.transposed ? transpose(side) : side
    }
    let stack = b.reshape(tape, [joined(n, rows), columns])
    return operand.transposed ? transpose(stack) : stack
  }
}
