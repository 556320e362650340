// Gradients against central finite differences in f64, as JAX's check_grads does: for random
// inputs x and directions v, ⟨∇f(x), v⟩ must match (f(x + hv) − f(x − hv)) / 2h, and at second
// order the same holds for x ↦ ⟨∇f(x), u⟩, and uᵀ hessian(f)(x) v equals that second
// derivative (the Hessian is the batched second-order sweep, so every op's batching rule is
// covered). Every differentiable built-in is covered, with broadcasting, several shapes, closures with captures and control flow. f is
// `sum(sin(expression))`, so that linear operations have informative second derivatives.

import Testing

struct GradientCase: CustomTestStringConvertible, Sendable {
  let name: String
  /// The expression, in `x` (and captured `y`).
  let expression: String
  let shape: String
  /// How `x` is made from standard normal values `r` (for domains such as log's).
  var domain = "r"
  var yShape: String? = nil
  var yDomain = "r"
  /// Whether the program also checks `hessian(f)` (off for loops whose second-order code is
  /// large, so slow to compile in a debug build, when a shorter loop of the same kind checks it).
  var checksHessian = true
  var testDescription: String { name }
}

@Suite struct GradientCheckTests {
  static let cases: [GradientCase] = [
    // elementwise
    .init(name: "neg", expression: "-x", shape: "3"),
    .init(name: "abs", expression: "abs(x)", shape: "2, 3"),
    .init(name: "exp", expression: "exp(x)", shape: "4"),
    .init(name: "log", expression: "log(x)", shape: "2, 2", domain: "abs(r) + 0.5"),
    .init(name: "log2", expression: "log2(x)", shape: "3", domain: "abs(r) + 0.5"),
    .init(name: "log1p", expression: "log1p(x)", shape: "3", domain: "abs(r) - 0.5"),
    .init(name: "expm1", expression: "expm1(x)", shape: "2, 2"),
    .init(name: "exp2_log10", expression: "exp2(x) * log10(x)", shape: "3", domain: "abs(r) + 0.5"),
    .init(name: "inverse_trig", expression: "asin(x) * acos(x) + atan(x * 3.0)", shape: "4", domain: "tanh(r) * 0.9"),
    .init(name: "hyperbolic", expression: "sinh(x) * cosh(x * 0.5)", shape: "3"),
    .init(
      name: "inverse_hyperbolic", expression: "asinh(x * 2.0) * atanh(x) + acosh(x + 2.0)", shape: "4",
      domain: "tanh(r) * 0.9"),
    .init(name: "erf_erfc", expression: "erf(x) * erfc(x * 0.5)", shape: "4"),
    .init(name: "atan2", expression: "atan2(x, y) + atan2(y, x)", shape: "5", yShape: "5"),
    .init(name: "hypot", expression: "hypot(x, y)", shape: "2, 3", yShape: "3"),
    .init(name: "logaddexp", expression: "logaddexp(x, y)", shape: "4", yShape: "4"),
    .init(name: "norm", expression: "norm(x) * x + norm(x, axis=0)", shape: "2, 3"),
    .init(name: "sort", expression: "sort(x, axis=0) * 2.0 + sort(x, descending=true) * x", shape: "3, 4"),
    .init(name: "topk", expression: "topk(x, 3).0 * topk(x * x, 3).0", shape: "2, 5"),
    .init(
      name: "solve", expression: "solve(x, y)", shape: "3, 3", domain: "r * 0.3 + eye(3, dtype=f64)", yShape: "3, 2"),
    .init(
      name: "solve_vector", expression: "solve(y, x)", shape: "3", yShape: "3, 3",
      yDomain: "r * 0.3 + eye(3, dtype=f64)"),
    .init(name: "inv", expression: "inv(x)", shape: "3, 3", domain: "r * 0.3 + eye(3, dtype=f64)"),
    .init(
      name: "det_slogdet", expression: "det(x) * x + slogdet(x).1", shape: "3, 3", domain: "r * 0.3 + eye(3, dtype=f64)"
    ),
    .init(
      name: "cholesky", expression: "cholesky(x @ transpose(x) + eye(3, dtype=f64) * 3.0)", shape: "3, 3"),
    .init(
      name: "triangular_solve",
      expression: "triangular_solve(x, y) + triangular_solve(x, y, lower=false, transpose_a=true)",
      shape: "3, 3", domain: "r * 0.3 + eye(3, dtype=f64) * 2.0", yShape: "3, 2"),
    .init(
      name: "eigh", expression: "{ let (w, v) = eigh(x + transpose(x)); v * v * w + w }", shape: "3, 3"),
    .init(name: "qr", expression: "{ let (q, r) = qr(x); q * x + sum(r * r, axis=0) }", shape: "4, 3"),
    // wide: the square qr of the first columns, and the rest by a product
    .init(
      name: "qr_wide", expression: "{ let (q, r) = qr(x); r * x + sum(q * q * q, axis=1, keepdims=true) }",
      shape: "3, 5"),
    .init(name: "cumsum_cumprod", expression: "cumsum(x, axis=1) * cumprod(x, axis=1)", shape: "2, 5"),
    .init(name: "sqrt", expression: "sqrt(x)", shape: "3", domain: "abs(r) + 0.5"),
    .init(name: "rsqrt", expression: "rsqrt(x)", shape: "3", domain: "abs(r) + 0.5"),
    .init(name: "sin_cos", expression: "sin(x) * cos(x)", shape: "5"),
    .init(name: "tan", expression: "tan(x)", shape: "3", domain: "r * 0.3"),
    .init(name: "tanh", expression: "tanh(x)", shape: "3"),
    .init(name: "sigmoid", expression: "sigmoid(x)", shape: "2, 3"),
    .init(name: "relu", expression: "relu(x)", shape: "6"),
    .init(name: "softplus", expression: "softplus(x)", shape: "6"),
    .init(name: "gelu", expression: "gelu(x)", shape: "6"),
    .init(name: "square", expression: "square(x)", shape: "3"),
    .init(name: "pow_int", expression: "x ** 3", shape: "3"),
    .init(name: "pow_real", expression: "x ** 2.5", shape: "3", domain: "abs(r) + 0.5"),
    .init(name: "pow_both", expression: "pow(x, y)", shape: "3", domain: "abs(r) + 0.5", yShape: "3"),
    .init(name: "clip", expression: "clip(x, -0.5, 0.5)", shape: "8"),
    .init(name: "where", expression: "where(x > 0.0, x * 2.0, x * x)", shape: "8"),
    .init(name: "floor_mixed", expression: "x * floor(y)", shape: "4", yShape: "4", yDomain: "r * 3.0"),
    // binary, with broadcasting
    .init(name: "add_broadcast", expression: "x + y", shape: "2, 3", yShape: "3"),
    .init(name: "sub_broadcast", expression: "y - x", shape: "3", yShape: "2, 3"),
    .init(name: "mul_broadcast", expression: "x * y", shape: "2, 1", yShape: "1, 3"),
    .init(name: "div", expression: "x / y", shape: "2, 3", yShape: "2, 3", yDomain: "abs(r) + 1.0"),
    .init(name: "div_denominator", expression: "y / x", shape: "3", domain: "abs(r) + 1.0", yShape: "3"),
    .init(name: "rem", expression: "x % y", shape: "4", yShape: "4", yDomain: "abs(r) + 2.0"),
    .init(name: "max2", expression: "max(x, y)", shape: "6", yShape: "6"),
    .init(name: "min2", expression: "min(x, y * 0.5)", shape: "2, 3", yShape: "3"),
    .init(name: "matmul", expression: "x @ y", shape: "3, 4", yShape: "4, 2"),
    .init(name: "matmul_right", expression: "y @ x", shape: "4, 2", yShape: "3, 4"),
    .init(name: "matmul_batched", expression: "x @ y", shape: "2, 3, 4", yShape: "4, 5"),
    .init(name: "matmul_blas", expression: "(x @ y) * 0.1", shape: "20, 40", yShape: "40, 50"),
    .init(name: "matmul_blas_batched", expression: "(x @ y) * 0.1", shape: "2, 20, 40", yShape: "40, 50"),
    .init(name: "matmul_blas_weights", expression: "(y @ x) * 0.1", shape: "40, 50", yShape: "2, 20, 40"),
    .init(
      name: "matmul_blas_sum_of_products", expression: "x @ y + (x * 2.0) @ y + x @ (y - 1.0)", shape: "40, 40",
      yShape: "40, 40"),
    .init(
      name: "matmul_blas_residual_loop",
      expression: "{ let mut z = x; for i in 0..2 { z = z + tanh(z @ y * 0.1) @ (y * 0.1); } z }", shape: "40, 40",
      yShape: "40, 40"),
    .init(name: "matvec", expression: "y @ x", shape: "4", yShape: "3, 4"),
    .init(
      name: "dynamic_slice", expression: "dynamic_slice(x, [\(runtime(1)), 0], [2, 2]) * x[0:2]", shape: "3, 2",
      yShape: "2"),
    .init(
      name: "dynamic_update_slice", expression: "dynamic_update_slice(x, x[0:1] * x[1:2], [\(runtime(2)), 0])",
      shape: "3, 2", yShape: "2"),
    .init(
      name: "runtime_window", expression: "{ let i = \(runtime(1)); x[i:i+2] * x[0:2] }", shape: "4, 2", yShape: "2"),
    .init(name: "new_axis_outer", expression: "x[:, None] * x[None, :] + x[..., None]", shape: "3"),
    .init(name: "attribute_T", expression: "x.T @ y * cast<f64>(x.ndim)", shape: "3, 2", yShape: "3, 4"),
    // sums of small products, accumulated by the small kernels (rows and dots)
    .init(
      name: "matmul_small_sum_of_products", expression: "x @ y + (x * 2.0) @ y + x @ (y - 1.0)", shape: "3, 5",
      yShape: "5, 5"),
    .init(
      name: "matvec_weights_loop", expression: "{ let mut z = y; for i in 0..4 { z = tanh(x @ z) + z; } z }",
      shape: "6, 6", yShape: "6"),
    .init(
      name: "matvec_weights_runtime_loop",
      expression: "{ let n = \(runtime(5)); let mut z = y; for i in 0..n { z = tanh(x @ z) * 0.5 + z; } z }",
      shape: "6, 6", yShape: "6", checksHessian: false),
    // at second order the loop-invariant x^T is hoisted and its adjoint is a product the
    // backward loop accumulates, reading a carried adjoint that the same iteration overwrites
    .init(
      name: "matmul_weights_loop", expression: "{ let mut z = y; for i in 0..4 { z = tanh(x @ z) * 0.5 + z; } z }",
      shape: "6, 6", yShape: "6, 6"),
    // one row of x per iteration: its adjoint is added to that row only (WindowAdjoints), in place
    .init(
      name: "rows_loop", expression: "{ let mut z = y; for i in 0..3 { z = tanh(x[i] @ z) + z * x[i, 0, i]; } z }",
      shape: "3, 4, 4", yShape: "4"),
    .init(name: "dot", expression: "dot(x, y)", shape: "5", yShape: "5"),
    .init(name: "outer", expression: "outer(x, y)", shape: "3", yShape: "2"),
    // reductions and neural-network helpers
    .init(name: "sum_axis", expression: "sum(x, axis=1)", shape: "2, 3"),
    .init(name: "sum_keepdims", expression: "x * sum(x, axes=[0], keepdims=true)", shape: "3, 2"),
    .init(name: "mean", expression: "mean(x, axis=-1)", shape: "2, 4"),
    .init(name: "prod", expression: "prod(x, axis=0)", shape: "3, 2", domain: "abs(r) + 0.5"),
    .init(name: "max_reduce", expression: "max(x, axis=1)", shape: "3, 4"),
    .init(name: "min_reduce", expression: "min(x)", shape: "5"),
    .init(name: "logsumexp", expression: "logsumexp(x, axis=0)", shape: "3, 2"),
    .init(name: "softmax", expression: "softmax(x)", shape: "2, 4"),
    .init(name: "log_softmax", expression: "log_softmax(x, axis=0)", shape: "3, 2"),
    .init(name: "layer_norm", expression: "layer_norm(x)", shape: "2, 5"),
    .init(name: "cross_entropy", expression: "cross_entropy(x, [1, 0, 3])", shape: "3, 4"),
    // shapes
    .init(name: "reshape", expression: "reshape(x, [3, 2]) @ cast<f64>([[1.0], [2.0]])", shape: "2, 3"),
    .init(name: "transpose", expression: "transpose(x, perm=[2, 0, 1]) * y", shape: "2, 3, 4", yShape: "4, 2, 3"),
    .init(name: "broadcast", expression: "broadcast(x, [2, 3]) * y", shape: "3", yShape: "2, 3"),
    .init(name: "expand_squeeze", expression: "squeeze(expand_dims(x, axis=1)) * x", shape: "4"),
    .init(name: "flatten", expression: "flatten(x) * y", shape: "2, 2", yShape: "4"),
    .init(name: "concat", expression: "concat([x, x * 2.0, y], axis=1)", shape: "2, 3", yShape: "2, 1"),
    .init(name: "stack", expression: "stack([x, y], axis=1)", shape: "3", yShape: "3"),
    .init(name: "gather", expression: "gather(x, [2, 0, 2], axis=1)", shape: "2, 3"),
    .init(name: "slice", expression: "x[1:, ::2] * x[:2, 1::2]", shape: "3, 4"),
    .init(name: "index", expression: "x[1] * x[-1, 2]", shape: "3, 4"),
    .init(name: "dynamic_index", expression: "x[argmax(y)] * 2.0", shape: "4", yShape: "4"),
    .init(name: "conv2d", expression: "conv2d(x, y, padding=\"same\")", shape: "1, 4, 4, 2", yShape: "3, 3, 2, 2"),
    .init(name: "conv2d_filter", expression: "conv2d(y, x, strides=[2, 1])", shape: "2, 2, 1, 3", yShape: "2, 5, 4, 1"),
    // 8 channels and more: a sum of one product per tap (fewer: one product of the taps side by side)
    .init(name: "conv2d_taps", expression: "conv2d(x, y, padding=\"same\")", shape: "1, 3, 4, 8", yShape: "2, 2, 8, 2"),
    .init(name: "conv2d_taps_filter", expression: "conv2d(y, x)", shape: "2, 3, 8, 2", yShape: "1, 4, 4, 8"),
    // control flow and closures
    .init(name: "if", expression: "if sum(y) > 0.0 { x * x } else { sin(x) }", shape: "3", yShape: "2"),
    .init(
      name: "for", expression: "{ let mut z = x; for i in 0..4 { z = z * 0.9 + sin(z) * y; } z }", shape: "3",
      yShape: "3"),
    .init(
      name: "for_index", expression: "{ let mut z = x; for i in 1..4 { z = z * cast<f64>(i) * 0.3 + x; } z }",
      shape: "2"),
    .init(
      name: "while", expression: "{ let mut z = x; let mut k = 0; while k < 3 { z = tanh(z) + x * z; k += 1; } z }",
      shape: "3"),
    // loops whose trip count is only known at run time (checkpointed backward sweeps, LoopSweeps),
    // integrating dz/dt = sin(z) y over t in [0, 1] in n steps, and one with a tape of every step
    .init(name: "for_runtime_1", expression: runtimeLoop(1), shape: "3", yShape: "3", checksHessian: false),
    .init(name: "for_runtime_2", expression: runtimeLoop(2), shape: "3", yShape: "3"),
    .init(name: "for_runtime_1000", expression: runtimeLoop(1000), shape: "3", yShape: "3", checksHessian: false),
    .init(name: "for_runtime_100000", expression: runtimeLoop(100_000), shape: "3", yShape: "3", checksHessian: false),
    .init(
      name: "while_runtime_100000",
      expression:
        "{ let n = \(runtime(100_000)); let mut z = x; let mut k = 0; while k < n { z = z + sin(z) * y * (1.0 / cast<f64>(n)); k += 1; } z }",
      shape: "3", yShape: "3", checksHessian: false),
    .init(
      name: "for_taped_100000",
      expression: "{ let mut z = x; for i in 0..100000 { z = z + sin(z) * y * 0.00001; } z }", shape: "3",
      yShape: "3", checksHessian: false),
    .init(
      name: "checkpoint", expression: "checkpoint(|a: Tensor<f64, 2, 3>| sin(a) * a + y)(x) * x", shape: "2, 3",
      yShape: "3"),
    .init(
      name: "checkpoint_loop",
      expression:
        "{ let step = checkpoint(|a: Tensor<f64, 3>| tanh(a) * y); let mut z = x; for i in 0..3 { z = step(z) + x; } z }",
      shape: "3", yShape: "3"),
    .init(name: "nested_closure", expression: "{ let g = |a| a * y + x; g(x) * g(y) }", shape: "3", yShape: "3"),
  ]

