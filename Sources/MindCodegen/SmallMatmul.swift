// Floating-point matrix products below the BLAS threshold (the products of small-state loops,
// narrow networks and Hessians), as register-tiled loop nests. Takes a matmul whose operands
// are read in place like gemm's (GemmOperands.swift: transposed or batch-broadcast views), and
// guarantees `C = A @ B` (or `C += A @ B` when accumulating, GemmAccumulation.swift) in the
// destination with every partial sum kept in vector registers:
//
// 1. Orientation. When m or n is 1, C and Cᵀ have one layout, so `Cᵀ = Bᵀ @ Aᵀ` may be
//    computed instead (Aᵀ @ g for a vector g becomes gᵀ @ A, which reads A's rows).
// 2. Kernel, for the first orientation where one applies, in this order:
//    - rows (B's rows contiguous, n at least one vector): a tile of 4 rows × 2 vectors of C in
//      registers; for each p, two vectors of B's row p times A(i, p) broadcast, fused
//      multiply-add. Partial vectors at the right edge use masked loads and stores;
//    - dots (A's rows and B's columns contiguous: B transposed, or n = 1): 4 rows of C, each a
//      vector of partial dot products over p, summed across lanes at the end;
//    - rows with partial vectors;
//    - dots for any n; otherwise B is first copied into row-major order, then rows.
// The loops over p run at run time; tiles and edges are laid out at compile time (extents are
// static). Replaces the i-k-j loop whose inner loop, for a matrix-vector product, was one
// element long: a serial chain of loads, adds and stores through memory.

import CLLVM
import MindIR

extension FunctionLowering {
  /// One product as the kernels see it: `m × k` times `k × n`, `batch` times.
  struct SmallProduct {
    var lhs: GemmOperand
    var rhs: GemmOperand
    var m: Int
    var n: Int
    let k: Int

    /// The same product computed as `Cᵀ = Bᵀ @ Aᵀ` (same layout of C when m or n is 1).
    var transposedForm: SmallProduct {
      var lhs = rhs
      var rhs = self.lhs
      // Flags stay clear on vectors, whose two layouts are one.
      lhs.transposed = !lhs.transposed && n != 1 && k != 1
      rhs.transposed = !rhs.transposed && k != 1 && m != 1
      return SmallProduct(lhs: lhs, rhs: rhs, m: n, n: m, k: k)
    }
  }

  enum SmallKernel { case rows, dots }

  static let tileRows = 4
  static let tileVectors = 2

  func lowerSmallMatmul(_ op: Operation, into destination: LLVMValueRef, accumulate adds: Bool) {
    let (a, b) = (op.operands[0], op.operands[1])
    let r = a.type.rank
    let dtype = op.result.type.dtype
    let width = lowering.vectorWidth(dtype)
    let batch = Array(a.type.extents[..<(r - 2)]).reduce(1, *)
    var product = SmallProduct(
      lhs: gemmOperand(a), rhs: gemmOperand(b), m: a.type.extents[r - 2], n: b.type.extents[r - 1],
      k: a.type.extents[r - 1])
    // A vector stored transposed has the layout of the vector itself.
    if product.m == 1 || product.k == 1 { product.lhs.transposed = false }
    if product.k == 1 || product.n == 1 { product.rhs.transposed = false }
    guard product.k > 0 else {
      if !adds { fill(destination, op.result.type, ir.constant(0, dtype)) }
      return
    }
    let forms = product.m == 1 || product.n == 1 ? [product, product.transposedForm] : [product]
    let rules: [(SmallKernel, (SmallProduct) -> Bool)] = [
      (.rows, { !$0.rhs.transposed && $0.n >= width }),
      (.dots, { !$0.lhs.transposed && ($0.rhs.transposed || $0.n == 1) }),
      (.rows, { !$0.rhs.transposed }),
    ]
    var kernel: SmallKernel?
    search: for (candidate, applies) in rules {
      for form in forms where applies(form) {
        (kernel, product) = (candidate, form)
        break search
      }
    }
    if kernel == nil {
      product.rhs = rowMajorCopy(of: product.rhs, rows: product.k, columns: product.n, batch: batch, dtype: dtype)
      kernel = .rows
    }
    ir.loop(batch) { bi in
      let offset = { (stride: Int) in LLVMBuildMul(self.ir.ref, bi, self.ir.int(stride), "")! }
      let scalar = ir.scalarType(dtype)
      let lhs = ir.gep(scalar, product.lhs.pointer, offset(product.lhs.batchStride))
      let rhs = ir.gep(scalar, product.rhs.pointer, offset(product.rhs.batchStride))
      let result = ir.gep(scalar, destination, offset(product.m * product.n))
      switch kernel! {
      case .rows: rowsKernel(product, lhs, rhs, result, dtype: dtype, width: width, adds: adds)
      case .dots: dotsKernel(product, lhs, rhs, result, dtype: dtype, width: width, adds: adds)
      }
    }
  }

