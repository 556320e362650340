// Reverse mode as a MIR→MIR transformation.
//
// Takes a block of verified, concrete MIR (a function body or a region) whose calls are all
// inlined except to functions the differentiator keeps (checkpointed or with a custom rule).
// Emits, at the builder's position:
//   1. a forward copy of the block (the primal values the adjoint code needs);
//   2. the adjoint code: ops visited in reverse, each result adjoint pushed to the operands by
//      the rule table (DerivativeRules), contributions summed, absent adjoints kept symbolic
//      (nil) until a value must exist.
// Regions are handled structurally: an `if` becomes an `if` over the same condition whose
// branches replay the taken branch and run its adjoint; a `for` or `while` loop runs backwards
// over its iterations, each at the carried state before it, read from a tape of every state that
// the forward copy records (constant bounds) or rebuilt from checkpoints (LoopSweeps.swift),
// so the backward sweep is linear in the trip count; a kept call
// calls the callee's derived (or custom) VJP function, which recomputes the callee's
// intermediates — that is what `@checkpoint` asks for.
//
// Guarantees: the returned adjoints have the types of the values they belong to, and the code
// emitted is ordinary MIR, so it can itself be differentiated.

import MindFrontend
import MindIR

final class ReverseMode {
  let differentiator: Differentiator
  let activity: Activity
  let values: ValueFactory
  var builder: Builder
  /// How many ops the top-level forward copy has (the adjoint code follows them).
  var forwardCount = 0
  /// Per `for` loop with constant bounds: the forward copy's record of the carried state at the
  /// start of every iteration (one stacked tensor per carried value), of the body's residuals in
  /// every iteration, and the lower bound.
  var tapes: [ObjectIdentifier: LoopTape] = [:]
  /// Loops whose tape would exceed this many bytes are checkpointed instead.
  static let tapeLimit = 1 << 30
  /// How the backward sweep of each loop runs (for `mind ir --saved` and `mind jit --time`).
  var loopSweeps: [(location: SourceSpan, sweep: LoopSweep)] = []

  init(differentiator: Differentiator, activity: Activity, values: ValueFactory, builder: Builder) {
    self.differentiator = differentiator
    self.activity = activity
    self.values = values
    self.builder = builder
  }

  struct Result {
    var primal: [Value]
    var argumentAdjoints: [Value?]
    var freeAdjoints: [Value?]
  }

