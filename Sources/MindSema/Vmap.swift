// `vmap(f, in_axes=0, out_axes=0)` as a transform on function values, as in JAX: calling it
// with arguments that carry an extra axis (the one `in_axes` names per argument; `None` for an
// argument passed whole to every call) computes `f` once per index of that axis, and stacks each
// result along `out_axes`. `f` is specialized for one element's shapes, and its MIR function is
// batched by the Batching transformation (MindIR), so the result is one batched computation.
// The wrapper moves each mapped axis to the front, calls the batched function, and moves the
// batch axis of each result to its place. It composes with `grad` (per-example gradients:
// `vmap(grad(loss), in_axes=(None, 0, 0))`), with `grad` of it, and with itself.

import MindFrontend
import MindIR

extension Elaborator {
  /// `vmap(f, in_axes=..., out_axes=...)`: an integer or `None` for every argument, or a tuple of
  /// them, one per argument; out_axes likewise per element of a tuple result.
  func makeVmap(_ inner: FunctionValue, _ args: BuiltinArguments) throws -> SemaValue {
    func axes(_ key: String, default fallback: Int, allowsNone: Bool) throws -> MappedAxes {
      guard let k = args.keywords[key] else { return .all(fallback) }
      func axis(_ value: SemaValue) throws -> Int? {
        if case .none = value {
          guard allowsNone else { throw Diagnostic("E2019", "`\(key)` of `vmap` cannot be None", at: k.span) }
          return nil
        }
        return try args.constantInt(value, k.span, what: "`\(key)`")
      }
      if case .tuple(let parts) = k.value { return .each(try parts.map(axis)) }
      return .all(try axis(k.value))
    }
    let inAxes = try axes("in_axes", default: 0, allowsNone: true)
    let outAxes = try axes("out_axes", default: 0, allowsNone: false)
    return .function(.transform(.vmap(inAxes: inAxes, outAxes: outAxes), inner))
  }

  /// The mapped axis of each argument as written, and of each of the arguments' leaves (from the
  /// front: a negative axis counts from the end of each leaf), checked, and the batch extent
  /// they agree on.
  func mappedAxes(_ inAxes: MappedAxes, _ arguments: [SemaValue], _ spans: [SourceSpan], span: SourceSpan) throws
    -> (axes: [Int?], leafAxes: [Int?], size: Dim)
  {
    if case .each(let axes) = inAxes, axes.count != arguments.count {
      throw Diagnostic(
        "E2007",
        "`in_axes` of `vmap` has \(axes.count) entries but the function was called with \(arguments.count) argument\(arguments.count == 1 ? "" : "s")",
        at: span)
    }
    var size: Dim?
    var leafAxes: [Int?] = []
    for (i, argument) in arguments.enumerated() {
      let argumentLeaves = leaves(argument)
      guard let axis = inAxes.axis(i) else {
        leafAxes += argumentLeaves.map { _ in nil }
        continue
      }
      guard !argumentLeaves.isEmpty else {
        throw Diagnostic(
          "E3004", "argument \(i) of a `vmap`ped function has no axis to map over (pass `None` in `in_axes`)",
          at: spans[i])
      }
      for leaf in argumentLeaves {
        let rank = leaf.type.rank
        guard -rank <= axis && axis < rank else {
          throw Diagnostic(
            "E3004", "`in_axes` names axis \(axis) of argument \(i), which has rank \(rank)", at: spans[i])
        }
        let positive = axis < 0 ? axis + rank : axis
        let extent = leaf.type.shape[positive]
        if let size, size != extent, size != .unknown, extent != .unknown {
          throw Diagnostic(
            "E3003",
            "`vmap` maps over axes of different sizes: \(size) and \(extent) (axis \(positive) of argument \(i))",
            at: spans[i])
        }
        size = size ?? extent
        leafAxes.append(positive)
      }
    }
    guard let size else {
      throw Diagnostic("E2019", "`vmap` needs at least one argument to map over (an axis in `in_axes`)", at: span)
    }
    return (arguments.indices.map { inAxes.axis($0) }, leafAxes, size)
  }

  /// Each leaf of `value` without the mapped axis (counted from the end of each leaf when
  /// negative): what one call of the function sees.
  func element(of value: SemaValue, axis: Int?) -> SemaValue {
    guard let axis else { return value }
    return fresh(value) { type in
      var shape = type.shape
      shape.remove(at: axis < 0 ? axis + type.rank : axis)
      return TensorType(type.dtype, shape)
    }
  }

