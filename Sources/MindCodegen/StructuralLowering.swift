// Ops that move or combine elements: broadcast, reductions, transpose, matmul, slices, concat,
// gather, iota and random. Each is a loop nest over static extents with strides computed at
// compile time; index checks of the dynamic ones report E6001 with the offending index.

import CLLVM
import MindFrontend
import MindIR

extension FunctionLowering {
  func lowerBroadcast(_ op: Operation, dims: [Int]) {
    let (x, result) = (op.operands[0], op.result)
    if x.type.isScalar || scalarSplats[x] != nil {
      let register = x.type.isScalar ? scalar(x) : scalarSplats[x]!
      scalarSplats[result] = register
      if needsBuffer(result) {
        let destination = buffer(for: result)
        fill(destination, result.type, register)
        values[result] = destination
      }
      return
    }
    let source = buffer(x)
    let destination = buffer(for: result)
    values[result] = destination
    let sourceStrides = rowMajorStrides(x.type.extents)
    var strides = [Int](repeating: 0, count: result.type.rank)
    for (i, d) in dims.enumerated() { strides[d] = sourceStrides[i] }
    let resultStrides = rowMajorStrides(result.type.extents)
    let dtype = x.type.dtype
    ir.loopNest(result.type.extents) { indices in
      let v = ir.load(dtype, source, ir.linearIndex(indices, strides))
      ir.store(dtype, v, destination, ir.linearIndex(indices, resultStrides))
    }
  }

  func identity(_ reduction: ReduceOp, _ dtype: DType) -> Double {
    switch reduction {
    case .sum: return 0
    case .prod: return 1
    case .max:
      return dtype.isFloat
        ? -.infinity : dtype == .i32 ? Double(Int32.min) : dtype == .bool ? 0 : -9.223372036854775808e18
    case .min:
      return dtype.isFloat
        ? .infinity : dtype == .i32 ? Double(Int32.max) : dtype == .bool ? 1 : 9.223372036854775807e18
    }
  }

  func combine(_ reduction: ReduceOp, _ a: LLVMValueRef, _ b: LLVMValueRef, _ dtype: DType) -> LLVMValueRef {
    let kind: BinaryOp
    switch reduction {
    case .sum: kind = .add
    case .prod: kind = .mul
    case .max: kind = dtype == .bool ? .or : .max
    case .min: kind = dtype == .bool ? .and : .min
    }
    let float = dtype.isFloat
    switch kind {
    case .add:
      return dtype == .bool
        ? LLVMBuildOr(ir.ref, a, b, "") : float ? LLVMBuildFAdd(ir.ref, a, b, "") : LLVMBuildAdd(ir.ref, a, b, "")
    case .mul:
      return dtype == .bool
        ? LLVMBuildAnd(ir.ref, a, b, "") : float ? LLVMBuildFMul(ir.ref, a, b, "") : LLVMBuildMul(ir.ref, a, b, "")
    case .max:
      return float
        ? ir.intrinsic("llvm.maximum", [a, b])
        : LLVMBuildSelect(ir.ref, LLVMBuildICmp(ir.ref, LLVMIntSGT, a, b, ""), a, b, "")
    case .min:
      return float
        ? ir.intrinsic("llvm.minimum", [a, b])
        : LLVMBuildSelect(ir.ref, LLVMBuildICmp(ir.ref, LLVMIntSLT, a, b, ""), a, b, "")
    case .or: return LLVMBuildOr(ir.ref, a, b, "")
    default: return LLVMBuildAnd(ir.ref, a, b, "")
    }
  }

