// The differentiation transforms as function values. `grad(f)` is a compile-time function
// value; calling it specializes `f` for the argument types into a MIR function, asks the
// differentiator (MindAD) for its VJP function, and wraps that in a small MIR function that
// seeds the cotangent and picks the requested adjoints. The wrapper is an ordinary MIR
// function, so it can be transformed again: grad(grad(f)) differentiates the wrapper.
//
// Closures, nested functions and built-ins become MIR functions too when transformed; the
// values a closure captures are passed as extra parameters (never differentiated).

import MindAD
import MindFrontend
import MindIR

/// A function value specialized to MIR: the function, the shape of its result, and the values
/// to pass after the arguments' leaves (a closure's captures).
struct Specialized {
  let function: Function
  let result: SemaValue?
  let extra: [Value]
}

extension Elaborator {
  // MARK: - Creating transforms

  func makeTransform(_ name: String, _ args: BuiltinArguments) throws -> SemaValue {
    guard let first = args.positional.first, case .function(let inner) = first.value else {
      throw Diagnostic("E2019", "`\(name)` takes a function: \(name)(f)", at: args.positional.first?.span ?? args.span)
    }
    let keywords = [
      "grad": ["wrt"], "value_and_grad": ["wrt"], "jacrev": ["wrt"], "jacfwd": ["wrt"], "jacobian": ["wrt"],
      "vmap": ["in_axes", "out_axes"],
    ]
    try args.expect(1...1, keywords: keywords[name] ?? [])
    switch name {
    case "grad", "value_and_grad":
      var wrt = [0]
      var tuple = false
      if let k = args.keywords["wrt"] {
        if case .tuple(let parts) = k.value {
          wrt = try parts.map { try args.constantInt($0, k.span, what: "`wrt`") }
          tuple = true
        } else {
          wrt = [try args.constantInt(k.value, k.span, what: "`wrt`")]
        }
      }
      return .function(.transform(.grad(wrt: wrt, tuple: tuple, withValue: name == "value_and_grad"), inner))
    case "vjp": return .function(.transform(.vjp, inner))
    case "jvp": return .function(.transform(.jvp, inner))
    case "hessian": return .function(.transform(.hessian, inner))
    case "vmap": return try makeVmap(inner, args)
    case "jacrev", "jacfwd", "jacobian":
      let wrt = try args.keywordInt("wrt") ?? 0
      return .function(.transform(.jacobian(forward: name == "jacfwd", wrt: wrt), inner))
    default: return .function(.transform(.checkpoint, inner))
    }
  }

  // MARK: - Calling transforms

  /// The innermost source function of a (possibly transformed) function value.
  func innermost(_ function: FunctionValue) -> FunctionValue {
    if case .transform(_, let inner) = function { return innermost(inner) }
    if case .pullback(let p) = function { return innermost(p.function) }
    return function
  }

  /// Arguments conformed to the declared parameter types of the function being transformed
  /// (literals get their dtype there), or materialized with default dtypes.
  func prepare(_ function: FunctionValue, _ values: [SemaValue], _ spans: [SourceSpan]) throws -> [SemaValue] {
    var parameters: [Parameter]?
    switch innermost(function) {
    case .user(let decl): parameters = decl.parameters
    case .nested(let nested): parameters = nested.decl.parameters
    case .closure(let closure): parameters = closure.parameters
    default: parameters = nil
    }
    var bindings: [String: Dim] = [:]
    return try values.enumerated().map { i, value in
      if let parameters, i < parameters.count, let type = parameters[i].type {
        return try conform(
          value, to: type, bindings: &bindings, span: spans[i], what: "argument `\(parameters[i].name)`")
      }
      if case .literal = value { return .tensor(try materialize(value, span: spans[i])) }
      return value
    }
  }

