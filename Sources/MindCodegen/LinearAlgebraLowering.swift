// solve and slogdet by LAPACK's LU factorization with partial pivoting (`sgetrf_`/`dgetrf_`, and
// `sgetrs_`/`dgetrs_` for the solve), from the OpenBLAS that serves the matrix products; one call
// per matrix of the leading axes. LAPACK is column-major: a row-major A is Aᵀ to it, so the factor
// is of Aᵀ and the solve asks for its transpose ('T'), which is A again; B is copied into
// column-major order and X back. det Aᵀ = det A, so slogdet reads the factor of Aᵀ directly: the
// sum of log|u_ii| and the product of their signs, negated for each row the pivoting swapped. A
// singular A: the solve divides by the zero pivot (inf or NaN, as JAX), slogdet gives sign 0 and
// log|det| = -inf (as NumPy).

import CLLVM
import MindIR

extension FunctionLowering {
  /// The [..., n, n] matrices of `a`: their count and extent.
  private func matrices(_ a: TensorType) -> (count: Int, n: Int) {
    let n = a.extents.last!
    return (n == 0 ? 0 : a.elementCount / (n * n), n)
  }

  /// An i32 in memory, for a Fortran argument.
  private func fortranInt(_ v: Int) -> LLVMValueRef {
    let slot = LLVMBuildAlloca(allocationBuilder, ir.i32, "")!
    LLVMBuildStore(ir.ref, ir.int(v, ir.i32), slot)
    return slot
  }

  /// Copies matrix `index` of `a` into `factor` and factors it in place (LAPACK's view: Aᵀ = PLU).
  private func factor(_ a: Value, _ index: LLVMValueRef, n: Int, into factor: LLVMValueRef, pivots: LLVMValueRef) {
    let dtype = a.type.dtype
    let base = LLVMBuildMul(ir.ref, index, ir.int(n * n), "")!
    ir.loop(n * n) { i in ir.store(dtype, element(a, LLVMBuildAdd(ir.ref, base, i, "")!, width: 1), factor, i) }
    let getrf = ir.declare(dtype == .f32 ? "sgetrf_" : "dgetrf_", ir.void, Array(repeating: ir.ptr, count: 6))
    let size = fortranInt(n)
    _ = ir.call(getrf, [size, size, factor, size, pivots, fortranInt(0)])
  }

  func lowerSolve(_ op: Operation) {
    let (a, rhs, result) = (op.operands[0], op.operands[1], op.result)
    let dtype = a.type.dtype
    let (count, n) = matrices(a.type)
    let k = rhs.type.extents.last!
    let destination = allocate(result.type)
    values[result] = destination
    guard count > 0, k > 0 else { return }
    let lu = allocate(TensorType(dtype, known: [n, n]))
    let pivots = allocate(TensorType(.i32, known: [n]))
    let columns = allocate(TensorType(dtype, known: [k, n]))
    let transposeFlag = LLVMBuildAlloca(allocationBuilder, ir.i8, "")!
    LLVMBuildStore(ir.ref, ir.int(Int(UInt8(ascii: "T")), ir.i8), transposeFlag)
    let getrs = ir.declare(
      dtype == .f32 ? "sgetrs_" : "dgetrs_", ir.void, Array(repeating: ir.ptr, count: 9) + [ir.i64])
    let b = ir.ref
    ir.loop(count) { matrix in
      factor(a, matrix, n: n, into: lu, pivots: pivots)
      let base = LLVMBuildMul(b, matrix, ir.int(n * k), "")!
      ir.loopNest([n, k]) { ij in
        let at = LLVMBuildAdd(b, base, ir.linearIndex(ij, [k, 1]), "")!
        ir.store(dtype, element(rhs, at, width: 1), columns, ir.linearIndex([ij[1], ij[0]], [n, 1]))
      }
      let size = fortranInt(n)
      _ = ir.call(
        getrs, [transposeFlag, size, fortranInt(k), lu, size, pivots, columns, size, fortranInt(0), ir.int(1)])
      ir.loopNest([n, k]) { ij in
        let x = ir.load(dtype, columns, ir.linearIndex([ij[1], ij[0]], [n, 1]))
        ir.store(dtype, x, destination, LLVMBuildAdd(b, base, ir.linearIndex(ij, [k, 1]), "")!)
      }
    }
  }

  func lowerSlogdet(_ op: Operation) {
    let a = op.operands[0]
    let dtype = a.type.dtype
    let (count, n) = matrices(a.type)
    let batch = op.results[0].type
    let signs = allocate(batch)
    let logs = allocate(batch)
    let lu = allocate(TensorType(dtype, known: [max(n, 1), max(n, 1)]))
    let pivots = allocate(TensorType(.i32, known: [max(n, 1)]))
    let b = ir.ref
    let sign = LLVMBuildAlloca(allocationBuilder, ir.scalarType(dtype), "")!
    let log = LLVMBuildAlloca(allocationBuilder, ir.scalarType(dtype), "")!
    // A batch of 0×0 matrices: det = 1.
    ir.loop(batch.elementCount) { matrix in
      LLVMBuildStore(b, ir.constant(1, dtype), sign)
      LLVMBuildStore(b, ir.constant(0, dtype), log)
      if count > 0 {
        factor(a, matrix, n: n, into: lu, pivots: pivots)
        ir.loop(n) { i in
          let u = ir.load(dtype, lu, LLVMBuildMul(b, i, ir.int(n + 1), "")!)
          let swapped = LLVMBuildICmp(
            b, LLVMIntNE, ir.load(.i32, pivots, i), LLVMBuildTrunc(b, LLVMBuildAdd(b, i, ir.int(1), "")!, ir.i32, "")!,
            "")!
          let negative = LLVMBuildFCmp(b, LLVMRealOLT, u, ir.constant(0, dtype), "")!
          let zero = LLVMBuildFCmp(b, LLVMRealOEQ, u, ir.constant(0, dtype), "")!
          var factorSign = LLVMBuildSelect(
            b, LLVMBuildXor(b, swapped, negative, "")!, ir.constant(-1, dtype), ir.constant(1, dtype), "")!
          factorSign = LLVMBuildSelect(b, zero, ir.constant(0, dtype), factorSign, "")!
          let current = LLVMBuildLoad2(b, ir.scalarType(dtype), sign, "")!
          LLVMBuildStore(b, LLVMBuildFMul(b, current, factorSign, "")!, sign)
          let magnitude = VectorMath(ir: ir, dtype: dtype, width: 1).log(ir.intrinsic("llvm.fabs", [u]))
          LLVMBuildStore(b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, ir.scalarType(dtype), log, "")!, magnitude, "")!, log)
        }
      }
      // + 0 makes the sign of a singular matrix 0, not -0.
      let finalSign = LLVMBuildFAdd(b, LLVMBuildLoad2(b, ir.scalarType(dtype), sign, "")!, ir.constant(0, dtype), "")!
      ir.store(dtype, finalSign, signs, matrix)
      ir.store(dtype, LLVMBuildLoad2(b, ir.scalarType(dtype), log, "")!, logs, matrix)
    }
    for (result, buffer) in zip(op.results, [signs, logs]) {
      values[result] = batch.isScalar ? ir.load(dtype, buffer, ir.int(0)) : buffer
    }
  }
}