  func lowerReduce(_ op: Operation, _ reduction: ReduceOp, axes: [Int]) {
    let (x, result) = (op.operands[0], op.result)
    let dtype = x.type.dtype
    if result.type.isScalar {
      values[result] = reduceAll(x, reduction)
      return
    }
    let destination = buffer(for: result)
    values[result] = destination
    let rank = x.type.rank
    if axes == Array((rank - axes.count)..<rank) {
      // Trailing axes: each result element reduces one contiguous run, with vectors.
      let run = axes.map { x.type.extents[$0] }.reduce(1, *)
      ir.loop(result.type.elementCount) { o in
        let total = reduceRange(x, reduction, from: LLVMBuildMul(ir.ref, o, ir.int(run), "")!, count: run)
        ir.store(dtype, total, destination, o)
      }
      return
    }
    fill(destination, result.type, ir.constant(identity(reduction, dtype), dtype))
    let resultStrides = rowMajorStrides(result.type.extents)
    var strides: [Int] = []
    var k = 0
    for axis in 0..<x.type.rank {
      if axes.contains(axis) {
        strides.append(0)
      } else {
        strides.append(resultStrides[k])
        k += 1
      }
    }
    let inputStrides = rowMajorStrides(x.type.extents)
    ir.loopNest(x.type.extents) { indices in
      let v = element(x, ir.linearIndex(indices, inputStrides), width: 1)
      let at = ir.linearIndex(indices, strides)
      ir.store(dtype, combine(reduction, ir.load(dtype, destination, at), v, dtype), destination, at)
    }
  }

  /// Reduces every element to a register.
  func reduceAll(_ x: Value, _ reduction: ReduceOp) -> LLVMValueRef {
    reduceRange(x, reduction, from: ir.int(0), count: x.type.elementCount)
  }

  /// Reduces the contiguous elements base..<base+count to a register: vector accumulators over
  /// the body, lanes combined at the end, then the scalar tail.
  func reduceRange(_ x: Value, _ reduction: ReduceOp, from base: LLVMValueRef, count: Int) -> LLVMValueRef {
    let dtype = x.type.dtype
    let width = dtype == .bool || needsLibraryCall(x) ? 1 : lowering.vectorWidth(dtype)
    let vectorEnd = width > 1 ? count - count % width : 0
    var total = ir.constant(identity(reduction, dtype), dtype)
    let at = { (i: LLVMValueRef) in LLVMBuildAdd(self.ir.ref, base, i, "")! }
    if vectorEnd > 0 {
      let slot = LLVMBuildAlloca(allocationBuilder, ir.type(dtype, width: width), "acc")!
      LLVMBuildStore(ir.ref, ir.constant(identity(reduction, dtype), dtype, width: width), slot)
      ir.loop(ir.int(0), ir.int(vectorEnd), step: width) { i in
        let accumulated = LLVMBuildLoad2(ir.ref, ir.type(dtype, width: width), slot, "")!
        LLVMBuildStore(ir.ref, combine(reduction, accumulated, element(x, at(i), width: width), dtype), slot)
      }
      let lanes = LLVMBuildLoad2(ir.ref, ir.type(dtype, width: width), slot, "")!
      for lane in 0..<width {
        total = combine(reduction, total, LLVMBuildExtractElement(ir.ref, lanes, ir.int(lane, ir.i32), ""), dtype)
      }
    }
    if vectorEnd < count {
      let slot = LLVMBuildAlloca(allocationBuilder, ir.scalarType(dtype), "acc")!
      LLVMBuildStore(ir.ref, total, slot)
      ir.loop(ir.int(vectorEnd), ir.int(count)) { i in
        let accumulated = LLVMBuildLoad2(ir.ref, ir.scalarType(dtype), slot, "")!
        LLVMBuildStore(ir.ref, combine(reduction, accumulated, element(x, at(i), width: 1), dtype), slot)
      }
      total = LLVMBuildLoad2(ir.ref, ir.scalarType(dtype), slot, "")
    }
    return total
  }