  /// An i64 expression equal to `n` that the compiler cannot fold to a constant.
  static func runtime(_ n: Int) -> String { "\(n) + cast<i64>(stop_gradient(sum(y)) * 0.0)" }

  static func runtimeLoop(_ n: Int) -> String {
    "{ let n = \(runtime(n)); let mut z = x; for i in 0..n { z = z + sin(z) * y * (1.0 / cast<f64>(n)); } z }"
  }

  /// Inputs up to this many elements also have their Hessian checked (a larger one is a batch
  /// of that many second-order sweeps, slow in a debug build).
  static let maximumHessianInput = 256

  static func elementCount(_ c: GradientCase) -> Int {
    c.shape.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }.reduce(1, *)
  }

  /// Prints uᵀ H v from `hessian(f)` (all rows at once, batched) next to ⟨∇⟨∇f, u⟩, v⟩.
  static func hessianCheck(_ n: Int) -> String {
    """
    let hessian_uv = reshape(u, [1, \(n)]) @ reshape(hessian(f)(x0), [\(n), \(n)]) @ reshape(v, [\(n), 1]);
        print(sum(grad(g)(x0) * v), sum(hessian_uv));
    """
  }

  /// The inputs: x0 in the case's domain, y (when the case has one), directions v and u.
  static func prelude(_ c: GradientCase) -> String {
    let y = c.yShape.map { "    let y = { let r = cast<f64>(randn([\($0)], seed=5)); \(c.yDomain) };\n" } ?? ""
    return """
          let x0 = { let r = cast<f64>(randn([\(c.shape)], seed=3)); \(c.domain) };
      \(y)    let v = cast<f64>(randn([\(c.shape)], seed=7));
          let u = cast<f64>(randn([\(c.shape)], seed=11));
      """
  }

  static func program(_ c: GradientCase) -> String {
    let type = "Tensor<f64, \(c.shape)>"
    let n = elementCount(c)
    return """
      fn main() {
      \(prelude(c))
          let h = 0.000001;
          let f = |x: \(type)| sum(sin(\(c.expression)));
          print(sum(grad(f)(x0) * v), (f(x0 + h * v) - f(x0 - h * v)) / (2.0 * h));
          let g = |x: \(type)| sum(grad(f)(x) * u);
          print(sum(grad(g)(x0) * v), (g(x0 + h * v) - g(x0 - h * v)) / (2.0 * h));
      \(c.checksHessian && n <= maximumHessianInput ? hessianCheck(n) : "")
      }
      """
  }

  @Test(arguments: cases)
  func firstAndSecondOrderMatchFiniteDifferences(_ c: GradientCase) throws {
    let result = run(Self.program(c), name: "\(c.name).mind", optimizationLevel: 1)
    #expect(result.errors == "", "\(Self.program(c))")
    let lines = result.output.split(separator: "\n").map { numbers(in: String($0)) }
    let checksHessian = c.checksHessian && Self.elementCount(c) <= Self.maximumHessianInput
    try #require(lines.count == (checksHessian ? 3 : 2))
    if checksHessian {
      try #require(lines[2].count == 2)
      #expect(
        close([lines[2][1]], [lines[2][0]], relative: 1e-9, absolute: 1e-9),
        "uᵀ hessian(f) v = \(lines[2][1]) but ⟨∇⟨∇f, u⟩, v⟩ = \(lines[2][0])")
    }
    for (order, pair) in lines.prefix(2).enumerated() {
      try #require(pair.count == 2)
      #expect(
        close([pair[0]], [pair[1]], relative: 1e-5, absolute: 1e-6),
        "order \(order + 1): analytic \(pair[0]) vs numeric \(pair[1])")
      #expect(pair[0] != 0 || pair[1] == 0)
    }
  }
}

