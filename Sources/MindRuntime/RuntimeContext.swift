// The host side of a running program: where `print` output goes and where a runtime error is
// recorded. Compiled code receives a pointer to this object as its first argument and passes it
// to the host functions (HostFunctions.swift); they are the only way generated code talks to
// the host.

import MindData

/// What compiled code reported before it stopped: the index of the failing site (the compiler
/// knows what it is) and two integers (such as an index and an extent), or, from a host
/// function reading or writing a file, the error's code and message.
public struct RuntimeFailure: Sendable, Equatable {
  public let site: Int
  public let a: Int64
  public let b: Int64
  public var code: String? = nil
  public var detail: String? = nil
}

public final class RuntimeContext {
  public var output: (String) -> Void
  public private(set) var failure: RuntimeFailure?
  var line = ""
  /// The arrays of the file a `load` is reading, until its last tensor is read.
  var pendingLoad: [(name: String, array: StoredArray)] = []
  /// The tensors of a `save` whose last tensor has not come yet.
  var pendingSave: [(name: String, type: ArrayType, bytes: UnsafeRawBufferPointer)] = []

  public init(output: @escaping (String) -> Void) { self.output = output }

  /// Keeps the first report: it is the error that stopped the code.
  func report(site: Int, _ a: Int64, _ b: Int64) {
    if failure == nil { failure = RuntimeFailure(site: site, a: a, b: b) }
  }

  func report(site: Int, _ error: DataError) {
    if failure == nil { failure = RuntimeFailure(site: site, a: 0, b: 0, code: error.code, detail: error.message) }
  }

  /// Passes `self` to compiled code, which hands it back to the host functions.
  public var opaquePointer: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

  static func from(_ pointer: UnsafeMutableRawPointer?) -> RuntimeContext? {
    pointer.map { Unmanaged<RuntimeContext>.fromOpaque($0).takeUnretainedValue() }
  }
}