  /// Index of element (row, column) of an operand of `rows × columns` read through `operand`.
  func elementIndex(_ operand: GemmOperand, rows: Int, columns: Int, _ row: LLVMValueRef, _ column: LLVMValueRef)
    -> LLVMValueRef
  {
    operand.transposed
      ? LLVMBuildAdd(ir.ref, LLVMBuildMul(ir.ref, column, ir.int(rows), ""), row, "")!
      : LLVMBuildAdd(ir.ref, LLVMBuildMul(ir.ref, row, ir.int(columns), ""), column, "")!
  }

  /// Tiles of `C = A @ B` (`C += A @ B` when it `adds`): for each tile of `tileRows` rows and up
  /// to `tileVectors` vectors of columns, accumulators in registers over p.
  func rowsKernel(
    _ product: SmallProduct, _ lhs: LLVMValueRef, _ rhs: LLVMValueRef, _ result: LLVMValueRef, dtype: DType, width: Int,
    adds: Bool
  ) {
    let (m, n, k) = (product.m, product.n, product.k)
    let tileColumns = Self.tileVectors * width
    // Column tiles: full ones in a loop, then the edge (its last vector partial).
    let columnTiles: [(count: Int, start: Int, lanes: [Int])] = [
      (n / tileColumns, 0, Array(repeating: width, count: Self.tileVectors)),
      (n % tileColumns == 0 ? 0 : 1, n / tileColumns * tileColumns, Self.lanes(n % tileColumns, width: width)),
    ]
    let rowTiles = Self.rowTiles(m)
    for columnTile in columnTiles where columnTile.count > 0 {
      ir.loop(columnTile.count) { jt in
        let j0 = LLVMBuildAdd(ir.ref, ir.int(columnTile.start), LLVMBuildMul(ir.ref, jt, ir.int(tileColumns), ""), "")!
        for rowTile in rowTiles where rowTile.count > 0 {
          ir.loop(rowTile.count) { it in
            let i0 = LLVMBuildAdd(
              ir.ref, ir.int(rowTile.start), LLVMBuildMul(ir.ref, it, ir.int(Self.tileRows), ""), "")!
            let rows = (0..<rowTile.rows).map { LLVMBuildAdd(ir.ref, i0, ir.int($0), "")! }
            let accumulators = accumulate(rows.count * columnTile.lanes.count, dtype: dtype, width: width, k: k) {
              p, sums in
              let bRow = LLVMBuildMul(ir.ref, p, ir.int(n), "")!
              let bs = columnTile.lanes.enumerated().map { v, lanes in
                maskedLoad(
                  dtype, rhs, LLVMBuildAdd(ir.ref, bRow, LLVMBuildAdd(ir.ref, j0, ir.int(v * width), ""), "")!,
                  lanes: lanes, width: width)
              }
              var next: [LLVMValueRef] = []
              for (r, row) in rows.enumerated() {
                let element = ir.load(dtype, lhs, elementIndex(product.lhs, rows: m, columns: k, row, p))
                let scale = width == 1 ? element : ir.splat(element, width)
                for (v, b) in bs.enumerated() {
                  next.append(ir.intrinsic("llvm.fma", [scale, b, sums[r * bs.count + v]]))
                }
              }
              return next
            }
            for (r, row) in rows.enumerated() {
              let cRow = LLVMBuildMul(ir.ref, row, ir.int(n), "")!
              for (v, lanes) in columnTile.lanes.enumerated() {
                let at = LLVMBuildAdd(ir.ref, cRow, LLVMBuildAdd(ir.ref, j0, ir.int(v * width), ""), "")!
                var sum = accumulators[r * columnTile.lanes.count + v]
                if adds {
                  sum = LLVMBuildFAdd(ir.ref, maskedLoad(dtype, result, at, lanes: lanes, width: width), sum, "")!
                }
                maskedStore(dtype, sum, result, at, lanes: lanes, width: width)
              }
            }
          }
        }
      }
    }
  }