  /// Differentiates `block` with its arguments bound to `arguments` and the values it uses from
  /// outside mapped by `outer`. `seeds` are the adjoints of the terminator's operands. Values of
  /// the block in `recorded` are taken from there instead of being recomputed.
  func differentiate(
    _ block: Block, arguments: [Value], outer: [Value: Value], seeds: [Value?], free: [Value], replay: Bool,
    recorded: [Value: Value] = [:]
  ) throws -> Result {
    let cloner = Cloner(values: values, mapping: outer)
    for (argument, value) in zip(block.arguments, arguments) { cloner.map(argument, to: value) }
    var tripCounts: [ObjectIdentifier: Value] = [:]
    // 1. Forward copy.
    for op in block.operations.dropLast() {
      if replay && op.kind.isOutput { continue }
      if op.results.count == 1, let value = recorded[op.result] {
        cloner.map(op.result, to: value)
        continue
      }
      if op.kind == .whileOp && needsAdjoint(op) {
        let (count, tape) = cloneCountingIterations(op, cloner)
        tripCounts[ObjectIdentifier(op)] = count
        tapes[ObjectIdentifier(op)] = tape
      } else if op.kind == .forOp && needsAdjoint(op), let (lower, upper) = op.constantBounds, upper > lower,
        Self.tapeBytes(op, iterations: upper - lower) <= Self.tapeLimit
      {
        tapes[ObjectIdentifier(op)] = cloneRecordingStates(op, cloner, rows: upper - lower)
      } else if op.kind == .forOp && needsAdjoint(op) && op.constantBounds == nil,
        let tape = cloneTapingIfItFits(op, cloner)
      {
        tapes[ObjectIdentifier(op)] = tape
      } else {
        let copy = cloner.clone(op)
        if replay { stripOutputs(copy) }
        builder.block.operations.append(copy)
      }
    }
    if !replay { forwardCount = builder.block.operations.count }
    let primal = block.terminator!.operands.map(cloner.lookup)
    // 2. Adjoints, in reverse.
    var adjoints: [Value: Value] = [:]
    func accumulate(_ value: Value, _ contribution: Value?) {
      guard let contribution, value.type.dtype.isFloat,
        activity.isVaried(value) || free.contains(value) || block.arguments.contains(value)
      else { return }
      if let existing = adjoints[value] {
        adjoints[value] = nil
        adjoints[value] = addAdjoint(existing, contribution, referenced: Set(adjoints.values))
      } else {
        adjoints[value] = contribution
      }
    }
    for (operand, seed) in zip(block.terminator!.operands, seeds) { accumulate(operand, seed) }
    for op in block.operations.dropLast().reversed() {
      let resultAdjoints = op.results.map { adjoints[$0] }
      guard resultAdjoints.contains(where: { $0 != nil }) else { continue }
      builder.location = op.location
      switch DerivativeRules.classify(op.kind) {
      case .noGradient: continue
      case .rule:
        let needed = op.operands.map {
          $0.type.dtype.isFloat && (activity.isVaried($0) || free.contains($0) || block.arguments.contains($0))
        }
        let contributions = DerivativeRules.pullback(
          op, operands: op.operands.map(cloner.lookup), results: op.results.map(cloner.lookup),
          adjoints: resultAdjoints, needed: needed, builder)
        for (operand, contribution) in zip(op.operands, contributions) { accumulate(operand, contribution) }
      case .structural:
        let contributions = try structural(
          op, cloner: cloner, resultAdjoints: resultAdjoints, tripCount: tripCounts[ObjectIdentifier(op)])
        for (value, contribution) in contributions { accumulate(value, contribution) }
      }
    }
    return Result(
      primal: primal, argumentAdjoints: block.arguments.map { adjoints[$0] }, freeAdjoints: free.map { adjoints[$0] })
  }

  func needsAdjoint(_ op: Operation) -> Bool {
    op.results.contains(where: activity.isVaried)
  }

  func stripOutputs(_ op: Operation) {
    for region in op.regions {
      region.operations.removeAll { $0.kind.isOutput }
      region.operations.forEach(stripOutputs)
    }
  }

  func zeros(_ type: TensorType) -> Value { builder.splat(0, like: type) }

  /// Runs `body` with the builder inside `block`.
  @discardableResult
  func inside<T>(_ block: Block, _ body: () throws -> T) rethrows -> T {
    let saved = builder
    builder = Builder(values: values, block: block)
    builder.location = saved.location
    defer { builder = saved }
    return try body()
  }

  /// Varied floating-point values a region uses from outside: they receive adjoints.
  func activeFree(_ regions: [Block]) -> [Value] {
    var seen: Set<Value> = []
    var out: [Value] = []
    for region in regions {
      for value in freeValues(region)
      where value.type.dtype.isFloat && activity.isVaried(value) && !seen.contains(value) {
        seen.insert(value)
        out.append(value)
      }
    }
    return out
  }

  // MARK: - Structural rules

