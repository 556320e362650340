// The vector math kernels (Sources/MindCodegen/VectorMath*.swift) against glibc's libm, in ulps,
// over their whole range and at the special values, through both compilation tiers of the
// Swift API (the quick first-call code and the optimized code). Each bound is the worst case
// measured here plus one ulp for another libm: 1 ulp for exp, exp2, log, log1p, atan, asinh, f32
// sin, cos and acosh, erf and f64 cosh; 2 for expm1, asin, acos, tanh, sinh, f32 cosh and atanh,
// sigmoid, f64 acosh and erf; 3 for f64 atanh; 4 for erfc (near its underflow). sin and cos (f32)
// cross into libm's own calls beyond 8192. Both subnormal modes: IEEE arithmetic against libm
// itself, and the default flush-to-zero mode against libm with subnormal inputs and results
// flushed to zero.

import Foundation
import MIND
import Testing

@Suite struct VectorMathTests {
  /// The distance in units in the last place between two floats of the same sign; 0 when both
  /// are NaN or the same infinity.
  static func ulps<F: BinaryFloatingPoint>(_ a: F, _ b: F) -> Double where F.RawSignificand: FixedWidthInteger {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : .infinity }
    if a == b { return 0 }
    if a.isInfinite || b.isInfinite || (a < 0) != (b < 0) { return .infinity }
    let spacing = max(a.magnitude.ulp, b.magnitude.ulp)
    return Double((a - b).magnitude / spacing)
  }

  /// Inputs: a dense sweep of [low, high], both ends, zeros, tiny and huge numbers, infinities, NaN.
  static func inputs(_ low: Double, _ high: Double, count: Int = 4093) -> [Double] {
    let sweep = (0..<count).map { low + (high - low) * Double($0) / Double(count - 1) }
    return sweep + [0, -0.0, 1e-30, -1e-30, 1e-40, 1, -1, 0.625, -0.625, 1e30, -1e30, .infinity, -.infinity, .nan]
  }

  /// ±10^k for k from -40 to 2 in steps of 1/64: where log1p and expm1 differ from log and exp,
  /// and the odd functions are x to first order.
  static let smallMagnitudes = (-40 * 64...2 * 64).flatMap { k -> [Double] in
    let v = Foundation.pow(10, Double(k) / 64)
    return [v, -v]
  }
  /// Near zero and subnormal, for the logarithms.
  static let nearZero = inputs(0, 2) + [1e-310, 5e-324]

  struct Case: CustomTestStringConvertible, Sendable {
    let builtin: String
    let isF32: Bool
    let low: Double
    let high: Double
    let maximumUlps: Double
    let extraInputs: [Double]
    let reference: @Sendable (Double) -> Double
    var function: String { builtin + (isF32 ? "32" : "64") }
    var testDescription: String { function }

    /// A case against glibc's f32 function.
    static func f32(
      _ builtin: String, _ low: Double, _ high: Double, ulps: Double, extra: [Double] = [],
      _ reference: @escaping @Sendable (Float) -> Float
    ) -> Case {
      Case(
        builtin: builtin, isF32: true, low: low, high: high, maximumUlps: ulps, extraInputs: extra,
        reference: { Double(reference(Float($0))) })
    }

    static func f64(
      _ builtin: String, _ low: Double, _ high: Double, ulps: Double, extra: [Double] = [],
      _ reference: @escaping @Sendable (Double) -> Double
    ) -> Case {
      Case(
        builtin: builtin, isF32: false, low: low, high: high, maximumUlps: ulps, extraInputs: extra,
        reference: reference)
    }
  }

  static let cases: [Case] = [
    .f32("exp", -110, 95, ulps: 2, Foundation.exp),
    .f64("exp", -760, 720, ulps: 2, Foundation.exp),
    .f32("exp2", -160, 130, ulps: 2, Foundation.exp2),
    .f64("exp2", -1100, 1030, ulps: 2, Foundation.exp2),
    .f32("expm1", -30, 95, ulps: 3, extra: inputs(-1, 1) + smallMagnitudes, Foundation.expm1),
    .f64("expm1", -50, 720, ulps: 3, extra: inputs(-1, 1) + smallMagnitudes, Foundation.expm1),
    .f32("log", -1, 3e4, ulps: 2, extra: nearZero, Foundation.log),
    .f64("log", -1, 1e6, ulps: 2, extra: nearZero, Foundation.log),
    .f32("log1p", -1, 3e4, ulps: 2, extra: nearZero + inputs(-1, 1) + smallMagnitudes, Foundation.log1p),
    .f64("log1p", -1, 1e6, ulps: 2, extra: nearZero + inputs(-1, 1) + smallMagnitudes, Foundation.log1p),
    .f32("sigmoid", -100, 30, ulps: 3) { x in Float(1 / (1 + Foundation.exp(-Double(x)))) },
    .f32("sin", -9000, 9000, ulps: 2, Foundation.sin),
    .f32("cos", -9000, 9000, ulps: 2, Foundation.cos),
    .f32("atan", -30, 30, ulps: 2, extra: smallMagnitudes, Foundation.atan),
    .f64("atan", -30, 30, ulps: 2, extra: smallMagnitudes, Foundation.atan),
    .f32("asin", -1.1, 1.1, ulps: 3, extra: smallMagnitudes, Foundation.asin),
    .f64("asin", -1.1, 1.1, ulps: 3, extra: smallMagnitudes, Foundation.asin),
    .f32("acos", -1.1, 1.1, ulps: 3, extra: smallMagnitudes, Foundation.acos),
    .f64("acos", -1.1, 1.1, ulps: 3, extra: smallMagnitudes, Foundation.acos),
    .f32("tanh", -12, 12, ulps: 3, extra: smallMagnitudes, Foundation.tanh),
    .f64("tanh", -25, 25, ulps: 3, extra: smallMagnitudes, Foundation.tanh),
    .f32("sinh", -95, 95, ulps: 3, extra: smallMagnitudes, Foundation.sinh),
    .f64("sinh", -715, 715, ulps: 3, extra: smallMagnitudes, Foundation.sinh),
    .f32("cosh", -95, 95, ulps: 3, extra: smallMagnitudes, Foundation.cosh),
    .f64("cosh", -715, 715, ulps: 2, extra: smallMagnitudes, Foundation.cosh),
    .f32("asinh", -2e4, 2e4, ulps: 2, extra: inputs(-3, 3) + smallMagnitudes, Foundation.asinh),
    .f64("asinh", -3e8, 3e8, ulps: 2, extra: inputs(-3, 3) + smallMagnitudes, Foundation.asinh),
    .f32("acosh", 0, 2e4, ulps: 2, extra: inputs(0.9, 3) + smallMagnitudes.map { 1 + $0 }, Foundation.acosh),
    .f64("acosh", 0, 3e8, ulps: 3, extra: inputs(0.9, 3) + smallMagnitudes.map { 1 + $0 }, Foundation.acosh),
    .f32("atanh", -1.1, 1.1, ulps: 3, extra: smallMagnitudes, Foundation.atanh),
    .f64("atanh", -1.1, 1.1, ulps: 4, extra: smallMagnitudes, Foundation.atanh),
    .f32("erf", -7, 7, ulps: 2, extra: smallMagnitudes, Foundation.erf),
    .f64("erf", -7, 7, ulps: 3, extra: smallMagnitudes, Foundation.erf),
    .f32("erfc", -7, 11, ulps: 5, extra: smallMagnitudes, Foundation.erfc),
    .f64("erfc", -7, 28, ulps: 5, extra: smallMagnitudes, Foundation.erfc),
  ]

  static let source = cases.map { c in
    let type = "Tensor<\(c.isF32 ? "f32" : "f64"), N>"
    return "fn \(c.function)(x: \(type)) -> \(type) { \(c.builtin)(x) }"
  }.joined(separator: "\n")

  /// What flush-to-zero arithmetic makes of a value: subnormals become zeros of their sign.
  static func flushed<F: BinaryFloatingPoint>(_ x: F) -> F { x.isSubnormal ? (x < 0 ? -0.0 : 0) : x }

  @Test(arguments: cases, [false, true]) func matchesLibm(_ c: Case, flushesSubnormals: Bool) throws {
    let session = try Session(source: Self.source, cacheDirectory: nil, flushesSubnormals: flushesSubnormals)
    let function = try session.function(c.function)
    let xs = Self.inputs(c.low, c.high) + c.extraInputs
    let isF32 = c.isF32
    let argument = isF32 ? Tensor(xs.map { Float($0) }) : Tensor(xs)
    for tier in ["quick", "optimized"] {
      if tier == "optimized" { session.waitForOptimizedCode() }
      let output = try function(argument)[0]
      let ys = isF32 ? output.floats.map(Double.init) : output.doubles
      var worst = (ulps: 0.0, x: 0.0, got: 0.0, want: 0.0)
      for (x, y) in zip(xs, ys) {
        let input = isF32 ? Double(Float(x)) : x
        let want =
          !flushesSubnormals
          ? c.reference(input)
          : isF32
            ? Double(Self.flushed(Float(c.reference(Double(Self.flushed(Float(input)))))))
            : Self.flushed(c.reference(Self.flushed(input)))
        let distance = isF32 ? Self.ulps(Float(y), Float(want)) : Self.ulps(y, want)
        if distance > worst.ulps || distance.isNaN { worst = (distance, x, y, want) }
      }
      #expect(
        worst.ulps <= c.maximumUlps,
        "\(c.function) (\(tier), flush \(flushesSubnormals)): \(worst.ulps) ulps at x = \(worst.x): got \(worst.got), libm \(worst.want)"
      )
    }
  }
}

