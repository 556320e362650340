// Functions kept as calls (SharedFunctions) and their derivatives split into forward and
// backward halves (SplitCalls): the compiled program calls them instead of copying them, the
// gradients match finite differences at first and second order, dead results and parameters
// disappear across calls (DeadSignatures), and checkpointed calls stay recomputations.

import Foundation
import MIND
import MindIR
import Testing

@Suite struct SharedCallsTests {
  /// `layer` does 4 × 128² elements of work and is called four times: it stays a call.
  static let prelude = """
    fn layer(w: Tensor<f64, 128, 128>, a: Tensor<f64, 128, 128>) -> Tensor<f64, 128, 128> {
        tanh(a @ w * 0.05) * a + a
    }
    fn f(x: Tensor<f64, 128, 128>, w: Tensor<f64, 128, 128>) -> f64 {
        let mut z = x;
        for i in 0..2 { z = layer(w, z) + layer(w, z * 0.5); }
        sum(sin(z))
    }
    """

  /// `g` calls `layer` twice in straight-line code.
  static let straight = """
    fn g(x: Tensor<f64, 128, 128>, w: Tensor<f64, 128, 128>) -> f64 { sum(sin(layer(w, layer(w, x) * 0.5))) }
    """

  /// A `main` that makes x and w, then runs `statements`.
  static func main(_ statements: String) -> String {
    """

    fn main() {
        let x = cast<f64>(randn([128, 128], seed=3));
        let w = cast<f64>(randn([128, 128], seed=5));
        \(statements)
    }
    """
  }

  static func callees(_ source: String) throws -> [String: Int] {
    let program = try Program(source: source, name: "shared.mind")
    let (module, _) = try program.mir()
    var counts: [String: Int] = [:]
    func visit(_ block: Block) {
      for op in block.operations {
        if case .call(let callee) = op.kind { counts[String(callee.prefix { $0 != "_" }), default: 0] += 1 }
        op.regions.forEach(visit)
      }
    }
    module.functions.forEach { visit($0.body) }
    return counts
  }

  @Test func gradientsCallTheForwardAndBackwardHalvesOnce() throws {
    let counts = try Self.callees(Self.prelude + Self.main("print(sum(grad(f)(x, w)));"))
    // The loop's forward sweep calls `layer` (it records the carried state per iteration);
    // its reverse loop replays one iteration with the forward halves and runs the backward
    // halves: no call recomputes `layer` inside its derivative.
    #expect(counts["layer"] == 2, "\(counts)")
    #expect(counts["fwd.layer"] == 2, "\(counts)")
    #expect(counts["bwd.layer"] == 2, "\(counts)")
    #expect(counts["vjp.layer"] == nil, "\(counts)")
  }

  @Test func firstAndSecondOrderMatchFiniteDifferences() {
    let result = run(
      Self.prelude
        + Self.main(
          """
          let v = cast<f64>(randn([128, 128], seed=7));
          let u = cast<f64>(randn([128, 128], seed=11));
          let h = 0.000001;
          let fx = |x: Tensor<f64, 128, 128>| f(x, w);
          print(sum(grad(fx)(x) * v), (fx(x + h * v) - fx(x - h * v)) / (2.0 * h));
          let fw = |w: Tensor<f64, 128, 128>| f(x, w);
          print(sum(grad(fw)(w) * v), (fw(w + h * v) - fw(w - h * v)) / (2.0 * h));
          let g = |x: Tensor<f64, 128, 128>| sum(grad(fx)(x) * u);
          print(sum(grad(g)(x) * v), (g(x + h * v) - g(x - h * v)) / (2.0 * h));
          """), optimizationLevel: 1)
    #expect(result.errors == "")
    let lines = result.output.split(separator: "\n").map { numbers(in: String($0)) }
    #expect(lines.count == 3)
    for (index, pair) in lines.enumerated() where pair.count == 2 {
      #expect(close([pair[0]], [pair[1]], relative: 1e-5, absolute: 1e-6), "line \(index): \(pair)")
      #expect(pair[0] != 0)
    }
  }