  func callTransform(
    _ transform: Transform, _ inner: FunctionValue, _ values: [SemaValue], _ spans: [SourceSpan], span: SourceSpan
  ) throws -> SemaValue {
    let whole = FunctionValue.transform(transform, inner)
    switch transform {
    case .vmap(let inAxes, let outAxes):
      return try callVmap(inAxes, outAxes, inner, values, spans, span: span)
    case .vjp:
      let arguments = try prepare(inner, values, spans)
      let primal = try call(inner, arguments, spans, span: span)
      return .tuple([primal, .function(.pullback(Pullback(function: inner, arguments: arguments)))])
    case .jvp:
      guard values.count % 2 == 0, !values.isEmpty else {
        throw Diagnostic("E2007", "`jvp(f)` takes the primal arguments followed by one tangent per argument", at: span)
      }
      let n = values.count / 2
      let primals = try prepare(inner, Array(values[..<n]), Array(spans[..<n]))
      var tangents: [SemaValue] = []
      for (i, (tangent, primal)) in zip(values[n...], primals).enumerated() {
        tangents.append(try conformLike(tangent, primal, span: spans[n + i], what: "tangent \(i)"))
      }
      if symbolic {
        let result = try call(inner, primals, Array(spans[..<n]), span: span)
        return .tuple([result, fresh(result)])
      }
      let specialized = try specializeTransform(whole, primals + tangents, span: span)
      builder.location = span
      let operands = primals.flatMap(leaves) + specialized.extra + tangents.flatMap(leaves)
      let op = builder.create(
        .call(callee: specialized.function.name), operands, resultTypes: specialized.function.resultTypes)
      return shaped(like: specialized.result!, op.results)
    default:
      let arguments = try prepare(inner, values, spans)
      if symbolic { return try symbolicTransform(transform, inner, arguments, spans, span: span) }
      let specialized = try specializeTransform(whole, arguments, span: span)
      return try emitCall(specialized, arguments, span: span)
    }
  }

  func callPullback(_ pullback: Pullback, _ values: [SemaValue], _ spans: [SourceSpan], span: SourceSpan) throws
    -> SemaValue
  {
    guard values.count == 1 else {
      throw Diagnostic("E2007", "a pullback takes one cotangent (shaped like the function's result)", at: span)
    }
    let primalResult = try symbolicResult(of: pullback.function, pullback.arguments, span: span)
    let cotangent = try conformLike(values[0], primalResult, span: spans[0], what: "the cotangent")
    if symbolic { return gradientTemplate(pullback.function, pullback.arguments, fresh: true) }
    let inner = try specializeValue(pullback.function, pullback.arguments, span: span)
    let vjp = try differentiate(inner.function, span: span)
    let name = "pullback." + inner.function.name
    let parameterCount = pullback.arguments.flatMap(leaves).count
    let wrapper = try makeFunction(
      name, parameters: inner.function.parameters.map(\.type) + leaves(cotangent).map(\.type)
    ) { b, parameters in
      let outputs = b.create(.call(callee: vjp.name), parameters, resultTypes: vjp.resultTypes).results
      return Array(outputs.dropFirst(inner.function.resultTypes.count).prefix(parameterCount))
    }
    let arguments = pullback.arguments.flatMap(leaves) + inner.extra + leaves(cotangent)
    builder.location = span
    let results = builder.create(.call(callee: wrapper.name), arguments, resultTypes: wrapper.resultTypes).results
    return shaped(like: gradientTemplate(pullback.function, pullback.arguments, fresh: false), results)
  }

  /// `value` given the structure and types of `like` (literals take its dtype).
  func conformLike(_ value: SemaValue, _ like: SemaValue, span: SourceSpan, what: String) throws -> SemaValue {
    switch (value, like) {
    case (.tuple(let xs), .tuple(let ys)) where xs.count == ys.count:
      return .tuple(try zip(xs, ys).map { try conformLike($0, $1, span: span, what: what) })
    case (.structure(let d, let xs), .structure(let e, let ys)) where d.name == e.name:
      return .structure(d, try zip(xs, ys).map { try conformLike($0, $1, span: span, what: what) })
    case (_, .tensor(let target)):
      let v = try materialize(value, as: target.type.dtype, span: span)
      guard v.type.dtype == target.type.dtype, v.type.shape == target.type.shape || symbolic else {
        throw Diagnostic("E2001", "\(what) has type \(describe(v.type)), expected \(describe(target.type))", at: span)
      }
      return .tensor(v)
    default:
      throw Diagnostic("E2001", "\(what) has type \(value.typeDescription), expected \(like.typeDescription)", at: span)
    }
  }

  /// The same structure with new placeholder values (symbolic checking).
  func fresh(_ value: SemaValue) -> SemaValue { fresh(value) { $0 } }

