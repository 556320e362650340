// Lowers one specialized MIR function to an LLVM function.
//
// Takes verified, concrete-shaped MIR. Guarantees an LLVM function with the signature
//     i32 @name(ptr %runtime, ptr %result0, ..., <parameters>)
// where scalar (rank-0) parameters are passed in registers and tensors as pointers to row-major
// buffers; results are written through the result pointers; the return value is 0, or 1 after a
// runtime error was reported to the host. Scalars live in registers (loop-carried ones in phis);
// tensor buffers are allocated once in the entry block (stack for small, heap for large) and freed
// at the single exit, so loops allocate nothing; top-level tensors share buffers by liveness
// (BufferReuse.swift), others get their own; `reshape` aliases its operand's buffer (MIR values
// are immutable).

import CLLVM
import MindFrontend
import MindIR
import MindJIT
import MindRuntime

final class FunctionLowering {
  let ir: IRBuilder
  let lowering: ModuleLowering
  let function: Function
  let llvmFunction: LLVMValueRef
  /// Scalars map to registers, tensors to buffer pointers.
  var values: [Value: LLVMValueRef] = [:]
  /// Tensors whose elementwise consumers read a register (splat constants, broadcast scalars).
  var scalarSplats: [Value: LLVMValueRef] = [:]
  var uses: [Value: [Operation]] = [:]
  /// Elementwise results computed inside their one consumer's loop (never stored).
  var fused: Set<Value> = []
  /// Returned tensors computed straight into the caller's result buffer (no final copy).
  var preassigned: [Value: LLVMValueRef] = [:]
  /// Transposes and broadcasts that BLAS products read in place (see GemmOperands.swift).
  var gemmViews: Set<Value> = []
  /// Sums computed by gemm accumulating a product into the other term, by the sum's value,
  /// and the products they absorb (see GemmAccumulation.swift).
  var accumulations: [Value: GemmAccumulation] = [:]
  var accumulatedProducts: Set<Value> = []
  /// Broadcasts that their elementwise readers read in place (see BroadcastViews.swift).
  var broadcastViews: [Value: BroadcastView] = [:]
  /// Whether `value` is computed where its readers are lowered, not at its own op (a fused
  /// elementwise value, a view gemm or elementwise code reads in place, a product a later sum
  /// accumulates), so that its operands are read there too.
  func isComputedAtReaders(_ value: Value) -> Bool {
    fused.contains(value) || gemmViews.contains(value) || accumulatedProducts.contains(value)
      || broadcastViews[value] != nil
  }
  /// Row groups by the position of their first op, the ops they lower, the full-size members
  /// kept in a scratch row and those rows' buffers, and the first element of the row being
  /// lowered (see RowGroups.swift).
  var rowGroups: [Int: RowGroup] = [:]
  var rowGrouped: Set<ObjectIdentifier> = []
  var rowLocal: Set<Value> = []
  var rowLocalBuffers: [Value: LLVMValueRef] = [:]
  var rowStart: LLVMValueRef?
  /// Pooled buffers of top-level tensors (see BufferReuse.swift).
  var bufferReuse = BufferReuse()
  /// The MIR block whose ops are being lowered.
  var currentBlock: Block?
  let allocationBuilder: LLVMBuilderRef
  let entryBlock: LLVMBasicBlockRef
  let exitBlock: LLVMBasicBlockRef
  var exitIncoming: [(LLVMValueRef, LLVMBasicBlockRef)] = []
  /// The call that allocates the heap buffers of one call of the function (one block for all
  /// of them, sized when the whole body is lowered), and the 64-byte aligned start inside it.
  var arena: (call: LLVMValueRef, start: LLVMValueRef)?
  var arenaBytes = 0
  var runtime: LLVMValueRef { LLVMGetParam(llvmFunction, 0) }
  var malloc: (LLVMValueRef, LLVMTypeRef) { ir.declare("malloc", ir.ptr, [ir.i64]) }

  static let stackLimit = 16 * 1024

  init(lowering: ModuleLowering, function: Function, llvmFunction: LLVMValueRef) {
    self.lowering = lowering
    self.ir = lowering.ir
    self.function = function
    self.llvmFunction = llvmFunction
    entryBlock = LLVMAppendBasicBlockInContext(ir.context, llvmFunction, "entry")!
    exitBlock = LLVMAppendBasicBlockInContext(ir.context, llvmFunction, "exit")!
    allocationBuilder = LLVMCreateBuilderInContext(ir.context)!
    LLVMPositionBuilderAtEnd(allocationBuilder, entryBlock)
  }

