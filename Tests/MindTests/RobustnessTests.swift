// Thousands of mutated programs (truncations, deletions, duplications, random bytes, token
// swaps and insertions) go through the parser, the checker, specialization and LLVM lowering:
// the compiler must answer each with a result or coded diagnostics, never crash, never hang.

import Foundation
import MIND
import Testing

/// A small deterministic generator (SplitMix64), so that every run mutates the same way.
struct SplitMix {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}

enum Mutator {
  static let tokens = [
    "(", ")", "[", "]", "{", "}", "@", "**", "..", "::", "-1", "0", "99999999999", "1e309", "let ", "fn ", ",",
    ";", "\"", "/*", "x", "grad(", "0.0 / 0.0", "|a| a", "mut ", "return ", "if ", "else ", "for i in 0..3 ", "while ",
    "Tensor<f32, N>", "[1.0, 2.0]", "[[1, 2], [3]]", ":", "=", "+=", ".", ".0", "axis=", "keepdims=true",
  ]

  static func mutate(_ source: String, _ random: inout SplitMix) -> String {
    var bytes = Array(source.utf8)
    let rounds = 1 + random.below(3)
    for _ in 0..<rounds where !bytes.isEmpty {
      let at = random.below(bytes.count)
      switch random.below(6) {
      case 0: bytes = Array(bytes[..<at])
      case 1: bytes.removeSubrange(at..<min(bytes.count, at + 1 + random.below(20)))
      case 2:
        let end = min(bytes.count, at + 1 + random.below(40))
        bytes.insert(contentsOf: bytes[at..<end], at: random.below(bytes.count))
      case 3: bytes[at] = UInt8(truncatingIfNeeded: random.next())
      case 4:
        var words = String(decoding: bytes, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false).map(
          String.init)
        if words.count > 2 {
          let (i, j) = (random.below(words.count), random.below(words.count))
          words.swapAt(i, j)
        }
        bytes = Array(words.joined(separator: " ").utf8)
      default:
        bytes.insert(contentsOf: Array(tokens[random.below(tokens.count)].utf8), at: at)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

/// Mutated seed programs through checking, specialization, differentiation and (every tenth)
/// LLVM lowering: a result or coded diagnostics (no internal codes; located when `located`),
/// within 10 s each. `MIND_FUZZ_ITERATIONS` sets the count; `MIND_FUZZ_LAST=path` keeps the
/// program being tried there (after a crash, the one that crashed).
enum Fuzzing {
  struct Outcomes: CustomStringConvertible {
    var iterations = 0, accepted = 0, rejected = 0, lowered = 0
    var description: String {
      "\(iterations) programs, \(accepted) accepted (\(lowered) lowered), \(rejected) rejected"
    }
  }

  static func run(defaultIterations: Int, located: Bool, _ mutate: (String) -> String) throws -> Outcomes {
    let seeds = RobustnessTests.seeds
    #expect(seeds.count >= 10)
    let environment = ProcessInfo.processInfo.environment
    var outcomes = Outcomes(iterations: environment["MIND_FUZZ_ITERATIONS"].flatMap(Int.init) ?? defaultIterations)
    let engine = try Engine(optimizationLevel: 0)
    for i in 0..<outcomes.iterations {
      let source = mutate(seeds[i % seeds.count])
      if let last = environment["MIND_FUZZ_LAST"] { try source.write(toFile: last, atomically: false, encoding: .utf8) }
      let start = Date()
      do {
        let program = try Program(source: source, name: "fuzz.mind")
        if program.hasFunction("main") {
          let (mir, _) = try program.mir()
          if i % 10 == 0 {
            _ = try engine.llvmIR(mir, optimized: false)
            outcomes.lowered += 1
          }
        }
        outcomes.accepted += 1
      } catch let list as DiagnosticList {
        #expect(!list.diagnostics.isEmpty)
        for diagnostic in list.diagnostics {
          #expect(diagnostic.code.count == 5 && diagnostic.code.hasPrefix("E"), "\(diagnostic)")
          #expect(
            !["E2000", "E4001", "E5000"].contains(diagnostic.code), "internal error for:\n\(source)\n\(diagnostic)")
          if located { #expect(diagnostic.span.file >= 0, "no location for:\n\(source)\n\(diagnostic)") }
        }
        outcomes.rejected += 1
      }
      #expect(Date().timeIntervalSince(start) < 10, "input \(i) took too long:\n\(source)")
    }
    return outcomes
  }
}

@Suite struct RobustnessTests {
  static let seeds: [String] =
    (Repository.files(in: "Examples", withExtension: "mind")
    + Repository.files(in: "Tests/Golden", withExtension: "mind")
    + Repository.files(in: "Tests/Numerics", withExtension: "mind")).compactMap { try? Repository.read($0) }

  @Test func mutatedProgramsNeverCrashOrHang() throws {
    var random = SplitMix(state: 20_261_128)
    let outcomes = try Fuzzing.run(defaultIterations: 3000, located: false) { seed in Mutator.mutate(seed, &random) }
    // Both kinds of outcome must occur, or the mutations are not exercising anything.
    #expect(outcomes.accepted > outcomes.iterations / 30)
    #expect(outcomes.rejected > outcomes.iterations / 3)
  }

  /// Operations whose machine instructions trap or give poison on some inputs have defined
  /// results at every optimization level: integer `%` by -1 (Int.min % -1 overflows `idiv`),
  /// float-to-integer casts of NaN and of values beyond the type (saturating, as Rust's `as`).
  @Test(arguments: [0, 2])
  func edgeValuesOfRemaindersAndCastsAreDefined(optimizationLevel: Int) {
    let result = run(
      """
      fn main() {
          let one = argmax([1.0, 2.0]);
          let smallest = -4611686018427387904 * 2 * one;
          print(smallest % -one, smallest % 2, [-7, 7] % (one + 1), [5, 6] % [4, -4]);
          let nan = cast<f32>(one) * 0.0 / 0.0;
          let big = cast<f64>(one) * 1e30;
          print(cast<i64>(nan), cast<i32>(nan), cast<i64>(big), cast<i64>(-big), cast<i32>(big), cast<i32>(-big));
          print(cast<i64>([2.5, -2.5, 1e19]), cast<i32>(one * 5000000000), cast<bool>(nan));
      }
      """, optimizationLevel: optimizationLevel)
    #expect(result.errors.isEmpty, "\(result.errors)")
    #expect(
      result.output == """
        0 0 [1, 1] [1, -2]
        0 0 9223372036854775807 -9223372036854775808 2147483647 -2147483648
        [2, -2, 9223372036854775807] 705032704 true

        """)
  }

  /// Extents, indices, axes, steps and counts at the limits of an Int reach no trap: each is a
  /// result or a coded, located error (the audit of issue 15; concat's extent sum and a slice's
  /// ceil division overflowed before).
  @Test func userNumbersAtTheirLimitsAreErrorsOrResults() {
    let big = "4611686018427387904"  // 2^62
    let expressions = [
      "eye(\(big))", "one_hot([1, 2], \(big))", "reshape(zeros([4]), [\(big), 4])", "reshape(zeros([4]), [-1, \(big)])",
      "linspace(0.0, 1.0, \(big))", "zeros([3])[\(big)]", "zeros([3])[-\(big)]", "zeros([3])[1:\(big)]",
      "zeros([3])[::\(big)]", "zeros([3])[::9223372036854774784]", "zeros([3])[-\(big):]",
      "expand_dims(zeros([3]), \(big))", "sum(zeros([3]), axis=-\(big))", "topk(zeros([3]), \(big))",
      "topk(zeros([3]), -1)",
      "full([65536, 65536, 65536], 1.0)", "randn([\(big)], seed=\(big))", "broadcast(zeros([3]), [\(big), 3])",
      "concat([zeros([\(big)]), zeros([\(big)])], axis=0)", "concat([zeros([2, \(big)]), zeros([2, \(big)])], axis=1)",
      "dynamic_slice(zeros([4]), [1], [\(big)])", "squeeze(zeros([1, 3]), axis=\(big))",
      "transpose(zeros([2, 3]), [\(big), 0])", "cumsum(zeros([3]), axis=\(big))", "sort(zeros([3]), axis=-\(big))",
      "norm(zeros([3]), axis=\(big))", "mean(zeros([3]), axes=[0, \(big)])", "stack([zeros([3])], axis=\(big))",
      "zeros([3, 3])[..., \(big)]", "arange(0, \(big), \(big))", "arange(-\(big), \(big), 1)",
      "arange(1e30, -1e30, 1.0)",
      "conv2d(ones([1, 4, 4, 1]), ones([2, 2, 1, 1]), strides=[\(big), 3], padding=\"same\")",
    ]
    for expression in expressions {
      let result = run("fn main() { print(\(expression)); }")
      if !result.errors.isEmpty {
        #expect(result.codes.allSatisfy { $0.count == 5 && $0 != "E2000" }, "\(expression): \(result.errors)")
        #expect(result.locations.allSatisfy { $0.hasPrefix("test.mind:1:") }, "\(expression): \(result.errors)")
      }
    }
  }

  /// Zero-size tensors behave as in NumPy: sums are 0, products 1, means NaN, logsumexp -inf;
  /// empty slices, concatenations, products, scans, sorts and loops; gradients of all of them.
  @Test func zeroSizeTensorsWorkAsInNumPy() {
    let result = run(
      """
      fn f(x: Tensor<f32, 3>) -> f32 { sum(concat([x, zeros([0])], axis=0) * 2.0) + sum(zeros([0])) }
      fn g(x: Tensor<f32, 3, 0>, w: Tensor<f32, 0, 2>) -> f32 { sum(x @ w) + mean(x) }
      fn main() {
          let e = zeros([0]);
          print(e, sum(e), mean(e), prod(e), e * 2.0, concat([e, [1.0, 2.0]], axis=0), logsumexp(e));
          print(zeros([2, 0]), sum(zeros([2, 0]), axis=1), mean(zeros([2, 0]), axis=1), sum(zeros([0, 3]), axis=0));
          print(zeros([3, 0]) @ zeros([0, 2]), reshape(zeros([0, 3]), [3, 0]), transpose(zeros([0, 3])));
          let x = [1.0, 2.0, 3.0];
          print(x[2:2], cumsum(e), sort(e), norm(e), softmax(e), stack([e, e]), gather(x, zeros([0], dtype=i64)));
          print(grad(f)(x), grad(|v: Tensor<f32, 0>| sum(v * v))(e), grad(|v: Tensor<f32, 0>| mean(v))(e));
          print(grad(g, wrt=(0, 1))(zeros([3, 0]), zeros([0, 2])));
          let mut s = 1.0;
          for i in 0..0 { s = s * 2.0; }
          print(s, grad(|y: f32| { let mut t = y; for i in 0..0 { t = t * y; } t })(3.0));
          print(conv2d(zeros([0, 4, 4, 1]), ones([2, 2, 1, 3])), layer_norm(zeros([0, 4])));
      }
      """)
    #expect(result.errors.isEmpty, "\(result.errors)")
    #expect(
      result.output == """
        [] 0.0 nan 1.0 [] [1.0, 2.0] -inf
        [[], []] [0.0, 0.0] [nan, nan] [0.0, 0.0, 0.0]
        [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]] [[], [], []] [[], [], []]
        [] [] [] 0.0 [] [[], []] []
        [2.0, 2.0, 2.0] [] []
        ([[], [], []], [])
        1.0 1.0
        [] []

        """)
  }

  /// A chain of 3,000 calls is checked, inlined, differentiated and run (its time and memory
  /// grow linearly since inlining went top-down: `bench/` territory, so not timed here).
  @Test func deepChainsOfCallsCompile() {
    let depth = 3000
    let source =
      "fn f0(x: f32) -> f32 { x * 1.5 }\n"
      + (1..<depth).map { "fn f\($0)(x: f32) -> f32 { f\($0 - 1)(x) + 0.25 }" }.joined(separator: "\n")
      + "\nfn main() { print(f\(depth - 1)(2.0), grad(f\(depth - 1))(2.0)); }\n"
    let result = run(source)
    #expect(result.errors.isEmpty, "\(result.errors)")
    #expect(result.output == "752.75 1.5\n")
  }

  @Test func randomBytesAreRejectedWithDiagnostics() {
    var random = SplitMix(state: 7)
    for _ in 0..<500 {
      let bytes = (0..<random.below(200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
      let result = run(String(decoding: bytes, as: UTF8.self))
      #expect(result.codes.allSatisfy { $0.hasPrefix("E") })
    }
  }
}
