// Large elementwise loops on several threads. The loop that stores a tensor's elements is
// outlined into an internal function `void body(ptr context, i64 begin, i64 end)` over a range
// of elements; the values it reads (buffer pointers, scalar registers, splat registers of the
// enclosing function) are passed through `context`, an array of 8-byte slots on the caller's
// stack, and the call goes through the runtime's `mind_parallel_for`, which splits the range
// across threads (MindRuntime/ParallelFor.swift) and returns when every chunk is done.
//
// Only in-process code does this (the JIT and the Swift API): objects from `mind build` must not
// depend on the runtime, so their loops stay on the caller's thread. Elementwise code reads and
// writes element i only, so chunks never touch each other's elements.

import CLLVM
import MindIR

extension FunctionLowering {
  /// Elementwise loops of at least this many elements are split across threads (below, the
  /// cost of waking workers, ~10-30 µs, outweighs the gain).
  static let parallelThreshold = 1 << 17

  func runsInParallel(_ count: Int) -> Bool { lowering.inProcess && count >= Self.parallelThreshold }

  /// The values `element` reaches from `reads` that hold registers or buffers of this function,
  /// with the register (or buffer pointer) it reads.
  func leaves(of reads: [Value]) -> [(value: Value, register: LLVMValueRef, isSplat: Bool)] {
    var leaves: [(Value, LLVMValueRef, Bool)] = []
    var seen: Set<Value> = []
    func collect(_ value: Value) {
      // A scratch row belongs to the loop that reads it (RowGroups.swift).
      guard seen.insert(value).inserted, !rowLocal.contains(value) else { return }
      switch elementSource(value) {
      case .fused(let op): op.operands.forEach(collect)
      case .view(let view): collect(view.operand)
      case .scalar(let register), .buffer(let register): leaves.append((value, register, false))
      case .splat(let register): leaves.append((value, register, true))
      case .rowLocal: break
      }
    }
    reads.forEach(collect)
    return leaves
  }

  func parallelStoreElements(
    of type: TensorType, into destination: LLVMValueRef, width: Int, reads: [Value],
    _ compute: (LLVMValueRef, Int) -> LLVMValueRef
  ) {
    // Chunks start at multiples of 64 elements (whole cache lines, whole vectors).
    parallelFor(count: type.elementCount, step: 64, reads: reads, registers: [destination]) { begin, end, inside in
      storeRange(type.dtype, into: inside[0], width: width, from: begin, to: end, compute)
    }
  }

  /// Runs `body(begin, end, registers)` over chunks of [0, count) on the runtime's threads
  /// (chunk starts multiples of `step`). The body is outlined into its own function: what it
  /// reads of this function (the leaves of `reads`, and `registers`, given to it as that
  /// function's copies) comes through a context array on the caller's stack, and the
  /// allocations it makes (accumulators, scratch) are that function's.
  func parallelFor(
    count: Int, step: Int, reads: [Value], registers: [LLVMValueRef],
    _ body: (_ begin: LLVMValueRef, _ end: LLVMValueRef, _ registers: [LLVMValueRef]) -> Void
  ) {
    let leaves = leaves(of: reads)
    var captured: [LLVMValueRef] = []
    for register in registers + leaves.map(\.register)
    where LLVMIsConstant(register) == 0 && !captured.contains(register) {
      captured.append(register)
    }
    let slots = LLVMBuildArrayAlloca(allocationBuilder, ir.i64, ir.int(max(captured.count, 1)), "context")!
    for (k, value) in captured.enumerated() { LLVMBuildStore(ir.ref, value, ir.gep(ir.i64, slots, ir.int(k))) }

    // The outlined loop. Its entry block has the context's loads and the allocations the body
    // makes, then branches to the body's code.
    let caller = ir.currentBlock
    let function = ir.declare(lowering.newParallelBodyName(), ir.void, [ir.ptr, ir.i64, ir.i64]).0
    LLVMSetLinkage(function, LLVMInternalLinkage)
    let entry = LLVMAppendBasicBlockInContext(ir.context, function, "entry")!
    let code = LLVMAppendBasicBlockInContext(ir.context, function, "code")!
    ir.position(at: entry)
    let context = LLVMGetParam(function, 0)!
    let savedMode = lowering.enterSubnormalMode(function)
    var inside: [LLVMValueRef: LLVMValueRef] = [:]
    for (k, value) in captured.enumerated() {
      inside[value] = LLVMBuildLoad2(ir.ref, LLVMTypeOf(value), ir.gep(ir.i64, context, ir.int(k)), "")!
    }
    let (savedValues, savedSplats) = (values, scalarSplats)
    for leaf in leaves {
      guard let mapped = inside[leaf.register] else { continue }
      if leaf.isSplat { scalarSplats[leaf.value] = mapped } else { values[leaf.value] = mapped }
    }
    LLVMPositionBuilderAtEnd(allocationBuilder, entry)
    ir.position(at: code)
    body(LLVMGetParam(function, 1), LLVMGetParam(function, 2), registers.map { inside[$0] ?? $0 })
    if let savedMode { ir.restoreFloatingPointMode(savedMode) }
    LLVMBuildRetVoid(ir.ref)
    LLVMBuildBr(allocationBuilder, code)
    LLVMPositionBuilderAtEnd(allocationBuilder, entryBlock)
    (values, scalarSplats) = (savedValues, savedSplats)
    ir.position(at: caller)
    let run = ir.declare("mind_parallel_for", ir.void, [ir.ptr, ir.ptr, ir.i64, ir.i64])
    ir.call(run, [function, slots, ir.int(count), ir.int(step)])
  }
}

extension ModuleLowering {
  func newParallelBodyName() -> String {
    parallelBodyCount += 1
    return "mind.parallel.\(parallelBodyCount)"
  }
}
