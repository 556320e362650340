// Adjoint sums with a term that is zero outside a window.
//
// The adjoint of a dynamic slice `x[i]` is `dynamic_update_slice(0, g, i)`: a tensor of x's
// shape, zero but for the window. Added to x's other adjoint contributions as it is, every such
// read costs a fill and an add of the whole of x — per iteration when a loop reads one row of a
// tensor per step (a layer's weights, a time step's input, the forward sweep's tape), which makes
// a backward loop quadratic in the trip count. `addAdjoint` adds the window only:
// `s + dynamic_update_slice(0, g, i)` is `dynamic_update_slice(s, dynamic_slice(s, i) + g, i)`,
// which codegen performs in place when s dies there (a loop's carried accumulator).
// Outside the window the sum keeps s's elements exactly (s + 0 = s but for the sign of a zero).

import MindIR

extension ReverseMode {
  /// `sum + contribution`, touching only the window when either term is a zero tensor with a
  /// window written into it. `referenced`: values the caller still holds besides these two.
  func addAdjoint(_ sum: Value, _ contribution: Value, referenced: Set<Value>) -> Value {
    for (base, windowed) in [(sum, contribution), (contribution, sum)] {
      guard let (update, offsets) = zeroOutsideWindow(windowed), base.type == windowed.type else { continue }
      let current = builder.value(.dynamicSlice, [base] + offsets, type: update.type)
      let added = builder.value(.dynamicUpdateSlice, [base, builder.binary(.add, current, update)] + offsets)
      discardIfUnused(windowed, referenced: referenced)
      return added
    }
    return builder.binary(.add, sum, contribution)
  }

  /// The window and its offsets when `value` is `dynamic_update_slice(splat 0, window, offsets)`.
  func zeroOutsideWindow(_ value: Value) -> (window: Value, offsets: [Value])? {
    guard let op = value.definingOp, op.kind == .dynamicUpdateSlice, let base = op.operands[0].definingOp,
      case .constant(.splat(0)) = base.kind
    else { return nil }
    return (op.operands[1], Array(op.operands.dropFirst(2)))
  }

  /// Removes the op defining `value` from the block being built when nothing there reads it and
  /// the caller holds it nowhere else. Its only effect, the check of its offsets, is the check of
  /// the sum that replaces it.
  func discardIfUnused(_ value: Value, referenced: Set<Value>) {
    guard !referenced.contains(value), let op = value.definingOp,
      builder.block.operations.contains(where: { $0 === op }),
      !builder.block.operations.contains(where: { reads($0, value) })
    else { return }
    builder.block.operations.removeAll { $0 === op }
  }

  func reads(_ op: Operation, _ value: Value) -> Bool {
    op.operands.contains(value) || op.regions.contains { $0.operations.contains { reads($0, value) } }
  }
}