  /// Each row tile of C: `tileRows` vectors of partial dot products of A's rows with one of B's
  /// columns (contiguous in p), summed across lanes.
  func dotsKernel(
    _ product: SmallProduct, _ lhs: LLVMValueRef, _ rhs: LLVMValueRef, _ result: LLVMValueRef, dtype: DType, width: Int,
    adds: Bool
  ) {
    let (m, n, k) = (product.m, product.n, product.k)
    let rowTiles = Self.rowTiles(m)
    ir.loop(n) { j in
      let column = LLVMBuildMul(ir.ref, j, ir.int(k), "")!
      for rowTile in rowTiles where rowTile.count > 0 {
        ir.loop(rowTile.count) { it in
          let i0 = LLVMBuildAdd(ir.ref, ir.int(rowTile.start), LLVMBuildMul(ir.ref, it, ir.int(Self.tileRows), ""), "")!
          let rows = (0..<rowTile.rows).map { LLVMBuildAdd(ir.ref, i0, ir.int($0), "")! }
          // Whole vectors of p in a loop, then the partial one.
          func step(_ p: LLVMValueRef, lanes: Int, _ sums: [LLVMValueRef]) -> [LLVMValueRef] {
            let b = maskedLoad(dtype, rhs, LLVMBuildAdd(ir.ref, column, p, "")!, lanes: lanes, width: width)
            return rows.enumerated().map { r, row in
              let a = maskedLoad(
                dtype, lhs, LLVMBuildAdd(ir.ref, LLVMBuildMul(ir.ref, row, ir.int(k), "")!, p, "")!, lanes: lanes,
                width: width)
              return ir.intrinsic("llvm.fma", [a, b, sums[r]])
            }
          }
          var sums = accumulate(rows.count, dtype: dtype, width: width, k: k / width) { chunk, sums in
            step(LLVMBuildMul(ir.ref, chunk, ir.int(width), "")!, lanes: width, sums)
          }
          if k % width != 0 { sums = step(ir.int(k / width * width), lanes: k % width, sums) }
          for (r, row) in rows.enumerated() {
            let at = LLVMBuildAdd(ir.ref, LLVMBuildMul(ir.ref, row, ir.int(n), "")!, j, "")!
            let sum = horizontalSum(sums[r], width: width)
            ir.store(dtype, adds ? LLVMBuildFAdd(ir.ref, ir.load(dtype, result, at), sum, "")! : sum, result, at)
          }
        }
      }
    }
  }

  /// `count` vector accumulators, zero, updated by `body(p, sums)` for p in 0..<k (phis of a
  /// loop), and their final values.
  func accumulate(
    _ count: Int, dtype: DType, width: Int, k: Int, _ body: (LLVMValueRef, [LLVMValueRef]) -> [LLVMValueRef]
  ) -> [LLVMValueRef] {
    let zero = ir.constant(0, dtype, width: width)
    guard k > 0 else { return Array(repeating: zero, count: count) }
    let preheader = ir.currentBlock
    let loop = ir.block("tile")
    let exit = ir.block("tile.end")
    ir.branch(loop)
    ir.position(at: loop)
    let p = ir.phi(ir.i64, [(ir.int(0), preheader)])
    let sums = (0..<count).map { _ in ir.phi(ir.type(dtype, width: width), [(zero, preheader)]) }
    let next = body(p, sums)
    let nextP = LLVMBuildAdd(ir.ref, p, ir.int(1), "")!
    let latch = ir.currentBlock
    ir.addIncoming(p, [(nextP, latch)])
    for (sum, value) in zip(sums, next) { ir.addIncoming(sum, [(value, latch)]) }
    ir.branch(if: LLVMBuildICmp(ir.ref, LLVMIntSLT, nextP, ir.int(k), ""), loop, else: exit)
    ir.position(at: exit)
    return next
  }

