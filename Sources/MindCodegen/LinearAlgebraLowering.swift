// solve and slogdet by LAPACK's LU factorization with partial pivoting (`sgetrf_`/`dgetrf_`, and
// `sgetrs_`/`dgetrs_` for the solve), triangular_solve by `?trtrs_`, cholesky by `?potrf_` and
// eigh by `?syev_`, qr by `?geqrf_` and `?orgqr_`,
// from the OpenBLAS that serves the matrix products; one call per matrix of the leading axes. LAPACK is column-major: a row-major A is Aᵀ to it, so the factor
// is of Aᵀ and the solve asks for its transpose ('T'), which is A again; B is copied into
// column-major order and X back. det Aᵀ = det A, so slogdet reads the factor of Aᵀ directly: the
// sum of log|u_ii| and the product of their signs, negated for each row the pivoting swapped. A
// singular A: the solve divides by the zero pivot (inf or NaN, as JAX), slogdet gives sign 0 and
// log|det| = -inf (as NumPy).

import CLLVM
import MindIR

extension FunctionLowering {
  /// The [..., n, n] matrices of `a`: their count and extent.
  private func matrices(_ a: TensorType) -> (count: Int, n: Int) { (batchCount(a), a.extents.last!) }

  /// How many matrices (the last two axes) a tensor holds; 0 when they are empty.
  private func batchCount(_ a: TensorType) -> Int {
    let (m, n) = (a.extents[a.rank - 2], a.extents[a.rank - 1])
    return m * n == 0 ? 0 : a.elementCount / (m * n)
  }

  /// An i32 in memory, for a Fortran argument.
  private func fortranInt(_ v: Int) -> LLVMValueRef {
    let slot = LLVMBuildAlloca(allocationBuilder, ir.i32, "")!
    LLVMBuildStore(ir.ref, ir.int(v, ir.i32), slot)
    return slot
  }

  /// Copies matrix `index` of the [..., n, n] tensor `a` into `destination`.
  private func copyMatrix(_ a: Value, _ index: LLVMValueRef, n: Int, into destination: LLVMValueRef) {
    let base = LLVMBuildMul(ir.ref, index, ir.int(n * n), "")!
    ir.loop(n * n) { i in
      ir.store(a.type.dtype, element(a, LLVMBuildAdd(ir.ref, base, i, "")!, width: 1), destination, i)
    }
  }

  /// Copies matrix `index` of `a` into `factor` and factors it in place (LAPACK's view: Aᵀ = PLU).
  private func factor(_ a: Value, _ index: LLVMValueRef, n: Int, into factor: LLVMValueRef, pivots: LLVMValueRef) {
    let dtype = a.type.dtype
    copyMatrix(a, index, n: n, into: factor)
    let getrf = ir.declare(dtype == .f32 ? "sgetrf_" : "dgetrf_", ir.void, Array(repeating: ir.ptr, count: 6))
    let size = fortranInt(n)
    _ = ir.call(getrf, [size, size, factor, size, pivots, fortranInt(0)])
  }

  /// Copies the [rows, columns] matrix of `value` at element `base` into `destination` in
  /// column-major order (what LAPACK reads).
  private func copyToColumnMajor(
    _ value: Value, at base: LLVMValueRef, rows: Int, columns: Int, into destination: LLVMValueRef
  ) {
    ir.loopNest([rows, columns]) { ij in
      let at = LLVMBuildAdd(ir.ref, base, ir.linearIndex(ij, [columns, 1]), "")!
      ir.store(value.type.dtype, element(value, at, width: 1), destination, ir.linearIndex([ij[1], ij[0]], [rows, 1]))
    }
  }

  /// Copies a column-major [rows, columns] matrix of `dtype` into `destination` row-major, at
  /// element `base`.
  private func copyFromColumnMajor(
    _ source: LLVMValueRef, _ dtype: DType, rows: Int, columns: Int, into destination: LLVMValueRef,
    at base: LLVMValueRef
  ) {
    ir.loopNest([rows, columns]) { ij in
      let x = ir.load(dtype, source, ir.linearIndex([ij[1], ij[0]], [rows, 1]))
      ir.store(dtype, x, destination, LLVMBuildAdd(ir.ref, base, ir.linearIndex(ij, [columns, 1]), "")!)
    }
  }

  /// A buffer for each result of an op whose results are matrices, registered as its value.
  private func resultBuffers(_ op: Operation) -> [LLVMValueRef] {
    op.results.map { result in
      let buffer = allocate(result.type)
      values[result] = buffer
      return buffer
    }
  }

  /// A Fortran character argument.
  private func fortranCharacter(_ c: Character) -> LLVMValueRef {
    let slot = LLVMBuildAlloca(allocationBuilder, ir.i8, "")!
    LLVMBuildStore(ir.ref, ir.int(Int(c.asciiValue!), ir.i8), slot)
    return slot
  }

