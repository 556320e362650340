// Functions exported by `mind build`: a MIND function value (`loss`, `grad(loss)`,
// `value_and_grad(loss, wrt=(0, 1))`, ...) specialized at given argument types, wrapped in a
// MIR function whose parameters are those arguments and whose results are the leaves of the
// value it returns.

import MindFrontend
import MindIR

extension Elaborator {
  /// A MIR function computing `callee(arguments...)` for arguments of the given types.
  public func specializeExport(callee: Expr, argumentTypes: [TensorType], name: String) throws -> Function {
    let scope = Scope(parent: nil)
    let value = try elaborate(callee, scope)
    guard case .function(let function) = value else {
      throw Diagnostic("E2018", "\(value.typeDescription) is not a function and cannot be exported", at: callee.span)
    }
    return try makeFunction(name, parameters: argumentTypes) { b, parameters in
      let arguments = try prepare(
        function, parameters.map { SemaValue.tensor($0) }, parameters.map { _ in callee.span })
      let result = try call(function, arguments, parameters.map { _ in callee.span }, span: callee.span)
      return try leavesMaterialized(result, span: callee.span)
    }
  }
}