  /// The batch axis of each leaf of the result, checked (non-negative, in the batched rank).
  func resultAxes(_ outAxes: MappedAxes, _ result: SemaValue, span: SourceSpan) throws -> [Int] {
    let elements: [SemaValue]
    if case .each(let axes) = outAxes {
      guard case .tuple(let parts) = result, parts.count == axes.count else {
        throw Diagnostic(
          "E2007", "`out_axes` of `vmap` has \(axes.count) entries but the function returns \(result.typeDescription)",
          at: span)
      }
      elements = parts
    } else {
      elements = [result]
    }
    return try elements.enumerated().flatMap { i, element in
      try leaves(element).map { leaf in
        let axis = outAxes.axis(i) ?? 0
        let rank = leaf.type.rank + 1
        guard -rank <= axis && axis < rank else {
          throw Diagnostic("E3004", "`out_axes` names axis \(axis) of a batched result of rank \(rank)", at: span)
        }
        return axis < 0 ? axis + rank : axis
      }
    }
  }

  /// The result with the batch axis inserted into each leaf at its axis.
  func stacked(_ result: SemaValue, size: Dim, axes: [Int]) -> SemaValue {
    var remaining = axes[...]
    return fresh(result) { type in
      var shape = type.shape
      shape.insert(size, at: remaining.removeFirst())
      return TensorType(type.dtype, shape)
    }
  }

  func callVmap(
    _ inAxes: MappedAxes, _ outAxes: MappedAxes, _ inner: FunctionValue, _ values: [SemaValue], _ spans: [SourceSpan],
    span: SourceSpan
  ) throws -> SemaValue {
    let arguments = try zip(values, spans).map { value, span in
      if case .literal = value { return SemaValue.tensor(try materialize(value, span: span)) }
      return value
    }
    if symbolic {
      let (axes, _, size) = try mappedAxes(inAxes, arguments, spans, span: span)
      let elements = zip(arguments, axes).map { element(of: $0, axis: $1) }
      let result = try call(inner, elements, spans, span: span)
      return stacked(result, size: size, axes: try resultAxes(outAxes, result, span: span))
    }
    let specialized = try specializeVmap(inAxes, outAxes, inner, arguments, spans: spans, span: span)
    return try emitCall(specialized, arguments, span: span)
  }

  /// The wrapper of `vmap(inner)` for arguments of these shapes.
  func specializeVmap(
    _ inAxes: MappedAxes, _ outAxes: MappedAxes, _ inner: FunctionValue, _ arguments: [SemaValue],
    spans: [SourceSpan], span: SourceSpan
  ) throws -> Specialized {
    let (axes, leafAxes, size) = try mappedAxes(inAxes, arguments, spans, span: span)
    let elements = zip(arguments, axes).map { element(of: $0, axis: $1) }
    let specialized = try specializeValue(inner, elements, span: span)
    let f = specialized.function
    let result = specialized.result ?? .tuple([])
    let outputAxes = try resultAxes(outAxes, result, span: span)
    let batched = batcher.batchedFunction(
      of: f, batched: leafAxes.map { $0 != nil } + specialized.extra.map { _ in false }, size: size.value ?? 0,
      values: values)
    let code = { (axes: [Int?]) in axes.map { $0.map(String.init) ?? "n" }.joined(separator: "_") }
    let name = "vmap.\(size).\(code(leafAxes)).\(code(outputAxes)).\(f.name)"
    let wrapper = try makeFunction(
      name, parameters: arguments.flatMap(leaves).map(\.type) + specialized.extra.map(\.type)
    ) { b, parameters in
      let moved = zip(parameters, leafAxes + specialized.extra.map { _ in nil }).map { parameter, axis in
        axis.map { b.moveAxis(parameter, from: $0, to: 0) } ?? parameter
      }
      let outputs = b.create(.call(callee: batched.name), moved, resultTypes: batched.resultTypes).results
      return zip(outputs, outputAxes).map { b.moveAxis($0, from: 0, to: $1) }
    }
    return Specialized(
      function: wrapper, result: stacked(result, size: size, axes: outputAxes), extra: specialized.extra)
  }
}
