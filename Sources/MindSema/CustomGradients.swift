// `@custom_grad(g)` on `f(x1, ..., xn) -> R`: the VJP function of f calls the user's
// `g(x1, ..., xn, upstream: R)`, which returns the gradient of the one parameter (n = 1) or a
// tuple of all of them. The signature is checked at f's definition (E5011).

import MindAD
import MindFrontend
import MindIR

extension Elaborator {
  /// The VJP function of a function with `@custom_grad`, or nil for others.
  func customVJP(_ function: Function) throws -> Function? {
    guard let (decl, arguments, result) = customGradients[function.name], let attribute = decl.attribute("custom_grad")
    else { return nil }
    let gradient = try customGradientFunction(decl, attribute)
    let saved = builder
    defer { builder = saved }
    return try makeFunction(
      Differentiator.vjpName(function.name), parameters: function.parameters.map(\.type) + function.resultTypes
    ) { b, parameters in
      let primal = b.create(
        .call(callee: function.name), Array(parameters.prefix(function.parameters.count)),
        resultTypes: function.resultTypes
      ).results
      var iterator = parameters[...]
      let boundArguments = arguments.map { rebuild($0, from: &iterator) }
      let upstream = result.map { rebuild($0, from: &iterator) } ?? .tuple([])
      let value = try call(
        .user(gradient), boundArguments + [upstream], Array(repeating: attribute.span, count: arguments.count + 1),
        span: attribute.span)
      let perParameter: [SemaValue]
      if decl.parameters.count == 1 {
        perParameter = [value]
      } else if case .tuple(let parts) = value, parts.count == decl.parameters.count {
        perParameter = parts
      } else {
        throw Diagnostic(
          "E5011", "`\(gradient.name)` must return a tuple of \(decl.parameters.count) gradients", at: attribute.span)
      }
      var adjoints: [Value] = []
      for (part, argument) in zip(perParameter, boundArguments) {
        let argumentLeaves = leaves(argument)
        let partLeaves = try leavesMaterialized(part, span: attribute.span)
        guard partLeaves.map(\.type) == argumentLeaves.map(\.type) else {
          throw Diagnostic(
            "E5011",
            "`\(gradient.name)` returns \(part.typeDescription) for an argument of type \(argument.typeDescription)",
            at: attribute.span)
        }
        adjoints += partLeaves
      }
      return primal + adjoints
    }
  }

  /// The function named by `@custom_grad(g)`.
  func customGradientFunction(_ decl: FunctionDecl, _ attribute: Attribute) throws -> FunctionDecl {
    guard attribute.arguments.count == 1, case .name(let name) = attribute.arguments[0].kind else {
      throw Diagnostic(
        "E5011", "`@custom_grad` takes the name of the gradient function: @custom_grad(g)", at: attribute.span)
    }
    guard let gradient = functions[name] else {
      throw Diagnostic(
        "E5011", "the gradient function `\(name)` of `@custom_grad` is not defined", at: attribute.arguments[0].span)
    }
    return gradient
  }

  /// Checks a `@custom_grad` signature at the definition: g takes f's parameters and the
  /// upstream gradient (f's result type), and returns the gradient of f's parameter (or a tuple
  /// of them).
  func checkCustomGradient(_ decl: FunctionDecl) throws {
    guard let attribute = decl.attribute("custom_grad") else { return }
    let gradient = try customGradientFunction(decl, attribute)
    let expectedParameters = decl.parameters.map { $0.type!.type } + [decl.returnType?.type ?? .tuple([])]
    let actualParameters = gradient.parameters.map { $0.type!.type }
    let expectedResult: TypeExpr =
      decl.parameters.count == 1 ? decl.parameters[0].type!.type : .tuple(decl.parameters.map { $0.type!.type })
    guard actualParameters == expectedParameters, gradient.returnType?.type == expectedResult else {
      let wanted = "(" + expectedParameters.map(\.spelled).joined(separator: ", ") + ") -> " + expectedResult.spelled
      let found =
        "(" + actualParameters.map(\.spelled).joined(separator: ", ") + ") -> "
        + (gradient.returnType?.type.spelled ?? "()")
      throw Diagnostic(
        "E5011",
        "`\(gradient.name)` cannot be the custom gradient of `\(decl.name)`: it must have the signature \(wanted), but has \(found)",
        at: attribute.span, notes: [Note("`\(gradient.name)` is defined here", at: gradient.nameSpan)])
    }
  }
}
