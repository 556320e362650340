// Every error code the compiler and the runtime report: a program that triggers it, the
// location it must point at, and words its message must contain.

import MIND
import Testing

struct DiagnosticCase: CustomTestStringConvertible, Sendable {
  let code: String
  let location: String
  let message: String
  let source: String
  var testDescription: String { "\(code) at \(location)" }
}

@Suite struct DiagnosticsTests {
  static let cases: [DiagnosticCase] = [
    // Lexing and parsing.
    .init(code: "E1002", location: "1:21", message: "unexpected character `$`", source: "fn main() { let x = $; }"),
    .init(code: "E1003", location: "1:19", message: "unterminated string", source: "fn main() { print(\"abc); }"),
    .init(
      code: "E1006", location: "1:13", message: "unterminated block comment", source: "fn main() { /* never closed"),
    .init(
      code: "E1005", location: "1:21", message: "malformed number",
      source: "fn main() { let x = 99999999999999999999; }"),
    .init(code: "E1010", location: "1:30", message: "expected `]`", source: "fn main() { let x = [1.0, 2.0; }"),
    .init(code: "E1011", location: "1:4", message: "expected a name after `fn`", source: "fn (x: f32) {}"),
    .init(
      code: "E1012", location: "2:1", message: "`@differentiable` must be followed by `fn`",
      source: "@differentiable\nstruct S { a: f32 }"),
    .init(code: "E1013", location: "1:1", message: "expected an item", source: "print(1.0);"),
    .init(code: "E1014", location: "1:21", message: "expected a dimension", source: "fn f(x: Tensor<f32, -1>) {}"),
    .init(code: "E1015", location: "1:24", message: "expected an expression", source: "fn main() { let y = 3 +; }"),
    .init(
      code: "E1020", location: "1:354", message: "nested too deeply",
      source: "fn main() { let x = " + String(repeating: "(", count: 1200) + "1" + String(repeating: ")", count: 1200)
        + "; }"),
    // Names and types.
    .init(
      code: "E2002", location: "1:25", message: "undefined variable `nope`", source: "fn main() { let x = 1 + nope; }"),
    .init(code: "E2002", location: "1:9", message: "unknown type `Missing`", source: "fn f(x: Missing) {}"),
    .init(
      code: "E2004", location: "1:60", message: "mismatched dtypes f32 and f64",
      source: "fn main() { let a = ones([1]); let b = cast<f64>(a); print(a + b); }"),
    .init(code: "E2001", location: "1:16", message: "must be a bool", source: "fn main() { if 1.0 { print(1); } }"),
    .init(code: "E2001", location: "1:21", message: "must return f32", source: "fn f(x: f32) -> f32 { let y = x; }"),
    .init(code: "E2001", location: "1:23", message: "has type i64, expected f32", source: "fn f(x: i64) -> f32 { x }"),
    .init(
      code: "E2007", location: "2:19", message: "takes 1 argument but 2 were given",
      source: "fn f(x: f32) -> f32 { x }\nfn main() { print(f(1.0, 2.0)); }"),
    .init(
      code: "E2007", location: "1:19", message: "`exp` takes 1 argument", source: "fn main() { print(exp(1.0, 2.0)); }"),
    .init(
      code: "E2007", location: "1:19", message: "`in_axes` of `vmap` has 3 entries but the function was called with 2",
      source: "fn main() { print(vmap(|x, y| x * y, in_axes=(0, 0, 0))([1.0, 2.0], [1.0, 2.0])); }"),
    .init(
      code: "E2008", location: "1:35", message: "has no keyword argument `axsi`",
      source: "fn main() { print(sum([1.0], axsi=[0])); }"),
    .init(
      code: "E2009", location: "1:21", message: "function value `exp` cannot be stored",
      source: "fn main() { let mut f = exp; for i in 0..2 { f = sin; } }"),
    .init(code: "E2002", location: "1:16", message: "unknown element type `f16`", source: "fn f(x: Tensor<f16, 3>) {}"),
    .init(code: "E2011", location: "2:4", message: "`f` is defined twice", source: "fn f() {}\nfn f() {}"),
    .init(
      code: "E2012", location: "1:1", message: "has no item `nothing`", source: "import diff::nothing;\nfn main() {}"),
    .init(code: "E2012", location: "1:1", message: "cannot find module", source: "import numpy;\nfn main() {}"),
    .init(
      code: "E2013", location: "1:37", message: "only variables can be assigned",
      source: "fn main() { let mut x = [1.0, 2.0]; x[0] = 3.0; }"),
    .init(
      code: "E2014", location: "1:24", message: "not declared with `let mut`", source: "fn main() { let x = 1; x = 2; }"
    ),
    .init(code: "E2015", location: "1:17", message: "cannot destructure", source: "fn main() { let (a, b) = 1.0; }"),
    .init(
      code: "E2016", location: "1:34", message: "has no field `foo` (a tensor has `T`, `shape`, `size` and `ndim`)",
      source: "fn main() { let x = [1.0]; print(x.foo); }"),
    .init(
      code: "E2016", location: "2:41", message: "has no field `c`",
      source: "struct P { a: f32 }\nfn main() { let p = P { a: 1.0 }; print(p.c); }"),
    .init(
      code: "E2017", location: "2:21", message: "missing field `b`",
      source: "struct P { a: f32, b: f32 }\nfn main() { let p = P { a: 1.0 }; }"),
    .init(
      code: "E2018", location: "1:32", message: "is not a function", source: "fn main() { let x = 1.0; print(x(2.0)); }"
    ),
    .init(
      code: "E2019", location: "1:19", message: "`vmap` needs at least one argument to map over",
      source: "fn main() { print(vmap(|x| x, in_axes=None)([1.0, 2.0])); }"),
    .init(
      code: "E2019", location: "1:38", message: "must be a list of integer constants",
      source: "fn main() { let n = 2.0; print(zeros(n)); }"),
    .init(
      code: "E2021", location: "1:37", message: "cannot assign a value of type",
      source: "fn main() { let mut x = [1.0, 2.0]; x = [1.0]; }"),
    .init(
      code: "E2030", location: "1:23", message: "`return` must be the last statement",
      source: "fn f(x: f32) -> f32 { return x; x }"),
    .init(
      code: "E2040", location: "1:23", message: "recursive functions are not supported",
      source: "fn f(x: f32) -> f32 { f(x) }\nfn main() { print(f(1.0)); }"),
    // Shapes.
    .init(
      code: "E3001", location: "2:13", message: "shapes [N] and [M] cannot be broadcast together (dimension 0: N vs M)",
      source: "fn f(a: Tensor<f32, N>, b: Tensor<f32, M>) -> f32 {\n    let d = a - b;\n    sum(d)\n}"),
    .init(
      code: "E3001", location: "1:64", message: "shapes [3] and [4] cannot be broadcast together (dimension 0: 3 vs 4)",
      source: "fn main() { let a = [1.0, 2.0, 3.0]; let b = zeros([4]); print(a - b); }"),
    .init(
      code: "E3001", location: "1:51",
      message: "`B` is known only when the function is called: write that extent as `B`",
      source:
        "fn f(x: Tensor<f32, B, C>) -> Tensor<f32, B, C> { x + zeros([2, 4]) }\nfn main() { print(f(zeros([2, 4]))); }"),
    .init(
      code: "E3001", location: "1:57", message: "shapes [H] and [I] cannot be broadcast together (dimension 0: H vs I)",
      source: "fn f(x: Tensor<f32, I>, y: Tensor<f32, H>) -> f32 { sum(zeros([H]) + x) }"),
    .init(
      code: "E3003", location: "2:33", message: "dimension 0 must be `N` = 2",
      source:
        "fn f(a: Tensor<f32, N>, b: Tensor<f32, N>) -> f32 { sum(a * b) }\nfn main() { print(f([1.0, 2.0], [1.0, 2.0, 3.0])); }"
    ),
    .init(
      code: "E3003", location: "1:19", message: "matmul contraction mismatch",
      source: "fn main() { print(zeros([2, 3]) @ zeros([2, 3])); }"),
    .init(
      code: "E3004", location: "1:43", message: "axis 2 is out of range",
      source: "fn main() { print(sum(zeros([2, 3]), axis=2)); }"),
    .init(
      code: "E3004", location: "1:46", message: "axis -3 is out of range for a tensor of rank 2",
      source: "fn main() { print(cumsum(zeros([2, 3]), axis=-3)); }"),
    .init(
      code: "E3004", location: "1:37", message: "`cumprod` along an axis of a scalar",
      source: "fn main() { print(cumprod(1.0, axis=0)); }"),
    .init(
      code: "E2019", location: "1:36", message: "`dtype` of `zeros` must be one of f32, f64, i32, i64, bool",
      source: "fn main() { print(zeros([2], dtype=3)); }"),
    .init(
      code: "E2019", location: "1:35", message: "`dtype` of `rand` must be one of f32, f64",
      source: "fn main() { print(rand([2], dtype=i64)); }"),
    .init(
      code: "E2005", location: "1:51", message: "`exp` expects a floating-point tensor, found i64",
      source: "fn main() { let i = argmax([1.0, 2.0]); print(exp(i)); }"),
    .init(
      code: "E2005", location: "1:19", message: "`atan2` expects floating-point tensors, found Tensor<i64, 2>",
      source: "fn main() { print(atan2(argmax([[1.0, 2.0], [2.0, 1.0]], axis=1), 3)); }"),
    .init(
      code: "E3011", location: "1:50", message: "a window of sizes [3] does not fit a tensor of shape [2]",
      source: "fn main() { print(dynamic_slice([1.0, 2.0], [0], [3])); }"),
    .init(
      code: "E3011", location: "1:43", message: "an index can have only one `...`",
      source: "fn main() { let x = [[1.0]]; print(x[..., ..., 0]); }"),
    .init(
      code: "E3011", location: "1:60",
      message: "slice bounds must be integer constants (a window at a start known at run time is `x[i:i+k]`)",
      source: "fn main() { let x = zeros([4]); let i = argmax(x); print(x[i:3]); }"),
    .init(
      code: "E3002", location: "1:19", message: "cannot gather from a scalar",
      source: "fn main() { print(gather(1.0, [0])); }"),
    .init(
      code: "E3003", location: "1:41", message: "`topk` takes k = 4 of an axis of 3 elements",
      source: "fn main() { print(topk([1.0, 2.0, 3.0], 4)); }"),
    .init(
      code: "E3003", location: "1:23", message: "`det` needs square matrices, found Tensor<f32, 2, 3>",
      source: "fn main() { print(det(zeros([2, 3]))); }"),
    .init(
      code: "E3003", location: "1:33",
      message: "`solve` of Tensor<f32, 2, 2> needs b [..., 2, k] or [..., 2], found Tensor<f32, 3>",
      source: "fn main() { print(solve(eye(2), zeros([3]))); }"),
    .init(
      code: "E3002", location: "1:22", message: "`qr` needs matrices [..., n, n], found Tensor<f32, 3>",
      source: "fn main() { print(qr(zeros([3]))); }"),
    .init(
      code: "E3002", location: "1:23", message: "`inv` needs matrices [..., n, n], found Tensor<f32, 3>",
      source: "fn main() { print(inv(zeros([3]))); }"),
    .init(
      code: "E3002", location: "1:19", message: "`sort` of a scalar", source: "fn main() { print(sort(1.0)); }"),
    .init(
      code: "E3005", location: "1:43", message: "repeated axis in `axes`",
      source: "fn main() { print(sum(zeros([2, 3]), axes=[0, 0])); }"),
    .init(
      code: "E3006", location: "1:25", message: "extents must be non-negative, found [2, -1]",
      source: "fn main() { print(zeros([2, -1])); }"),
    .init(
      code: "E3006", location: "1:52", message: "`conv2d` needs a kernel of at least 1x1, found 0x3",
      source: "fn main() { let k = zeros([0, 3, 1, 2]); print(sum(conv2d(zeros([1, 4, 4, 1]), k))); }"),
    .init(
      code: "E3006", location: "1:19", message: "`max` of an empty axis has no identity",
      source: "fn main() { print(max(zeros([0, 3]), axis=0)); }"),
    .init(
      code: "E3008", location: "1:49", message: "`perm` must be a permutation of 0..<2, found [0, 0]",
      source: "fn main() { print(transpose(zeros([2, 3]), perm=[0, 0])); }"),
    .init(
      code: "E3009", location: "1:19", message: "cannot squeeze axis 0 of size 2",
      source: "fn main() { print(squeeze(zeros([2, 3]), axis=0)); }"),
    .init(
      code: "E3012", location: "1:19", message: "`arange` step must not be zero",
      source: "fn main() { print(arange(0, 5, 0)); }"),
    .init(
      code: "E6009", location: "1:19", message: "is too large (the limit is 2^24)",
      source: "fn main() { print(arange(0, 100000000)); }"),
    .init(
      code: "E6009", location: "1:23", message: "is too large (the limit is 16 GiB)",
      source: "fn main() { print(sum(zeros([100000, 100000, 10]))); }"),
    .init(
      code: "E6009", location: "1:24", message: "a tensor of shape [4294967296, 4294967296] is too large",
      source: "fn main() { print(mean(zeros([4294967296, 4294967296]))); }"),
    .init(
      code: "E3004", location: "1:34", message: "axis 0 is out of range for a tensor of rank 0",
      source: "fn main() { print(mean(1.0, axes=[0])); }"),
    .init(
      code: "E3010", location: "1:34", message: "ragged array literal",
      source: "fn main() { let x = [[1.0, 2.0], [3.0]]; }"),
    .init(
      code: "E3004", location: "1:48", message: "`in_axes` names axis 2 of argument 0, which has rank 2",
      source: "fn main() { print(vmap(|x| x * 2.0, in_axes=2)([[1.0, 2.0]])); }"),
    .init(
      code: "E3003", location: "1:50", message: "`vmap` maps over axes of different sizes: 2 and 3",
      source: "fn main() { print(vmap(|x, y| x * y)([1.0, 2.0], [1.0, 2.0, 3.0])); }"),
    .init(
      code: "E3007", location: "1:19", message: "cannot reshape [2, 3] (6 elements) to [4, -1]",
      source: "fn main() { print(reshape(zeros([2, 3]), [4, -1])); }"),
    // Differentiation.
    .init(
      code: "E5010", location: "2:19", message: "but `vjp(f)` returns (f32, function `pullback of f`)",
      source: "fn f(x: f32) -> f32 { x * x }\nfn main() { print(grad(vjp(f))(1.0)); }"),
    .init(
      code: "E5001", location: "2:33", message: "`f` is not differentiable: converting to i64",
      source: "@differentiable\nfn f(x: f32) -> f32 { cast<f32>(cast<i64>(x * 10.0)) / 10.0 }"),
    .init(
      code: "E5001", location: "2:19", message: "`g` is not differentiable",
      source: "fn g(x: f32) -> f32 { cast<f32>(x > 1.0 && cast<bool>(x)) }\nfn main() { print(grad(g)(2.0)); }"),
    .init(
      code: "E5010", location: "2:19",
      message: "`grad` needs a function that returns a floating-point scalar, but `f` returns Tensor<f32, 2>",
      source: "fn f(x: f32) -> Tensor<f32, 2> { [x, x] }\nfn main() { print(grad(f)(1.0)); }"),
    .init(
      code: "E5011", location: "1:1",
      message: "`g` cannot be the custom gradient of `f`: it must have the signature (f32, f32) -> f32",
      source: "@custom_grad(g)\nfn f(x: f32) -> f32 { x }\nfn g(x: f32) -> f32 { x }"),
    .init(
      code: "E5011", location: "1:14", message: "the gradient function `nope` of `@custom_grad` is not defined",
      source: "@custom_grad(nope)\nfn f(x: f32) -> f32 { x }"),
    .init(
      code: "E5010", location: "1:19", message: "`jacrev` needs a function that returns one floating-point tensor",
      source: "fn main() { print(jacrev(|x| (x, x))([1.0, 2.0])); }"),
    .init(
      code: "E5012", location: "2:19", message: "`wrt=2` is out of range: `f` takes 2 arguments",
      source: "fn f(x: f32, y: f32) -> f32 { x * y }\nfn main() { print(grad(f, wrt=2)(1.0, 2.0)); }"),
    .init(
      code: "E5005", location: "2:19", message: "cannot differentiate with respect to argument 1 of `f`: it is i64",
      source: "fn f(x: f32, n: i64) -> f32 { x * cast<f32>(n) }\nfn main() { print(grad(f, wrt=1)(1.0, 2)); }"),
    // Runtime.
    .init(
      code: "E6001", location: "1:85", message: "index 5 is out of bounds for axis 0 with size 3",
      source: "fn main() { let x = [1.0, 2.0, 3.0]; let mut i = 0; for k in 0..5 { i += 1; } print(x[i]); }"),
    .init(
      code: "E6001", location: "1:35", message: "index 3 is out of bounds for axis 0 with size 3",
      source: "fn main() { print([1.0, 2.0, 3.0][3]); }"),
    .init(
      code: "E6001", location: "1:19", message: "gather index 7 is out of bounds",
      source: "fn main() { print(gather([1.0, 2.0], [0, 7])); }"),
    .init(
      code: "E2011", location: "1:23", message: "field `a` of `P` is defined twice",
      source: "struct P { a: f32, a: f32 }\nfn main() {}"),
    .init(
      code: "E3006", location: "1:19", message: "`argmax` of an empty axis has no answer",
      source: "fn main() { print(argmax(zeros([0]))); }"),
    .init(
      code: "E6001", location: "1:51", message: "a label of `cross_entropy` is out of bounds for 2 classes",
      source: "fn main() { let l = argmax([1.0, 2.0]) + 5; print(cross_entropy([[0.1, 0.9]], [l])); }"),
    .init(
      code: "E1004", location: "1:21", message: "unknown escape `\\q` in a string",
      source: "fn main() { print(\"a\\qb\\n\"); }"),
    .init(
      code: "E6006", location: "1:51", message: "integer remainder by zero",
      source: "fn main() { let i = argmax([1.0, 2.0]) - 1; print([4, 5] % i); }"),
    .init(
      code: "E1005", location: "1:19",
      message: "integer literal 9007199254740993 cannot be represented exactly: constants are held as f64",
      source: "fn main() { print(9007199254740993); }"),
    .init(
      code: "E6011", location: "1:27", message: "x must be positive",
      source: "fn main() { let x = -1.0; assert(x > 0.0, \"x must be positive\"); }"),
  ]

