// Lowers a MIR module to an LLVM module: declares every function with the calling convention
// of FunctionLowering, lowers their bodies, and collects the runtime-error sites the code may
// report (their index is what the code passes to `mind_report_error`).

import CLLVM
import MindFrontend
import MindIR
import MindJIT
import MindRuntime

public struct RuntimeSite: Sendable {
  public let code: String
  public let message: String
  public let location: SourceSpan

  public init(code: String, message: String, location: SourceSpan) {
    self.code = code
    self.message = message
    self.location = location
  }
}

public final class ModuleLowering {
  let ir: IRBuilder
  let target: TargetMachine
  let mir: Module
  var declarations: [String: (LLVMValueRef, LLVMTypeRef)] = [:]
  public private(set) var sites: [RuntimeSite] = []
  var constantCount = 0
  /// Whether the code runs in this process and may call the runtime: large elementwise loops
  /// then run on several threads (`mind_parallel_for`) and large buffers come from its pool of
  /// recycled blocks (`mind_take_block`). Objects for other programs call neither.
  public var inProcess = false
  var parallelBodyCount = 0

  public init(mir: Module, into module: LLVMModule, target: TargetMachine) {
    self.mir = mir
    self.target = target
    ir = IRBuilder(module: module)
  }

  /// Symbol name of a MIR function in LLVM.
  public static func symbol(_ name: String) -> String { "mind." + name }

  public func lower() throws {
    for function in mir.functions { _ = try declaration(of: function.name) }
    for function in mir.functions {
      let lowering = FunctionLowering(
        lowering: self, function: function, llvmFunction: try declaration(of: function.name).0)
      try lowering.lower()
    }
  }

  func declaration(of name: String) throws -> (LLVMValueRef, LLVMTypeRef) {
    if let existing = declarations[name] { return existing }
    guard let function = mir.function(named: name) else { throw LLVMError("no MIR function @\(name)") }
    var parameters: [LLVMTypeRef] = [ir.ptr]
    parameters += function.resultTypes.map { _ in ir.ptr }
    parameters += function.parameters.map { $0.type.isScalar ? ir.scalarType($0.type.dtype) : ir.ptr }
    let declared = ir.declare(Self.symbol(name), ir.i32, parameters)
    declarations[name] = declared
    return declared
  }

  func addSite(code: String, message: String, location: SourceSpan) -> Int {
    sites.append(RuntimeSite(code: code, message: message, location: location))
    return sites.count - 1
  }

  func vectorWidth(_ dtype: DType) -> Int {
    switch dtype.byteSize {
    case 8: return max(target.f32VectorWidth / 2, 1)
    case 1: return target.f32VectorWidth
    default: return target.f32VectorWidth
    }
  }

  /// A private constant global holding `elements`.
  func constantArray(_ elements: [Double], _ dtype: DType) -> LLVMValueRef {
    let element = ir.memoryType(dtype)
    var constants: [LLVMValueRef?] = elements.map { v in
      switch dtype {
      case .f32, .f64: return LLVMConstReal(element, v)
      case .bool: return LLVMConstInt(element, v != 0 ? 1 : 0, 0)
      default: return LLVMConstInt(element, IRBuilder.integerBits(v), 1)
      }
    }
    let array = constants.withUnsafeMutableBufferPointer {
      LLVMConstArray2(element, $0.baseAddress, UInt64(elements.count))
    }
    constantCount += 1
    let global = LLVMAddGlobal(ir.module.ref, LLVMTypeOf(array), "const.\(constantCount)")!
    LLVMSetInitializer(global, array)
    LLVMSetGlobalConstant(global, 1)
    LLVMSetLinkage(global, LLVMPrivateLinkage)
    LLVMSetAlignment(global, 64)
    return global
  }
}