  deinit { LLVMDisposeBuilder(allocationBuilder) }

  func lower() throws {
    collectUses(function.body)
    planGemmAccumulation(function.body)
    planBroadcastViews(function.body)
    planFusion(function.body)
    let start = LLVMAppendBasicBlockInContext(ir.context, llvmFunction, "start")!
    ir.position(at: start)
    let savedMode = lowering.enterSubnormalMode(llvmFunction)
    // `start` ends with the check of the heap block, once its size is known (`checkArena`).
    let body = ir.block("body")
    ir.position(at: body)
    let resultCount = function.resultTypes.count
    // A tensor defined by an op of the body and returned once is built in the result buffer.
    let returned = function.body.terminator?.operands ?? []
    let topLevel = Set(function.body.operations.flatMap(\.results))
    for (i, value) in returned.enumerated()
    where !value.type.isScalar && topLevel.contains(value) && returned.filter({ $0 == value }).count == 1 {
      preassigned[value] = LLVMGetParam(llvmFunction, UInt32(1 + i))
    }
    for (i, parameter) in function.parameters.enumerated() {
      values[parameter] = LLVMGetParam(llvmFunction, UInt32(1 + resultCount + i))
    }
    planGemmViews(function.body)
    planBufferReuse(function.body)
    planRowGroups(function.body)
    try lowerBlock(function.body) { operands in
      for (i, operand) in operands.enumerated() {
        let destination = LLVMGetParam(self.llvmFunction, UInt32(1 + i))!
        if operand.type.isScalar {
          self.ir.store(operand.type.dtype, self.scalar(operand), destination, self.ir.int(0))
        } else {
          self.copy(operand, to: destination)
        }
      }
      self.exit(status: 0)
    }
    LLVMBuildBr(allocationBuilder, start)
    ir.position(at: start)
    checkArena()
    ir.branch(body)
    ir.position(at: exitBlock)
    let status = ir.phi(ir.i32, exitIncoming)
    releaseArena()
    if let savedMode { ir.restoreFloatingPointMode(savedMode) }
    LLVMBuildRet(ir.ref, status)
  }

  /// Sizes the heap block and frees it at the exit: for in-process code whose buffers fill 2 MiB
  /// or more, a block from the runtime's pool (LargeBlocks: faulted in when first mapped,
  /// recycled, so that no call after the first maps memory), else malloc's.
  func releaseArena() {
    guard let (call, _) = arena else { return }
    if lowering.inProcess && arenaBytes >= LargeBlocks.unit {
      // Pool blocks are aligned: no slack for alignment (which would round 4 MiB up to 6).
      let bytes = ir.int(arenaBytes)
      LLVMSetOperand(call, 0, bytes)
      LLVMSetOperand(call, 1, ir.declare("mind_take_block", ir.ptr, [ir.i64]).0)
      ir.call(ir.declare("mind_give_block", ir.void, [ir.ptr, ir.i64]), [call, bytes])
    } else {
      LLVMSetOperand(call, 0, ir.int(arenaBytes + 63))
      ir.call(ir.declare("free", ir.void, [ir.ptr]), [call])
    }
  }

  /// A heap block that could not be allocated is a runtime error (E6004) with its size, not
  /// a crash at the first store.
  func checkArena() {
    guard let (call, _) = arena else { return }
    let allocated = LLVMBuildICmp(ir.ref, LLVMIntNE, call, LLVMConstNull(ir.ptr), "")!
    check(
      allocated, code: "E6004",
      message: "out of memory: cannot allocate {0} bytes for the tensors of this function", at: function.location,
      ir.int(arenaBytes))
  }

  func collectUses(_ block: Block) {
    for op in block.operations {
      for operand in op.operands { uses[operand, default: []].append(op) }
      op.regions.forEach(collectUses)
    }
  }

  // MARK: - Fusion

  static func isElementwise(_ kind: OpKind) -> Bool {
    switch kind {
    case .unary, .binary, .compare, .select, .cast: return true
    default: return false
    }
  }