extension GradientCheckTests {
  /// vjp and jvp agree with each other: ⟨Jᵀu, v⟩ = ⟨u, Jv⟩ for the same f, x, u and v.
  static func identityProgram(_ c: GradientCase) -> String {
    let type = "Tensor<f64, \(c.shape)>"
    return """
      fn main() {
      \(prelude(c))
          let f = |x: \(type)| \(c.expression);
          let (y0, pullback) = vjp(f)(x0);
          let u = sin(y0 * 3.1 + 0.5);
          let (y1, tangent) = jvp(f)(x0, v);
          print(sum(pullback(u) * v), sum(u * tangent), sum(abs(y0 - y1)));
      }
      """
  }

  @Test(arguments: cases)
  func vjpAndJvpSatisfyTheInnerProductIdentity(_ c: GradientCase) throws {
    let result = run(Self.identityProgram(c), name: "\(c.name).mind", optimizationLevel: 1)
    #expect(result.errors == "", "\(Self.identityProgram(c))")
    let values = numbers(in: result.output)
    try #require(values.count == 3)
    #expect(
      close([values[0]], [values[1]], relative: 1e-9, absolute: 1e-9),
      "⟨Jᵀu, v⟩ = \(values[0]) but ⟨u, Jv⟩ = \(values[1])")
    #expect(values[2] == 0, "vjp and jvp disagree on f(x)")
  }
}