  /// The tiles of `m` rows: full tiles of `tileRows` (run in a loop), then one of the rest.
  static func rowTiles(_ m: Int) -> [(count: Int, start: Int, rows: Int)] {
    [(m / tileRows, 0, tileRows), (m % tileRows == 0 ? 0 : 1, m / tileRows * tileRows, m % tileRows)]
  }

  /// Lane counts of the vectors covering `columns` columns (the last one partial).
  static func lanes(_ columns: Int, width: Int) -> [Int] {
    stride(from: 0, to: columns, by: width).map { min(width, columns - $0) }
  }

  func laneMask(_ lanes: Int, width: Int) -> LLVMValueRef {
    var bits: [LLVMValueRef?] = (0..<width).map { LLVMConstInt(ir.i1, $0 < lanes ? 1 : 0, 0) }
    return bits.withUnsafeMutableBufferPointer { LLVMConstVector($0.baseAddress, UInt32(width)) }
  }

  /// `lanes` elements from `index` in a vector (zeros in the other lanes).
  func maskedLoad(_ dtype: DType, _ base: LLVMValueRef, _ index: LLVMValueRef, lanes: Int, width: Int) -> LLVMValueRef {
    if lanes == width { return ir.load(dtype, base, index, width: width) }
    let vector = ir.type(dtype, width: width)
    return ir.intrinsic(
      "llvm.masked.load",
      [
        ir.gep(ir.scalarType(dtype), base, index), ir.int(dtype.byteSize, ir.i32), laneMask(lanes, width: width),
        ir.constant(0, dtype, width: width),
      ], overloads: [vector, ir.ptr])
  }

  func maskedStore(
    _ dtype: DType, _ value: LLVMValueRef, _ base: LLVMValueRef, _ index: LLVMValueRef, lanes: Int, width: Int
  ) {
    if lanes == width { return ir.store(dtype, value, base, index, width: width) }
    _ = ir.intrinsic(
      "llvm.masked.store",
      [
        value, ir.gep(ir.scalarType(dtype), base, index), ir.int(dtype.byteSize, ir.i32), laneMask(lanes, width: width),
      ],
      overloads: [ir.type(dtype, width: width), ir.ptr])
  }

  /// The sum of a vector's lanes, halving the vector each step.
  func horizontalSum(_ vector: LLVMValueRef, width: Int) -> LLVMValueRef {
    var value = vector
    var lanes = width
    while lanes > 1 {
      lanes /= 2
      let low = shuffle(value, Array(0..<lanes))
      let high = shuffle(value, Array(lanes..<(2 * lanes)))
      value = LLVMBuildFAdd(ir.ref, low, high, "")!
    }
    return width == 1 ? value : LLVMBuildExtractElement(ir.ref, value, ir.int(0, ir.i32), "")!
  }

  func shuffle(_ vector: LLVMValueRef, _ positions: [Int]) -> LLVMValueRef {
    var mask: [LLVMValueRef?] = positions.map { ir.int($0, ir.i32) }
    let constant = mask.withUnsafeMutableBufferPointer { LLVMConstVector($0.baseAddress, UInt32(positions.count)) }
    return LLVMBuildShuffleVector(ir.ref, vector, LLVMGetUndef(LLVMTypeOf(vector)), constant, "")!
  }

  /// A row-major copy of a `rows × columns` operand read through `operand` (each batch).
  func rowMajorCopy(of operand: GemmOperand, rows: Int, columns: Int, batch: Int, dtype: DType) -> GemmOperand {
    let copies = operand.batchStride == 0 ? 1 : batch
    let destination = allocate(TensorType(dtype, known: [copies, rows, columns]))
    let scalar = ir.scalarType(dtype)
    ir.loop(copies) { bi in
      let source = ir.gep(scalar, operand.pointer, LLVMBuildMul(ir.ref, bi, ir.int(operand.batchStride), "")!)
      let target = ir.gep(scalar, destination, LLVMBuildMul(ir.ref, bi, ir.int(rows * columns), "")!)
      ir.loopNest([rows, columns]) { index in
        let value = ir.load(dtype, source, elementIndex(operand, rows: rows, columns: columns, index[0], index[1]))
        ir.store(dtype, value, target, ir.linearIndex(index, [columns, 1]))
      }
    }
    return GemmOperand(
      pointer: destination, transposed: false, batchStride: operand.batchStride == 0 ? 0 : rows * columns)
  }
}
