// Functions exported by `mind build`: a MIND function value (`loss`, `grad(loss)`,
// `value_and_grad(loss, wrt=(0, 1))`, ...) specialized at given argument types, wrapped in a
// MIR function whose parameters are those arguments and whose results are the leaves of the
// value it returns.

import MindFrontend
import MindIR

extension Elaborator {
  /// A MIR function computing `callee(arguments...)` for arguments of the given types (a struct
  /// or tuple parameter takes its leaves, consecutively), and how its results are laid out.
  public func specializeExport(callee: Expr, argumentTypes: [TensorType], name: String) throws -> (
    Function, ValueLayout
  ) {
    let scope = Scope(parent: nil)
    let value = try elaborate(callee, scope)
    guard case .function(let function) = value else {
      throw Diagnostic("E2018", "\(value.typeDescription) is not a function and cannot be exported", at: callee.span)
    }
    var resultLayout = ValueLayout.tensor(nil)
    let mir = try makeFunction(name, parameters: argumentTypes) { b, parameters in
      let values = arguments(parameters, argumentLayouts(function))
      let spans = values.map { _ in callee.span }
      let result = try call(function, values, spans, span: callee.span)
      resultLayout = layout(of: result)
      return try leavesMaterialized(result, span: callee.span)
    }
    return (mir, resultLayout)
  }
}
