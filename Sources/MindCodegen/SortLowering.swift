// argsort: each row along the last axis is sorted by a bitonic network on (key, index) pairs in
// two scratch buffers of m = the next power of two above the row's extent. The network's
// log2(m)·(log2(m) + 1)/2 stages are unrolled here (the extent is static), each one loop over the
// m/2 pairs it compares, with no branch on the data, so the cost is the same for every input:
// m·log²m/4 compare-exchanges per row. Ties are broken by the index, which makes the order total
// and the sort stable; NaN sorts after every number ascending and before every number descending,
// as NumPy and JAX place it; the padding positions beyond the row (index >= extent) come after
// everything whatever their keys. The result is the row's index permutation (i64).

import CLLVM
import MindIR

extension FunctionLowering {
  func lowerArgsort(_ op: Operation, descending: Bool) {
    let (x, result) = (op.operands[0], op.result)
    let dtype = x.type.dtype
    let n = x.type.extents.last!
    let destination = allocate(result.type)
    values[result] = destination
    guard n > 0 else { return }
    let rows = x.type.elementCount / n
    var m = 1
    while m < n { m *= 2 }
    let keys = allocate(TensorType(dtype, known: [m]))
    let order = allocate(TensorType(.i64, known: [m]))
    let b = ir.ref
    ir.loop(rows) { row in
      let base = LLVMBuildMul(b, row, ir.int(n), "")!
      ir.loop(m) { i in
        // Padding positions read the row's first element (any key will do).
        let inRow = LLVMBuildICmp(b, LLVMIntSLT, i, ir.int(n), "")!
        let at = LLVMBuildAdd(b, base, LLVMBuildSelect(b, inRow, i, ir.int(0), "")!, "")!
        ir.store(dtype, element(x, at, width: 1), keys, i)
        ir.store(.i64, i, order, i)
      }
      var k = 2
      while k <= m {
        var j = k / 2
        while j >= 1 {
          compareExchange(keys, order, dtype, m: m, n: n, k: k, j: j, descending: descending)
          j /= 2
        }
        k *= 2
      }
      ir.loop(n) { i in
        ir.store(.i64, ir.load(.i64, order, i), destination, LLVMBuildAdd(b, base, i, "")!)
      }
    }
  }

  /// One stage of the network: every pair (low, low + j) with bit j of low clear, put in order
  /// within blocks of k ascending where bit k of low is clear and descending where it is set.
  private func compareExchange(
    _ keys: LLVMValueRef, _ order: LLVMValueRef, _ dtype: DType, m: Int, n: Int, k: Int, j: Int, descending: Bool
  ) {
    let b = ir.ref
    let shift = j.trailingZeroBitCount
    ir.loop(m / 2) { p in
      // low = (p with a zero inserted at bit `shift`).
      let upperBits = LLVMBuildShl(b, LLVMBuildLShr(b, p, ir.int(shift), "")!, ir.int(shift + 1), "")!
      let low = LLVMBuildOr(b, upperBits, LLVMBuildAnd(b, p, ir.int(j - 1), "")!, "")!
      let high = LLVMBuildOr(b, low, ir.int(j), "")!
      let (ka, kb) = (ir.load(dtype, keys, low), ir.load(dtype, keys, high))
      let (ia, ib) = (ir.load(.i64, order, low), ir.load(.i64, order, high))
      let ascendingBlock = LLVMBuildICmp(b, LLVMIntEQ, LLVMBuildAnd(b, low, ir.int(k), "")!, ir.int(0), "")!
      let bFirst = precedes(kb, ib, ka, ia, dtype, n: n, descending: descending)
      let aFirst = LLVMBuildNot(b, bFirst, "")!
      let swap = LLVMBuildSelect(b, ascendingBlock, bFirst, aFirst, "")!
      ir.store(dtype, LLVMBuildSelect(b, swap, kb, ka, "")!, keys, low)
      ir.store(dtype, LLVMBuildSelect(b, swap, ka, kb, "")!, keys, high)
      ir.store(.i64, LLVMBuildSelect(b, swap, ib, ia, "")!, order, low)
      ir.store(.i64, LLVMBuildSelect(b, swap, ia, ib, "")!, order, high)
    }
  }

  /// Whether (key a, index ia) comes before (key b, index ib) in the sorted row (a strict total
  /// order: keys, NaN at the end ascending or the start descending, then indices; padding last).
  private func precedes(
    _ a: LLVMValueRef, _ ia: LLVMValueRef, _ c: LLVMValueRef, _ ic: LLVMValueRef, _ dtype: DType, n: Int,
    descending: Bool
  ) -> LLVMValueRef {
    let b = ir.ref
    let indexFirst = LLVMBuildICmp(b, LLVMIntSLT, ia, ic, "")!
    let padding = LLVMBuildOr(
      b, LLVMBuildICmp(b, LLVMIntSGE, ia, ir.int(n), "")!, LLVMBuildICmp(b, LLVMIntSGE, ic, ir.int(n), "")!, "")!
    let keyFirst: LLVMValueRef
    let tie: LLVMValueRef
    if dtype.isFloat {
      let aNaN = LLVMBuildFCmp(b, LLVMRealUNO, a, a, "")!
      let cNaN = LLVMBuildFCmp(b, LLVMRealUNO, c, c, "")!
      let ordered = LLVMBuildFCmp(b, descending ? LLVMRealOGT : LLVMRealOLT, a, c, "")!
      let nanFirst =
        descending
        ? LLVMBuildAnd(b, aNaN, LLVMBuildNot(b, cNaN, "")!, "")!
        : LLVMBuildAnd(b, LLVMBuildNot(b, aNaN, "")!, cNaN, "")!
      keyFirst = LLVMBuildOr(b, ordered, nanFirst, "")!
      tie = LLVMBuildOr(b, LLVMBuildFCmp(b, LLVMRealOEQ, a, c, "")!, LLVMBuildAnd(b, aNaN, cNaN, "")!, "")!
    } else {
      keyFirst = LLVMBuildICmp(b, descending ? LLVMIntSGT : LLVMIntSLT, a, c, "")!
      tie = LLVMBuildICmp(b, LLVMIntEQ, a, c, "")!
    }
    let real = LLVMBuildOr(b, keyFirst, LLVMBuildAnd(b, tie, indexFirst, "")!, "")!
    return LLVMBuildSelect(b, padding, indexFirst, real, "")!
  }
}