  /// Marks the elementwise tensor ops whose elements are computed inside their readers' loops
  /// instead of being stored, so that a chain such as `mean((p - t) ** 2)` is one vectorized
  /// loop with no intermediate buffer. Every reader must be an elementwise op or a reduction of
  /// the same block, and either
  /// - there is one reader, or
  /// - there are up to `recomputedReaders` and the value is large (at least `recomputedBytes`,
  ///   beyond what stays in a core's cache between two passes), and recomputing it in each reader
  ///   is cheaper than a pass over memory: computing one element (with what is fused into it)
  ///   costs at most `recomputedCost` and loads at most two full-size tensors. Storing it costs
  ///   a write and a read per reader of the whole tensor; the gradients of layer_norm, gelu and
  ///   softmax read `x - mean`, the normalized value, tanh and the adjoint's partial products two
  ///   to four times each (W13's LayerNorm + GELU gradient over 4096×1024 took half the time).
  func planFusion(_ block: Block) {
    let local = Set(block.operations.map(ObjectIdentifier.init))
    var costs = FusionCosts()
    for op in block.operations {
      op.regions.forEach(planFusion)
      guard Self.isElementwise(op.kind), !op.result.type.isScalar, accumulations[op.result] == nil,
        let users = uses[op.result], !users.isEmpty,
        users.allSatisfy({ local.contains(ObjectIdentifier($0)) && Self.readsElementwise($0.kind) })
      else {
        continue
      }
      if users.count == 1 {
        fused.insert(op.result)
        continue
      }
      guard op.result.type.byteCount >= Self.recomputedBytes, users.count <= Self.recomputedReaders else { continue }
      let (cost, streams) = costs.ifFused(op, self)
      if cost <= Self.recomputedCost && streams.count <= 2 { fused.insert(op.result) }
    }
  }

  static let recomputedBytes = 1 << 20
  static let recomputedReaders = 4
  static let recomputedCost = 64

  /// Whether computing `value`'s elements calls libm per element (then loops stay scalar).
  func needsLibraryCall(_ value: Value) -> Bool {
    guard fused.contains(value), let op = value.definingOp else { return false }
    return needsLibraryCall(op) || op.operands.contains(where: needsLibraryCall)
  }

  // MARK: - Values

  func scalar(_ value: Value) -> LLVMValueRef {
    if let v = values[value] { return v }
    preconditionFailure("scalar %\(value.id) used before lowering")
  }

  /// The buffer of a tensor value.
  func buffer(_ value: Value) -> LLVMValueRef {
    if let v = values[value] { return v }
    preconditionFailure("tensor %\(value.id) used before lowering")
  }

  /// Where elementwise code reads a tensor's elements from.
  enum ElementSource {
    /// A scalar register, or the register every element of a splat equals.
    case scalar(LLVMValueRef)
    case splat(LLVMValueRef)
    /// The op that computes the elements inside the consumer's loop.
    case fused(Operation)
    /// A broadcast's operand, read in place.
    case view(BroadcastView)
    /// The scratch row of a row-local member of a row group.
    case rowLocal(LLVMValueRef)
    case buffer(LLVMValueRef)
  }

  func elementSource(_ value: Value) -> ElementSource {
    if value.type.isScalar { return .scalar(scalar(value)) }
    if let splat = scalarSplats[value] { return .splat(splat) }
    if let pointer = rowLocalBuffers[value] { return .rowLocal(pointer) }
    if fused.contains(value), let op = value.definingOp { return .fused(op) }
    if let view = broadcastViews[value] { return .view(view) }
    return .buffer(buffer(value))
  }

  /// Element(s) `index` of a value as registers, for elementwise code.
  func element(_ value: Value, _ index: LLVMValueRef, width: Int) -> LLVMValueRef {
    switch elementSource(value) {
    case .scalar(let register), .splat(let register): return width == 1 ? register : ir.splat(register, width)
    case .fused(let op): return elementwise(op, op.operands.map { element($0, index, width: width) }, width: width)
    case .view(let view): return element(of: view, index, width: width)
    case .rowLocal(let pointer): return rowLocalElement(value, pointer, index, width: width)
    case .buffer(let pointer): return ir.load(value.type.dtype, pointer, index, width: width)
    }
  }

