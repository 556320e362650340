// One ORC LLJIT instance: object files are added to its main JITDylib, host functions are
// defined there as absolute symbols, and process symbols (libc, libm, OpenBLAS) resolve through
// a generator. Follows the ownership rules of LLVM's OrcV2CBindings examples: the JIT owns what
// is added to it; every LLVMErrorRef is consumed.

import CLLVM
import COpenBLAS

public final class JIT {
  let ref: LLVMOrcLLJITRef
  let dylib: LLVMOrcJITDylibRef

  public init() throws {
    TargetMachine.initializeNativeTarget()
    var jit: LLVMOrcLLJITRef?
    try LLVMError.check(LLVMOrcCreateLLJIT(&jit, nil), "creating the JIT")
    guard let jit else { throw LLVMError("creating the JIT returned nothing") }
    ref = jit
    dylib = LLVMOrcLLJITGetMainJITDylib(jit)
    var generator: LLVMOrcDefinitionGeneratorRef?
    try LLVMError.check(
      LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&generator, LLVMOrcLLJITGetGlobalPrefix(jit), nil, nil),
      "adding process symbols")
    LLVMOrcJITDylibAddGenerator(dylib, generator)
  }

  deinit { _ = LLVMOrcDisposeLLJIT(ref) }

  /// The BLAS routines compiled code calls for large matrix products, by address (so that
  /// they resolve whether or not the process exports them).
  public static var blasSymbols: [(name: String, address: UInt64)] {
    let sgemm:
      @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint, Float, UnsafePointer<Float>?, blasint,
        UnsafePointer<Float>?, blasint, Float, UnsafeMutablePointer<Float>?, blasint
      ) -> Void = cblas_sgemm
    let dgemm:
      @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint, Double, UnsafePointer<Double>?,
        blasint,
        UnsafePointer<Double>?, blasint, Double, UnsafeMutablePointer<Double>?, blasint
      ) -> Void = cblas_dgemm
    return [
      ("cblas_sgemm", unsafeBitCast(sgemm, to: UInt64.self)), ("cblas_dgemm", unsafeBitCast(dgemm, to: UInt64.self)),
    ]
  }

  /// Defines host functions under the given names.
  public func defineAbsoluteSymbols(_ symbols: [(name: String, address: UInt64)]) throws {
    var pairs = symbols.map { symbol in
      LLVMOrcCSymbolMapPair(
        Name: LLVMOrcLLJITMangleAndIntern(ref, symbol.name),
        Sym: LLVMJITEvaluatedSymbol(
          Address: symbol.address,
          Flags: LLVMJITSymbolFlags(
            GenericFlags: UInt8(
              LLVMJITSymbolGenericFlagsExported.rawValue | LLVMJITSymbolGenericFlagsCallable.rawValue), TargetFlags: 0))
      )
    }
    let unit = pairs.withUnsafeMutableBufferPointer { LLVMOrcAbsoluteSymbols($0.baseAddress, $0.count) }
    try LLVMError.check(LLVMOrcJITDylibDefine(dylib, unit), "defining host symbols")
  }

  /// Adds an object file; its symbols become available for lookup.
  public func addObject(_ bytes: [UInt8], name: String) throws {
    let buffer = bytes.withUnsafeBufferPointer { raw in
      raw.baseAddress!.withMemoryRebound(to: CChar.self, capacity: raw.count) {
        LLVMCreateMemoryBufferWithMemoryRangeCopy($0, raw.count, name)
      }
    }
    try LLVMError.check(LLVMOrcLLJITAddObjectFile(ref, dylib, buffer), "adding object \(name)")
  }

  /// The address of a defined symbol (materializing it if needed).
  public func lookup(_ name: String) throws -> UInt64 {
    var address: LLVMOrcExecutorAddress = 0
    try LLVMError.check(LLVMOrcLLJITLookup(ref, &address, name), "looking up \(name)")
    return address
  }
}