  func structural(_ op: Operation, cloner: Cloner, resultAdjoints: [Value?], tripCount: Value?) throws -> [(
    Value, Value?
  )] {
    switch op.kind {
    case .ifOp: return try reverseIf(op, cloner: cloner, resultAdjoints: resultAdjoints)
    case .forOp:
      let lower = cloner.lookup(op.operands[0])
      let count = builder.binary(
        .max, builder.binary(.sub, cloner.lookup(op.operands[1]), lower), builder.scalar(0, .i64))
      return try reverseLoop(
        op, body: op.regions[0], hasIndex: true, lower: lower, count: count, initial: Array(op.operands.dropFirst(2)),
        cloner: cloner, resultAdjoints: resultAdjoints, recorded: tapes[ObjectIdentifier(op)])
    case .whileOp:
      guard let count = tripCount else { return [] }
      return try reverseLoop(
        op, body: op.regions[1], hasIndex: false, lower: builder.scalar(0, .i64), count: count, initial: op.operands,
        cloner: cloner, resultAdjoints: resultAdjoints, recorded: tapes[ObjectIdentifier(op)])
    case .call(let callee):
      let vjp = try differentiator.vjpFunction(named: callee)
      let cotangents = zip(op.results, resultAdjoints).map { result, adjoint in adjoint ?? zeros(result.type) }
      let call = builder.create(
        .call(callee: vjp.name), op.operands.map(cloner.lookup) + cotangents, resultTypes: vjp.resultTypes)
      let adjoints = Array(call.results.dropFirst(op.results.count))
      return zip(op.operands, adjoints).map { ($0, $1) }
    default:
      return []
    }
  }

  func reverseIf(_ op: Operation, cloner: Cloner, resultAdjoints: [Value?]) throws -> [(Value, Value?)] {
    let free = activeFree(op.regions)
    guard !free.isEmpty else { return [] }
    var branches: [Block] = []
    for region in op.regions {
      let branch = Block(arguments: [])
      try inside(branch) {
        let result = try differentiate(
          region, arguments: [], outer: cloner.mapping, seeds: resultAdjoints, free: free, replay: true)
        let yielded = zip(free, result.freeAdjoints).map { value, adjoint in adjoint ?? zeros(value.type) }
        builder.create(.yield, yielded, resultTypes: [])
      }
      branches.append(branch)
    }
    let reversed = builder.create(
      .ifOp, [cloner.lookup(op.operands[0])], resultTypes: free.map(\.type), regions: branches)
    return zip(free, reversed.results).map { ($0, $1) }
  }

  /// Runs a loop backwards over its `count` iterations (LoopSweeps.swift): from the forward
  /// sweep's tape of carried states when it `recorded` one (and the count fit it), else from
  /// checkpoints.
  func reverseLoop(
    _ op: Operation, body: Block, hasIndex: Bool, lower: Value, count: Value, initial: [Value], cloner: Cloner,
    resultAdjoints: [Value?], recorded: LoopTape? = nil
  ) throws -> [(Value, Value?)] {
    let carriedTypes = op.results.map(\.type)
    let loop = LoopBody(
      body: body, hasIndex: hasIndex, lower: lower, carriedTypes: carriedTypes,
      differentiable: carriedTypes.indices.filter { carriedTypes[$0].dtype.isFloat }, free: activeFree([body]),
      outer: cloner.mapping)
    guard !loop.differentiable.isEmpty || !loop.free.isEmpty else { return [] }
    let sweep =
      loop.differentiable.map { resultAdjoints[$0] ?? zeros(carriedTypes[$0]) } + loop.free.map { zeros($0.type) }
    let first = builder.scalar(0, .i64)
    func fromTape(_ recorded: LoopTape) throws -> [Value] {
      try backwardSteps(loop, first: first, count: count, sweep: sweep) { i in
        let residuals = read(recorded.residuals.map(\.tape), at: i, types: recorded.residuals.map(\.value.type))
        return (
          read(recorded.states, at: i, types: carriedTypes),
          Dictionary(uniqueKeysWithValues: zip(recorded.residuals.map(\.value), residuals))
        )
      }
    }
    let plan = Self.checkpointPlan(stateBytes: loop.stateBytes)
    func fromCheckpoints() throws -> [Value] {
      try checkpointedSweep(
        loop, plan: plan, level: 0, first: first, count: count, state: initial.map(cloner.lookup), sweep: sweep)
    }
    let end: [Value]
    switch (recorded, recorded?.fits) {
    case (let recorded?, nil):
      loopSweeps.append((op.location, .taped(iterations: recorded.iterations, bytes: recorded.bytes)))
      end = try fromTape(recorded)
    case (let recorded?, let fits?):
      loopSweeps.append(
        (op.location, .tapedUpTo(iterations: recorded.iterations, bytes: recorded.bytes, otherwise: plan)))
      let (taped, checkpointed) = (Block(arguments: []), Block(arguments: []))
      try inside(taped) { builder.create(.yield, try fromTape(recorded), resultTypes: []) }
      try inside(checkpointed) { builder.create(.yield, try fromCheckpoints(), resultTypes: []) }
      end = builder.create(.ifOp, [fits], resultTypes: sweep.map(\.type), regions: [taped, checkpointed]).results
    case (nil, _):
      loopSweeps.append((op.location, .checkpointed(plan)))
      end = try fromCheckpoints()
    }
    var contributions: [(Value, Value?)] = []
    for (i, position) in loop.differentiable.enumerated() { contributions.append((initial[position], end[i])) }
    for (i, value) in loop.free.enumerated() { contributions.append((value, end[loop.differentiable.count + i])) }
    return contributions
  }

