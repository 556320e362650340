// The host target: triple, CPU name and features, and a target machine used both to optimize
// (the new pass manager needs it for cost models) and to emit object files.

import CLLVM

public final class TargetMachine {
  public let ref: LLVMTargetMachineRef
  public let triple: String
  public let cpuName: String
  public let cpuFeatures: String
  public let optimizationLevel: Int
  /// Whether generated code flushes subnormal numbers to zero (MindCodegen/Subnormals.swift).
  public let flushesSubnormals: Bool

  /// Registers the native target with LLVM once per process (a static `let` is initialized
  /// exactly once, thread-safely).
  private static let nativeTargetRegistered: Bool = {
    LLVMInitializeX86TargetInfo()
    LLVMInitializeX86Target()
    LLVMInitializeX86TargetMC()
    LLVMInitializeX86AsmPrinter()
    LLVMInitializeX86AsmParser()
    return true
  }()

  static func initializeNativeTarget() {
    precondition(nativeTargetRegistered)
  }

  public init(optimizationLevel: Int, flushesSubnormals: Bool = true) throws {
    Self.initializeNativeTarget()
    triple = LLVMError.take(LLVMGetDefaultTargetTriple())
    cpuName = LLVMError.take(LLVMGetHostCPUName())
    cpuFeatures = LLVMError.take(LLVMGetHostCPUFeatures())
    self.optimizationLevel = optimizationLevel
    self.flushesSubnormals = flushesSubnormals
    var target: LLVMTargetRef?
    var message: UnsafeMutablePointer<CChar>?
    guard LLVMGetTargetFromTriple(triple, &target, &message) == 0, let target else {
      throw LLVMError("no LLVM target for \(triple): \(LLVMError.take(message))")
    }
    let level: LLVMCodeGenOptLevel =
      optimizationLevel == 0
      ? LLVMCodeGenLevelNone : optimizationLevel >= 3 ? LLVMCodeGenLevelAggressive : LLVMCodeGenLevelDefault
    guard
      let machine = LLVMCreateTargetMachine(
        target, triple, cpuName, cpuFeatures, level, LLVMRelocPIC, LLVMCodeModelDefault)
    else {
      throw LLVMError("cannot create a target machine for \(triple)")
    }
    ref = machine
  }

  deinit { LLVMDisposeTargetMachine(ref) }

  /// The widest vector of 32-bit lanes the CPU has (16 with AVX-512, 8 with AVX2, else 4).
  public var f32VectorWidth: Int {
    if cpuFeatures.contains("+avx512f") { return 16 }
    if cpuFeatures.contains("+avx2") || cpuFeatures.contains("+avx") { return 8 }
    return 4
  }

  public var dataLayout: String {
    let layout = LLVMCreateTargetDataLayout(ref)
    defer { LLVMDisposeTargetData(layout) }
    return LLVMError.take(LLVMCopyStringRepOfTargetData(layout))
  }
}
