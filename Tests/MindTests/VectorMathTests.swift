// The vector math kernels (Sources/MindCodegen/VectorMath.swift) against glibc's libm, in ulps,
// over their whole range and at the special values, through both compilation tiers of the
// Swift API (the quick first-call code and the optimized code). Measured worst cases here: exp
// and log 1 ulp (f32 and f64), tanh and sigmoid 2 ulps (f32), log1p and expm1 (see the cases); the bounds leave one ulp for
// another libm. sin and cos (f32) are checked to the same 3-ulp bound as tanh over [-9000, 9000],
// which crosses into libm's own calls beyond 8192. Both subnormal modes: IEEE arithmetic against libm itself, and the default
// flush-to-zero mode against libm with subnormal inputs and results flushed to zero.

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

  static let source = """
    fn e32(x: Tensor<f32, N>) -> Tensor<f32, N> { exp(x) }
    fn l32(x: Tensor<f32, N>) -> Tensor<f32, N> { log(x) }
    fn t32(x: Tensor<f32, N>) -> Tensor<f32, N> { tanh(x) }
    fn sin32(x: Tensor<f32, N>) -> Tensor<f32, N> { sin(x) }
    fn cos32(x: Tensor<f32, N>) -> Tensor<f32, N> { cos(x) }
    fn s32(x: Tensor<f32, N>) -> Tensor<f32, N> { sigmoid(x) }
    fn e64(x: Tensor<f64, N>) -> Tensor<f64, N> { exp(x) }
    fn l64(x: Tensor<f64, N>) -> Tensor<f64, N> { log(x) }
    fn lp32(x: Tensor<f32, N>) -> Tensor<f32, N> { log1p(x) }
    fn lp64(x: Tensor<f64, N>) -> Tensor<f64, N> { log1p(x) }
    fn em32(x: Tensor<f32, N>) -> Tensor<f32, N> { expm1(x) }
    fn em64(x: Tensor<f64, N>) -> Tensor<f64, N> { expm1(x) }
    """

  /// ±10^k for k from -40 to 2 in steps of 1/64: where log1p and expm1 differ from log and exp.
  static let smallMagnitudes = (-40 * 64...2 * 64).flatMap { k -> [Double] in
    let v = Foundation.pow(10, Double(k) / 64)
    return [v, -v]
  }

  struct Case: CustomTestStringConvertible, Sendable {
    let function: String
    let low: Double
    let high: Double
    let maximumUlps: Double
    var extraInputs: [Double] = []
    let reference: @Sendable (Double) -> Double
    var testDescription: String { function }
  }

  static let cases: [Case] = [
    Case(function: "e32", low: -110, high: 95, maximumUlps: 2) { Double(Foundation.exp(Float($0))) },
    Case(function: "l32", low: -1, high: 3e4, maximumUlps: 2) { Double(Foundation.log(Float($0))) },
    Case(function: "t32", low: -12, high: 12, maximumUlps: 3) { Double(Foundation.tanh(Float($0))) },
    Case(function: "sin32", low: -9000, high: 9000, maximumUlps: 3) { Double(Foundation.sin(Float($0))) },
    Case(function: "cos32", low: -9000, high: 9000, maximumUlps: 3) { Double(Foundation.cos(Float($0))) },
    Case(function: "s32", low: -100, high: 30, maximumUlps: 3) { x in
      let x = Double(Float(x))
      return Double(Float(1 / (1 + Foundation.exp(-x))))
    },
    Case(function: "e64", low: -760, high: 720, maximumUlps: 2) { Foundation.exp($0) },
    Case(function: "l64", low: -1, high: 1e6, maximumUlps: 2) { Foundation.log($0) },
    Case(function: "lp32", low: -1, high: 3e4, maximumUlps: 3, extraInputs: inputs(-1, 1) + smallMagnitudes) {
      Double(Foundation.log1p(Float($0)))
    },
    Case(function: "lp64", low: -1, high: 1e6, maximumUlps: 3, extraInputs: inputs(-1, 1) + smallMagnitudes) {
      Foundation.log1p($0)
    },
    Case(function: "em32", low: -30, high: 95, maximumUlps: 3, extraInputs: inputs(-1, 1) + smallMagnitudes) {
      Double(Foundation.expm1(Float($0)))
    },
    Case(function: "em64", low: -50, high: 720, maximumUlps: 3, extraInputs: inputs(-1, 1) + smallMagnitudes) {
      Foundation.expm1($0)
    },
  ]

  /// What flush-to-zero arithmetic makes of a value: subnormals become zeros of their sign.
  static func flushed<F: BinaryFloatingPoint>(_ x: F) -> F { x.isSubnormal ? (x < 0 ? -0.0 : 0) : x }

  @Test(arguments: cases, [false, true]) func matchesLibm(_ c: Case, flushesSubnormals: Bool) throws {
    let session = try Session(source: Self.source, cacheDirectory: nil, flushesSubnormals: flushesSubnormals)
    let function = try session.function(c.function)
    let xs =
      Self.inputs(c.low, c.high)
      + (c.function.hasPrefix("l") ? Self.inputs(0, 2) + ["1e-310", "5e-324"].map { Double($0)! } : [])
      + c.extraInputs
    let isF32 = c.function.hasSuffix("32")
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
