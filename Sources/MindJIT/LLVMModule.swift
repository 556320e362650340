// An LLVM module with its own context. The module owns the context; when the module is handed
// to the JIT as an object file, both are released here.

import CLLVM

public final class LLVMModule {
  public let context: LLVMContextRef
  public let ref: LLVMModuleRef

  public init(name: String, target: TargetMachine) {
    context = LLVMContextCreate()
    ref = LLVMModuleCreateWithNameInContext(name, context)
    LLVMSetTarget(ref, target.triple)
    LLVMSetDataLayout(ref, target.dataLayout)
  }

  deinit {
    LLVMDisposeModule(ref)
    LLVMContextDispose(context)
  }

  /// The module as LLVM assembly text.
  public var text: String { LLVMError.take(LLVMPrintModuleToString(ref)) }

  public func verify() throws {
    var message: UnsafeMutablePointer<CChar>?
    if LLVMVerifyModule(ref, LLVMReturnStatusAction, &message) != 0 {
      throw LLVMError("LLVM verifier: \(LLVMError.take(message))")
    }
    LLVMError.take(message).isEmpty ? () : ()
  }

  /// The number of basic blocks of all functions (a measure of how much work passes face).
  public var basicBlockCount: Int {
    var count = 0
    var function = LLVMGetFirstFunction(ref)
    while let f = function {
      count += Int(LLVMCountBasicBlocks(f))
      function = LLVMGetNextFunction(f)
    }
    return count
  }

  /// Above this many basic blocks, the lean pipeline replaces `default<O2>`, whose loop passes
  /// (indvars, loop-rotate) grow faster than linearly with the number of loops in a function.
  public static let leanPipelineThreshold = 1500

  /// The function passes that matter for mind's loop nests, without the loop canonicalization
  /// passes that dominate compile time on large gradient functions. InstCombine named in a
  /// pipeline string verifies that one run reaches its fixpoint and aborts the process when not
  /// (`default<O2>` does not ask for that), hence `no-verify-fixpoint`.
  static let leanPipeline =
    "function(sroa,early-cse<memssa>,instcombine<no-verify-fixpoint>,simplifycfg,loop-mssa(licm),gvn,instcombine<no-verify-fixpoint>,loop-vectorize,slp-vectorizer,instcombine<no-verify-fixpoint>,simplifycfg)"

  /// Runs the new pass manager's default pipeline at `-O<level>` (the lean pipeline for very
  /// large modules; nothing at -O0).
  public func optimize(level: Int, target: TargetMachine) throws {
    guard level > 0 else { return }
    let options = LLVMCreatePassBuilderOptions()
    defer { LLVMDisposePassBuilderOptions(options) }
    LLVMPassBuilderOptionsSetLoopVectorization(options, level >= 2 ? 1 : 0)
    LLVMPassBuilderOptionsSetSLPVectorization(options, level >= 2 ? 1 : 0)
    // Loop nests over small static extents would otherwise be unrolled completely, which makes
    // compile time explode for gradient code; the hot loops are vectorized explicitly instead.
    LLVMPassBuilderOptionsSetLoopUnrolling(options, 0)
    let pipeline = basicBlockCount > Self.leanPipelineThreshold ? Self.leanPipeline : "default<O\(level)>"
    try LLVMError.check(LLVMRunPasses(ref, pipeline, target.ref, options), "optimization")
  }

  /// Emits an object file (or assembly) for the module.
  public func emit(_ target: TargetMachine, assembly: Bool = false) throws -> [UInt8] {
    var message: UnsafeMutablePointer<CChar>?
    var buffer: LLVMMemoryBufferRef?
    if LLVMTargetMachineEmitToMemoryBuffer(
      target.ref, ref, assembly ? LLVMAssemblyFile : LLVMObjectFile, &message, &buffer) != 0
    {
      throw LLVMError("code generation: \(LLVMError.take(message))")
    }
    guard let buffer else { throw LLVMError("code generation produced nothing") }
    defer { LLVMDisposeMemoryBuffer(buffer) }
    let size = LLVMGetBufferSize(buffer)
    guard let start = LLVMGetBufferStart(buffer) else { return [] }
    return start.withMemoryRebound(to: UInt8.self, capacity: size) {
      Array(UnsafeBufferPointer(start: $0, count: size))
    }
  }
}