  /// The buffer a value's defining op writes: the caller's result buffer when the value is
  /// returned (see `preassigned`), else a pooled one (top-level values), the slot of the loop-carried
  /// value it replaces (CarriedInPlace.swift), or a new one.
  func buffer(for value: Value) -> LLVMValueRef {
    preassigned[value] ?? pooledBuffer(for: value) ?? carriedSlot(for: value) ?? allocate(value.type)
  }

  /// A new buffer for a tensor type, allocated in the entry block, 64-byte aligned (vector
  /// loads and stores of whole cache lines).
  func allocate(_ type: TensorType) -> LLVMValueRef {
    let bytes = max(type.byteCount, 1)
    if bytes <= Self.stackLimit {
      let array = LLVMArrayType2(ir.i8, UInt64(bytes))
      let slot = LLVMBuildAlloca(allocationBuilder, array, "buf")!
      LLVMSetAlignment(slot, 64)
      return slot
    }
    let offset = arenaBytes
    arenaBytes += (bytes + 63) & ~63
    var indices: [LLVMValueRef?] = [ir.int(offset)]
    return indices.withUnsafeMutableBufferPointer {
      LLVMBuildGEP2(allocationBuilder, ir.i8, arenaStart(), $0.baseAddress, 1, "buffer")!
    }
  }

  /// The start of the call's heap block: malloc (the size and allocator are set by
  /// `releaseArena`), then the first 64-byte boundary inside (glibc's aligned allocation of
  /// large blocks keeps faulting in new heap pages for a while when blocks are reused).
  func arenaStart() -> LLVMValueRef {
    if let arena { return arena.start }
    var arguments: [LLVMValueRef?] = [ir.int(0)]
    let call = arguments.withUnsafeMutableBufferPointer {
      LLVMBuildCall2(allocationBuilder, malloc.1, malloc.0, $0.baseAddress, 1, "heap")!
    }
    let address = LLVMBuildPtrToInt(allocationBuilder, call, ir.i64, "")!
    let aligned = LLVMBuildAnd(
      allocationBuilder, LLVMBuildAdd(allocationBuilder, address, ir.int(63), ""), ir.int(-64), "")!
    let start = LLVMBuildIntToPtr(allocationBuilder, aligned, ir.ptr, "heap.start")!
    arena = (call, start)
    return start
  }

  /// Writes a tensor's elements into `destination`: from its buffer, its splat register, or
  /// (for a fused value) computed in a loop.
  func copy(_ value: Value, to destination: LLVMValueRef) {
    if let splat = scalarSplats[value], values[value] == nil {
      fill(destination, value.type, splat)
      return
    }
    if fused.contains(value) || broadcastViews[value] != nil {
      let width = needsLibraryCall(value) ? 1 : lowering.vectorWidth(value.type.dtype)
      storeElements(of: value.type, into: destination, width: width, reads: [value]) { i, width in
        self.element(value, i, width: width)
      }
      return
    }
    let source = buffer(value)
    if source == destination { return }
    LLVMBuildMemMove(ir.ref, destination, 16, source, 16, ir.int(value.type.byteCount))
  }

  func fill(_ destination: LLVMValueRef, _ type: TensorType, _ scalar: LLVMValueRef) {
    let lanes = ir.splat(scalar, lowering.vectorWidth(type.dtype))
    storeElements(of: type, into: destination, width: lowering.vectorWidth(type.dtype)) { _, width in
      width == 1 ? scalar : lanes
    }
  }

  // MARK: - Exits and runtime errors

  func exit(status: Int) {
    exitIncoming.append((ir.int(status, ir.i32), ir.currentBlock))
    ir.branch(exitBlock)
  }

  /// Continues only when `condition` holds; otherwise reports `site` with two integers and
  /// leaves the function with status 1.
  func check(
    _ condition: LLVMValueRef, code: String, message: String, at location: SourceSpan, _ a: LLVMValueRef? = nil,
    _ b: LLVMValueRef? = nil
  ) {
    let site = lowering.addSite(code: code, message: message, location: location)
    let fail = ir.block("fail")
    let ok = ir.block("ok")
    ir.branch(if: condition, ok, else: fail)
    ir.position(at: fail)
    let report = ir.declare("mind_report_error", ir.void, [ir.ptr, ir.i64, ir.i64, ir.i64])
    ir.call(report, [runtime, ir.int(site), a ?? ir.int(0), b ?? ir.int(0)])
    exit(status: 1)
    ir.position(at: ok)
  }

