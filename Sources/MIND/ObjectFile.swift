// The one way from MIR to an object file, shared by `mind jit`, `mind build` and the Swift
// API: lower to LLVM, let the caller add its entry points, verify, optimize, emit.

import MindCodegen
import MindIR
import MindJIT

struct ObjectFile<Extra> {
  let bytes: [UInt8]
  let sites: [RuntimeSite]
  /// What the caller's entry-point step returned (a C header, ...).
  let extra: Extra

  /// `record` receives the time of each stage (lower, llvm-opt, codegen). `inProcess` code may
  /// call the runtime (parallel loops, its pool of buffer blocks); objects for other programs
  /// may not.
  init(
    _ mir: Module, name: String, target: TargetMachine, level: Int, inProcess: Bool = true,
    record: (String, Double) -> Void = { _, _ in },
    entryPoints: (ModuleLowering) throws -> Extra
  ) throws {
    let llvm = LLVMModule(name: name, target: target)
    let (lowered, lowerTime) = try measureThrowing { () throws -> (ModuleLowering, Extra) in
      let lowering = ModuleLowering(mir: mir, into: llvm, target: target)
      lowering.inProcess = inProcess
      try lowering.lower()
      let extra = try entryPoints(lowering)
      try llvm.verify()
      return (lowering, extra)
    }
    record("lower", lowerTime)
    let (_, optimizeTime) = try measureThrowing { try llvm.optimize(level: level, target: target) }
    record("llvm-opt", optimizeTime)
    let (bytes, codegenTime) = try measureThrowing { try llvm.emit(target) }
    record("codegen", codegenTime)
    self.bytes = bytes
    sites = lowered.0.sites
    extra = lowered.1
  }
}