  /// `value` with each tensor leaf replaced, in order, by a fresh value of the type `type` gives.
  func fresh(_ value: SemaValue, _ type: (TensorType) -> TensorType) -> SemaValue {
    switch value {
    case .tensor(let v): return .tensor(values.make(type(v.type)))
    case .tuple(let parts): return .tuple(parts.map { fresh($0, type) })
    case .structure(let d, let parts): return .structure(d, parts.map { fresh($0, type) })
    default: return value
    }
  }

  /// What a transform returns, computed at a definition with symbolic shapes.
  func symbolicTransform(
    _ transform: Transform, _ inner: FunctionValue, _ arguments: [SemaValue], _ spans: [SourceSpan], span: SourceSpan
  ) throws -> SemaValue {
    let result = try call(inner, arguments, spans, span: span)
    switch transform {
    case .grad(let wrt, let tuple, let withValue):
      try checkScalarResult(result, inner, span: span)
      let grads = try wrt.map { try checkedWrtArgument($0, inner, arguments, span: span) }.map(fresh)
      let gradient = grads.count == 1 && !tuple ? grads[0] : .tuple(grads)
      return withValue ? .tuple([result, gradient]) : gradient
    case .hessian:
      try checkScalarResult(result, inner, span: span)
      guard case .tensor(let x) = try checkedWrtArgument(0, inner, arguments, span: span) else { return result }
      return .tensor(values.make(TensorType(x.type.dtype, x.type.shape + x.type.shape)))
    case .jacobian(_, let wrt):
      guard case .tensor(let x) = try checkedWrtArgument(wrt, inner, arguments, span: span),
        case .tensor(let y) = result
      else { return result }
      return .tensor(values.make(TensorType(y.type.dtype, y.type.shape + x.type.shape)))
    default:
      return result
    }
  }

  func checkScalarResult(_ result: SemaValue, _ inner: FunctionValue, span: SourceSpan) throws {
    guard case .tensor(let r) = result, r.type.isScalar, r.type.dtype.isFloat else {
      throw Diagnostic(
        "E5010",
        "`grad` needs a function that returns a floating-point scalar, but `\(inner.name)` returns \(result.typeDescription) (use vjp for other results)",
        at: span)
    }
  }

  /// The argument a gradient is taken with respect to, checked to be floating-point.
  func checkedWrtArgument(_ index: Int, _ inner: FunctionValue, _ arguments: [SemaValue], span: SourceSpan) throws
    -> SemaValue
  {
    guard index >= 0 && index < arguments.count else {
      throw Diagnostic(
        "E5012",
        "`wrt=\(index)` is out of range: `\(inner.name)` takes \(arguments.count) argument\(arguments.count == 1 ? "" : "s")",
        at: span)
    }
    let argument = arguments[index]
    let argumentLeaves = leaves(argument)
    guard !argumentLeaves.isEmpty, argumentLeaves.allSatisfy({ $0.type.dtype.isFloat }) else {
      throw Diagnostic(
        "E5005",
        "cannot differentiate with respect to argument \(index) of `\(inner.name)`: it is \(argument.typeDescription), not floating-point",
        at: span)
    }
    return argument
  }

  /// The shape of the adjoints a pullback returns: the argument's for one argument, a tuple
  /// for several.
  func gradientTemplate(_ function: FunctionValue, _ arguments: [SemaValue], fresh makeFresh: Bool) -> SemaValue {
    let parts = makeFresh ? arguments.map(fresh) : arguments
    return parts.count == 1 ? parts[0] : .tuple(parts)
  }

  func symbolicResult(of function: FunctionValue, _ arguments: [SemaValue], span: SourceSpan) throws -> SemaValue {
    let saved = builder
    defer { builder = saved }
    builder = Builder(values: values, block: MindIR.Block(arguments: []))
    return try call(function, arguments, arguments.map { _ in span }, span: span)
  }

  func emitCall(_ specialized: Specialized, _ arguments: [SemaValue], span: SourceSpan) throws -> SemaValue {
    builder.location = span
    let operands = arguments.flatMap(leaves) + specialized.extra
    let op = builder.create(
      .call(callee: specialized.function.name), operands, resultTypes: specialized.function.resultTypes)
    return specialized.result.map { shaped(like: $0, op.results) } ?? .tuple([])
  }
}
