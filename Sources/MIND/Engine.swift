// The execution engine: lowers specialized MIR to LLVM, optimizes it with the new pass manager,
// emits an object file, links it into one ORC LLJIT and calls the entry point. Host functions
// are defined in the JIT as absolute symbols; the runtime context collects output and errors.

import MindCodegen
import MindFrontend
import MindIR
import MindJIT
import MindRuntime

public final class Engine {
  public let optimizationLevel: Int
  let target: TargetMachine
  let jit: JIT
  var compiledModules = 0

  public init(optimizationLevel: Int = 2) throws {
    self.optimizationLevel = optimizationLevel
    target = try TargetMachine(optimizationLevel: optimizationLevel)
    jit = try JIT()
    try jit.defineAbsoluteSymbols(HostFunctions.symbols)
  }

  /// The LLVM IR of a MIR module (after optimization when `optimized`).
  public func llvmIR(_ mir: Module, optimized: Bool) throws -> String {
    let module = try lower(mir).module
    if optimized { try module.optimize(level: optimizationLevel, target: target) }
    return module.text
  }

  public func assembly(_ mir: Module) throws -> String {
    let module = try lower(mir).module
    try module.optimize(level: optimizationLevel, target: target)
    return String(decoding: try module.emit(target, assembly: true), as: UTF8.self)
  }

  func lower(_ mir: Module) throws -> (module: LLVMModule, sites: [RuntimeSite]) {
    let module = LLVMModule(name: "mind", target: target)
    let lowering = ModuleLowering(mir: mir, into: module, target: target)
    try lowering.lower()
    try module.verify()
    return (module, lowering.sites)
  }

  /// Compiles `mir` and runs `entry` (a function without parameters or results).
  public func run(_ mir: Module, entry: Function, program: Program, output: @escaping (String) -> Void) throws
    -> StageTimings
  {
    var timings = StageTimings()
    let ((module, sites), lowerTime) = try measureThrowing { try lower(mir) }
    timings.record("lower", lowerTime)
    let (_, optimizeTime) = try measureThrowing { try module.optimize(level: optimizationLevel, target: target) }
    timings.record("llvm-opt", optimizeTime)
    let (object, codegenTime) = try measureThrowing { try module.emit(target) }
    timings.record("codegen", codegenTime)
    compiledModules += 1
    let (address, linkTime) = try measureThrowing { () throws -> UInt64 in
      try jit.addObject(object, name: "mind-\(compiledModules).o")
      return try jit.lookup(ModuleLowering.symbol(entry.name))
    }
    timings.record("link", linkTime)
    let runtime = RuntimeContext(output: output)
    runtime.sites = sites.enumerated().map {
      RuntimeErrorSite(code: $0.element.code, message: $0.element.message, location: $0.offset)
    }
    typealias EntryPoint = @convention(c) (UnsafeMutableRawPointer?) -> Int32
    let function = unsafeBitCast(UInt(address), to: EntryPoint.self)
    let (status, runTime) = measure { function(runtime.opaquePointer) }
    timings.record("run", runTime)
    if status != 0 {
      let failure = runtime.failure
      let site = failure.map { sites[$0.site.location] }
      throw RuntimeError(
        diagnostic: Diagnostic(
          site?.code ?? "E6000", failure?.message ?? "runtime error", at: site?.location ?? entry.location),
        timings: timings)
    }
    return timings
  }
}

/// A runtime error of compiled code, located at the operation that failed.
public struct RuntimeError: Error {
  public let diagnostic: Diagnostic
  public let timings: StageTimings
}
