// Batching (vmap) as a MIR transformation. Given a function and a choice of its parameters that
// gain a leading axis of size B, it builds the function that computes the original once per
// index of that axis, as one batched computation:
//
//     @f(x, v) -> (r)      with v batched, B = 256
//     @vmap.256.01.f(x, V: [256] + v.shape) -> (R: [256] + r.shape)
//
// Every value of the body is either unbatched (computed once, as in `f`) or batched (axis 0 is
// the batch); an op reading only unbatched values is copied, and an op reading a batched value
// takes its batching rule: elementwise ops broadcast their unbatched operands, axis attributes
// shift by one, a matrix product with one batched side folds the batch into its rows (one gemm,
// not B matrix-vector products), calls batch their callee, and region ops batch their regions,
// loops to a fixpoint of which carried values become batched. Every result is batched (an
// unbatched one is broadcast), as JAX's `vmap` with `out_axes=0`.
//
// An op without a rule for its batched operands (a runtime offset, index or condition that differs
// per batch element, a `print` of a batched value) makes the whole function a loop over the batch
// that calls the original per element: the same values, one element at a time.
//
// Batched functions are declared first (`batchedFunction`) and built by `derivePending` once the
// function they batch has its body (a VJP function is derived first).

import MindFrontend

public final class Batcher {
  public let module: Module
  var pending: [(function: Function, callee: String, batched: [Bool], size: Int)] = []

  public init(module: Module) { self.module = module }

  public static func batchedType(_ type: TensorType, size: Int) -> TensorType {
    TensorType(type.dtype, [.known(size)] + type.shape)
  }

  /// The declaration of `callee` batched over the parameters marked in `batched`, with a batch
  /// axis of `size`; its body is built by `derivePending`. Its parameters come from `values`.
  public func batchedFunction(of callee: Function, batched: [Bool], size: Int, values: ValueFactory) -> Function {
    let mask = batched.map { $0 ? "1" : "0" }.joined()
    let name = "vmap.\(size).\(mask).\(callee.name)"
    if let existing = module.function(named: name) { return existing }
    let parameterTypes = zip(callee.parameters, batched).map { parameter, isBatched in
      isBatched ? Self.batchedType(parameter.type, size: size) : parameter.type
    }
    let function = Function(
      name: name, body: Block(arguments: parameterTypes.map(values.make)),
      resultTypes: callee.resultTypes.map { Self.batchedType($0, size: size) }, location: callee.location)
    function.batchOf = callee.name
    module.add(function)
    pending.append((function, callee.name, batched, size))
    return function
  }

  public var hasPending: Bool { !pending.isEmpty }

  /// Builds the body of every declared batched function whose callee has its body (not a VJP
  /// or batched function still to be derived), including those declared meanwhile (a batched
  /// call's callee). Returns whether it built any; the others wait for their callee.
  @discardableResult
  public func derivePending() -> Bool {
    var builtAny = false
    var progress = true
    while progress {
      progress = false
      for (function, calleeName, batched, size) in pending {
        guard let callee = module.function(named: calleeName), callee.derivativeOf == nil, callee.batchOf == nil
        else { continue }
        pending.removeAll { $0.function === function }
        build(function, batching: callee, batched: batched, size: size)
        progress = true
        builtAny = true
      }
    }
    return builtAny
  }

  func build(_ function: Function, batching callee: Function, batched: [Bool], size: Int) {
    let values = ValueFactory(startingAfter: module.largestValueID)
    let body = Block(arguments: function.parameters)
    do {
      let rules = BatchingRules(batcher: self, size: size, values: values)
      try rules.batchFunction(callee, batched: batched, into: body)
    } catch {
      body.operations = []
      elementLoop(callee, batched: batched, size: size, values: values, into: body)
    }
    function.body = body
    function.batchOf = nil
  }

  /// The body that calls `callee` once per batch element: each batched argument's element is a
  /// dynamic slice, and each result is written into its row of the batched result.
  func elementLoop(_ callee: Function, batched: [Bool], size: Int, values: ValueFactory, into body: Block) {
    let b = Builder(values: values, block: body)
    b.location = callee.location
    let zero = b.scalar(0, .i64)
    let rowTypes = callee.resultTypes.map { Self.batchedType($0, size: size) }
    let region = Block(arguments: ([TensorType(.i64)] + rowTypes).map(values.make))
    let inner = Builder(values: values, block: region)
    inner.location = callee.location
    let i = region.arguments[0]
    let arguments = zip(body.arguments, zip(callee.parameters, batched)).map { argument, parameter in
      guard parameter.1 else { return argument }
      let offsets = [i] + Array(repeating: zero, count: parameter.0.type.rank)
      let element = inner.value(
        .dynamicSlice, [argument] + offsets,
        type: TensorType(parameter.0.type.dtype, [.known(1)] + parameter.0.type.shape))
      return inner.reshape(element, parameter.0.type.shape)
    }
    let results = inner.create(.call(callee: callee.name), arguments, resultTypes: callee.resultTypes).results
    let updated = zip(results, region.arguments.dropFirst()).map { result, rows in
      let row = inner.reshape(result, [.known(1)] + result.type.shape)
      return inner.value(.dynamicUpdateSlice, [rows, row, i] + Array(repeating: zero, count: result.type.rank))
    }
    inner.create(.yield, updated, resultTypes: [])
    let initial = rowTypes.map { b.value(.empty, [], type: $0) }
    let loop = b.create(
      .forOp, [zero, b.scalar(Double(size), .i64)] + initial, resultTypes: rowTypes, regions: [region])
    b.create(.returnOp, loop.results, resultTypes: [])
  }
}

