// Reductions: sum mean prod max min logsumexp norm argmax argmin, with `axes=`/`axis=` and
// `keepdims=`.

import MindFrontend
import MindIR

enum Reductions {
  /// Reduces `axes` of `x` with `op`, keeping them as size-1 axes when asked.
  static func reduce(_ b: Builder, _ op: ReduceOp, _ x: Value, axes: [Int], keepdims: Bool) -> Value {
    let reduced = b.reduce(op, x, axes: axes)
    guard keepdims else { return reduced }
    return b.reshape(reduced, x.type.shape.enumerated().map { axes.contains($0.offset) ? .known(1) : $0.element })
  }

  /// The number of elements reduced, in f64 (a product of extents too large for an Int is left
  /// to the verifier's size limit, E6009).
  static func count(_ x: Value, axes: [Int]) -> Double? {
    var n = 1.0
    for axis in axes {
      guard let extent = x.type.shape[axis].value else { return nil }
      n *= Double(extent)
    }
    return n
  }

  static func call(_ name: String, _ args: BuiltinArguments) throws -> SemaValue? {
    let b = args.b
    switch name {
    case "sum", "mean", "prod", "max", "min", "logsumexp", "norm":
      try args.expect(1...1, keywords: ["axes", "axis", "keepdims"])
      let x = ["mean", "logsumexp", "norm"].contains(name) ? try args.float(0) : try args.tensor(0)
      guard x.type.dtype != .bool else {
        throw Diagnostic("E2005", "`\(name)` expects a numeric tensor, found bool", at: args.positional[0].span)
      }
      let axes = try args.reductionAxes(rank: x.type.rank)
      let keepdims = try args.keywordBool("keepdims") ?? false
      if ["max", "min"].contains(name), axes.contains(where: { x.type.shape[$0] == .known(0) }) {
        throw Diagnostic("E3006", "`\(name)` of an empty axis has no identity", at: args.span)
      }
      switch name {
      case "sum": return .tensor(reduce(b, .sum, x, axes: axes, keepdims: keepdims))
      case "prod": return .tensor(reduce(b, .prod, x, axes: axes, keepdims: keepdims))
      case "max": return .tensor(reduce(b, .max, x, axes: axes, keepdims: keepdims))
      case "min": return .tensor(reduce(b, .min, x, axes: axes, keepdims: keepdims))
      case "norm":
        // The 2-norm of a vector, the Frobenius norm of a matrix (NumPy's default `ord`).
        return .tensor(b.unary(.sqrt, reduce(b, .sum, b.binary(.mul, x, x), axes: axes, keepdims: keepdims)))
      case "mean":
        let total = reduce(b, .sum, x, axes: axes, keepdims: keepdims)
        return .tensor(b.binary(.div, total, b.splat(count(x, axes: axes) ?? 1, like: total.type)))
      default:
        // logsumexp = m + log(sum(exp(x - m))), m = max(x) (with -inf guarded to 0).
        let m = b.unary(.stopGradient, reduce(b, .max, x, axes: axes, keepdims: true))
        let finite = b.select(b.compare(.eq, m, b.splat(-.infinity, like: m.type)), b.splat(0, like: m.type), m)
        let shifted = b.unary(.exp, b.binary(.sub, x, b.broadcast(finite, to: x.type.shape)))
        let total = b.unary(.log, reduce(b, .sum, shifted, axes: axes, keepdims: true))
        let result = b.binary(.add, total, finite)
        return .tensor(
          keepdims
            ? result : b.reshape(result, x.type.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)))
      }
    case "argmax", "argmin":
      try args.expect(1...1, keywords: ["axis", "keepdims"])
      var x = try args.tensor(0)
      var axis = 0
      if let k = args.keywords["axis"] {
        axis = try args.normalizeAxis(
          try args.constantInt(k.value, k.span, what: "`axis`"), rank: x.type.rank, span: k.span)
      } else {
        x = b.reshape(x, [x.type.isConcrete ? .known(x.type.elementCount) : .unknown])
      }
      guard x.type.rank > 0 else { throw Diagnostic("E3004", "`\(name)` of a scalar", at: args.span) }
      guard x.type.shape[axis] != .known(0) else {
        throw Diagnostic("E3006", "`\(name)` of an empty axis has no answer", at: args.span)
      }
      var result = b.value(.argReduce(max: name == "argmax", axis: axis), [x])
      if try args.keywordBool("keepdims") ?? false {
        var shape = x.type.shape
        shape[axis] = .known(1)
        result = b.reshape(result, shape)
      }
      return .tensor(result)
    default:
      return nil
    }
  }
}
