// Floating-point matrix products (BLAS calls, `callGemm`, and SmallMatmul.swift's kernels) read their operands in place where they can: a transpose of
// the last two axes becomes gemm's transposition flag, and a matrix broadcast along batch axes
// becomes a zero batch stride. The transpose and broadcast ops are then not lowered at all when
// gemm is their only reader (the derivative of `x @ w` is `g @ transpose(w)`, with `w`
// broadcast along x's batch axes, so this removes two copies per product and adjoint).

import CLLVM
import MindIR
import MindJIT

/// How gemm reads one operand: a buffer, whether it holds the transpose, and the distance
/// between batches in elements.
struct GemmOperand {
  var pointer: LLVMValueRef
  var transposed: Bool
  var batchStride: Int
}

extension FunctionLowering {
  func isBlasMatmul(_ op: Operation) -> Bool {
    guard case .matmul = op.kind, op.result.type.dtype.isFloat else { return false }
    let (a, b) = (op.operands[0].type, op.operands[1].type)
    let r = a.rank
    let (m, k, n) = (a.extents[r - 2], a.extents[r - 1], b.extents[r - 1])
    // A matrix-vector product reads each element of the matrix once: gemm would first pack it
    // (a second pass over memory), so the small kernels, which read it in place, do these.
    return m * n * k >= Self.blasThreshold && k > 0 && m > 1 && n > 1
  }

  /// A floating-point product with a non-empty inner dimension (computed by gemm or a small
  /// kernel, either of which can add it to a destination's elements).
  func isFloatMatmul(_ op: Operation) -> Bool {
    guard case .matmul = op.kind, op.result.type.dtype.isFloat else { return false }
    return op.operands[0].type.extents.last.map { $0 > 0 } ?? false
  }

  /// Floating-point products read their operands' views in place: through gemm's flags and
  /// strides, or the small-product kernels' (SmallMatmul.swift).
  func readsViewsInPlace(_ op: Operation) -> Bool {
    guard case .matmul = op.kind else { return false }
    return op.result.type.dtype.isFloat
  }

  /// A transpose of the last two axes, or a broadcast of a matrix along leading axes: the
  /// forms gemm can read in place.
  static func isGemmView(_ op: Operation) -> Bool {
    switch op.kind {
    case .transpose(let perm):
      let r = perm.count
      return r >= 2 && perm == Array(0..<(r - 2)) + [r - 1, r - 2]
    case .broadcast(let dims):
      let r = op.result.type.rank
      let source = op.operands[0].type
      return r >= 2 && source.rank == 2 && dims == [r - 2, r - 1]
    default:
      return false
    }
  }

  /// Marks views whose every reader is a BLAS product or another such view (in one block).
  func planGemmViews(_ block: Block) {
    for op in block.operations { op.regions.forEach(planGemmViews) }
    let local = Set(block.operations.map(ObjectIdentifier.init))
    for op in block.operations.reversed() where Self.isGemmView(op) && !op.result.type.isScalar {
      let readers = uses[op.result] ?? []
      let allInPlace =
        !readers.isEmpty
        && readers.allSatisfy { reader in
          local.contains(ObjectIdentifier(reader))
            && (readsViewsInPlace(reader) || reader.results.first.map(gemmViews.contains) ?? false)
        }
      if allInPlace && preassigned[op.result] == nil { gemmViews.insert(op.result) }
    }
  }

  /// The view op through which gemm reads `value` in place, if any.
  func gemmView(_ value: Value) -> Operation? {
    guard gemmViews.contains(value) || values[value] == nil, let op = value.definingOp, Self.isGemmView(op) else {
      return nil
    }
    return op
  }

  /// The value whose buffer gemm reads for `value`.
  func gemmSource(_ value: Value) -> Value { gemmView(value).map { gemmSource($0.operands[0]) } ?? value }

  /// How gemm reads `value`, following views to the buffer that holds the data.
  func gemmOperand(_ value: Value) -> GemmOperand {
    let r = value.type.rank
    let matrix = value.type.extents[r - 2] * value.type.extents[r - 1]
    guard let op = gemmView(value) else {
      return GemmOperand(pointer: values[value] ?? materialize(value), transposed: false, batchStride: matrix)
    }
    var inner = gemmOperand(op.operands[0])
    switch op.kind {
    case .transpose: inner.transposed.toggle()
    default: inner.batchStride = 0
    }
    return inner
  }
}

extension FunctionLowering {
  /// Calls gemm for a BLAS matmul: `destination = a @ b`, or `destination += a @ b` when
  /// `accumulate` (gemm's beta = 1).
  func callGemm(_ op: Operation, into destination: LLVMValueRef, accumulate: Bool) {
    let (a, b) = (op.operands[0], op.operands[1])
    let dtype = op.result.type.dtype
    let r = a.type.rank
    let (m, k, n) = (a.type.extents[r - 2], a.type.extents[r - 1], b.type.extents[r - 1])
    let batch = Array(a.type.extents[..<(r - 2)]).reduce(1, *)
    let (lhs, rhs) = (gemmOperand(a), gemmOperand(b))
    if lowering.inProcess {
      // One OpenBLAS thread below BLAS.threadedWork multiply-adds (objects for other programs
      // leave OpenBLAS's own choice).
      let single = batch * m * n * k < BLAS.threadedWork
      ir.call(ir.declare("mind_blas_threads", ir.void, [ir.i32]), [ir.int(single ? 1 : 0, ir.i32)])
    }
    let scalar = ir.scalarType(dtype)
    let gemm = ir.declare(
      dtype == .f32 ? "cblas_sgemm" : "cblas_dgemm", ir.void,
      [ir.i32, ir.i32, ir.i32, ir.i32, ir.i32, ir.i32, scalar, ir.ptr, ir.i32, ir.ptr, ir.i32, scalar, ir.ptr, ir.i32])
    let int = { (v: Int) in self.ir.int(v, self.ir.i32) }
    let (rowMajor, plain, transposed) = (int(101), int(111), int(112))
    let (one, beta) = (ir.constant(1, dtype), ir.constant(accumulate ? 1 : 0, dtype))
    // Row-major leading dimensions: columns of the matrix as stored.
    let (lda, ldb) = (lhs.transposed ? m : k, rhs.transposed ? k : n)
    if batch > 1 && rhs.batchStride == 0 && !lhs.transposed && lhs.batchStride == m * k {
      // x @ w with w shared by every batch: one product with the batches stacked as rows.
      ir.call(
        gemm,
        [
          rowMajor, plain, rhs.transposed ? transposed : plain, int(batch * m), int(n), int(k), one, lhs.pointer,
          int(lda), rhs.pointer, int(ldb), beta, destination, int(n),
        ])
      return
    }
    ir.loop(batch) { bi in
      let offset = { (size: Int) in LLVMBuildMul(self.ir.ref, bi, self.ir.int(size), "")! }
      ir.call(
        gemm,
        [
          rowMajor, lhs.transposed ? transposed : plain, rhs.transposed ? transposed : plain, int(m), int(n), int(k),
          one, ir.gep(scalar, lhs.pointer, offset(lhs.batchStride)), int(lda),
          ir.gep(scalar, rhs.pointer, offset(rhs.batchStride)), int(ldb), beta,
          ir.gep(scalar, destination, offset(m * n)), int(n),
        ])
    }
  }
}