  func lowerArgReduce(_ op: Operation, isMax: Bool, axis: Int) {
    let (x, result) = (op.operands[0], op.result)
    let dtype = x.type.dtype
    let extents = x.type.extents
    let strides = rowMajorStrides(extents)
    var outer = extents
    outer.remove(at: axis)
    var outerStrides = strides
    outerStrides.remove(at: axis)
    let resultStrides = rowMajorStrides(outer)
    let destination = result.type.isScalar ? nil : allocate(result.type)
    let bestIndex = LLVMBuildAlloca(allocationBuilder, ir.i64, "best")!
    let bestValue = LLVMBuildAlloca(allocationBuilder, ir.scalarType(dtype), "bestv")!
    var scalarResult: LLVMValueRef?
    ir.loopNest(outer) { indices in
      let base = ir.linearIndex(indices, outerStrides)
      LLVMBuildStore(ir.ref, ir.int(0), bestIndex)
      LLVMBuildStore(ir.ref, element(x, base, width: 1), bestValue)
      ir.loop(ir.int(1), ir.int(extents[axis])) { k in
        let at = LLVMBuildAdd(ir.ref, base, LLVMBuildMul(ir.ref, k, ir.int(strides[axis]), ""), "")!
        let v = element(x, at, width: 1)
        let best = LLVMBuildLoad2(ir.ref, ir.scalarType(dtype), bestValue, "")!
        let better: LLVMValueRef
        if dtype.isFloat {
          better = LLVMBuildFCmp(ir.ref, isMax ? LLVMRealOGT : LLVMRealOLT, v, best, "")
        } else {
          better = LLVMBuildICmp(
            ir.ref, isMax ? (dtype == .bool ? LLVMIntUGT : LLVMIntSGT) : (dtype == .bool ? LLVMIntULT : LLVMIntSLT), v,
            best, "")
        }
        LLVMBuildStore(ir.ref, LLVMBuildSelect(ir.ref, better, v, best, ""), bestValue)
        LLVMBuildStore(
          ir.ref, LLVMBuildSelect(ir.ref, better, k, LLVMBuildLoad2(ir.ref, ir.i64, bestIndex, ""), ""), bestIndex)
      }
      let index = LLVMBuildLoad2(ir.ref, ir.i64, bestIndex, "")!
      if let destination {
        ir.store(.i64, index, destination, ir.linearIndex(indices, resultStrides))
      } else {
        scalarResult = index
      }
    }
    values[result] = destination ?? scalarResult!
  }

  func lowerTranspose(_ op: Operation, perm: [Int]) {
    let (x, result) = (op.operands[0], op.result)
    let source = buffer(x)
    let destination = buffer(for: result)
    values[result] = destination
    let inputStrides = rowMajorStrides(x.type.extents)
    let strides = perm.map { inputStrides[$0] }
    let resultStrides = rowMajorStrides(result.type.extents)
    ir.loopNest(result.type.extents) { indices in
      let v = ir.load(x.type.dtype, source, ir.linearIndex(indices, strides))
      ir.store(x.type.dtype, v, destination, ir.linearIndex(indices, resultStrides))
    }
  }

  /// Products at least this large (m·n·k) call OpenBLAS; smaller ones use the loop nest below,
  /// whose call-free code wins for the tiny matrices of scalar-heavy programs.
  static let blasThreshold = 32 * 32 * 32

  /// `[B..., M, K] x [B..., K, N]`: OpenBLAS gemm per batch for large products, register tiles
  /// for small floating-point ones (SmallMatmul.swift); integer products accumulate, for each
  /// batch and row, rows of B scaled by A's elements (i-k-j order).
  func lowerMatmul(_ op: Operation) {
    // A product added to another tensor is computed by the sum (GemmAccumulation.swift).
    if accumulatedProducts.contains(op.result) { return }
    let (a, b, result) = (op.operands[0], op.operands[1], op.result)
    let dtype = result.type.dtype
    let destination = buffer(for: result)
    values[result] = destination
    if isBlasMatmul(op) {
      callGemm(op, into: destination, accumulate: false)
      return
    }
    if dtype.isFloat {
      lowerSmallMatmul(op, into: destination, accumulate: false)
      return
    }
    let r = a.type.rank
    let (m, k, n) = (a.type.extents[r - 2], a.type.extents[r - 1], b.type.extents[r - 1])
    let batch = Array(a.type.extents[..<(r - 2)]).reduce(1, *)
    let lhs = values[a] ?? materialize(a)
    let rhs = values[b] ?? materialize(b)
    fill(destination, result.type, ir.constant(0, dtype))
    ir.loop(batch) { bi in
      let aBase = LLVMBuildMul(ir.ref, bi, ir.int(m * k), "")!
      let bBase = LLVMBuildMul(ir.ref, bi, ir.int(k * n), "")!
      let cBase = LLVMBuildMul(ir.ref, bi, ir.int(m * n), "")!
      ir.loop(m) { i in
        let rowA = LLVMBuildAdd(ir.ref, aBase, LLVMBuildMul(ir.ref, i, ir.int(k), ""), "")!
        let rowC = LLVMBuildAdd(ir.ref, cBase, LLVMBuildMul(ir.ref, i, ir.int(n), ""), "")!
        ir.loop(k) { p in
          let scale = ir.load(dtype, lhs, LLVMBuildAdd(ir.ref, rowA, p, ""))
          let rowB = LLVMBuildAdd(ir.ref, bBase, LLVMBuildMul(ir.ref, p, ir.int(n), ""), "")!
          ir.loop(n) { j in
            let at = LLVMBuildAdd(ir.ref, rowC, j, "")!
            let product = LLVMBuildFMul(ir.ref, scale, ir.load(dtype, rhs, LLVMBuildAdd(ir.ref, rowB, j, "")), "")!
            ir.store(dtype, LLVMBuildFAdd(ir.ref, ir.load(dtype, destination, at), product, ""), destination, at)
          }
        }
      }
    }
  }