  /// Leaves the function with `status` when it is not 0 (the callee has reported the error).
  func leave(ifFailed status: LLVMValueRef) {
    let failed = ir.block("call.failed")
    let ok = ir.block("call.ok")
    ir.branch(if: LLVMBuildICmp(ir.ref, LLVMIntEQ, status, ir.int(0, ir.i32), ""), ok, else: failed)
    ir.position(at: failed)
    exitIncoming.append((status, ir.currentBlock))
    ir.branch(exitBlock)
    ir.position(at: ok)
  }

  // MARK: - Blocks

  /// Lowers the ops of a block; its terminator's operands go to `terminator`.
  func lowerBlock(_ block: Block, terminator: ([Value]) throws -> Void) throws {
    let enclosing = currentBlock
    currentBlock = block
    defer { currentBlock = enclosing }
    var groupEnd = -1
    for (index, op) in block.operations.enumerated() where index > groupEnd {
      if op.kind == .yield || op.kind == .returnOp {
        try terminator(op.operands)
        return
      }
      if block === function.body, let group = rowGroups[index] {
        try lowerRowGroup(group, block.operations)
        groupEnd = group.last
        continue
      }
      if block === function.body { bufferReuse.position = index }
      try lower(op)
      if block === function.body { recycleBuffers(after: index, op) }
    }
  }

  func lower(_ op: Operation) throws {
    switch op.kind {
    case .constant(let data): lowerConstant(op, data)
    case .unary, .binary, .compare, .select, .cast:
      if let plan = accumulations[op.result] {
        lowerGemmAccumulation(op, plan)
      } else if !fused.contains(op.result) {
        lowerElementwise(op)
      }
    case .broadcast(let dims):
      if !gemmViews.contains(op.result) && broadcastViews[op.result] == nil { lowerBroadcast(op, dims: dims) }
    case .reshape: lowerReshape(op)
    case .reduce(let reduction, let axes): lowerReduce(op, reduction, axes: axes)
    case .argReduce(let isMax, let axis): lowerArgReduce(op, isMax: isMax, axis: axis)
    case .argsort(let descending): lowerArgsort(op, descending: descending)
    case .solve: lowerSolve(op)
    case .triangularSolve(let lower, let transposeA): lowerTriangularSolve(op, lower: lower, transposeA: transposeA)
    case .cholesky: lowerCholesky(op)
    case .eigh: lowerEigh(op)
    case .qr: lowerQR(op)
    case .slogdet: lowerSlogdet(op)
    case .transpose(let perm): if !gemmViews.contains(op.result) { lowerTranspose(op, perm: perm) }
    case .matmul: lowerMatmul(op)
    case .slice(let starts, let strides): lowerSlice(op, starts: starts, strides: strides)
    case .unslice(let starts, let strides): lowerUnslice(op, starts: starts, strides: strides)
    case .dynamicSlice: lowerDynamicSlice(op)
    case .dynamicUpdateSlice: lowerDynamicUpdateSlice(op)
    case .concat(let axis): lowerConcat(op, axis: axis)
    case .gather(let axis): lowerGather(op, axis: axis)
    case .scatterAdd(let axis): lowerScatterAdd(op, axis: axis)
    case .iota(let axis): lowerIota(op, axis: axis)
    case .random(let normal, let seed): lowerRandom(op, normal: normal, seed: seed)
    case .empty: values[op.result] = buffer(for: op.result)  // allocated, never written
    case .call(let callee): try lowerCall(op, callee)
    case .ifOp: try lowerIf(op)
    case .forOp: try lowerFor(op)
    case .whileOp: try lowerWhile(op)
    case .print(let pieces): lowerPrint(op, pieces)
    case .load(let path, let names): lowerLoad(op, path: path, names: names)
    case .save(let path, let names): lowerSave(op, path: path, names: names)
    case .assert(let code, let message):
      check(scalar(op.operands[0]), code: code, message: message, at: op.location)
    case .yield, .returnOp:
      preconditionFailure("terminator inside a block")
    }
  }

  /// A tensor with at least one non-elementwise consumer needs a real buffer.
  func needsBuffer(_ value: Value) -> Bool {
    for use in uses[value] ?? [] {
      switch use.kind {
      case .unary, .binary, .compare, .select, .cast: continue
      default: return true
      }
    }
    return false
  }