  /// What the forward copy of a `for` loop records.
  struct LoopTape {
    /// The carried state at the start of every iteration, one stacked tensor per carried value.
    var states: [Value]
    /// Values of the body (`residuals(of:)`) in every iteration, with their stacked tensors.
    var residuals: [(value: Value, tape: Value)]
    /// For a trip count known only at run time: whether it fit the tape (else the tapes are
    /// empty and the backward sweep runs from checkpoints).
    var fits: Value?

    /// The iterations the tape has room for, and its size.
    var iterations: Int { states.first?.type.shape.first?.value ?? residuals.first?.tape.type.shape.first?.value ?? 0 }
    var bytes: Int { (states + residuals.map(\.tape)).map(\.type.byteCount).reduce(0, +) }
  }

  static func tapeBytes(_ op: Operation, iterations: Int) -> Int {
    let (bytes, overflow) = op.results.map { $0.type.byteCount }.reduce(0, +).multipliedReportingOverflow(
      by: iterations)
    return overflow ? Int.max : bytes
  }

  /// Row `index` of each recorded state, with the carried values' types.
  func read(_ states: [Value], at index: Value, types: [TensorType]) -> [Value] {
    zip(states, types).map { tape, type in
      let offsets = [index] + type.shape.map { _ in builder.scalar(0, .i64) }
      let row = builder.value(.dynamicSlice, [tape] + offsets, type: TensorType(type.dtype, [.known(1)] + type.shape))
      return builder.reshape(row, type.shape)
    }
  }

  /// A copy of a `for` op that also records, in one stacked tensor per value, the carried state
  /// at the start of each iteration and the body's residuals (`residuals(of:)`) in it; returns
  /// the tapes (the copy's extra results).
  /// `rows` is the trip count, or (`unfilled`) the most a runtime trip count may be, whose tapes
  /// start as `empty` tensors.
  func cloneRecordingStates(_ op: Operation, _ cloner: Cloner, rows iterations: Int, unfilled: Bool = false)
    -> LoopTape
  {
    let outer = Builder(values: values, block: builder.block)
    let stateBytes = Self.tapeBytes(op, iterations: iterations)
    var residuals = Self.residuals(of: op.regions[0])
    let residualBytes = residuals.map { $0.type.byteCount }.reduce(0, +).multipliedReportingOverflow(by: iterations)
    if residualBytes.overflow || stateBytes + residualBytes.partialValue > Self.tapeLimit { residuals = [] }
    let recordedTypes = op.results.map(\.type) + residuals.map(\.type)
    let tapeTypes = recordedTypes.map { TensorType($0.dtype, [.known(iterations)] + $0.shape) }
    let empty = tapeTypes.map { unfilled ? outer.value(.empty, [], type: $0) : outer.splat(0, like: $0) }
    let lower = cloner.lookup(op.operands[0])
    let copy = cloner.clone(op)
    let region = copy.regions[0]
    let carried = Array(region.arguments.dropFirst())
    let tapeArguments = tapeTypes.map(values.make)
    region.arguments += tapeArguments
    // Row (i - lower) of each tape takes the carried value at the start of the body and the
    // residual at its end.
    let terminator = region.operations.removeLast()
    let prologue = Block(arguments: [])
    let record = Builder(values: values, block: prologue)
    let row = record.binary(.sub, region.arguments[0], lower)
    let epilogue = Builder(values: values, block: region)
    let updated = recordRow(
      row, of: carried + residuals.map(cloner.lookup), into: tapeArguments, states: carried.count,
      prologue: record, epilogue: epilogue)
    region.operations = prologue.operations + region.operations
    region.operations.append(
      Operation.make(.yield, terminator.operands + updated, results: [], location: terminator.location))
    let recording = Operation.make(
      .forOp, copy.operands + empty, resultTypes: copy.results.map(\.type) + tapeTypes, regions: copy.regions,
      location: copy.location, values: values)
    builder.block.operations.append(recording)
    for (old, new) in zip(op.results, recording.results) { cloner.map(old, to: new) }
    let tapes = Array(recording.results.suffix(tapeTypes.count))
    return LoopTape(
      states: Array(tapes.prefix(carried.count)),
      residuals: zip(residuals, tapes.dropFirst(carried.count)).map { ($0, $1) })
  }

