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
// Likewise a loop takes the buffer of an initial tensor that dies at it as its slot instead of
// copying it (`donatedBuffer`): nested backward loops then pass an accumulator down and back up
// without a copy at each level.

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
    guard slots.count == 1, offset >= 0 else { return nil }
    let argument = block.arguments[slots[0] + offset]
    guard argument.type.byteCount == value.type.byteCount, let slot = values[argument],
      let position = block.operations.firstIndex(where: { $0 === op })
    else { return nil }
    let writesElementwise = Self.isElementwise(op.kind)
    for reader in ReadPositions(self, block).readers(of: argument)
    where reader.at > position || (reader.at == position && !writesElementwise) {
      return nil
    }
    return slot
  }

  /// The buffer of a loop's initial tensor when the loop may take it as the slot, with no copy:
  /// the value's buffer is its own (the result of an op of this block that is not a constant or a
  /// view, or an argument of the loop body being lowered), nothing reads it — directly or through
  /// a view — at or after the loop, and the loop reads it once, as this initial value.
  func donatedBuffer(_ value: Value, to loop: Operation) -> LLVMValueRef? {
    guard !value.type.isScalar, let block = currentBlock, let pointer = values[value], scalarSplats[value] == nil,
      !fused.contains(value), !gemmViews.contains(value), loop.operands.filter({ $0 == value }).count == 1,
      let position = block.operations.firstIndex(where: { $0 === loop })
    else { return nil }
    if let op = value.definingOp {
      guard block.operations.contains(where: { $0 === op }) else { return nil }
      if case .constant = op.kind { return nil }
      if op.kind == .reshape { return nil }
    } else if !isLoopBody(block, owning: value) {
      return nil
    }
    for reader in ReadPositions(self, block).readers(of: value)
    where reader.at >= position && (reader.op !== loop || reader.isAlias) {
      return nil
    }
    return pointer
  }

  /// Whether `argument` is a carried value of the loop body `block` (not a function parameter,
  /// and not an argument of a `while` condition, whose slot the body reads after it).
  func isLoopBody(_ block: Block, owning argument: Value) -> Bool {
    guard block !== function.body, block.arguments.contains(argument), let terminator = block.terminator,
      terminator.kind == .yield
    else { return false }
    let yielded = terminator.operands.map(\.type)
    let carried = block.arguments.map(\.type)
    return yielded == carried || yielded == Array(carried.dropFirst())
  }
}

/// Where the ops of a block read their operands, for deciding whether a buffer may be written:
/// an op nested in a region reads at the position of the op that contains it, and a value
/// computed where its readers are lowered (fused, a gemm view, an accumulated product) reads
/// where its last reader is.
struct ReadPositions {
  let lowering: FunctionLowering
  var positions: [ObjectIdentifier: Int] = [:]

  init(_ lowering: FunctionLowering, _ block: Block) {
    self.lowering = lowering
    func mark(_ ops: [Operation], at index: Int, into positions: inout [ObjectIdentifier: Int]) {
      for inner in ops {
        positions[ObjectIdentifier(inner)] = index
        for region in inner.regions { mark(region.operations, at: index, into: &positions) }
      }
    }
    for (index, op) in block.operations.enumerated() {
      positions[ObjectIdentifier(op)] = index
      for region in op.regions { mark(region.operations, at: index, into: &positions) }
    }
    if let terminator = block.terminator { positions[ObjectIdentifier(terminator)] = block.operations.count }
  }

  func position(of reader: Operation) -> Int {
    let at = positions[ObjectIdentifier(reader)] ?? Int.max
    guard reader.results.count == 1, let result = reader.results.first, lowering.isComputedAtReaders(result) else {
      return at
    }
    return (lowering.uses[result] ?? []).map(position).max() ?? at
  }

  /// Every op that reads `value`'s buffer — directly, or through a reshape or a view that gemm
  /// reads in place — with where it reads; `isAlias` when it reads through such a view.
  func readers(of value: Value) -> [(op: Operation, isAlias: Bool, at: Int)] {
    var out: [(op: Operation, isAlias: Bool, at: Int)] = []
    var pending: [(Value, Bool)] = [(value, false)]
    var seen: Set<Value> = [value]
    while let (alias, isAlias) = pending.popLast() {
      for reader in lowering.uses[alias] ?? [] {
        if reader.kind == .reshape || reader.results.first.map(lowering.gemmViews.contains) == true {
          for result in reader.results where seen.insert(result).inserted { pending.append((result, true)) }
        }
        out.append((reader, isAlias, position(of: reader)))
      }
    }
    return out
  }
}
