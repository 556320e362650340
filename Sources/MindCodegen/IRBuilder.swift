// A thin Swift layer over LLVM's IR builder: types, constants, arithmetic, memory, intrinsics
// looked up by name (their IDs change between LLVM majors), and counted loops.

import CLLVM
import MindIR
import MindJIT

final class IRBuilder {
  let module: LLVMModule
  let ref: LLVMBuilderRef
  var context: LLVMContextRef { module.context }

  init(module: LLVMModule) {
    self.module = module
    ref = LLVMCreateBuilderInContext(module.context)
  }

  deinit { LLVMDisposeBuilder(ref) }

  // MARK: Types

  var void: LLVMTypeRef { LLVMVoidTypeInContext(context) }
  var i1: LLVMTypeRef { LLVMInt1TypeInContext(context) }
  var i8: LLVMTypeRef { LLVMInt8TypeInContext(context) }
  var i32: LLVMTypeRef { LLVMInt32TypeInContext(context) }
  var i64: LLVMTypeRef { LLVMInt64TypeInContext(context) }
  var f32: LLVMTypeRef { LLVMFloatTypeInContext(context) }
  var f64: LLVMTypeRef { LLVMDoubleTypeInContext(context) }
  var ptr: LLVMTypeRef { LLVMPointerTypeInContext(context, 0) }

  /// The register type of an element (bool is i1).
  func scalarType(_ dtype: DType) -> LLVMTypeRef {
    switch dtype {
    case .f32: return f32
    case .f64: return f64
    case .i32: return i32
    case .i64: return i64
    case .bool: return i1
    }
  }

  /// The in-memory type of an element (bool is one byte).
  func memoryType(_ dtype: DType) -> LLVMTypeRef { dtype == .bool ? i8 : scalarType(dtype) }

  func vector(_ element: LLVMTypeRef, _ width: Int) -> LLVMTypeRef { LLVMVectorType(element, UInt32(width)) }

  func type(_ dtype: DType, width: Int) -> LLVMTypeRef {
    width == 1 ? scalarType(dtype) : vector(scalarType(dtype), width)
  }

  // MARK: Constants

  func int(_ v: Int, _ type: LLVMTypeRef? = nil) -> LLVMValueRef {
    LLVMConstInt(type ?? i64, UInt64(bitPattern: Int64(v)), 1)
  }

  func constant(_ v: Double, _ dtype: DType, width: Int = 1) -> LLVMValueRef {
    let scalar: LLVMValueRef
    switch dtype {
    case .f32, .f64: scalar = LLVMConstReal(scalarType(dtype), v)
    case .i32, .i64: scalar = LLVMConstInt(scalarType(dtype), Self.integerBits(v), 1)
    case .bool: scalar = LLVMConstInt(i1, v != 0 ? 1 : 0, 0)
    }
    return width == 1 ? scalar : splat(scalar, width)
  }

  /// The two's-complement bits of an integer stored as a Double, saturating at the i64 range.
  static func integerBits(_ v: Double) -> UInt64 {
    if v.isNaN { return 0 }
    if v >= 9.223372036854775807e18 { return UInt64(bitPattern: Int64.max) }
    if v <= -9.223372036854775808e18 { return UInt64(bitPattern: Int64.min) }
    return UInt64(bitPattern: Int64(v))
  }

  func splat(_ scalar: LLVMValueRef, _ width: Int) -> LLVMValueRef {
    var elements = [LLVMValueRef?](repeating: scalar, count: width)
    if LLVMIsConstant(scalar) != 0 {
      return elements.withUnsafeMutableBufferPointer { LLVMConstVector($0.baseAddress, UInt32(width)) }
    }
    let undef = LLVMGetUndef(vector(LLVMTypeOf(scalar), width))
    let first = LLVMBuildInsertElement(ref, undef, scalar, int(0, i32), "")
    elements = [LLVMValueRef?](repeating: int(0, i32), count: width)
    let mask = elements.withUnsafeMutableBufferPointer { LLVMConstVector($0.baseAddress, UInt32(width)) }
    return LLVMBuildShuffleVector(ref, first, undef, mask, "")
  }

