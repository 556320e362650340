// Whole Jacobians, as JAX's `jacrev`, `jacfwd` and `jacobian` (= `jacrev`): for `f` returning one
// tensor y and differentiated with respect to one tensor argument x (`wrt`, 0 by default), the
// Jacobian has shape y.shape + x.shape. Both are one batched computation (Batching): `jacrev`
// batches the VJP over the rows of the identity (one cotangent per element of y), `jacfwd`
// batches the forward derivative over its columns (one tangent per element of x). `hessian(f)`
// is `jacrev(grad(f))`. Forward mode here is the pullback differentiated once more (`jvp`), so
// `jacfwd` costs about what `jacrev` does; prefer `jacrev` unless x has fewer elements than y.

import MindFrontend
import MindIR

extension Elaborator {
  /// The MIR function of `jvp(f)`: f's parameters, then one tangent per primal leaf; it returns
  /// f's results, then their tangents. Forward mode by differentiating the (linear) pullback:
  /// with u ↦ Jᵀu as a function H, the pullback of H applied to the tangent v is Jv.
  func forwardFunction(_ f: Function, primalLeaves: Int, span: SourceSpan) throws -> Function {
    let vjp = try differentiate(f, span: span)
    let transposed = try makeFunction("transpose." + f.name, parameters: f.parameters.map(\.type) + f.resultTypes) {
      b, parameters in
      let outputs = b.create(.call(callee: vjp.name), parameters, resultTypes: vjp.resultTypes).results
      return Array(outputs.dropFirst(f.resultTypes.count).prefix(primalLeaves))
    }
    let secondOrder = try differentiate(transposed, span: span)
    let tangentTypes = f.parameters.prefix(primalLeaves).map(\.type)
    return try makeFunction("jvp." + f.name, parameters: f.parameters.map(\.type) + tangentTypes) { b, parameters in
      let fParameters = Array(parameters.prefix(f.parameters.count))
      let tangents = Array(parameters.dropFirst(f.parameters.count))
      let primalResults = b.create(.call(callee: f.name), fParameters, resultTypes: f.resultTypes).results
      let anyCotangent = f.resultTypes.map { b.splat(0, like: $0) }
      let outputs = b.create(
        .call(callee: secondOrder.name), fParameters + anyCotangent + tangents, resultTypes: secondOrder.resultTypes
      ).results
      // The adjoints of H's parameters follow its results; those of u follow those of f's.
      let adjointsOfU = outputs.dropFirst(transposed.resultTypes.count + f.parameters.count).prefix(f.resultTypes.count)
      return primalResults + adjointsOfU
    }
  }

  /// The rows of the identity matrix of n elements, each shaped as `shape`: [n] + shape.
  func basis(_ n: Int, shape: [Dim], dtype: DType, _ b: Builder) -> Value {
    let square = TensorType(.i64, known: [n, n])
    let identity = b.cast(
      b.compare(.eq, b.value(.iota(axis: 0), [], type: square), b.value(.iota(axis: 1), [], type: square)), to: dtype)
    return b.reshape(identity, [.known(n)] + shape)
  }

  /// The function computing the Jacobian of `inner` at arguments of these shapes, with respect
  /// to argument `wrt`.
  func specializeJacobian(
    forward: Bool, wrt: Int, _ inner: FunctionValue, _ arguments: [SemaValue], span: SourceSpan
  ) throws -> Specialized {
    let name = forward ? "jacfwd" : "jacrev"
    guard case .tensor(let x) = try checkedWrtArgument(wrt, inner, arguments, span: span) else {
      throw Diagnostic("E5005", "`\(name)` differentiates with respect to one tensor argument", at: span)
    }
    let specialized = try specializeValue(inner, arguments, span: span)
    let f = specialized.function
    guard case .tensor(let y)? = specialized.result, y.type.dtype.isFloat else {
      throw Diagnostic(
        "E5010",
        "`\(name)` needs a function that returns one floating-point tensor, but `\(inner.name)` returns \((specialized.result ?? .tuple([])).typeDescription)",
        at: span)
    }
    let leaf = leafOffsets(arguments)[wrt]
    let primalLeaves = arguments.flatMap(leaves).count
    let (m, n) = (y.type.elementCount, x.type.elementCount)
    let jacobianShape = y.type.shape + x.type.shape
    let unbatched = f.parameters.map { _ in false }
    let wrapper: Function
    if forward {
      let jvp = try forwardFunction(f, primalLeaves: primalLeaves, span: span)
      let batched = (0..<primalLeaves).map { $0 == leaf }
      let columns = batcher.batchedFunction(of: jvp, batched: unbatched + batched, size: n, values: values)
      wrapper = try makeFunction("jacfwd\(wrt).\(f.name)", parameters: f.parameters.map(\.type)) { b, parameters in
        let tangents = parameters.prefix(primalLeaves).enumerated().map { i, parameter in
          i == leaf ? basis(n, shape: x.type.shape, dtype: x.type.dtype, b) : b.splat(0, like: parameter.type)
        }
        let outputs = b.create(.call(callee: columns.name), parameters + tangents, resultTypes: columns.resultTypes)
          .results
        let byColumn = b.reshape(outputs[1], [.known(n), .known(m)])
        let byRow = b.value(.transpose(perm: [1, 0]), [byColumn], type: TensorType(y.type.dtype, known: [m, n]))
        return [b.reshape(byRow, jacobianShape)]
      }
    } else {
      let vjp = try differentiate(f, span: span)
      let rows = batcher.batchedFunction(of: vjp, batched: unbatched + [true], size: m, values: values)
      wrapper = try makeFunction("jacrev\(wrt).\(f.name)", parameters: f.parameters.map(\.type)) { b, parameters in
        let cotangents = basis(m, shape: y.type.shape, dtype: y.type.dtype, b)
        let outputs = b.create(.call(callee: rows.name), parameters + [cotangents], resultTypes: rows.resultTypes)
          .results
        return [b.reshape(outputs[1 + leaf], jacobianShape)]
      }
    }
    return Specialized(
      function: wrapper, result: .tensor(values.make(TensorType(y.type.dtype, jacobianShape))), extra: specialized.extra
    )
  }
}
