// The backward sweep of a `for` or `while` loop.
//
// Takes a loop whose trip count n is known when its backward sweep starts (a `for`'s bounds; a
// `while` is counted by its forward copy) and the carried state before its first iteration.
// Emits a loop that runs the body's adjoint for iterations n-1, ..., 0, each at the carried state
// before that iteration, which comes from one of two places:
//   - a tape of every iteration's state, recorded by the forward copy (constant bounds and a tape
//     under `ReverseMode.tapeLimit`): O(n) time and memory;
//   - checkpoints, when the trip count is only known at run time (or the tape would be too
//     large). The iterations are cut into at most `rows` segments of equal length, the state at
//     the start of each is recorded by running the body forward once, and the segments are
//     visited last first; each segment is cut again the same way (a second level), and within
//     the innermost segments each state is replayed from the segment's start. With rows R per
//     level and two levels, the sweep runs the body about 3n times plus the adjoint n times
//     while n <= R², and keeps 2R states; beyond R², each step replays up to n / R² more. R comes
//     from a byte budget (`checkpointBudget`), so memory does not grow with n.
// Tapes start as `empty` tensors (nothing is written but the rows used), so a short run of a loop
// with a large budget does not pay for the rows it does not use.
//
// Guarantees: the adjoints are those of differentiating every iteration in order (the same values
// whichever source the states come from), and all code emitted is ordinary MIR.

import MindIR

/// How a loop without a full tape keeps its checkpoints.
/// How the backward sweep of one loop runs: what `mind ir --saved` and `mind jit --time` report.
public enum LoopSweep: Equatable, Sendable {
  /// From a tape of the carried state (and residuals) of every iteration: `iterations` known
  /// when compiling, `bytes` in all.
  case taped(iterations: Int, bytes: Int)
  /// A trip count known only at run time: from a tape when it is at most `iterations` (of
  /// `bytes` in all), else from checkpoints.
  case tapedUpTo(iterations: Int, bytes: Int, otherwise: CheckpointPlan)
  /// From checkpoints (the tape of every iteration would pass `ReverseMode.tapeLimit`).
  case checkpointed(CheckpointPlan)

  public var description: String {
    switch self {
    case .taped(let iterations, let bytes): "taped: \(iterations) iterations in \(bytes) bytes"
    case .tapedUpTo(let iterations, let bytes, let plan):
      "taped up to \(iterations) iterations (\(bytes) bytes), beyond: \(plan.description)"
    case .checkpointed(let plan): plan.description
    }
  }
}

public struct CheckpointPlan: Equatable, Sendable {
  /// Levels of segments, and the states each level keeps (its tape's rows).
  public let levels: Int
  public let rows: Int
  /// Bytes of one carried state.
  public let stateBytes: Int

  public init(levels: Int, rows: Int, stateBytes: Int) {
    self.levels = levels
    self.rows = rows
    self.stateBytes = stateBytes
  }

  public var bytes: Int { levels * rows * stateBytes }

  public var description: String {
    "checkpoints on \(levels) levels of \(rows) states of \(stateBytes) bytes (at most \(bytes) bytes, linear up to \(linearTripCount) iterations)"
  }
  /// Trip counts up to which no state is replayed more than once (rows^levels).
  public var linearTripCount: Int {
    (0..<levels).reduce(1) { product, _ in
      product.multipliedReportingOverflow(by: rows).overflow ? Int.max : product * rows
    }
  }
}

extension ReverseMode {
  /// What a backward sweep needs of its loop.
  struct LoopBody {
    let body: Block
    /// Whether the body's first argument is the induction variable (a `for`).
    let hasIndex: Bool
    /// The induction variable of iteration 0.
    let lower: Value
    let carriedTypes: [TensorType]
    /// Positions of the floating-point carried values, whose adjoints the sweep carries.
    let differentiable: [Int]
    /// Varied values the body uses from outside, whose adjoints the sweep accumulates.
    let free: [Value]
    let outer: [Value: Value]