  func lowerConstant(_ op: Operation, _ data: ConstantData) {
    let type = op.result.type
    if type.isScalar {
      values[op.result] = ir.constant(data.element(0), type.dtype)
      return
    }
    switch data {
    case .splat(let v):
      let register = ir.constant(v, type.dtype)
      scalarSplats[op.result] = register
      if needsBuffer(op.result) {
        let destination = allocate(type)
        fill(destination, type, register)
        values[op.result] = destination
      }
    case .dense(let elements):
      values[op.result] = lowering.constantArray(elements, type.dtype)
    }
  }

  func lowerReshape(_ op: Operation) {
    let (x, result) = (op.operands[0], op.result)
    switch (x.type.isScalar, result.type.isScalar) {
    case (true, true): values[result] = scalar(x)
    case (false, true): values[result] = element(x, ir.int(0), width: 1)
    case (true, false):
      let destination = buffer(for: result)
      ir.store(x.type.dtype, scalar(x), destination, ir.int(0))
      values[result] = destination
    case (false, false):
      if let splat = scalarSplats[x] { scalarSplats[result] = splat }
      if let v = values[x] {
        values[result] = v
      } else if needsBuffer(result) {
        let destination = buffer(for: result)
        fill(destination, result.type, scalarSplats[x]!)
        values[result] = destination
      }
    }
  }

  func lowerPrint(_ op: Operation, _ pieces: [PrintPiece]) {
    let printText = ir.declare("mind_print_text", ir.void, [ir.ptr, ir.ptr, ir.i64])
    let printTensor = ir.declare("mind_print_tensor", ir.void, [ir.ptr, ir.ptr, ir.i32, ir.i64, ir.ptr])
    var operands = op.operands[...]
    for piece in pieces {
      switch piece {
      case .text(let text):
        ir.call(printText, [runtime, ir.globalString(text), ir.int(text.utf8.count)])
      case .operand:
        let value = operands.removeFirst()
        let kind = ElementKind.of(value.type.dtype).rawValue
        if value.type.isScalar {
          let slot = LLVMBuildAlloca(allocationBuilder, ir.memoryType(value.type.dtype), "print")!
          ir.store(value.type.dtype, scalar(value), slot, ir.int(0))
          ir.call(printTensor, [runtime, slot, ir.int(Int(kind), ir.i32), ir.int(0), LLVMConstNull(ir.ptr)])
        } else {
          let data = values[value] ?? materialize(value)
          let extents = lowering.constantArray(value.type.extents.map(Double.init), .i64)
          ir.call(printTensor, [runtime, data, ir.int(Int(kind), ir.i32), ir.int(value.type.rank), extents])
        }
      }
    }
    ir.call(ir.declare("mind_print_end", ir.void, [ir.ptr]), [runtime])
  }

  /// A buffer for a splat-only tensor, filled where it is needed.
  func materialize(_ value: Value) -> LLVMValueRef {
    let destination = allocate(value.type)
    fill(destination, value.type, scalarSplats[value]!)
    return destination
  }

  func lowerCall(_ op: Operation, _ callee: String) throws {
    let target = try lowering.declaration(of: callee)
    var arguments: [LLVMValueRef] = [runtime]
    var resultSlots: [LLVMValueRef] = []
    for result in op.results {
      let slot =
        result.type.isScalar
        ? LLVMBuildAlloca(allocationBuilder, ir.memoryType(result.type.dtype), "ret")! : buffer(for: result)
      resultSlots.append(slot)
      arguments.append(slot)
    }
    for operand in op.operands {
      arguments.append(operand.type.isScalar ? scalar(operand) : (values[operand] ?? materialize(operand)))
    }
    leave(ifFailed: ir.call(target, arguments))
    for (result, slot) in zip(op.results, resultSlots) {
      values[result] = result.type.isScalar ? ir.load(result.type.dtype, slot, ir.int(0)) : slot
    }
  }
}

extension ElementKind {
  /// The runtime's name for a MIR element type.
  public static func of(_ dtype: DType) -> ElementKind {
    switch dtype {
    case .f32: return .f32
    case .f64: return .f64
    case .i32: return .i32
    case .i64: return .i64
    case .bool: return .bool
    }
  }
}