  func lowerSlice(_ op: Operation, starts: [Int], strides sliceStrides: [Int]) {
    let (x, result) = (op.operands[0], op.result)
    let source = values[x] ?? materialize(x)
    let destination = buffer(for: result)
    values[result] = destination
    let inputStrides = rowMajorStrides(x.type.extents)
    let offset = zip(starts, inputStrides).map(*).reduce(0, +)
    let strides = zip(sliceStrides, inputStrides).map(*)
    let resultStrides = rowMajorStrides(result.type.extents)
    ir.loopNest(result.type.extents) { indices in
      let v = ir.load(x.type.dtype, source, ir.linearIndex(indices, strides, offset: offset))
      ir.store(x.type.dtype, v, destination, ir.linearIndex(indices, resultStrides))
    }
  }

  func lowerUnslice(_ op: Operation, starts: [Int], strides sliceStrides: [Int]) {
    let (g, result) = (op.operands[0], op.result)
    let destination = buffer(for: result)
    values[result] = destination
    fill(destination, result.type, ir.constant(0, result.type.dtype))
    let resultStrides = rowMajorStrides(result.type.extents)
    let offset = zip(starts, resultStrides).map(*).reduce(0, +)
    let strides = zip(sliceStrides, resultStrides).map(*)
    let sourceStrides = rowMajorStrides(g.type.extents)
    ir.loopNest(g.type.extents) { indices in
      let v = element(g, ir.linearIndex(indices, sourceStrides), width: 1)
      ir.store(result.type.dtype, v, destination, ir.linearIndex(indices, strides, offset: offset))
    }
  }

  /// Runtime window offsets, negative ones counted from the end, checked to fit.
  func windowOffsets(_ offsets: [Value], extents: [Int], window: [Int], location: SourceSpan) -> [LLVMValueRef] {
    var result: [LLVMValueRef] = []
    for (axis, offset) in offsets.enumerated() {
      let raw = scalar(offset)
      let negative = LLVMBuildICmp(ir.ref, LLVMIntSLT, raw, ir.int(0), "")!
      let normalized = LLVMBuildSelect(ir.ref, negative, LLVMBuildAdd(ir.ref, raw, ir.int(extents[axis]), ""), raw, "")!
      let inRange = LLVMBuildAnd(
        ir.ref, LLVMBuildICmp(ir.ref, LLVMIntSGE, normalized, ir.int(0), ""),
        LLVMBuildICmp(ir.ref, LLVMIntSLE, normalized, ir.int(extents[axis] - window[axis]), ""), "")!
      check(
        inRange, code: "E6001", message: "index {0} is out of bounds for axis \(axis) with size {1}", at: location, raw,
        ir.int(extents[axis]))
      result.append(normalized)
    }
    return result
  }