  @Test(arguments: cases)
  func reportsCodeLocationAndMessage(_ c: DiagnosticCase) {
    let result = run(c.source.contains("fn main") ? c.source : c.source + "\nfn main() {}")
    #expect(result.codes.first == c.code, "\(result.errors)")
    #expect(result.locations.first?.hasPrefix("test.mind:" + c.location) == true, "at \(result.locations)")
    #expect(result.errors.contains(c.message), "\(result.errors)")
    #expect(result.errors.contains("error[\(c.code)]"))
  }

  @Test func severalIndependentErrorsInOneRun() {
    let result = run(
      """
      fn a(x: f32) -> f32 { x + nope }
      fn b(x: Tensor<f32, N>, y: Tensor<f32, M>) -> f32 { sum(x - y) }
      fn main() {
          let x = [1.0, 2.0;
          let y = 3 +;
      }
      """)
    #expect(result.codes == ["E1010", "E1015"])
    let semantic = run(
      """
      fn a(x: f32) -> f32 { x + nope }
      fn b(x: Tensor<f32, N>, y: Tensor<f32, M>) -> f32 { sum(x - y) }
      fn main() {}
      """)
    #expect(semantic.codes == ["E2002", "E3001"])
  }

  @Test func renderedFormShowsTheLineAndACaret() {
    let result = run("fn main() {\n    let d = [1.0, 2.0, 3.0] - [1.0, 2.0];\n}")
    #expect(
      result.errors == """
        error[E3001]: shapes [3] and [2] cannot be broadcast together (dimension 0: 3 vs 2)
         --> test.mind:2:13
          |
        2 |     let d = [1.0, 2.0, 3.0] - [1.0, 2.0];
          |             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^

        """)
  }

  @Test func controlCharactersOfTheSourceAreShownEscaped() {
    // A crafted file must not retitle or clear the terminal through an error message.
    let result = run("fn main() { print(1.0 + \u{1b}]0;title\u{7}); }")
    #expect(!result.errors.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
    #expect(result.errors.contains("error[E1002]: unexpected character `\\u{1b}`"))
    #expect(
      result.errors.contains(
        "1 | fn main() { print(1.0 + \\u{1b}]0;title\\u{7}); }\n  |                         ^^^^^^\n"))
  }

  @Test func spansOutsideTheirFileAreClamped() {
    // A location read from a damaged cache entry can be anything: the renderer never traps.
    let sources = SourceManager()
    let file = sources.add(SourceFile(name: "m.mind", text: "fn main() {}\n"))
    let renderer = DiagnosticRenderer(sources: sources)
    for (start, end) in [(-7, 3), (5, -2), (1 << 40, 1 << 41), (Int.min, Int.max), (20, 10)] {
      let text = renderer.render(
        Diagnostic("E6001", "out of bounds", at: SourceSpan(file: file, start: start, end: end)))
      #expect(text.hasPrefix("error[E6001]: out of bounds\n --> m.mind:"), "\(text)")
    }
    #expect(
      renderer.render(Diagnostic("E6001", "x", at: SourceSpan(file: 99, start: 0, end: 1))) == "error[E6001]: x\n")
  }
}

extension DiagnosticsTests {
  @Test func missingSiblingFileIsReportedAtTheImport() {
    let result = run("import no_such_file;\nfn main() {}", name: "/tmp/importer.mind")
    #expect(result.codes == ["E2012"])
    #expect(result.errors.contains("no file `/tmp/no_such_file.mind`"))
  }
}