  // MARK: Memory

  func gep(_ type: LLVMTypeRef, _ base: LLVMValueRef, _ index: LLVMValueRef) -> LLVMValueRef {
    var indices: [LLVMValueRef?] = [index]
    return indices.withUnsafeMutableBufferPointer { LLVMBuildInBoundsGEP2(ref, type, base, $0.baseAddress, 1, "") }
  }

  /// Loads element(s) of `dtype` at `index`, `width` lanes wide; bools are widened bytes.
  func load(_ dtype: DType, _ base: LLVMValueRef, _ index: LLVMValueRef, width: Int = 1) -> LLVMValueRef {
    let memory = width == 1 ? memoryType(dtype) : vector(memoryType(dtype), width)
    let address = gep(memoryType(dtype), base, index)
    let value = LLVMBuildLoad2(ref, memory, address, "")!
    LLVMSetAlignment(value, UInt32(dtype.byteSize))
    return dtype == .bool ? LLVMBuildTrunc(ref, value, type(.bool, width: width), "") : value
  }

  func store(_ dtype: DType, _ value: LLVMValueRef, _ base: LLVMValueRef, _ index: LLVMValueRef, width: Int = 1) {
    let address = gep(memoryType(dtype), base, index)
    let stored = dtype == .bool ? LLVMBuildZExt(ref, value, width == 1 ? i8 : vector(i8, width), "")! : value
    let instruction = LLVMBuildStore(ref, stored, address)
    LLVMSetAlignment(instruction, UInt32(dtype.byteSize))
  }

  // MARK: Functions and calls

  func declare(_ name: String, _ result: LLVMTypeRef, _ parameters: [LLVMTypeRef]) -> (LLVMValueRef, LLVMTypeRef) {
    var params: [LLVMTypeRef?] = parameters
    let type = params.withUnsafeMutableBufferPointer {
      LLVMFunctionType(result, $0.baseAddress, UInt32(parameters.count), 0)!
    }
    if let existing = LLVMGetNamedFunction(module.ref, name) { return (existing, type) }
    return (LLVMAddFunction(module.ref, name, type), type)
  }

  @discardableResult
  func call(_ function: (LLVMValueRef, LLVMTypeRef), _ arguments: [LLVMValueRef]) -> LLVMValueRef {
    var args: [LLVMValueRef?] = arguments
    return args.withUnsafeMutableBufferPointer {
      LLVMBuildCall2(ref, function.1, function.0, $0.baseAddress, UInt32(arguments.count), "")
    }
  }

  /// Calls an overloaded intrinsic such as `llvm.exp` on values of `type`.
  func intrinsic(_ name: String, _ arguments: [LLVMValueRef], overloads: [LLVMTypeRef]? = nil) -> LLVMValueRef {
    let id = LLVMLookupIntrinsicID(name, name.utf8.count)
    precondition(id != 0, "unknown intrinsic \(name)")
    var types: [LLVMTypeRef?] = overloads ?? [LLVMTypeOf(arguments[0])]
    let declaration = types.withUnsafeMutableBufferPointer {
      LLVMGetIntrinsicDeclaration(module.ref, id, $0.baseAddress, $0.count)!
    }
    let type = types.withUnsafeMutableBufferPointer { LLVMIntrinsicGetType(context, id, $0.baseAddress, $0.count)! }
    return call((declaration, type), arguments)
  }

  // MARK: Control flow

  var currentFunction: LLVMValueRef { LLVMGetBasicBlockParent(LLVMGetInsertBlock(ref)) }
  var currentBlock: LLVMBasicBlockRef { LLVMGetInsertBlock(ref) }

  func block(_ name: String) -> LLVMBasicBlockRef {
    LLVMAppendBasicBlockInContext(context, currentFunction, name)
  }

  func position(at block: LLVMBasicBlockRef) { LLVMPositionBuilderAtEnd(ref, block) }