extension VectorMathTests {
  /// An element's sin or cos is the same whatever shares its vector register: lanes beyond 8192
  /// take libm's value, the others the polynomial's (libm returns a tiny x itself, where the
  /// polynomial flushes a subnormal x). Vector widths differ between machines (8 or 16 lanes),
  /// so the big value is at every position of a 16-element group.
  @Test(arguments: ["sin", "cos"]) func anElementDoesNotDependOnItsNeighbours(_ builtin: String) throws {
    let session = try Session(
      source: "fn f(x: Tensor<f32, N>) -> Tensor<f32, N> { \(builtin)(x) }", cacheDirectory: nil)
    let f = try session.function("f")
    let small: [Float] = [1e-40, -1e-40, 0.5, -3, 1e-30, 100]
    let alone = try small.map { try f(Tensor([$0]))[0].floats[0] }
    for position in 0..<16 {
      var xs = (0..<32).map { small[$0 % small.count] }
      xs[position] = 1e5
      xs[position + 16] = -3e6
      let ys = try f(Tensor(xs))[0].floats
      for (i, x) in xs.enumerated() where abs(x) < 8192 {
        #expect(
          ys[i].bitPattern == alone[small.firstIndex(of: x)!].bitPattern, "\(builtin)(\(x)) at \(i), 1e5 at \(position)"
        )
      }
      #expect(abs(ys[position] - Float(builtin == "sin" ? Foundation.sin(1e5) : Foundation.cos(1e5))) < 1e-6)
    }
  }
}
