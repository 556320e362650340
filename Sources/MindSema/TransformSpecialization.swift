// Specializing function values to MIR functions, and building the wrapper functions of the
// transforms (grad, value_and_grad, jvp, hessian, checkpoint) around derived VJP functions; the
// Jacobians' wrappers are in Jacobians.swift, vmap's in Vmap.swift.

import MindAD
import MindFrontend
import MindIR

extension Elaborator {
  /// A MIR function computing `function` on arguments of these types.
  func specializeValue(_ function: FunctionValue, _ arguments: [SemaValue], span: SourceSpan) throws -> Specialized {
    switch function {
    case .user(let decl):
      let (mir, template) = try specialize(decl, arguments: arguments, at: span)
      return Specialized(function: mir, result: template, extra: [])
    case .transform:
      return try specializeTransform(function, arguments, span: span)
    case .closure, .nested, .builtin, .pullback:
      return try specializeInline(function, arguments, span: span)
    }
  }

  /// Closures, nested functions, built-ins and pullbacks, elaborated into a function of their
  /// arguments followed by the tensors they capture (directly, or through captured function
  /// values).
  func specializeInline(_ function: FunctionValue, _ arguments: [SemaValue], span: SourceSpan) throws -> Specialized {
    var extra: [Value] = []
    collectCaptures(function, into: &extra)
    let argumentLeaves = arguments.flatMap(leaves)
    uniqueCounter += 1
    let name = "\(function.name.filter { $0.isLetter || $0.isNumber || $0 == "_" }).\(uniqueCounter)"
    var template: SemaValue?
    let mir = try makeFunction(name, parameters: (argumentLeaves + extra).map(\.type)) { b, parameters in
      var iterator = parameters[...]
      let boundArguments = arguments.map { rebuild($0, from: &iterator) }
      var replacements: [Value: Value] = [:]
      for (old, new) in zip(extra, parameters.dropFirst(argumentLeaves.count)) { replacements[old] = new }
      let rebound = mapCaptures(function) { replacements[$0] ?? $0 }
      let result = try call(rebound, boundArguments, arguments.map { _ in span }, span: span)
      let resultLeaves = try leavesMaterialized(result, span: span)
      var resultIterator = resultLeaves[...]
      template = rebuild(result, from: &resultIterator)
      return resultLeaves
    }
    return Specialized(function: mir, result: template, extra: extra)
  }

  /// The tensors a function value captures, each once, in a stable order.
  func collectCaptures(_ function: FunctionValue, into values: inout [Value]) {
    func add(_ value: SemaValue) {
      switch value {
      case .tensor(let v): if !values.contains(v) { values.append(v) }
      case .tuple(let parts), .structure(_, let parts): parts.forEach(add)
      case .function(let f): collectCaptures(f, into: &values)
      case .literal, .string, .none, .dtype: break
      }
    }
    switch function {
    case .closure(let c):
      for name in referencedNames(c.body) { if let binding = c.captured[name] { add(binding.value) } }
    case .nested(let n):
      for name in referencedNames(n.decl.body) { if let binding = n.captured[name] { add(binding.value) } }
    case .transform(_, let inner): collectCaptures(inner, into: &values)
    case .pullback(let p):
      collectCaptures(p.function, into: &values)
      p.arguments.forEach(add)
    case .user, .builtin: break
    }
  }

  /// The function value with every captured tensor replaced by `transform`.
  func mapCaptures(_ function: FunctionValue, _ transform: (Value) -> Value) -> FunctionValue {
    func map(_ value: SemaValue) -> SemaValue {
      switch value {
      case .tensor(let v): return .tensor(transform(v))
      case .tuple(let parts): return .tuple(parts.map(map))
      case .structure(let d, let parts): return .structure(d, parts.map(map))
      case .function(let f): return .function(mapCaptures(f, transform))
      case .literal, .string, .none, .dtype: return value
      }
    }
    func mapBindings(_ bindings: [String: Binding]) -> [String: Binding] {
      bindings.mapValues { Binding(value: map($0.value), mutable: false, span: $0.span) }
    }
    switch function {
    case .closure(let c):
      return .closure(Closure(parameters: c.parameters, body: c.body, captured: mapBindings(c.captured), span: c.span))
    case .nested(let n):
      return .nested(NestedFunction(decl: n.decl, captured: mapBindings(n.captured)))
    case .transform(let t, let inner):
      return .transform(t, mapCaptures(inner, transform))
    case .pullback(let p):
      return .pullback(Pullback(function: mapCaptures(p.function, transform), arguments: p.arguments.map(map)))
    case .user, .builtin:
      return function
    }
  }

  /// Builds a MIR function: parameters of the given types, a body that returns leaves.
  func makeFunction(_ name: String, parameters: [TensorType], _ body: (Builder, [Value]) throws -> [Value]) throws
    -> Function
  {
    if let existing = module.function(named: name) { return existing }
    let saved = builder
    defer { builder = saved }
    let entry = MindIR.Block(arguments: parameters.map(values.make))
    builder = Builder(values: values, block: entry)
    builder.location = saved.location
    let results = try body(builder, entry.arguments)
    builder.create(.returnOp, results, resultTypes: [])
    let function = Function(name: name, body: entry, resultTypes: results.map(\.type), location: saved.location)
    module.add(function)
    return function
  }

