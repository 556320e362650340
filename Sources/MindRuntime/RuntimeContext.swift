// The host side of a running program: where `print` output goes and where a runtime error is
// recorded. Compiled code receives a pointer to this object as its first argument and passes it
// to the host functions (HostFunctions.swift); they are the only way generated code talks to
// the host.

/// What compiled code reported before it stopped: the index of the failing site (the compiler
/// knows what it is) and two integers (such as an index and an extent).
public struct RuntimeFailure: Sendable, Equatable {
  public let site: Int
  public let a: Int64
  public let b: Int64
}

public final class RuntimeContext {
  public var output: (String) -> Void
  public private(set) var failure: RuntimeFailure?
  var line = ""

  public init(output: @escaping (String) -> Void) { self.output = output }

  /// Keeps the first report: it is the error that stopped the code.
  func report(site: Int, _ a: Int64, _ b: Int64) {
    if failure == nil { failure = RuntimeFailure(site: site, a: a, b: b) }
  }

  /// Passes `self` to compiled code, which hands it back to the host functions.
  public var opaquePointer: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

  static func from(_ pointer: UnsafeMutableRawPointer?) -> RuntimeContext? {
    pointer.map { Unmanaged<RuntimeContext>.fromOpaque($0).takeUnretainedValue() }
  }
}