    var stateBytes: Int { carriedTypes.map(\.byteCount).reduce(0, +) }
  }

  /// Bytes of checkpoints one loop may keep.
  static let checkpointBudget = 64 << 20
  static let maximumRows = 4096

  static func checkpointPlan(stateBytes: Int) -> CheckpointPlan {
    let levels = 2
    let rows = min(maximumRows, max(2, checkpointBudget / (levels * max(stateBytes, 1))))
    return CheckpointPlan(levels: levels, rows: rows, stateBytes: stateBytes)
  }

  /// The backward sweep over iterations first..<first+count, last first, with `state(i)` the
  /// carried state before iteration i. `sweep` holds the carried adjoints after the last of them
  /// and the free adjoints so far; returns them before the first.
  /// `state(i)` may also give values of the body's iteration i that the forward sweep recorded
  /// (its products, ReverseMode.residuals), which the replay then reads instead of recomputing.
  func backwardSteps(
    _ loop: LoopBody, first: Value, count: Value, sweep: [Value],
    state: (Value) throws -> (carried: [Value], recorded: [Value: Value])
  ) throws -> [Value] {
    let region = Block(arguments: ([TensorType(.i64)] + sweep.map(\.type)).map(values.make))
    try inside(region) {
      let j = region.arguments[0]
      let last = builder.binary(.sub, builder.binary(.add, first, count), builder.scalar(1, .i64))
      let i = builder.binary(.sub, last, j)
      let (carried, recorded) = try state(i)
      let next = try stepAdjoint(
        loop, iteration: i, state: carried, recorded: recorded, sweep: Array(region.arguments.dropFirst()))
      builder.create(.yield, next, resultTypes: [])
    }
    return builder.create(
      .forOp, [builder.scalar(0, .i64), count] + sweep, resultTypes: sweep.map(\.type), regions: [region]
    ).results
  }

  /// Pushes the sweep's adjoints through iteration i of the body, at the state before it.
  func stepAdjoint(
    _ loop: LoopBody, iteration i: Value, state: [Value], recorded: [Value: Value] = [:], sweep: [Value]
  ) throws -> [Value] {
    let carriedAdjoints = sweep.prefix(loop.differentiable.count)
    let accumulated = sweep.dropFirst(loop.differentiable.count)
    var seeds = [Value?](repeating: nil, count: loop.carriedTypes.count)
    for (position, adjoint) in zip(loop.differentiable, carriedAdjoints) { seeds[position] = adjoint }
    let arguments = (loop.hasIndex ? [builder.binary(.add, loop.lower, i)] : []) + state
    let result = try differentiate(
      loop.body, arguments: arguments, outer: loop.outer, seeds: seeds, free: loop.free, replay: true,
      recorded: recorded)
    let offset = loop.hasIndex ? 1 : 0
    var next = loop.differentiable.map { result.argumentAdjoints[$0 + offset] ?? zeros(loop.carriedTypes[$0]) }
    let held = next + result.freeAdjoints.compactMap { $0 }
    for (sum, contribution) in zip(accumulated, result.freeAdjoints) {
      guard let contribution else {
        next.append(sum)
        continue
      }
      // The contribution is held elsewhere only if it is held twice (two free values share it).
      let sharedElsewhere = held.filter { $0 == contribution }.count > 1
      next.append(
        addAdjoint(sum, contribution, referenced: Set(held).subtracting(sharedElsewhere ? [] : [contribution])))
    }
    return next
  }