  func lowerDynamicSlice(_ op: Operation) {
    let (x, result) = (op.operands[0], op.result)
    let source = values[x] ?? materialize(x)
    let offsets = windowOffsets(
      Array(op.operands.dropFirst()), extents: x.type.extents, window: result.type.extents, location: op.location)
    let destination = buffer(for: result)
    values[result] = destination
    let inputStrides = rowMajorStrides(x.type.extents)
    let base = ir.linearIndex(offsets, inputStrides)
    let resultStrides = rowMajorStrides(result.type.extents)
    ir.loopNest(result.type.extents) { indices in
      let at = LLVMBuildAdd(ir.ref, base, ir.linearIndex(indices, inputStrides), "")!
      ir.store(x.type.dtype, ir.load(x.type.dtype, source, at), destination, ir.linearIndex(indices, resultStrides))
    }
  }

  /// Whether `dynamic_update_slice %x, ...` can write into x's buffer: x is a loop-carried
  /// argument whose other reads all come before this op (the `dynamic_slice` of the window that a
  /// windowed adjoint sum adds to, WindowAdjoints.swift), and the result is yielded as the next
  /// value of that same slot (how differentiation records a loop's states and accumulates such
  /// sums), so nothing else sees the old contents.
  func updatesInPlace(_ op: Operation) -> Bool {
    guard let block = currentBlock, let terminator = block.terminator, terminator.kind == .yield,
      let argument = block.arguments.firstIndex(of: op.operands[0]),
      let users = uses[op.result], users.count == 1, users[0] === terminator,
      let slot = terminator.operands.firstIndex(of: op.result), values[op.operands[0]] != nil,
      let position = block.operations.firstIndex(where: { $0 === op })
    else { return false }
    // A `for` body's arguments start with the induction variable.
    let offset = block.arguments.count == terminator.operands.count ? 0 : 1
    guard argument == slot + offset else { return false }
    return ReadPositions(self, block).readers(of: op.operands[0]).allSatisfy { $0.op === op || $0.at < position }
  }

  func lowerDynamicUpdateSlice(_ op: Operation) {
    let (x, update, result) = (op.operands[0], op.operands[1], op.result)
    let inPlace = updatesInPlace(op)
    let destination = inPlace ? values[x]! : buffer(for: result)
    values[result] = destination
    if !inPlace { copy(x, to: destination) }
    let offsets = windowOffsets(
      Array(op.operands.dropFirst(2)), extents: x.type.extents, window: update.type.extents, location: op.location)
    let strides = rowMajorStrides(x.type.extents)
    let base = ir.linearIndex(offsets, strides)
    let updateStrides = rowMajorStrides(update.type.extents)
    ir.loopNest(update.type.extents) { indices in
      let at = LLVMBuildAdd(ir.ref, base, ir.linearIndex(indices, strides), "")!
      ir.store(x.type.dtype, element(update, ir.linearIndex(indices, updateStrides), width: 1), destination, at)
    }
  }

  func lowerConcat(_ op: Operation, axis: Int) {
    let result = op.result
    let destination = buffer(for: result)
    values[result] = destination
    let resultStrides = rowMajorStrides(result.type.extents)
    var offset = 0
    for operand in op.operands {
      let strides = rowMajorStrides(operand.type.extents)
      ir.loopNest(operand.type.extents) { indices in
        let v = element(operand, ir.linearIndex(indices, strides), width: 1)
        ir.store(
          result.type.dtype, v, destination,
          ir.linearIndex(indices, resultStrides, offset: offset * resultStrides[axis]))
      }
      offset += operand.type.extents[axis]
    }
  }

  /// An element of an index tensor, negative values counted from the end, checked to be in
  /// range (E6001 otherwise).
  func checkedIndex(
    _ indices: Value, at position: LLVMValueRef, extent: Int, what: String, axis: Int, location: SourceSpan
  ) -> LLVMValueRef {
    let raw = indices.type.isScalar ? scalar(indices) : element(indices, position, width: 1)
    let negative = LLVMBuildICmp(ir.ref, LLVMIntSLT, raw, ir.int(0), "")!
    let i = LLVMBuildSelect(ir.ref, negative, LLVMBuildAdd(ir.ref, raw, ir.int(extent), ""), raw, "")!
    let inRange = LLVMBuildAnd(
      ir.ref, LLVMBuildICmp(ir.ref, LLVMIntSGE, i, ir.int(0), ""),
      LLVMBuildICmp(ir.ref, LLVMIntSLT, i, ir.int(extent), ""), "")!
    check(
      inRange, code: "E6001", message: "\(what) {0} is out of bounds for axis \(axis) with size {1}", at: location, raw,
      ir.int(extent))
    return i
  }