  @Test func onlyTheAdjointsSomeoneReadsAreComputed() throws {
    // grad with respect to x: bwd.layer returns a's adjoint only, not w's. With respect to w:
    // both (the outer call's a-adjoint reaches the inner call). In the loop of `f`, the reverse
    // loop carries w's adjoint either way.
    for (wrt, results) in [(0, 1), (1, 2)] {
      let source = Self.prelude + Self.straight + Self.main("print(sum(grad(g, wrt=\(wrt))(x, w)));")
      let program = try Program(source: source, name: "shared.mind")
      let (module, _) = try program.mir()
      let backward = try #require(module.functions.first { $0.name.hasPrefix("bwd.layer") })
      #expect(backward.resultTypes.count == results, "wrt=\(wrt): \(backward.resultTypes)")
      let result = run(source)
      #expect(result.errors == "")
      #expect(numbers(in: result.output).count == 1)
    }
  }

  @Test func savedValuesCountTheResidualsOfEveryCall() throws {
    // Each call's forward half keeps its residuals until the backward sweep: the report of the
    // caller's VJP adds them up (a checkpointed callee would count once, recomputed in turn).
    let program = try Program(
      source: Self.prelude + Self.straight + Self.main("print(sum(grad(g)(x, w)));"), name: "shared.mind")
    _ = try program.mir()
    let saved = program.savedValues
    let layer = try #require(saved.first { $0.function.hasPrefix("vjp.layer") }?.bytes)
    let g = try #require(saved.first { $0.function.hasPrefix("vjp.g") }?.bytes)
    #expect(layer > 0)
    #expect(g >= 2 * layer, "vjp.g keeps \(g) bytes, one call of vjp.layer \(layer)")
  }

  @Test func checkpointedCallsAreRecomputedNotMergedWithTheForwardSweep() throws {
    let counts = try Self.callees(
      """
      @checkpoint
      fn layer(w: Tensor<f64, 128, 128>, a: Tensor<f64, 128, 128>) -> Tensor<f64, 128, 128> { tanh(a @ w * 0.05) * a }
      fn f(x: Tensor<f64, 128, 128>, w: Tensor<f64, 128, 128>) -> f64 { sum(layer(w, layer(w, x))) }
      """ + Self.main("print(sum(grad(f)(x, w)));"))
    // The outer call's result only fed the (unused) value of the loss: it is gone.
    #expect(counts["layer"] == 1, "\(counts)")
    #expect(counts["vjp.layer"] == 2, "\(counts)")
  }
}

extension SharedCallsTests {
  @Test func theSwiftAPICompilesTheHalvesWithEachSpecialization() throws {
    // Each specialization compiles its own copy of the shared functions (with its own dead
    // results removed): a gradient with respect to x and one with respect to w in one session
    // match `mind jit`, in both tiers.
    let session = try Session(source: Self.prelude + Self.straight, cacheDirectory: nil)
    let x = Tensor((0..<16384).map { sin(0.37 * Double($0) + 3) }, shape: [128, 128])
    let w = Tensor((0..<16384).map { sin(0.37 * Double($0) + 5) }, shape: [128, 128])
    var sums: [Double] = []
    for expression in ["grad(g)", "grad(g, wrt=1)"] {
      let quick = try session.function(expression)(x, w)[0].doubles.reduce(0, +)
      session.waitForOptimizedCode()
      let optimized = try session.function(expression)(x, w)[0].doubles.reduce(0, +)
      #expect(quick == optimized)
      sums.append(quick)
    }
    let result = run(
      Self.prelude + Self.straight + """
        fn main() {
            let i = cast<f64>(arange(0.0, 16384.0, 1.0));
            let (x, w) = (reshape(sin(i * 0.37 + 3.0), [128, 128]), reshape(sin(i * 0.37 + 5.0), [128, 128]));
            print(sum(grad(g)(x, w)), sum(grad(g, wrt=1)(x, w)));
        }
        """)
    #expect(result.errors == "")
    let expected = numbers(in: result.output)
    #expect(expected.count == 2)
    #expect(close(sums, expected, relative: 1e-12, absolute: 1e-12), "\(sums) vs \(expected)")
  }
}
