// Elementwise built-ins that are not single primitives: log2 log10 rsqrt relu softplus gelu
// square pow max min atan2 hypot logaddexp where clip.

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
        throw Diagnostic("E2005", "`\(name)` expects a numeric tensor, found bool", at: args.positional[0].span)
      }
      let c = { (v: Double) in b.splat(v, like: x.type) }
      switch name {
      case "log2": return .tensor(b.binary(.div, b.unary(.log, x), c(0.6931471805599453)))
      case "log10": return .tensor(b.binary(.div, b.unary(.log, x), c(2.302585092994046)))
      case "rsqrt": return .tensor(b.binary(.div, c(1), b.unary(.sqrt, x)))
      // A select, not max(x, 0): max splits the gradient at a tie, and relu'(0) is 0
      // (LANGUAGE.md, as jax.nn.relu); NaN stays NaN.
      case "relu": return .tensor(b.select(b.compare(.le, x, c(0)), c(0), x))
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
        throw Diagnostic("E2005", "`\(name)` expects numeric tensors, found bool", at: args.span)
      }
      return .tensor(b.binary(name == "max" ? .max : .min, xs[0], xs[1]))
    case "atan2", "hypot", "logaddexp":
      try args.expect(2...2)
      // Integer literals only (atan2(1, 2)): f32, as for the one-argument functions.
      let literals = args.positional.allSatisfy { args.e.isWeakLiteral($0.value) }
      let xs = try args.e.harmonize(
        args.positional.map { ($0.value, $0.span) }, span: args.span, dtype: literals ? .f32 : nil)
      guard xs[0].type.dtype.isFloat else {
        throw Diagnostic(
          "E2005", "`\(name)` expects floating-point tensors, found \(describe(xs[0].type))", at: args.span)
      }
      switch name {
      case "atan2": return .tensor(atan2(xs[0], xs[1], b))
      case "hypot": return .tensor(hypot(xs[0], xs[1], b))
      default: return .tensor(logAddExp(xs[0], xs[1], b))
      }
    case "clip":
      try args.expect(3...3)
      let xs = try args.e.harmonize(args.positional.map { ($0.value, $0.span) }, span: args.span)
      return .tensor(b.binary(.min, b.binary(.max, xs[0], xs[1]), xs[2]))
    case "where":
      try args.expect(3...3)
      let condition = try args.tensor(0, as: .bool)
      guard condition.type.dtype == .bool else {
        throw Diagnostic(
          "E2005", "the condition of `where` must be bool, found \(describe(condition.type))",
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

  /// The larger and smaller of |a| and |b|, chosen by a select so that a tie sends each operand's
  /// whole derivative one way (a max would split it, which is wrong for atan2), with the larger
  /// made 1 where both are 0 so that a quotient by it stays finite.
  private static func ordered(_ a: Value, _ b: Value, _ builder: Builder) -> (
    larger: Value, smaller: Value, swapped: Value, safeLarger: Value
  ) {
    let (p, q) = (builder.unary(.abs, a), builder.unary(.abs, b))
    let swapped = builder.compare(.lt, p, q)
    let larger = builder.select(swapped, q, p)
    let zero = builder.compare(.eq, larger, builder.splat(0, like: a.type))
    return (
      larger, builder.select(swapped, p, q), swapped, builder.select(zero, builder.splat(1, like: a.type), larger)
    )
  }

  /// Whether the sign bit is set (so that -0 counts as negative, as atan2 needs): v < 0, or
  /// 1/v < 0 for v = -0.
  private static func signBit(_ v: Value, _ b: Builder) -> Value {
    let zero = b.splat(0, like: v.type)
    return b.binary(
      .or, b.compare(.lt, v, zero), b.compare(.lt, b.binary(.div, b.splat(1, like: v.type), v), zero))
  }

  /// atan2(y, x) as NumPy's: atan of the smaller over the larger magnitude (in [0, π/4]), reflected
  /// about π/4 when |y| > |x| and about π/2 when x is negative (-0 included), with y's sign.
  static func atan2(_ y: Value, _ x: Value, _ b: Builder) -> Value {
    let c = { (v: Double) in b.splat(v, like: y.type) }
    // ordered(x, y): `swapped` when |x| < |y|.
    let (_, smaller, swapped, safeLarger) = ordered(x, y, b)
    var angle = b.unary(.atan, b.binary(.div, smaller, safeLarger))
    angle = b.select(swapped, b.binary(.sub, c(Double.pi / 2), angle), angle)
    angle = b.select(signBit(x, b), b.binary(.sub, c(Double.pi), angle), angle)
    return b.select(signBit(y, b), b.unary(.neg, angle), angle)
  }

  /// hypot(a, b) = m·√(1 + (n/m)²) with m, n the larger and smaller magnitude: no overflow or
  /// underflow in the square; inf when either is infinite.
  static func hypot(_ a: Value, _ b: Value, _ builder: Builder) -> Value {
    let (larger, smaller, _, safeLarger) = ordered(a, b, builder)
    let ratio = builder.binary(.div, smaller, safeLarger)
    let one = builder.splat(1, like: a.type)
    let result = builder.binary(
      .mul, larger, builder.unary(.sqrt, builder.binary(.add, one, builder.binary(.mul, ratio, ratio))))
    let infinite = builder.compare(.eq, larger, builder.splat(.infinity, like: a.type))
    return builder.select(infinite, larger, result)
  }

  /// log(e^a + e^b) = max(a, b) + log1p(e^-|a - b|), and the infinite maximum itself where a and
  /// b are both infinite of one sign.
  static func logAddExp(_ a: Value, _ b: Value, _ builder: Builder) -> Value {
    let larger = builder.binary(.max, a, b)
    let gap = builder.unary(.neg, builder.unary(.abs, builder.binary(.sub, a, b)))
    let result = builder.binary(.add, larger, builder.unary(.log1p, builder.unary(.exp, gap)))
    let infinite = builder.compare(.eq, builder.unary(.abs, larger), builder.splat(.infinity, like: a.type))
    return builder.select(infinite, larger, result)
  }
}