/// An op whose batched operands have no batching rule.
struct Unbatchable: Error {}

/// The batching rules: the batched form of each op, given which of its operands are batched.
final class BatchingRules {
  let batcher: Batcher
  let size: Int
  let values: ValueFactory
  /// Each value of the original body: its counterpart, and whether that has the batch axis.
  var mapped: [Value: (value: Value, batched: Bool)] = [:]

  init(batcher: Batcher, size: Int, values: ValueFactory) {
    self.batcher = batcher
    self.size = size
    self.values = values
  }

  func batchedType(_ type: TensorType) -> TensorType { Batcher.batchedType(type, size: size) }

  func batchFunction(_ callee: Function, batched: [Bool], into body: Block) throws {
    for (parameter, (argument, isBatched)) in zip(callee.parameters, zip(body.arguments, batched)) {
      mapped[parameter] = (argument, isBatched)
    }
    let b = Builder(values: values, block: body)
    b.location = callee.location
    let results = try batchOperations(of: callee.body, into: b)
    b.create(.returnOp, results.map { lifted($0, b) }, resultTypes: [])
  }

  /// Batches the ops of `block` before its terminator into `b`, and returns the terminator's
  /// operands, mapped.
  func batchOperations(of block: Block, into b: Builder) throws -> [Value] {
    for op in block.operations.dropLast() {
      b.location = op.location
      try batch(op, into: b)
    }
    return block.terminator?.operands ?? []
  }

  func isBatched(_ value: Value) -> Bool { mapped[value]?.batched ?? false }

  /// The counterpart of `value`, with the batch axis (an unbatched value is broadcast; an
  /// `empty` one, whose elements nothing reads before writing them, is made anew).
  func lifted(_ value: Value, _ b: Builder) -> Value {
    let (counterpart, batched) = mapped[value] ?? (value, false)
    if batched { return counterpart }
    let type = batchedType(counterpart.type)
    if counterpart.definingOp?.kind == .empty { return b.value(.empty, [], type: type) }
    return b.value(.broadcast(dims: Array(1..<(type.rank))), [counterpart], type: type)
  }

  func unbatched(_ value: Value) throws -> Value {
    guard let (counterpart, batched) = mapped[value] else { return value }
    if batched { throw Unbatchable() }
    return counterpart
  }

  func define(_ op: Operation, _ results: [Value], batched: Bool) {
    for (original, result) in zip(op.results, results) { mapped[original] = (result, batched) }
  }

