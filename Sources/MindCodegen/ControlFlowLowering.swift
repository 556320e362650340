// Structured control flow: `if` becomes a diamond, `for` and `while` a loop with a header.
// Scalar results and carried scalars are phis; tensor results and carried tensors live in
// buffers that each branch or iteration writes (a carried tensor that is yielded in another
// carried slot is first staged, so swaps are correct). A loop starts with a copy of each initial
// tensor in its slot, except from an `empty` tensor, whose contents are unspecified, or from a
// tensor that dies at the loop, whose buffer becomes the slot (CarriedInPlace.swift).

import CLLVM
import MindIR

extension FunctionLowering {
  func lowerIf(_ op: Operation) throws {
    let condition = scalar(op.operands[0])
    let thenBlock = ir.block("then")
    let elseBlock = ir.block("else")
    let merge = ir.block("endif")
    let buffers = op.results.map { $0.type.isScalar ? nil : allocate($0.type) }
    var incoming: [[(LLVMValueRef, LLVMBasicBlockRef)]] = Array(repeating: [], count: op.results.count)
    ir.branch(if: condition, thenBlock, else: elseBlock)
    for (region, block) in zip(op.regions, [thenBlock, elseBlock]) {
      ir.position(at: block)
      try lowerBlock(region) { yielded in
        for (i, value) in yielded.enumerated() {
          if let destination = buffers[i] {
            self.copy(value, to: destination)
          } else {
            incoming[i].append((self.scalar(value), self.ir.currentBlock))
          }
        }
        self.ir.branch(merge)
      }
    }
    ir.position(at: merge)
    for (i, result) in op.results.enumerated() {
      values[result] = buffers[i] ?? ir.phi(ir.scalarType(result.type.dtype), incoming[i])
    }
  }

  /// Carried state of a loop: phis for scalars (created in `header`), buffers for tensors.
  struct Carried {
    var slots: [LLVMValueRef]
    var isScalar: [Bool]
  }

  func enterLoop(_ op: Operation, initial: [Value], preheader: LLVMBasicBlockRef, header: LLVMBasicBlockRef)
    -> Carried
  {
    let types = op.results.map(\.type)
    // Initial tensor values are copied in the preheader; scalar phis start in the header.
    var slots: [LLVMValueRef] = []
    var isScalar: [Bool] = []
    var buffers: [LLVMValueRef?] = []
    for (type, value) in zip(types, initial) {
      if type.isScalar {
        buffers.append(nil)
      } else if value.definingOp?.kind == .empty {
        // Nothing to copy: the slot is the empty tensor's own buffer when this loop is its only reader.
        buffers.append(uses[value]?.count == 1 ? buffer(value) : allocate(type))
      } else if let donated = donatedBuffer(value, to: op) {
        buffers.append(donated)
      } else {
        let destination = allocate(type)
        copy(value, to: destination)
        buffers.append(destination)
      }
    }
    ir.branch(header)
    ir.position(at: header)
    for (i, (type, value)) in zip(types, initial).enumerated() {
      if let destination = buffers[i] {
        slots.append(destination)
        isScalar.append(false)
      } else {
        slots.append(ir.phi(ir.scalarType(type.dtype), [(scalar(value), preheader)]))
        isScalar.append(true)
      }
    }
    return Carried(slots: slots, isScalar: isScalar)
  }

  /// Writes the next carried values at the end of an iteration.
  func advance(_ carried: Carried, _ next: [Value]) {
    // Stage tensor values that live in another carried buffer, so that writes do not clobber
    // values still to be read.
    var sources: [LLVMValueRef?] = []
    for (i, value) in next.enumerated() {
      guard !carried.isScalar[i] else {
        sources.append(nil)
        continue
      }
      if let source = values[value],
        carried.slots.enumerated().contains(where: { $0.offset != i && $0.element == source })
      {
        let staging = allocate(value.type)
        copy(value, to: staging)
        sources.append(staging)
      } else {
        sources.append(values[value])
      }
    }
    for (i, value) in next.enumerated() {
      if carried.isScalar[i] {
        ir.addIncoming(carried.slots[i], [(scalar(value), ir.currentBlock)])
      } else if let source = sources[i] {
        if source != carried.slots[i] {
          LLVMBuildMemMove(ir.ref, carried.slots[i], 16, source, 16, ir.int(value.type.byteCount))
        }
      } else {
        copy(value, to: carried.slots[i])
      }
    }
  }

  func lowerFor(_ op: Operation) throws {
    let lower = scalar(op.operands[0])
    let upper = scalar(op.operands[1])
    let initial = Array(op.operands.dropFirst(2))
    let region = op.regions[0]
    let preheader = ir.currentBlock
    let header = ir.block("for")
    let body = ir.block("for.body")
    let exit = ir.block("for.end")
    let carried = enterLoop(op, initial: initial, preheader: preheader, header: header)
    let index = ir.phi(ir.i64, [(lower, preheader)])
    ir.branch(if: LLVMBuildICmp(ir.ref, LLVMIntSLT, index, upper, ""), body, else: exit)
    ir.position(at: body)
    values[region.arguments[0]] = index
    for (argument, slot) in zip(region.arguments.dropFirst(), carried.slots) { values[argument] = slot }
    try lowerBlock(region) { next in
      self.advance(carried, next)
      self.ir.addIncoming(index, [(LLVMBuildAdd(self.ir.ref, index, self.ir.int(1), "")!, self.ir.currentBlock)])
      self.ir.branch(header)
    }
    ir.position(at: exit)
    for (result, slot) in zip(op.results, carried.slots) { values[result] = slot }
  }

  func lowerWhile(_ op: Operation) throws {
    let preheader = ir.currentBlock
    let header = ir.block("while")
    let body = ir.block("while.body")
    let exit = ir.block("while.end")
    let carried = enterLoop(op, initial: op.operands, preheader: preheader, header: header)
    for (argument, slot) in zip(op.regions[0].arguments, carried.slots) { values[argument] = slot }
    try lowerBlock(op.regions[0]) { condition in
      self.ir.branch(if: self.scalar(condition[0]), body, else: exit)
    }
    ir.position(at: body)
    for (argument, slot) in zip(op.regions[1].arguments, carried.slots) { values[argument] = slot }
    try lowerBlock(op.regions[1]) { next in
      self.advance(carried, next)
      self.ir.branch(header)
    }
    ir.position(at: exit)
    for (result, slot) in zip(op.results, carried.slots) { values[result] = slot }
  }
}
