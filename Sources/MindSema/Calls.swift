// Calls of function values: user functions are specialized per argument types and called;
// closures and nested functions are elaborated inline with their captured bindings (they are
// compile-time values, so there is nothing to pass at runtime); built-ins go to `Builtins`.

import MindFrontend
import MindIR

extension Elaborator {
  func elaborateCall(
    _ calleeExpr: Expr, _ typeArguments: [TypeAnnotation], _ arguments: [CallArgument], span: SourceSpan, _ scope: Scope
  ) throws -> SemaValue {
    let callee = try elaborate(calleeExpr, scope)
    guard case .function(let function) = callee else {
      throw Diagnostic("E2018", "\(callee.typeDescription) is not a function", at: calleeExpr.span)
    }
    if case .builtin(let name) = function {
      return try Builtins.call(name, self, typeArguments: typeArguments, arguments: arguments, scope: scope, span: span)
    }
    if let labelled = arguments.first(where: { $0.label != nil }) {
      throw Diagnostic(
        "E2008", "`\(function.name)` takes no keyword arguments (found `\(labelled.label!)=`)",
        at: labelled.labelSpan ?? span)
    }
    let values = try arguments.map { try elaborate($0.value, scope) }
    builder.location = span
    return try call(function, values, arguments.map(\.value.span), span: span)
  }

  func call(_ function: FunctionValue, _ values: [SemaValue], _ spans: [SourceSpan], span: SourceSpan) throws
    -> SemaValue
  {
    switch function {
    case .transform(let transform, let inner):
      return try callTransform(transform, inner, values, spans, span: span)
    case .pullback(let pullback):
      return try callPullback(pullback, values, spans, span: span)
    case .builtin(let name):
      return try Builtins.dispatch(
        name, self, typeArguments: [], positional: Array(zip(values, spans)), keywords: [:], span: span)
    case .user(let decl):
      try checkArity(decl.name, decl.parameters.count, values.count, span)
      var bindings: [String: Dim] = [:]
      var arguments: [SemaValue] = []
      for (i, (parameter, value)) in zip(decl.parameters, values).enumerated() {
        arguments.append(
          try conform(
            value, to: parameter.type!, bindings: &bindings, span: spans[i],
            what: "argument `\(parameter.name)` of `\(decl.name)`"))
      }
      if symbolic {
        // At a definition, a call is typed by the callee's signature; its body is checked on its own.
        guard let returnType = decl.returnType else { return .tuple([]) }
        let result = try symbolicValue(of: returnType, name: decl.name)
        return substitute(result, bindings)
      }
      let function: Function
      let template: SemaValue?
      do {
        (function, template) = try specialize(decl, arguments: arguments, at: span)
      } catch var diagnostic as Diagnostic {
        let types = arguments.flatMap(leaves).map { describe($0.type) }.joined(separator: ", ")
        diagnostic.notes.append(Note("in `\(decl.name)` called with (\(types)) here", at: span))
        throw diagnostic
      }
      builder.location = span
      let op = builder.create(
        .call(callee: function.name), arguments.flatMap(leaves), resultTypes: function.resultTypes)
      return template.map { shaped(like: $0, op.results) } ?? .tuple([])
    case .closure(let closure):
      try checkArity("closure", closure.parameters.count, values.count, span)
      let scope = Scope(parent: nil)
      for (name, binding) in closure.captured { scope.define(name, binding) }
      for (i, (parameter, value)) in zip(closure.parameters, values).enumerated() {
        var bound = value
        if let type = parameter.type {
          var bindings: [String: Dim] = [:]
          bound = try conform(
            value, to: type, bindings: &bindings, span: spans[i], what: "argument `\(parameter.name)`")
        }
        scope.define(parameter.name, Binding(value: bound, mutable: false, span: parameter.span))
      }
      return try elaborate(closure.body, scope)
    case .nested(let nested):
      let decl = nested.decl
      try checkArity(decl.name, decl.parameters.count, values.count, span)
      let scope = Scope(parent: nil)
      for (name, binding) in nested.captured { scope.define(name, binding) }
      var bindings: [String: Dim] = [:]
      for (i, (parameter, value)) in zip(decl.parameters, values).enumerated() {
        let bound = try conform(
          value, to: parameter.type!, bindings: &bindings, span: spans[i],
          what: "argument `\(parameter.name)` of `\(decl.name)`")
        scope.define(parameter.name, Binding(value: bound, mutable: false, span: parameter.span))
      }
      let result = try elaborateFunctionBlock(decl.body, scope: scope)
      guard let returnType = decl.returnType else { return .tuple([]) }
      guard let result else {
        throw Diagnostic(
          "E2001", "function `\(decl.name)` must return \(returnType.type.spelled) but its body has no value",
          at: decl.body.span)
      }
      return try conform(
        result, to: returnType, bindings: &bindings, span: decl.body.result?.span ?? decl.body.span,
        what: "the result of `\(decl.name)`")
    }
  }

  func checkArity(_ name: String, _ expected: Int, _ found: Int, _ span: SourceSpan) throws {
    guard expected == found else {
      throw Diagnostic(
        "E2007",
        "`\(name)` takes \(expected) argument\(expected == 1 ? "" : "s") but \(found) \(found == 1 ? "was" : "were") given",
        at: span)
    }
  }

  /// Replaces bound symbols in a symbolic value's types; unbound ones become unknown.
  func substitute(_ value: SemaValue, _ bindings: [String: Dim]) -> SemaValue {
    switch value {
    case .tensor(let v):
      let shape = v.type.shape.map { d -> Dim in
        if case .symbol(let name) = d { return bindings[name] ?? .unknown }
        return d
      }
      return .tensor(values.make(TensorType(v.type.dtype, shape)))
    case .tuple(let elements): return .tuple(elements.map { substitute($0, bindings) })
    case .structure(let decl, let elements):
      // The struct's own extents (`MLP.H`, bound by an argument of its type) come first.
      var scoped = bindings
      for (key, extent) in bindings where key.hasPrefix(decl.name + ".") {
        scoped[String(key.dropFirst(decl.name.count + 1))] = extent
      }
      return .structure(decl, elements.map { substitute($0, scoped) })
    default: return value
    }
  }
}
