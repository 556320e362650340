// The host side of a running program: where `print` output goes and where a runtime error is
// recorded. Compiled code receives a pointer to this object as its first argument and passes it
// to the host functions (HostFunctions.swift); they are the only way generated code talks to
// the host.

public struct RuntimeErrorSite: Sendable {
  /// `E6001`, ...
  public let code: String
  /// A template; `{0}` and `{1}` are replaced by the two integers the code reports.
  public let message: String
  /// Opaque to the runtime: the compiler's source span, resolved by the caller.
  public let location: Int

  public init(code: String, message: String, location: Int) {
    self.code = code
    self.message = message
    self.location = location
  }
}

public struct RuntimeFailure: Error, Sendable {
  public let site: RuntimeErrorSite
  public let message: String
}

public final class RuntimeContext {
  public var output: (String) -> Void
  public var sites: [RuntimeErrorSite] = []
  public private(set) var failure: RuntimeFailure?
  var line = ""

  public init(output: @escaping (String) -> Void) { self.output = output }

  func report(site index: Int, _ a: Int64, _ b: Int64) {
    guard failure == nil else { return }
    guard index >= 0 && index < sites.count else {
      failure = RuntimeFailure(
        site: RuntimeErrorSite(code: "E6000", message: "runtime error", location: -1),
        message: "runtime error (unknown site \(index))")
      return
    }
    let site = sites[index]
    let message = site.message.replacingOccurrences(of: "{0}", with: String(a)).replacingOccurrences(
      of: "{1}", with: String(b))
    failure = RuntimeFailure(site: site, message: message)
  }

  /// Passes `self` to compiled code, which hands it back to the host functions.
  public var opaquePointer: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

  static func from(_ pointer: UnsafeMutableRawPointer?) -> RuntimeContext? {
    pointer.map { Unmanaged<RuntimeContext>.fromOpaque($0).takeUnretainedValue() }
  }
}

extension String {
  func replacingOccurrences(of target: String, with replacement: String) -> String {
    guard !target.isEmpty else { return self }
    var out = ""
    var rest = Substring(self)
    while let range = rest.range(of: target) {
      out += rest[..<range.lowerBound]
      out += replacement
      rest = rest[range.upperBound...]
    }
    return out + rest
  }
}

extension Substring {
  func range(of target: String) -> Range<Substring.Index>? {
    var index = startIndex
    while index < endIndex {
      if self[index...].hasPrefix(target) {
        return index..<self.index(index, offsetBy: target.count)
      }
      index = self.index(after: index)
    }
    return nil
  }
}
