// The type rule of every op whose result type follows from its operands and attributes. The
// builder uses it to type new ops and the verifier to check existing ones; ops whose result type
// is chosen by their creator (constant, cast, broadcast, reshape, slice, iota, random, empty, call and
// the region ops) return nil here and are checked structurally by the verifier instead.

public enum TypeRuleError: Error, Equatable {
  case mismatch(String)
}

public func inferResultTypes(_ kind: OpKind, _ operands: [TensorType]) throws(TypeRuleError) -> [TensorType]? {
  func requireSameShape() throws(TypeRuleError) {
    for operand in operands.dropFirst() where operand.shape != operands[0].shape {
      throw .mismatch("operand shapes differ: \(operands[0]) vs \(operand)")
    }
  }
  switch kind {
  case .unary(let op):
    guard operands.count == 1 else { throw .mismatch("\(op.rawValue) takes one operand") }
    guard op.record.accepts(operands[0].dtype) else { throw .mismatch("\(op.rawValue) of \(operands[0].dtype)") }
    return [operands[0]]
  case .binary(let op):
    guard operands.count == 2 else { throw .mismatch("\(op.rawValue) takes two operands") }
    try requireSameShape()
    guard operands[0].dtype == operands[1].dtype else { throw .mismatch("operand dtypes differ") }
    guard op.record.operands.accepts(operands[0].dtype) else {
      throw .mismatch("\(op.rawValue) of \(operands[0].dtype)")
    }
    return [operands[0]]
  case .compare:
    guard operands.count == 2 else { throw .mismatch("compare takes two operands") }
    try requireSameShape()
    return [operands[0].with(dtype: .bool)]
  case .select:
    guard operands.count == 3, operands[0].dtype == .bool else { throw .mismatch("select takes (i1, T, T)") }
    try requireSameShape()
    return [operands[1]]
  case .reduce(_, let axes):
    guard operands.count == 1 else { throw .mismatch("reduce takes one operand") }
    let kept = operands[0].shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    return [TensorType(operands[0].dtype, kept)]
  case .solve, .triangularSolve:
    guard operands.count == 2, operands[0].dtype.isFloat, operands[1].dtype == operands[0].dtype,
      operands[0].rank >= 2, operands[1].rank == operands[0].rank,
      operands[0].shape[operands[0].rank - 1] == operands[0].shape[operands[0].rank - 2],
      Array(operands[1].shape.dropLast()) == Array(operands[0].shape.dropLast())
    else { throw .mismatch("solve takes A [..., n, n] and B [..., n, k] of one float dtype") }
    return [operands[1]]
  case .qr:
    guard operands.count == 1, operands[0].dtype.isFloat, operands[0].rank >= 2,
      (operands[0].shape[operands[0].rank - 2].value ?? 0) >= (operands[0].shape[operands[0].rank - 1].value ?? 0)
    else { throw .mismatch("qr takes one float tensor [..., m, n] with m >= n") }
    var r = operands[0]
    r.shape[r.rank - 2] = r.shape[r.rank - 1]
    return [operands[0], r]
  case .eigh, .cholesky, .slogdet:
    guard operands.count == 1, operands[0].dtype.isFloat, operands[0].rank >= 2,
      operands[0].shape[operands[0].rank - 1] == operands[0].shape[operands[0].rank - 2]
    else { throw .mismatch("\(kind.name) takes one float tensor [..., n, n]") }
    let matrix = operands[0]
    switch kind {
    case .eigh: return [TensorType(matrix.dtype, Array(matrix.shape.dropLast())), matrix]
    case .cholesky: return [matrix]
    default:
      let batch = TensorType(matrix.dtype, Array(matrix.shape.dropLast(2)))
      return [batch, batch]
    }
  case .argsort:
    guard operands.count == 1, operands[0].rank > 0, operands[0].dtype != .bool else {
      throw .mismatch("argsort takes one numeric tensor of rank 1 or more")
    }
    return [operands[0].with(dtype: .i64)]
  case .argReduce(_, let axis):
    guard operands.count == 1, axis < operands[0].rank else { throw .mismatch("bad argmax axis") }
    var shape = operands[0].shape
    shape.remove(at: axis)
    return [TensorType(.i64, shape)]
  case .transpose(let perm):
    guard operands.count == 1, perm.sorted() == Array(0..<operands[0].rank) else {
      throw .mismatch("transpose permutation \(perm) does not fit rank \(operands.first?.rank ?? 0)")
    }
    return [TensorType(operands[0].dtype, perm.map { operands[0].shape[$0] })]
  case .matmul:
    guard operands.count == 2, operands[0].rank >= 2, operands[0].rank == operands[1].rank else {
      throw .mismatch("matmul takes two operands of equal rank >= 2")
    }
    let a = operands[0].shape
    let b = operands[1].shape
    let r = a.count
    guard a[r - 1] == b[r - 2], Array(a[..<(r - 2)]) == Array(b[..<(r - 2)]) else {
      throw .mismatch("matmul shapes \(operands[0]) and \(operands[1]) do not contract")
    }
    return [TensorType(operands[0].dtype, Array(a[..<(r - 1)]) + [b[r - 1]])]
  case .concat(let axis):
    guard let first = operands.first, axis < first.rank else { throw .mismatch("bad concat axis") }
    var total = 0
    for operand in operands {
      guard operand.rank == first.rank, operand.dtype == first.dtype else { throw .mismatch("concat operands differ") }
      for d in 0..<first.rank where d != axis && operand.shape[d] != first.shape[d] {
        throw .mismatch("concat operands differ in dimension \(d)")
      }
      guard let extent = operand.shape[axis].value else {
        return [TensorType(first.dtype, first.shape.enumerated().map { $0.offset == axis ? .unknown : $0.element })]
      }
      // An overflowing sum is beyond any size limit: the verifier reports it (E6009).
      let (sum, overflow) = total.addingReportingOverflow(extent)
      total = overflow ? Int.max : sum
    }
    var shape = first.shape
    shape[axis] = .known(total)
    return [TensorType(first.dtype, shape)]
  case .gather(let axis):
    guard operands.count == 2, axis < operands[0].rank, operands[1].dtype.isInteger else {
      throw .mismatch("gather takes a tensor and integer indices")
    }
    let x = operands[0].shape
    return [TensorType(operands[0].dtype, Array(x[..<axis]) + operands[1].shape + Array(x[(axis + 1)...]))]
  case .dynamicUpdateSlice:
    guard operands.count >= 2 else { throw .mismatch("dynamic_update_slice takes a tensor and an update") }
    return [operands[0]]
  case .constant, .cast, .broadcast, .reshape, .slice, .unslice, .scatterAdd, .dynamicSlice, .iota, .random, .empty,
    .call,
    .ifOp,
    .forOp, .whileOp, .load:
    return nil
  case .yield, .returnOp, .print, .assert, .save:
    return []
  }
}