  /// Writes row `row` of each tape in a loop body: the first `states` values (the carried state)
  /// where the body starts (`prologue`), the others (residuals) where it ends (`epilogue`).
  /// Returns the updated tapes.
  func recordRow(
    _ row: Value, of recorded: [Value], into tapes: [Value], states: Int, prologue: Builder, epilogue: Builder
  ) -> [Value] {
    zip(recorded, tapes).enumerated().map { index, pair in
      let (value, tape) = pair
      let at = index < states ? prologue : epilogue
      let zeros = value.type.shape.map { _ in at.scalar(0, .i64) }
      return at.value(.dynamicUpdateSlice, [tape, at.reshape(value, [.known(1)] + value.type.shape), row] + zeros)
    }
  }

  /// Bytes of tape a loop whose trip count is known only at run time may keep.
  static let runtimeTapeBudget = 4 << 20

  /// A copy of a `for` op whose trip count is known only at run time: when the count fits a tape
  /// of `runtimeTapeBudget` it runs as `cloneRecordingStates` does (counted first, then taped, as
  /// Futhark's reverse-mode loops), else as it is; nil when not even two rows fit.
  func cloneTapingIfItFits(_ op: Operation, _ cloner: Cloner) -> LoopTape? {
    guard let rows = Self.tapeRows(op.results.map(\.type) + Self.residuals(of: op.regions[0]).map(\.type)) else {
      return nil
    }
    let (lower, upper) = (cloner.lookup(op.operands[0]), cloner.lookup(op.operands[1]))
    let count = builder.binary(.max, builder.binary(.sub, upper, lower), builder.scalar(0, .i64))
    let fits = builder.compare(.le, count, builder.scalar(Double(rows), .i64))
    let (taped, plain) = (Block(arguments: []), Block(arguments: []))
    let tape = inside(taped) {
      let tape = cloneRecordingStates(op, cloner, rows: rows, unfilled: true)
      let recording = builder.block.operations.last!
      builder.create(.yield, recording.results, resultTypes: [])
      return tape
    }
    let tapeTypes = (tape.states + tape.residuals.map(\.tape)).map(\.type)
    inside(plain) {
      let copy = cloner.clone(op)
      builder.block.operations.append(copy)
      builder.create(.yield, copy.results + tapeTypes.map { builder.value(.empty, [], type: $0) }, resultTypes: [])
    }
    let branch = builder.create(
      .ifOp, [fits], resultTypes: op.results.map(\.type) + tapeTypes, regions: [taped, plain])
    for (old, new) in zip(op.results, branch.results) { cloner.map(old, to: new) }
    let tapes = Array(branch.results.dropFirst(op.results.count))
    return LoopTape(
      states: Array(tapes.prefix(op.results.count)),
      residuals: zip(tape.residuals.map(\.value), tapes.dropFirst(op.results.count)).map { ($0, $1) }, fits: fits)
  }