  /// For each matrix of A (op.operands[0]) and B (op.operands[1], [..., n, k]): `prepare` the
  /// matrix, then `solve` B copied in column-major order, which it overwrites with X, written to
  /// the result row-major.
  private func solveEach(
    _ op: Operation, prepare: (_ matrix: LLVMValueRef) -> Void,
    solve: (_ columns: LLVMValueRef, _ n: Int, _ k: Int) -> Void
  ) {
    let (rhs, result) = (op.operands[1], op.result)
    let dtype = rhs.type.dtype
    let (count, n) = matrices(op.operands[0].type)
    let k = rhs.type.extents.last!
    let destination = allocate(result.type)
    values[result] = destination
    guard count > 0, k > 0 else { return }
    let columns = allocate(TensorType(dtype, known: [k, n]))
    let b = ir.ref
    ir.loop(count) { matrix in
      prepare(matrix)
      let base = LLVMBuildMul(b, matrix, ir.int(n * k), "")!
      copyToColumnMajor(rhs, at: base, rows: n, columns: k, into: columns)
      solve(columns, n, k)
      copyFromColumnMajor(columns, dtype, rows: n, columns: k, into: destination, at: base)
    }
  }

  func lowerSolve(_ op: Operation) {
    let a = op.operands[0]
    let dtype = a.type.dtype
    let n = matrices(a.type).n
    let lu = allocate(TensorType(dtype, known: [n, n]))
    let pivots = allocate(TensorType(.i32, known: [n]))
    let getrs = ir.declare(
      dtype == .f32 ? "sgetrs_" : "dgetrs_", ir.void, Array(repeating: ir.ptr, count: 9) + [ir.i64])
    solveEach(op) { matrix in
      factor(a, matrix, n: n, into: lu, pivots: pivots)
    } solve: { columns, n, k in
      let size = fortranInt(n)
      _ = ir.call(
        getrs,
        [fortranCharacter("T"), size, fortranInt(k), lu, size, pivots, columns, size, fortranInt(0), ir.int(1)])
    }
  }

  /// LAPACK's ?trtrs_ reads the row-major A as Aᵀ: a lower A is an upper Aᵀ, and op(A) = A is
  /// op = transpose of what it holds.
  func lowerTriangularSolve(_ op: Operation, lower: Bool, transposeA: Bool) {
    let a = op.operands[0]
    let dtype = a.type.dtype
    let n = matrices(a.type).n
    let trtrs = ir.declare(
      dtype == .f32 ? "strtrs_" : "dtrtrs_", ir.void, Array(repeating: ir.ptr, count: 10) + [ir.i64, ir.i64, ir.i64])
    let matrix = allocate(TensorType(dtype, known: [n, n]))
    solveEach(op) { index in
      copyMatrix(a, index, n: n, into: matrix)
    } solve: { columns, n, k in
      let size = fortranInt(n)
      _ = ir.call(
        trtrs,
        [
          fortranCharacter(lower ? "U" : "L"), fortranCharacter(transposeA ? "N" : "T"), fortranCharacter("N"), size,
          fortranInt(k), matrix, size, columns, size, fortranInt(0), ir.int(1), ir.int(1), ir.int(1),
        ])
    }
  }