  /// The backward sweep over iterations first..<first+count from the state before `first`,
  /// through checkpoint levels `level`..<plan.levels, then replay.
  func checkpointedSweep(
    _ loop: LoopBody, plan: CheckpointPlan, level: Int, first: Value, count: Value, state: [Value], sweep: [Value]
  ) throws -> [Value] {
    guard level < plan.levels else {
      return try backwardSteps(loop, first: first, count: count, sweep: sweep) { i in
        (replay(loop, from: first, to: i, state: state), [:])
      }
    }
    let one = builder.scalar(1, .i64)
    let stride = builder.binary(.max, ceilingDivision(count, builder.scalar(Double(plan.rows), .i64)), one)
    let segments = ceilingDivision(count, stride)
    // Record the state at the start of every segment: segment g's is reached from segment g-1's.
    let tapeTypes = loop.carriedTypes.map { TensorType($0.dtype, [.known(plan.rows)] + $0.shape) }
    let empty = tapeTypes.map { builder.value(.empty, [], type: $0) }
    let recordRegion = Block(arguments: ([TensorType(.i64)] + loop.carriedTypes + tapeTypes).map(values.make))
    inside(recordRegion) {
      let g = recordRegion.arguments[0]
      let carried = Array(recordRegion.arguments[1...loop.carriedTypes.count])
      let tapes = recordRegion.arguments.suffix(tapeTypes.count)
      let previous = builder.binary(.max, builder.binary(.sub, g, one), builder.scalar(0, .i64))
      let from = builder.binary(.add, first, builder.binary(.mul, previous, stride))
      let to = builder.binary(.add, first, builder.binary(.mul, g, stride))
      let reached = replay(loop, from: from, to: to, state: carried)
      let written = zip(tapes, reached).map { tape, value in
        let zeros = value.type.shape.map { _ in builder.scalar(0, .i64) }
        let row = builder.reshape(value, [.known(1)] + value.type.shape)
        return builder.value(.dynamicUpdateSlice, [tape, row, g] + zeros)
      }
      builder.create(.yield, reached + written, resultTypes: [])
    }
    let recording = builder.create(
      .forOp, [builder.scalar(0, .i64), segments] + state + empty, resultTypes: loop.carriedTypes + tapeTypes,
      regions: [recordRegion])
    let tapes = Array(recording.results.suffix(tapeTypes.count))
    // Visit the segments last first, each through the next level.
    let region = Block(arguments: ([TensorType(.i64)] + sweep.map(\.type)).map(values.make))
    try inside(region) {
      let g = builder.binary(.sub, builder.binary(.sub, segments, one), region.arguments[0])
      let start = builder.binary(.add, first, builder.binary(.mul, g, stride))
      let length = builder.binary(.min, stride, builder.binary(.sub, builder.binary(.add, first, count), start))
      let next = try checkpointedSweep(
        loop, plan: plan, level: level + 1, first: start, count: length,
        state: read(tapes, at: g, types: loop.carriedTypes), sweep: Array(region.arguments.dropFirst()))
      builder.create(.yield, next, resultTypes: [])
    }
    return builder.create(
      .forOp, [builder.scalar(0, .i64), segments] + sweep, resultTypes: sweep.map(\.type), regions: [region]
    ).results
  }

  /// ⌈a / b⌉ for non-negative i64 scalars with b > 0, exact below 2^53 (MIR has no integer
  /// division).
  func ceilingDivision(_ a: Value, _ b: Value) -> Value {
    let quotient = builder.binary(.div, builder.cast(a, to: .f64), builder.cast(b, to: .f64))
    return builder.cast(builder.unary(.ceil, quotient), to: .i64)
  }

  /// The carried state after iterations from..<to of the loop, starting from `state` (a `for`
  /// over the body; prints removed).
  func replay(_ loop: LoopBody, from: Value, to: Value, state: [Value]) -> [Value] {
    let cloner = Cloner(values: values, mapping: loop.outer)
    let region = Block(arguments: ([TensorType(.i64)] + loop.carriedTypes).map(values.make))
    let bodyArguments = loop.hasIndex ? Array(region.arguments) : Array(region.arguments.dropFirst())
    for (argument, value) in zip(loop.body.arguments, bodyArguments) { cloner.map(argument, to: value) }
    region.operations = cloner.clone(loop.body.operations)
    stripOutputs(Operation.wrapper(region))
    let bounds = [builder.binary(.add, loop.lower, from), builder.binary(.add, loop.lower, to)]
    return builder.create(.forOp, bounds + state, resultTypes: loop.carriedTypes, regions: [region]).results
  }
}
