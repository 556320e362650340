// Broadcasts read in place by their elementwise consumers. A broadcast whose every reader is an
// elementwise op or a reduction of the same block (the consumers fusion computes inside their
// loops) is not written out: its readers load the operand's element for each result element.
// For the broadcasts layer_norm and softmax make (a row's statistic over the row's elements, or
// a bias over the rows), a full-size pass over memory and its buffer are saved per broadcast.
//
// It applies when the broadcast axes are one run of consecutive result axes: the result is then
// [L, S, T] (L and T the products of the repeated axes before and after the run, S the
// operand's element count) and element i reads operand element (i / T) mod S. A vector of
// lanes i ..< i + w (i a multiple of w, as every elementwise and reduction loop steps) reads one
// operand element when w divides T (a splat), or w consecutive ones when T = 1 and w divides S;
// the plan requires one of the two for the widest vector, so every narrower one qualifies too.
// Other broadcasts are written out (StructuralLowering's lowerBroadcast).

import CLLVM
import MindIR

/// Where the elements of a broadcast read in place come from.
struct BroadcastView {
  let operand: Value
  /// T: the result's elements per operand element, consecutive.
  let repeats: Int
  /// S: the operand's element count.
  let count: Int
  /// Whether L > 1: the operand's elements are read again for each of L blocks.
  let wraps: Bool
}

extension FunctionLowering {
  /// Finds the broadcasts of `block` (and nested blocks) read in place. Runs before fusion
  /// planning (which weighs what recomputing a value loads) and buffer reuse (a view's operand
  /// is read at the view's readers).
  func planBroadcastViews(_ block: Block) {
    let local = Set(block.operations.map(ObjectIdentifier.init))
    let widest = lowering.target.f32VectorWidth
    for op in block.operations {
      op.regions.forEach(planBroadcastViews)
      guard case .broadcast(let dims) = op.kind, let operand = op.operands.first, !operand.type.isScalar,
        let first = dims.first, dims == Array(first..<first + dims.count),
        let users = uses[op.result], !users.isEmpty,
        users.allSatisfy({ local.contains(ObjectIdentifier($0)) && Self.readsElementwise($0.kind) })
      else { continue }
      let extents = op.result.type.extents
      guard operand.type.extents == dims.map({ extents[$0] }) else { continue }
      let repeats = extents[(first + dims.count)...].reduce(1, *)
      let count = operand.type.elementCount
      guard repeats % widest == 0 || (repeats == 1 && count % widest == 0) else { continue }
      broadcastViews[op.result] = BroadcastView(
        operand: operand, repeats: repeats, count: count, wraps: op.result.type.elementCount > count * repeats)
    }
  }

  /// Whether an op reads its tensor operands element by element (through `element`).
  static func readsElementwise(_ kind: OpKind) -> Bool {
    switch kind {
    case .unary, .binary, .compare, .select, .cast, .reduce: return true
    default: return false
    }
  }

  /// Elements index ..< index + width of a broadcast read in place.
  func element(of view: BroadcastView, _ index: LLVMValueRef, width: Int) -> LLVMValueRef {
    var at = index
    if view.repeats > 1 { at = LLVMBuildUDiv(ir.ref, at, ir.int(view.repeats), "")! }
    if view.wraps { at = LLVMBuildURem(ir.ref, at, ir.int(view.count), "")! }
    let source = element(view.operand, at, width: view.repeats > 1 ? 1 : width)
    return view.repeats > 1 && width > 1 ? ir.splat(source, width) : source
  }
}