  func batch(_ op: Operation, into b: Builder) throws {
    if op.regions.isEmpty && !op.operands.contains(where: isBatched) {
      let copy = b.create(op.kind, op.operands.map { mapped[$0]?.value ?? $0 }, resultTypes: op.results.map(\.type))
      return define(op, copy.results, batched: false)
    }
    let resultType = op.results.first.map { batchedType($0.type) }
    func emit(_ kind: OpKind, _ operands: [Value]) -> Value { b.value(kind, operands, type: resultType) }
    let result: Value
    switch op.kind {
    case .unary, .binary, .compare, .select, .cast:
      result = emit(op.kind, op.operands.map { lifted($0, b) })
    case .broadcast(let dims):
      result = emit(.broadcast(dims: [0] + dims.map { $0 + 1 }), [lifted(op.operands[0], b)])
    case .reduce(let reduction, let axes):
      result = emit(.reduce(reduction, axes: axes.map { $0 + 1 }), [lifted(op.operands[0], b)])
    case .argReduce(let isMax, let axis):
      result = emit(.argReduce(max: isMax, axis: axis + 1), [lifted(op.operands[0], b)])
    case .argsort, .solve, .triangularSolve, .cholesky:
      // Rows along the last axis, or matrices in the last two: a leading batch axis moves neither.
      result = emit(op.kind, op.operands.map { lifted($0, b) })
    case .slogdet, .eigh, .qr:
      let batched = b.create(op.kind, [lifted(op.operands[0], b)], resultTypes: op.results.map { batchedType($0.type) })
      define(op, batched.results, batched: true)
      return
    case .reshape:
      result = emit(.reshape, [lifted(op.operands[0], b)])
    case .transpose(let perm):
      result = emit(.transpose(perm: [0] + perm.map { $0 + 1 }), [lifted(op.operands[0], b)])
    case .slice(let starts, let strides):
      result = emit(.slice(starts: [0] + starts, strides: [1] + strides), [lifted(op.operands[0], b)])
    case .unslice(let starts, let strides):
      result = emit(.unslice(starts: [0] + starts, strides: [1] + strides), [lifted(op.operands[0], b)])
    case .concat(let axis):
      result = emit(.concat(axis: axis + 1), op.operands.map { lifted($0, b) })
    case .dynamicSlice:
      let offsets = try op.operands.dropFirst().map(unbatched)
      result = emit(.dynamicSlice, [lifted(op.operands[0], b), b.scalar(0, .i64)] + offsets)
    case .dynamicUpdateSlice:
      let offsets = try op.operands.dropFirst(2).map(unbatched)
      result = emit(
        .dynamicUpdateSlice, [lifted(op.operands[0], b), lifted(op.operands[1], b), b.scalar(0, .i64)] + offsets)
    case .gather(let axis):
      result = try gather(op, axis: axis, b)
    case .scatterAdd(let axis):
      let indices = try unbatched(op.operands[1])
      result = emit(.scatterAdd(axis: axis + 1), [lifted(op.operands[0], b), indices])
    case .matmul:
      result = matmul(op, b)
    case .call(let callee):
      return try call(op, callee: callee, b)
    case .ifOp:
      return try conditional(op, b)
    case .forOp:
      return try forLoop(op, b)
    case .whileOp:
      return try whileLoop(op, b)
    case .constant, .iota, .random, .empty, .print, .assert, .yield, .returnOp, .load, .save:
      throw Unbatchable()
    }
    define(op, [result], batched: true)
  }

  /// `gather` with batched data reads along the shifted axis; with batched indices, the batch
  /// axis appears where the indices go and moves to the front.
  func gather(_ op: Operation, axis: Int, _ b: Builder) throws -> Value {
    let (data, indices) = (op.operands[0], op.operands[1])
    if !isBatched(indices) {
      return b.value(
        .gather(axis: axis + 1), [lifted(data, b), try unbatched(indices)], type: batchedType(op.result.type))
    }
    let x = try unbatched(data)
    let shape = Array(x.type.shape[..<axis]) + mapped[indices]!.value.type.shape + Array(x.type.shape[(axis + 1)...])
    let gathered = b.value(.gather(axis: axis), [x, mapped[indices]!.value], type: TensorType(x.type.dtype, shape))
    let perm = [axis] + Array(0..<axis) + Array((axis + 1)..<shape.count)
    return transposed(gathered, perm, b)
  }

  /// A transpose, or a reshape when the permutation only moves axes of extent 1.
  func transposed(_ x: Value, _ perm: [Int], _ b: Builder) -> Value {
    let shape = perm.map { x.type.shape[$0] }
    let moved = perm.filter { x.type.shape[$0] != .known(1) }
    if moved == moved.sorted() { return b.reshape(x, shape) }
    return b.value(.transpose(perm: perm), [x], type: TensorType(x.type.dtype, shape))
  }

  /// A product with one batched side of rank 2 folds the batch into the rows of one product:
  /// `[B, M, K] x [K, N]` is `[B*M, K] x [K, N]`, and `[M, K] x [B, K, N]` is computed as
  /// `(Bᵀ Aᵀ)ᵀ`, `[B*N, K] x [K, M]`. Otherwise both sides carry the batch as a batch axis.
  func matmul(_ op: Operation, _ b: Builder) -> Value {
    let (lhs, rhs) = (op.operands[0], op.operands[1])
    let resultType = batchedType(op.result.type)
    let batchSide = isBatched(lhs) != isBatched(rhs) && lhs.type.rank == 2
    guard batchSide else {
      return b.value(.matmul, [lifted(lhs, b), lifted(rhs, b)], type: resultType)
    }
    let dtype = op.result.type.dtype
    let (m, k, n) = (lhs.type.shape[0], lhs.type.shape[1], rhs.type.shape[1])
    let rows = Dim.known(size * (m.value ?? 0))
    if isBatched(lhs) {
      let a = b.reshape(mapped[lhs]!.value, [rows, k])
      let product = b.value(.matmul, [a, mapped[rhs]?.value ?? rhs], type: TensorType(dtype, [rows, n]))
      return b.reshape(product, resultType.shape)
    }
    let columns = Dim.known(size * (n.value ?? 0))
    let bt = b.reshape(transposed(mapped[rhs]!.value, [0, 2, 1], b), [columns, k])
    let a = mapped[lhs]?.value ?? lhs
    let at = b.value(.transpose(perm: [1, 0]), [a], type: TensorType(dtype, [k, m]))
    let product = b.value(.matmul, [bt, at], type: TensorType(dtype, [columns, m]))
    let split = b.reshape(product, [.known(size), n, m])
    return transposed(split, [0, 2, 1], b)
  }