  /// For gather and scatter-add: a position in the indexed tensor's space (its axes before
  /// `axis`, then the index tensor's, then the rest) becomes a position in the data tensor, whose
  /// `axis` is the (checked) index read at the index tensor's part of the position.
  func indexedPosition(
    _ position: [LLVMValueRef], _ indices: Value, _ indexStrides: [Int], axis: Int, extent: Int, what: String,
    location: SourceSpan
  ) -> [LLVMValueRef] {
    let indexRank = indices.type.rank
    let selector = Array(position[axis..<(axis + indexRank)])
    let i = checkedIndex(
      indices, at: ir.linearIndex(selector, indexStrides), extent: extent, what: what, axis: axis, location: location)
    return Array(position[..<axis]) + [i] + Array(position[(axis + indexRank)...])
  }

  func lowerGather(_ op: Operation, axis: Int) {
    let (x, indices, result) = (op.operands[0], op.operands[1], op.result)
    let source = values[x] ?? materialize(x)
    let destination = buffer(for: result)
    values[result] = destination
    let extents = x.type.extents
    let inputStrides = rowMajorStrides(extents)
    let indexStrides = rowMajorStrides(indices.type.extents)
    let resultStrides = rowMajorStrides(result.type.extents)
    ir.loopNest(result.type.extents) { position in
      let sourceIndices = indexedPosition(
        position, indices, indexStrides, axis: axis, extent: extents[axis], what: "gather index", location: op.location)
      let v = ir.load(x.type.dtype, source, ir.linearIndex(sourceIndices, inputStrides))
      ir.store(x.type.dtype, v, destination, ir.linearIndex(position, resultStrides))
    }
  }

  func lowerScatterAdd(_ op: Operation, axis: Int) {
    let (updates, indices, result) = (op.operands[0], op.operands[1], op.result)
    let destination = buffer(for: result)
    values[result] = destination
    let dtype = result.type.dtype
    fill(destination, result.type, ir.constant(0, dtype))
    let extents = result.type.extents
    let resultStrides = rowMajorStrides(extents)
    let indexStrides = rowMajorStrides(indices.type.extents)
    let updateStrides = rowMajorStrides(updates.type.extents)
    ir.loopNest(updates.type.extents) { position in
      let target = ir.linearIndex(
        indexedPosition(
          position, indices, indexStrides, axis: axis, extent: extents[axis], what: "scatter index",
          location: op.location),
        resultStrides)
      let v = element(updates, ir.linearIndex(position, updateStrides), width: 1)
      let sum =
        dtype.isFloat
        ? LLVMBuildFAdd(ir.ref, ir.load(dtype, destination, target), v, "")!
        : LLVMBuildAdd(ir.ref, ir.load(dtype, destination, target), v, "")!
      ir.store(dtype, sum, destination, target)
    }
  }

  func lowerIota(_ op: Operation, axis: Int) {
    let result = op.result
    let destination = buffer(for: result)
    values[result] = destination
    let strides = rowMajorStrides(result.type.extents)
    ir.loopNest(result.type.extents) { indices in
      let v = cast(indices[axis], from: .i64, to: result.type.dtype, width: 1)
      ir.store(result.type.dtype, v, destination, ir.linearIndex(indices, strides))
    }
  }

  func lowerRandom(_ op: Operation, normal: Bool, seed: UInt64) {
    let result = op.result
    let dtype = result.type.dtype
    let destination = allocate(result.type)
    let fill = ir.declare("mind_random_fill", ir.void, [ir.ptr, ir.i64, ir.i64, ir.i32, ir.i32])
    ir.call(
      fill,
      [
        destination, ir.int(result.type.elementCount), LLVMConstInt(ir.i64, seed, 0), ir.int(normal ? 1 : 0, ir.i32),
        ir.int(dtype == .f64 ? 1 : 0, ir.i32),
      ])
    values[result] = result.type.isScalar ? ir.load(dtype, destination, ir.int(0)) : destination
  }
}
