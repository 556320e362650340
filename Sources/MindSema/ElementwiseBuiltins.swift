// Elementwise built-ins that are not single primitives: log2 log10 rsqrt relu softplus gelu
// square pow max min where clip.

import MindFrontend
import MindIR

enum Elementwise {
  static func call(_ name: String, _ args: BuiltinArguments) throws -> SemaValue? {
    let b = args.b
    switch name {
    case "log2", "log10", "rsqrt", "relu", "softplus", "gelu", "square":
      try args.expect(1...1)
      let x = name == "relu" || name == "square" ? try args.tensor(0) : try args.float(0)
      guard x.type.dtype != .bool else {
        throw Diagnostic("E2004", "`\(name)` expects a numeric tensor, found bool", at: args.positional[0].span)
      }
      let c = { (v: Double) in b.splat(v, like: x.type) }
      switch name {
      case "log2": return .tensor(b.binary(.div, b.unary(.log, x), c(0.6931471805599453)))
      case "log10": return .tensor(b.binary(.div, b.unary(.log, x), c(2.302585092994046)))
      case "rsqrt": return .tensor(b.binary(.div, c(1), b.unary(.sqrt, x)))
      case "relu": return .tensor(b.binary(.max, x, c(0)))
      case "square": return .tensor(b.binary(.mul, x, x))
      case "softplus":
        // max(x, 0) + log(1 + exp(-|x|)): exact and without overflow.
        let tail = b.unary(.log, b.binary(.add, c(1), b.unary(.exp, b.unary(.neg, b.unary(.abs, x)))))
        return .tensor(b.binary(.add, b.binary(.max, x, c(0)), tail))
      default:
        // gelu, tanh approximation (jax.nn.gelu's default).
        let cube = b.binary(.mul, b.binary(.mul, x, x), x)
        let inner = b.binary(.mul, c(0.7978845608028654), b.binary(.add, x, b.binary(.mul, c(0.044715), cube)))
        return .tensor(b.binary(.mul, b.binary(.mul, c(0.5), x), b.binary(.add, c(1), b.unary(.tanh, inner))))
      }
    case "pow":
      try args.expect(2...2)
      return try args.e.elaborateBinary(
        .power, args.positional[0].value, args.positional[1].value, lhsSpan: args.positional[0].span,
        rhsSpan: args.positional[1].span, span: args.span)
    case "max", "min":
      if args.positional.count == 1 { return nil }  // a reduction
      try args.expect(2...2)
      let xs = try args.e.harmonize(args.positional.map { ($0.value, $0.span) }, span: args.span)
      guard xs[0].type.dtype != .bool else {
        throw Diagnostic("E2004", "`\(name)` expects numeric tensors, found bool", at: args.span)
      }
      return .tensor(b.binary(name == "max" ? .max : .min, xs[0], xs[1]))
    case "clip":
      try args.expect(3...3)
      let xs = try args.e.harmonize(args.positional.map { ($0.value, $0.span) }, span: args.span)
      return .tensor(b.binary(.min, b.binary(.max, xs[0], xs[1]), xs[2]))
    case "where":
      try args.expect(3...3)
      let condition = try args.tensor(0, as: .bool)
      guard condition.type.dtype == .bool else {
        throw Diagnostic(
          "E2004", "the condition of `where` must be bool, found \(describe(condition.type))",
          at: args.positional[0].span)
      }
      let branches = try args.e.harmonize(args.positional.dropFirst().map { ($0.value, $0.span) }, span: args.span)
      let shape = try args.e.broadcastShapes(condition.type.shape, branches[0].type.shape, span: args.span)
      return .tensor(
        b.select(
          b.broadcast(condition, to: shape), b.broadcast(branches[0], to: shape), b.broadcast(branches[1], to: shape)))
    default:
      return nil
    }
  }
}