  func branch(_ target: LLVMBasicBlockRef) { LLVMBuildBr(ref, target) }

  func branch(if condition: LLVMValueRef, _ then: LLVMBasicBlockRef, else other: LLVMBasicBlockRef) {
    LLVMBuildCondBr(ref, condition, then, other)
  }

  func phi(_ type: LLVMTypeRef, _ incoming: [(LLVMValueRef, LLVMBasicBlockRef)]) -> LLVMValueRef {
    let node = LLVMBuildPhi(ref, type, "")!
    addIncoming(node, incoming)
    return node
  }

  func addIncoming(_ phi: LLVMValueRef, _ incoming: [(LLVMValueRef, LLVMBasicBlockRef)]) {
    var values: [LLVMValueRef?] = incoming.map(\.0)
    var blocks: [LLVMBasicBlockRef?] = incoming.map(\.1)
    values.withUnsafeMutableBufferPointer { v in
      blocks.withUnsafeMutableBufferPointer { b in
        LLVMAddIncoming(phi, v.baseAddress, b.baseAddress, UInt32(incoming.count))
      }
    }
  }

  /// `for i in lower..<upper step stride { body(i) }` over i64.
  func loop(_ lower: LLVMValueRef, _ upper: LLVMValueRef, step: Int = 1, _ body: (LLVMValueRef) throws -> Void) rethrows
  {
    let preheader = currentBlock
    if LLVMIsAConstantInt(lower) != nil, LLVMIsAConstantInt(upper) != nil {
      // Static bounds: emit the loop already rotated (test at the bottom), which spares LLVM's
      // loop passes most of their work on functions with many loops.
      let from = LLVMConstIntGetSExtValue(lower)
      let to = LLVMConstIntGetSExtValue(upper)
      guard to > from else { return }
      let bodyBlock = block("body")
      let exit = block("done")
      branch(bodyBlock)
      position(at: bodyBlock)
      let index = LLVMBuildPhi(ref, i64, "i")!
      addIncoming(index, [(lower, preheader)])
      try body(index)
      let next = LLVMBuildAdd(ref, index, int(step), "")!
      addIncoming(index, [(next, currentBlock)])
      branch(if: LLVMBuildICmp(ref, LLVMIntSLT, next, upper, ""), bodyBlock, else: exit)
      position(at: exit)
      return
    }
    let header = block("loop")
    let bodyBlock = block("body")
    let exit = block("done")
    branch(header)
    position(at: header)
    let index = LLVMBuildPhi(ref, i64, "i")!
    addIncoming(index, [(lower, preheader)])
    branch(if: LLVMBuildICmp(ref, LLVMIntSLT, index, upper, ""), bodyBlock, else: exit)
    position(at: bodyBlock)
    try body(index)
    let next = LLVMBuildAdd(ref, index, int(step), "")!
    addIncoming(index, [(next, currentBlock)])
    branch(header)
    position(at: exit)
  }

  func loop(_ count: Int, _ body: (LLVMValueRef) throws -> Void) rethrows {
    try loop(int(0), int(count), body)
  }

  /// Nested loops over `extents` (row-major); `body` gets one index per axis.
  func loopNest(_ extents: [Int], _ body: ([LLVMValueRef]) throws -> Void) rethrows {
    func nest(_ axis: Int, _ indices: [LLVMValueRef]) throws {
      if axis == extents.count { return try body(indices) }
      try loop(extents[axis]) { try nest(axis + 1, indices + [$0]) }
    }
    try nest(0, [])
  }

  /// `sum(indices[k] * strides[k])` as i64.
  func linearIndex(_ indices: [LLVMValueRef], _ strides: [Int], offset: Int = 0) -> LLVMValueRef {
    var total = int(offset)
    for (index, stride) in zip(indices, strides) where stride != 0 {
      total = LLVMBuildAdd(ref, total, LLVMBuildMul(ref, index, int(stride), ""), "")
    }
    return total
  }

  func globalString(_ text: String) -> LLVMValueRef {
    LLVMBuildGlobalStringPtr(ref, text, "str")
  }
}
