// Appends typed operations to a block. Result types come from the op's type rule where it has
// one; an op that breaks its rule is left for the verifier to report.

import MindFrontend

public final class Builder {
  public let values: ValueFactory
  public var block: Block
  public var location: SourceSpan = .unknown

  public init(values: ValueFactory, block: Block) {
    self.values = values
    self.block = block
  }

  @discardableResult
  public func create(
    _ kind: OpKind, _ operands: [Value], resultTypes explicit: [TensorType]? = nil, regions: [Block] = []
  ) -> Operation {
    let types: [TensorType]
    if let explicit {
      types = explicit
    } else {
      // An op without a rule or that breaks its rule keeps its first operand's type; the
      // verifier reports it (E4001) instead of the compiler trapping.
      types = ((try? inferResultTypes(kind, operands.map(\.type))) ?? nil) ?? [operands.first?.type ?? TensorType(.f32)]
    }
    let op = Operation(
      kind: kind, operands: operands, results: types.map(values.make), regions: regions, location: location)
    block.operations.append(op)
    return op
  }

  public func value(_ kind: OpKind, _ operands: [Value], type: TensorType? = nil) -> Value {
    create(kind, operands, resultTypes: type.map { [$0] }).result
  }

  /// A constant; f32 elements are rounded to f32 here, so that folding computes with the values
  /// the compiled code holds.
  public func constant(_ data: ConstantData, _ type: TensorType) -> Value {
    guard type.dtype == .f32 else { return value(.constant(data), [], type: type) }
    let rounded = { (v: Double) in Double(Float(v)) }
    switch data {
    case .splat(let v): return value(.constant(.splat(rounded(v))), [], type: type)
    case .dense(let values): return value(.constant(.dense(values.map(rounded))), [], type: type)
    }
  }

  public func scalar(_ v: Double, _ dtype: DType) -> Value { constant(.splat(v), TensorType(dtype)) }

  public func splat(_ v: Double, like type: TensorType) -> Value { constant(.splat(v), type) }

  public func unary(_ op: UnaryOp, _ x: Value) -> Value { value(.unary(op), [x]) }
  public func binary(_ op: BinaryOp, _ a: Value, _ b: Value) -> Value { value(.binary(op), [a, b]) }
  public func compare(_ op: CompareOp, _ a: Value, _ b: Value) -> Value { value(.compare(op), [a, b]) }
  public func select(_ c: Value, _ a: Value, _ b: Value) -> Value { value(.select, [c, a, b]) }

  public func cast(_ x: Value, to dtype: DType) -> Value {
    x.type.dtype == dtype ? x : value(.cast, [x], type: x.type.with(dtype: dtype))
  }

  public func reshape(_ x: Value, _ shape: [Dim]) -> Value {
    x.type.shape == shape ? x : value(.reshape, [x], type: TensorType(x.type.dtype, shape))
  }

  /// Broadcasts `x` to `shape`, aligning its axes with the trailing axes of `shape` (NumPy);
  /// size-1 axes of `x` are squeezed away first.
  /// A runtime check: fails with `code` and `message`, at the builder's location, unless every
  /// element of the bool tensor `condition` holds.
  public func check(_ condition: Value, code: String, message: String) {
    let all =
      condition.type.isScalar
      ? condition : reduce(.min, cast(condition, to: .i64), axes: Array(0..<condition.type.rank))
    create(
      .assert(code: code, message: message), [all.type.dtype == .bool ? all : compare(.ne, all, scalar(0, .i64))],
      resultTypes: [])
  }

  public func broadcast(_ x: Value, to shape: [Dim]) -> Value {
    if x.type.shape == shape { return x }
    let offset = shape.count - x.type.rank
    var keptDims: [Int] = []
    var keptShape: [Dim] = []
    for (axis, extent) in x.type.shape.enumerated() where !(extent == .known(1) && shape[axis + offset] != .known(1)) {
      keptDims.append(axis + offset)
      keptShape.append(extent)
    }
    let squeezed = reshape(x, keptShape)
    return value(.broadcast(dims: keptDims), [squeezed], type: TensorType(x.type.dtype, shape))
  }

  /// `x` with axis `from` moved to position `to`, the other axes in order.
  public func moveAxis(_ x: Value, from: Int, to: Int) -> Value {
    guard from != to else { return x }
    var perm = Array(0..<x.type.rank)
    perm.remove(at: from)
    perm.insert(from, at: to)
    return value(.transpose(perm: perm), [x], type: TensorType(x.type.dtype, perm.map { x.type.shape[$0] }))
  }

  /// The matrices of a [..., m, n] tensor transposed (the last two axes swapped).
  public func matrixTranspose(_ x: Value) -> Value { moveAxis(x, from: x.type.rank - 1, to: x.type.rank - 2) }

  /// The n x n identity matrix.
  public func identity(_ n: Int, _ dtype: DType) -> Value {
    constant(.dense((0..<(n * n)).map { $0 / n == $0 % n ? 1 : 0 }), TensorType(dtype, known: [n, n]))
  }

  public func reduce(_ op: ReduceOp, _ x: Value, axes: [Int]) -> Value {
    axes.isEmpty ? x : value(.reduce(op, axes: axes.sorted()), [x])
  }

  /// Builds a region op; `body` fills each region given a builder positioned in it.
  public func region(arguments: [TensorType], _ body: (Builder, [Value]) throws -> Void) rethrows -> Block {
    let block = Block(arguments: arguments.map(values.make))
    let inner = Builder(values: values, block: block)
    inner.location = location
    try body(inner, block.arguments)
    return block
  }
}
