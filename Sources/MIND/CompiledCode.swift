// Running compiled code: one runtime context per call, and a non-zero status turned into the
// located diagnostic of the site the code reported (shared by `mind jit` and the Swift API).

import Foundation
import MindCodegen
import MindFrontend
import MindRuntime

enum CompiledCode {
  /// Calls `body` with a fresh runtime context; returns the diagnostic of a runtime error, if
  /// the code reported one (`fallback` locates an error without a known site).
  static func run(
    sites: [RuntimeSite], fallback: SourceSpan, output: @escaping (String) -> Void,
    _ body: (UnsafeMutableRawPointer) -> Int32
  ) -> Diagnostic? {
    let runtime = RuntimeContext(output: output)
    guard body(runtime.opaquePointer) != 0 else { return nil }
    guard let failure = runtime.failure, failure.site >= 0 && failure.site < sites.count else {
      return Diagnostic("E6000", "runtime error", at: fallback)
    }
    let site = sites[failure.site]
    let message = site.message.replacingOccurrences(of: "{0}", with: String(failure.a))
      .replacingOccurrences(of: "{1}", with: String(failure.b)).replacingOccurrences(
        of: "{detail}", with: failure.detail ?? "")
    return Diagnostic(failure.code ?? site.code, message, at: site.location)
  }
}
