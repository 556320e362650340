// Loop-carried tensors updated in place. Each carried tensor of a loop lives in one buffer, its
// slot (ControlFlowLowering.swift); by default the value a body yields to a slot is computed in
// a buffer of its own and copied into the slot at the end of the iteration (a whole memmove of
// the state per iteration). Here the op that computes the yielded value writes it straight into
// the slot instead, when no read of the slot's old value can come after that write:
//   1. the value is yielded once, to slot s, and is a tensor of the slot's size;
//   2. every read of the body's argument for slot s — directly, through a reshape or a view that
//      aliases its buffer, or inside a value fused into a later consumer (read where that
//      consumer is lowered) — is lowered before the op, or is the op itself (or fused into it)
//      when the op is elementwise, which reads each element before it writes it.
// A gradient-descent step `p = p - lr * g(p)` then writes p once per iteration instead of twice;
// a weight adjoint accumulated over the iterations of a backward loop is added in place.

import CLLVM
import MindIR

extension FunctionLowering {
  /// The slot buffer of the carried value that `value` replaces, when its op may write there.
  func carriedSlot(for value: Value) -> LLVMValueRef? {
    guard let block = currentBlock, block !== function.body, let terminator = block.terminator,
      terminator.kind == .yield, let op = value.definingOp, !value.type.isScalar
    else { return nil }
    let slots = terminator.operands.indices.filter { terminator.operands[$0] == value }
    // A `for` body's arguments start with the induction variable.
    let offset = block.arguments.count - terminator.operands.count
    guard slots.count == 1, offset >= 0, let position = block.operations.firstIndex(where: { $0 === op }) else {
      return nil
    }
    let argument = block.arguments[slots[0] + offset]
    guard argument.type.byteCount == value.type.byteCount, let slot = values[argument] else { return nil }
    let writesElementwise = Self.isElementwise(op.kind)
    // Positions in the block of the ops that contain each op.
    var positions: [ObjectIdentifier: Int] = [:]
    func mark(_ ops: [Operation], at index: Int) {
      for inner in ops {
        positions[ObjectIdentifier(inner)] = index
        inner.regions.forEach { mark($0.operations, at: index) }
      }
    }
    for (index, candidate) in block.operations.enumerated() {
      positions[ObjectIdentifier(candidate)] = index
      candidate.regions.forEach { mark($0.operations, at: index) }
    }
    positions[ObjectIdentifier(terminator)] = block.operations.count
    /// Where `reader` reads its operands: at its consumer when it is fused or read in place.
    func readPosition(_ reader: Operation) -> Int {
      let at = positions[ObjectIdentifier(reader)] ?? Int.max
      guard reader.results.count == 1, let result = reader.results.first, fused.contains(result) else { return at }
      return (uses[result] ?? []).map(readPosition).max() ?? at
    }
    var aliases = [argument]
    var seen: Set<Value> = [argument]
    while let alias = aliases.popLast() {
      for reader in uses[alias] ?? [] {
        if reader.kind == .reshape || reader.results.first.map(gemmViews.contains) == true {
          for result in reader.results where seen.insert(result).inserted { aliases.append(result) }
        }
        let at = readPosition(reader)
        if at > position || (at == position && !writesElementwise) { return nil }
      }
    }
    return slot
  }
}