  /// LAPACK's ?potrf_ with uplo 'U' on the row-major A (which it reads as Aᵀ = A) leaves U with
  /// A = UᵀU in what is, row-major, the lower triangle: L = Uᵀ. The other triangle is zeroed; a
  /// matrix that is not positive definite (info > 0) becomes NaN.
  func lowerCholesky(_ op: Operation) {
    let (a, result) = (op.operands[0], op.result)
    let dtype = a.type.dtype
    let (count, n) = matrices(a.type)
    let destination = allocate(result.type)
    values[result] = destination
    guard count > 0 else { return }
    let potrf = ir.declare(
      dtype == .f32 ? "spotrf_" : "dpotrf_", ir.void, Array(repeating: ir.ptr, count: 5) + [ir.i64])
    let info = LLVMBuildAlloca(allocationBuilder, ir.i32, "")!
    let b = ir.ref
    ir.loop(count) { matrix in
      let base = LLVMBuildMul(b, matrix, ir.int(n * n), "")!
      ir.loop(n * n) { i in
        let at = LLVMBuildAdd(b, base, i, "")!
        ir.store(dtype, element(a, at, width: 1), destination, at)
      }
      let size = fortranInt(n)
      _ = ir.call(
        potrf, [fortranCharacter("U"), size, ir.gep(ir.scalarType(dtype), destination, base), size, info, ir.int(1)])
      let failed = LLVMBuildICmp(b, LLVMIntNE, LLVMBuildLoad2(b, ir.i32, info, "")!, ir.int(0, ir.i32), "")!
      ir.loopNest([n, n]) { ij in
        let at = LLVMBuildAdd(b, base, ir.linearIndex(ij, [n, 1]), "")!
        let above = LLVMBuildICmp(b, LLVMIntSGT, ij[1], ij[0], "")!
        var v = LLVMBuildSelect(b, above, ir.constant(0, dtype), ir.load(dtype, destination, at), "")!
        v = LLVMBuildSelect(b, failed, ir.constant(.nan, dtype), v, "")!
        ir.store(dtype, v, destination, at)
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

  /// LAPACK's ?syev_ with uplo 'U' on the row-major A (read as Aᵀ = A, so its upper triangle is
  /// A's lower one): eigenvalues ascending, and the eigenvectors as column-major columns, which
  /// are copied out transposed into row-major columns.
  func lowerEigh(_ op: Operation) {
    let a = op.operands[0]
    let dtype = a.type.dtype
    let (count, n) = matrices(a.type)
    let buffers = resultBuffers(op)
    let (eigenvalues, eigenvectors) = (buffers[0], buffers[1])
    guard count > 0 else { return }
    let work = max(1, 34 * n)
    let scratch = allocate(TensorType(dtype, known: [n, n]))
    let workspace = allocate(TensorType(dtype, known: [work]))
    let syev = ir.declare(
      dtype == .f32 ? "ssyev_" : "dsyev_", ir.void, Array(repeating: ir.ptr, count: 9) + [ir.i64, ir.i64])
    let info = LLVMBuildAlloca(allocationBuilder, ir.i32, "")!
    let b = ir.ref
    ir.loop(count) { matrix in
      copyMatrix(a, matrix, n: n, into: scratch)
      let size = fortranInt(n)
      let w = ir.gep(ir.scalarType(dtype), eigenvalues, LLVMBuildMul(b, matrix, ir.int(n), "")!)
      _ = ir.call(
        syev,
        [
          fortranCharacter("V"), fortranCharacter("U"), size, scratch, size, w, workspace, fortranInt(work), info,
          ir.int(1), ir.int(1),
        ])
      copyFromColumnMajor(
        scratch, dtype, rows: n, columns: n, into: eigenvectors, at: LLVMBuildMul(b, matrix, ir.int(n * n), "")!)
    }
  }

  /// LAPACK's ?geqrf_ then ?orgqr_ on A copied into column-major order (m rows, n columns): R is
  /// the upper triangle of the first n rows of the factored matrix, Q what ?orgqr_ makes of it.
  func lowerQR(_ op: Operation) {
    let a = op.operands[0]
    let dtype = a.type.dtype
    let (m, n) = (a.type.extents[a.type.rank - 2], a.type.extents[a.type.rank - 1])
    let count = batchCount(a.type)
    let buffers = resultBuffers(op)
    let (q, r) = (buffers[0], buffers[1])
    guard count > 0 else { return }
    let work = max(1, 64 * n)
    let scratch = allocate(TensorType(dtype, known: [n, m]))
    let tau = allocate(TensorType(dtype, known: [n]))
    let workspace = allocate(TensorType(dtype, known: [work]))
    let prefix = dtype == .f32 ? "s" : "d"
    let geqrf = ir.declare(prefix + "geqrf_", ir.void, Array(repeating: ir.ptr, count: 8))
    let orgqr = ir.declare(prefix + "orgqr_", ir.void, Array(repeating: ir.ptr, count: 9))
    let b = ir.ref
    ir.loop(count) { matrix in
      let base = LLVMBuildMul(b, matrix, ir.int(m * n), "")!
      copyToColumnMajor(a, at: base, rows: m, columns: n, into: scratch)
      let (rows, columns) = (fortranInt(m), fortranInt(n))
      _ = ir.call(geqrf, [rows, columns, scratch, rows, tau, workspace, fortranInt(work), fortranInt(0)])
      let rBase = LLVMBuildMul(b, matrix, ir.int(n * n), "")!
      ir.loopNest([n, n]) { ij in
        let below = LLVMBuildICmp(b, LLVMIntSGT, ij[0], ij[1], "")!
        let x = ir.load(dtype, scratch, ir.linearIndex([ij[1], ij[0]], [m, 1]))
        let v = LLVMBuildSelect(b, below, ir.constant(0, dtype), x, "")!
        ir.store(dtype, v, r, LLVMBuildAdd(b, rBase, ir.linearIndex(ij, [n, 1]), "")!)
      }
      _ = ir.call(orgqr, [rows, columns, columns, scratch, rows, tau, workspace, fortranInt(work), fortranInt(0)])
      copyFromColumnMajor(scratch, dtype, rows: m, columns: n, into: q, at: base)
    }
  }
}