  func call(_ op: Operation, callee: String, _ b: Builder) throws {
    guard let function = batcher.module.function(named: callee) else { throw Unbatchable() }
    let batched = op.operands.map(isBatched)
    let target = batcher.batchedFunction(of: function, batched: batched, size: size, values: values)
    let call = b.create(
      .call(callee: target.name), op.operands.map { mapped[$0]?.value ?? $0 }, resultTypes: target.resultTypes)
    define(op, call.results, batched: true)
  }

  /// A region batched with its arguments batched as `arguments` says: the block, and which of
  /// its terminator's operands came out batched. The terminator is not yet appended.
  func region(_ block: Block, arguments: [Bool]) throws -> (block: Block, builder: Builder, yields: [Value]) {
    let types = zip(block.arguments, arguments).map { $1 ? batchedType($0.type) : $0.type }
    let batchedBlock = Block(arguments: types.map(values.make))
    for (original, (argument, isBatched)) in zip(block.arguments, zip(batchedBlock.arguments, arguments)) {
      mapped[original] = (argument, isBatched)
    }
    let builder = Builder(values: values, block: batchedBlock)
    let yields = try batchOperations(of: block, into: builder)
    return (batchedBlock, builder, yields)
  }

  /// Appends the yield of a batched region: the values marked in `batched` with the batch axis.
  func yield(_ yields: [Value], batched: [Bool], _ b: Builder) {
    let operands = zip(yields, batched).map { value, isBatched in
      isBatched ? lifted(value, b) : mapped[value]?.value ?? value
    }
    b.create(.yield, operands, resultTypes: [])
  }

  func conditional(_ op: Operation, _ b: Builder) throws {
    let condition = try unbatched(op.operands[0])
    let branches = try op.regions.map { try region($0, arguments: []) }
    let batched = op.results.indices.map { i in branches.contains { isBatched($0.yields[i]) } }
    for branch in branches { yield(branch.yields, batched: batched, branch.builder) }
    let types = zip(op.results, batched).map { $1 ? batchedType($0.type) : $0.type }
    let conditional = b.create(.ifOp, [condition], resultTypes: types, regions: branches.map(\.block))
    for (original, (result, isBatched)) in zip(op.results, zip(conditional.results, batched)) {
      mapped[original] = (result, isBatched)
    }
  }

  /// Which carried values of a loop are batched: those whose initial value is, and then every
  /// one the body makes batched from them, until nothing changes.
  func forLoop(_ op: Operation, _ b: Builder) throws {
    let bounds = try op.operands.prefix(2).map(unbatched)
    let initial = Array(op.operands.dropFirst(2))
    var batched = initial.map(isBatched)
    while true {
      let body = try region(op.regions[0], arguments: [false] + batched)
      let next = zip(batched, body.yields.map(isBatched)).map { $0 || $1 }
      guard next == batched else {
        batched = next
        continue
      }
      yield(body.yields, batched: batched, body.builder)
      let carried = zip(initial, batched).map { $1 ? lifted($0, b) : mapped[$0]?.value ?? $0 }
      let loop = b.create(.forOp, bounds + carried, resultTypes: carried.map(\.type), regions: [body.block])
      for (original, (result, isBatched)) in zip(op.results, zip(loop.results, batched)) {
        mapped[original] = (result, isBatched)
      }
      return
    }
  }

  /// As `forLoop`; the condition must come out unbatched (all elements stop together).
  func whileLoop(_ op: Operation, _ b: Builder) throws {
    var batched = op.operands.map(isBatched)
    while true {
      let condition = try region(op.regions[0], arguments: batched)
      let body = try region(op.regions[1], arguments: batched)
      let next = zip(batched, body.yields.map(isBatched)).map { $0 || $1 }
      guard next == batched else {
        batched = next
        continue
      }
      let stop = try unbatched(condition.yields[0])
      condition.builder.create(.yield, [stop], resultTypes: [])
      yield(body.yields, batched: batched, body.builder)
      let carried = zip(op.operands, batched).map { $1 ? lifted($0, b) : mapped[$0]?.value ?? $0 }
      let loop = b.create(
        .whileOp, carried, resultTypes: carried.map(\.type), regions: [condition.block, body.block])
      for (original, (result, isBatched)) in zip(op.results, zip(loop.results, batched)) {
        mapped[original] = (result, isBatched)
      }
      return
    }
  }
}