  static let maximumTapeRows = 4096

  /// The values of a loop body its backward sweep reads from the forward sweep's tape instead of
  /// recomputing them: the floating-point products of the body's own block, which cost more to
  /// recompute (a matrix-vector product per step of a small recurrent loop, a third of an RNN
  /// step's products) than to keep.
  static func residuals(of body: Block) -> [Value] {
    body.operations.compactMap { op in
      guard case .matmul = op.kind, op.result.type.dtype.isFloat else { return nil }
      return op.result
    }
  }

  /// A copy of a `while` op that also counts its iterations and, while the count stays within
  /// a tape of `runtimeTapeBudget` (`tapeRows`), records each iteration's state and residuals as
  /// `cloneRecordingStates` does (rows past the tape's last overwrite it; the tape is then not
  /// used: `fits` is false). Appends the copy; returns the count and the tape.
  func cloneCountingIterations(_ op: Operation, _ cloner: Cloner) -> (Value, LoopTape?) {
    let outer = Builder(values: values, block: builder.block)
    let body = op.regions[1]
    let rows = Self.tapeRows(op.results.map(\.type) + Self.residuals(of: body).map(\.type))
    let residuals = rows == nil ? [] : Self.residuals(of: body)
    let recordedTypes = rows == nil ? [] : op.results.map(\.type) + residuals.map(\.type)
    let tapeTypes = recordedTypes.map { TensorType($0.dtype, [.known(rows ?? 0)] + $0.shape) }
    let copy = cloner.clone(op)
    copy.operands += [outer.scalar(0, .i64)] + tapeTypes.map { outer.value(.empty, [], type: $0) }
    let added = copy.regions.map { region -> [Value] in
      let counter = values.make(TensorType(.i64))
      let tapes = tapeTypes.map(values.make)
      region.arguments += [counter] + tapes
      return [counter] + tapes
    }
    let region = copy.regions[1]
    let carried = Array(region.arguments.prefix(op.results.count))
    let terminator = region.operations.removeLast()
    let prologue = Builder(values: values, block: Block(arguments: []))
    let epilogue = Builder(values: values, block: region)
    let counter = added[1][0]
    let row = prologue.binary(.min, counter, prologue.scalar(Double((rows ?? 1) - 1), .i64))
    let updated = recordRow(
      row, of: carried + residuals.map(cloner.lookup), into: Array(added[1].dropFirst()), states: carried.count,
      prologue: prologue, epilogue: epilogue)
    region.operations = prologue.block.operations + region.operations
    let next = epilogue.binary(.add, counter, epilogue.scalar(1, .i64))
    region.operations.append(
      Operation.make(.yield, terminator.operands + [next] + updated, results: [], location: terminator.location))
    let counted = Operation.make(
      .whileOp, copy.operands, resultTypes: copy.results.map(\.type) + [TensorType(.i64)] + tapeTypes,
      regions: copy.regions, location: copy.location, values: values)
    builder.block.operations.append(counted)
    // Keep the cloner's mapping pointing at the results of the counting loop.
    for (old, new) in zip(op.results, counted.results) { cloner.map(old, to: new) }
    let count = counted.results[op.results.count]
    guard let rows else { return (count, nil) }
    let tapes = Array(counted.results.suffix(tapeTypes.count))
    let fits = outer.compare(.le, count, outer.scalar(Double(rows), .i64))
    let tape = LoopTape(
      states: Array(tapes.prefix(carried.count)),
      residuals: zip(residuals, tapes.dropFirst(carried.count)).map { ($0, $1) }, fits: fits)
    return (count, tape)
  }

  /// Rows of a tape of these values per iteration within `runtimeTapeBudget`, or nil below two.
  static func tapeRows(_ types: [TensorType]) -> Int? {
    let rows = min(maximumTapeRows, runtimeTapeBudget / max(types.map(\.byteCount).reduce(0, +), 1))
    return rows >= 2 ? rows : nil
  }
}