  /// The VJP function of a specialized function (MindAD), with AD errors located at `span`.
  func differentiate(_ function: Function, span: SourceSpan) throws -> Function {
    try checkDifferentiable(
      function.body, inputs: function.parameters, outputs: function.body.terminator?.operands ?? [],
      name: function.name.components(separatedBy: "__")[0], reportAt: span)
    do {
      return try differentiator.vjpFunction(of: function)
    } catch var diagnostic as Diagnostic {
      if diagnostic.span == .unknown { diagnostic.span = span }
      throw diagnostic
    }
  }

  func specializeTransform(_ function: FunctionValue, _ arguments: [SemaValue], span: SourceSpan) throws -> Specialized
  {
    guard case .transform(let transform, let inner) = function else {
      return try specializeValue(function, arguments, span: span)
    }
    switch transform {
    case .grad(let wrt, let tuple, let withValue):
      let specialized = try specializeValue(inner, arguments, span: span)
      let result = specialized.result ?? .tuple([])
      try checkScalarResult(result, inner, span: span)
      let wrtArguments = try wrt.map { try checkedWrtArgument($0, inner, arguments, span: span) }
      let vjp = try differentiate(specialized.function, span: span)
      let offsets = leafOffsets(arguments)
      let seedType = specialized.function.resultTypes[0]
      let name = "\(transform.name)\(wrt.map(String.init).joined(separator: "_")).\(specialized.function.name)"
      let wrapper = try makeFunction(name, parameters: specialized.function.parameters.map(\.type)) { b, parameters in
        let seed = b.scalar(1, seedType.dtype)
        let outputs = b.create(.call(callee: vjp.name), parameters + [seed], resultTypes: vjp.resultTypes).results
        let adjoints = Array(outputs.dropFirst(1))
        var picked: [Value] = withValue ? [outputs[0]] : []
        for index in wrt { picked += adjoints[offsets[index]..<offsets[index + 1]] }
        return picked
      }
      let gradient = wrtArguments.count == 1 && !tuple ? wrtArguments[0] : .tuple(wrtArguments)
      return Specialized(
        function: wrapper, result: withValue ? .tuple([result, gradient]) : gradient, extra: specialized.extra)
    case .jvp:
      // Forward mode by differentiating the (linear) pullback: with u ↦ Jᵀu as a function H,
      // the pullback of H applied to the tangent v is Jv.
      let n = arguments.count / 2
      let primals = Array(arguments[..<n])
      let specialized = try specializeValue(inner, primals, span: span)
      let result = specialized.result ?? .tuple([])
      let f = specialized.function
      let wrapper = try forwardFunction(f, primalLeaves: primals.flatMap(leaves).count, span: span)
      // Called with the primal leaves, the captured values, then the tangents.
      return Specialized(function: wrapper, result: .tuple([result, fresh(result)]), extra: specialized.extra)
    case .hessian:
      // The Jacobian of the gradient, row by row (reverse over reverse; forward mode is the
      // pullback differentiated once more, which would cost the same).
      guard let x = arguments.first, case .tensor = x else {
        throw Diagnostic("E5005", "`hessian` needs a function of one tensor", at: span)
      }
      let gradient = FunctionValue.transform(.grad(wrt: [0], tuple: false, withValue: false), inner)
      return try specializeJacobian(forward: false, wrt: 0, gradient, arguments, span: span)
    case .jacobian(let forward, let wrt):
      return try specializeJacobian(forward: forward, wrt: wrt, inner, arguments, span: span)
    case .checkpoint:
      let specialized = try specializeValue(inner, arguments, span: span)
      let wrapper = try makeFunction(
        "checkpoint." + specialized.function.name, parameters: specialized.function.parameters.map(\.type)
      ) { b, parameters in
        b.create(.call(callee: specialized.function.name), parameters, resultTypes: specialized.function.resultTypes)
          .results
      }
      differentiator.keep.insert(wrapper.name)
      return Specialized(function: wrapper, result: specialized.result, extra: specialized.extra)
    case .vmap(let inAxes, let outAxes):
      return try specializeVmap(inAxes, outAxes, inner, arguments, spans: arguments.map { _ in span }, span: span)
    case .vjp:
      throw Diagnostic(
        "E5010", "`vjp(f)` returns a pair, not a function to transform; call it and use the pullback", at: span)
    }
  }

  /// Where each argument's leaves start in the flattened parameter list (plus the end).
  func leafOffsets(_ arguments: [SemaValue]) -> [Int] {
    var offsets = [0]
    for argument in arguments { offsets.append(offsets.last! + leaves(argument).count) }
    return offsets
  }

  /// Names used in an expression or block (a superset of what a closure reads).
  func referencedNames(_ expr: Expr) -> [String] {
    var names: [String] = []
    ASTWalker.visitNames(expr) { if !names.contains($0) { names.append($0) } }
    return names
  }

  func referencedNames(_ block: StatementBlock) -> [String] {
    var names: [String] = []
    ASTWalker.visitNames(block) { if !names.contains($0) { names.append($0) } }
    return names
  }
}
