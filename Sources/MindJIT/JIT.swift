// One ORC LLJIT instance: object files are added to its main JITDylib, host functions are
// defined there as absolute symbols, process symbols (libc, libm) resolve through a generator
// and BLAS routines through another that loads OpenBLAS on first use (BLAS.swift). Follows the
// ownership rules of LLVM's OrcV2CBindings examples: the JIT owns what is added to it; every
// LLVMErrorRef is consumed.

import CLLVM

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
    LLVMOrcJITDylibAddGenerator(dylib, LLVMOrcCreateCustomCAPIDefinitionGenerator(Self.blasGenerator, nil, nil))
  }

  deinit { _ = LLVMOrcDisposeLLJIT(ref) }

  /// Defines host functions under the given names.
  public func defineAbsoluteSymbols(_ symbols: [(name: String, address: UInt64)]) throws {
    let entries = symbols.map { (LLVMOrcLLJITMangleAndIntern(ref, $0.name)!, $0.address) }
    try LLVMError.check(Self.define(entries, in: dylib), "defining host symbols")
  }

  /// Defines absolute symbols (taking ownership of the names' pool entries).
  private static func define(_ symbols: [(LLVMOrcSymbolStringPoolEntryRef, UInt64)], in dylib: LLVMOrcJITDylibRef)
    -> LLVMErrorRef?
  {
    let flags = LLVMJITSymbolFlags(
      GenericFlags: UInt8(LLVMJITSymbolGenericFlagsExported.rawValue | LLVMJITSymbolGenericFlagsCallable.rawValue),
      TargetFlags: 0)
    var pairs = symbols.map { name, address in
      LLVMOrcCSymbolMapPair(Name: name, Sym: LLVMJITEvaluatedSymbol(Address: address, Flags: flags))
    }
    let unit = pairs.withUnsafeMutableBufferPointer { LLVMOrcAbsoluteSymbols($0.baseAddress, $0.count) }
    return LLVMOrcJITDylibDefine(dylib, unit)
  }

  /// A definition generator for the BLAS routines: asked for names no object or process
  /// symbol defines, it loads OpenBLAS (once) and defines the routines among them.
  private static let blasGenerator: LLVMOrcCAPIDefinitionGeneratorTryToGenerateFunction = {
    _, _, _, _, dylib, _, names, count in
    guard let dylib, let names else { return nil }
    var symbols: [(LLVMOrcSymbolStringPoolEntryRef, UInt64)] = []
    for element in UnsafeBufferPointer(start: names, count: count) {
      let name = String(cString: LLVMOrcSymbolStringPoolEntryStr(element.Name))
      guard BLAS.routines.contains(name) else { continue }
      do {
        let address = try BLAS.address(of: name)
        LLVMOrcRetainSymbolStringPoolEntry(element.Name)
        symbols.append((element.Name, address))
      } catch {
        symbols.forEach { LLVMOrcReleaseSymbolStringPoolEntry($0.0) }
        return LLVMCreateStringError("\(error)")
      }
    }
    return symbols.isEmpty ? nil : define(symbols, in: dylib)
  }

  /// Adds an object file and returns the address of its symbol `entry`. An object that cannot
  /// be added or linked (a broken object, an undefined symbol) is removed again, so that the
  /// JIT stays usable and an object defining the same symbols can be added instead.
  public func link(_ bytes: [UInt8], name: String, entry: String) throws -> UInt64 {
    let buffer = bytes.withUnsafeBufferPointer { raw in
      raw.baseAddress!.withMemoryRebound(to: CChar.self, capacity: raw.count) {
        LLVMCreateMemoryBufferWithMemoryRangeCopy($0, raw.count, name)
      }
    }
    let tracker = LLVMOrcJITDylibCreateResourceTracker(dylib)
    // Released, a tracker hands what it tracks to the dylib's default tracker.
    defer { LLVMOrcReleaseResourceTracker(tracker) }
    do {
      try LLVMError.check(LLVMOrcLLJITAddObjectFileWithRT(ref, tracker, buffer), "adding object \(name)")
      return try lookup(entry)
    } catch {
      if let removal = LLVMOrcResourceTrackerRemove(tracker) { LLVMConsumeError(removal) }
      throw error
    }
  }

  /// The address of a defined symbol (materializing it if needed).
  public func lookup(_ name: String) throws -> UInt64 {
    var address: LLVMOrcExecutorAddress = 0
    try LLVMError.check(LLVMOrcLLJITLookup(ref, &address, name), "looking up \(name)")
    return address
  }
}
