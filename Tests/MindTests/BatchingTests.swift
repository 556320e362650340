// vmap and the Jacobians, checked against what they stand for: `vmap(f)(xs)[i]` against
// `f(xs[i])` for every i (ops with batching rules, ops that make the function a loop over the
// batch, loops and branches inside f, axes other than 0, `None`, nested vmap, and vmap of grad
// and grad of vmap), and `jacrev`/`jacfwd` against each other, finite differences in f64 and a
// Jacobian-vector product from `jvp`.

import Foundation
import Testing

struct VmapCase: CustomTestStringConvertible, Sendable {
  let name: String
  /// The batched call, and element i of the same computation without vmap (`#` stands for i).
  let batched: String
  let element: String
  var testDescription: String { name }
}

@Suite struct BatchingTests {
  static let prelude = """
        let xs = cast<f64>(randn([3, 4], seed=1));
        let ys = cast<f64>(randn([3, 4], seed=2));
        let w = cast<f64>(randn([4, 5], seed=3));
        let m = cast<f64>(randn([3, 4, 4], seed=4));
        let k = [2, 0, 3];
    """

  static let functions = """
    fn mlp(w: Tensor<f64, 4, 5>, x: Tensor<f64, 4>) -> f64 { sum(tanh(reshape(x, [1, 4]) @ w) ** 2) }
    fn pick(x: Tensor<f64, 4>, i: i64) -> f64 { x[i] * 2.0 + sum(x) }
    fn steps(x: Tensor<f64, 4>) -> Tensor<f64, 4> {
        let mut z = x;
        for t in 0..3 { z = z + sin(z) * 0.5; }
        let mut n = 0;
        while n < 2 { z = z * 0.9; n += 1; }
        z
    }
    fn branch(x: Tensor<f64, 4>) -> Tensor<f64, 4> { if sum(x) > 0.0 { x * 2.0 } else { -x } }
    fn solve(a: Tensor<f64, 4, 4>, x: Tensor<f64, 4>) -> Tensor<f64, 4> { a @ x + transpose(a) @ x }
    """

  static let cases: [VmapCase] = [
    .init(name: "elementwise", batched: "vmap(|x| exp(x) * x + 1.0)(xs)", element: "exp(xs[#]) * xs[#] + 1.0"),
    .init(
      name: "two_mapped", batched: "vmap(|x, y| x * y - max(x, y))(xs, ys)",
      element: "xs[#] * ys[#] - max(xs[#], ys[#])"),
    .init(
      name: "reductions", batched: "vmap(|x| [sum(x), max(x), mean(x * x)])(xs)",
      element: "[sum(xs[#]), max(xs[#]), mean(xs[#] * xs[#])]"),
    .init(name: "softmax", batched: "vmap(softmax)(xs)", element: "softmax(xs[#])"),
    .init(
      name: "matmul_unbatched_right", batched: "vmap(|x| reshape(reshape(x, [1, 4]) @ w, [5]), in_axes=0)(xs)",
      element: "reshape(reshape(xs[#], [1, 4]) @ w, [5])"),
    .init(
      name: "matmul_unbatched_left", batched: "vmap(|x| transpose(w) @ x)(xs)", element: "transpose(w) @ xs[#]"),
    .init(name: "matmul_both", batched: "vmap(solve)(m, xs)", element: "solve(m[#], xs[#])"),
    .init(
      name: "none_argument", batched: "vmap(mlp, in_axes=(None, 0))(w, xs)", element: "mlp(w, xs[#])"),
    .init(
      name: "axis_1", batched: "vmap(|c| c * sum(c), in_axes=1)(transpose(xs))",
      element: "xs[#] * sum(xs[#])"),
    .init(
      name: "out_axis_1", batched: "transpose(vmap(|x| x * 3.0, out_axes=1)(xs))", element: "xs[#] * 3.0"),
    .init(name: "negative_axis", batched: "vmap(|x| x * 3.0, in_axes=-2)(xs)", element: "xs[#] * 3.0"),
    .init(
      name: "tuple_argument", batched: "vmap(|p, x| tanh(p.0 @ x + p.1))((m, ys), xs)",
      element: "tanh(m[#] @ xs[#] + ys[#])"),
    .init(name: "loops", batched: "vmap(steps)(xs)", element: "steps(xs[#])"),
    // a condition, an index that differ per element: the function runs once per element
    .init(name: "per_element_branch", batched: "vmap(branch)(xs)", element: "branch(xs[#])"),
    .init(name: "per_element_index", batched: "vmap(pick)(xs, k)", element: "pick(xs[#], k[#])"),
    .init(
      name: "nested", batched: "vmap(vmap(|a, b| a * b + 1.0))(xs, ys)",
      element: "xs[#] * ys[#] + 1.0"),
    .init(
      name: "per_example_gradients", batched: "vmap(grad(mlp), in_axes=(None, 0))(w, xs)",
      element: "grad(mlp)(w, xs[#])"),
    .init(
      name: "gradients_of_inputs", batched: "vmap(grad(mlp, wrt=1), in_axes=(None, 0))(w, xs)",
      element: "grad(mlp, wrt=1)(w, xs[#])"),
    .init(
      name: "jacobian_rows", batched: "vmap(jacrev(steps))(xs)", element: "jacrev(steps)(xs[#])"),
  ]

  @Test(arguments: cases)
  func vmapMatchesEachElement(_ c: VmapCase) throws {
    let checks = (0..<3).map {
      "    print(max(abs(batched[\($0)] - (\(c.element.replacingOccurrences(of: "#", with: String($0)))))));"
    }.joined(separator: "\n")
    let source = """
      \(Self.functions)
      fn main() {
      \(Self.prelude)
          let batched = \(c.batched);
      \(checks)
      }
      """
    let result = run(source, name: "\(c.name).mind", optimizationLevel: 1)
    #expect(result.errors == "", "\(source)")
    let differences = numbers(in: result.output)
    try #require(differences.count == 3, "\(result.output)")
    #expect(differences.allSatisfy { $0 <= 1e-12 }, "\(differences)")
  }

  @Test func gradOfVmapIsTheSumOfPerExampleGradients() throws {
    let source = """
      \(Self.functions)
      fn main() {
      \(Self.prelude)
          let total = |v: Tensor<f64, 4, 5>| sum(vmap(mlp, in_axes=(None, 0))(v, xs));
          print(max(abs(grad(total)(w) - (grad(mlp)(w, xs[0]) + grad(mlp)(w, xs[1]) + grad(mlp)(w, xs[2])))));
          let second = |v: Tensor<f64, 4, 5>| sum(grad(total)(v) * w);
          let h = 0.000001;
          print(sum(grad(second)(w) * w), (second(w + h * w) - second(w - h * w)) / (2.0 * h));
      }
      """
    let result = run(source, name: "grad_of_vmap.mind", optimizationLevel: 1)
    #expect(result.errors == "", "\(source)")
    let values = numbers(in: result.output)
    try #require(values.count == 3, "\(result.output)")
    #expect(values[0] <= 1e-12)
    #expect(close([values[1]], [values[2]], relative: 1e-6, absolute: 1e-8), "\(values)")
  }

  @Test func jacobiansMatchEachOtherFiniteDifferencesAndJvp() throws {
    let source = """
      \(Self.functions)
      fn f(x: Tensor<f64, 4>, y: Tensor<f64, 3>) -> Tensor<f64, 3, 2> {
          reshape(tanh(x[0:3] * y), [3, 1]) @ reshape(exp(x[2:4]), [1, 2])
      }
      fn main() {
          let x = cast<f64>(randn([4], seed=5));
          let y = cast<f64>(randn([3], seed=6));
          let v = cast<f64>(randn([4], seed=7));
          let h = 0.000001;
          let reverse = jacrev(f)(x, y);
          let forward = jacfwd(f)(x, y);
          print(max(abs(reverse - forward)), max(abs(jacobian(f)(x, y) - reverse)));
          let product = reshape(reshape(reverse, [6, 4]) @ reshape(v, [4, 1]), [3, 2]);
          let (fx, tangent) = jvp(|a| f(a, y))(x, v);
          print(max(abs(product - tangent)));
          print(max(abs(product - (f(x + h * v, y) - f(x - h * v, y)) / (2.0 * h))));
          let dy = jacfwd(f, wrt=1)(x, y);
          let u = cast<f64>(randn([3], seed=8));
          print(max(abs(reshape(reshape(dy, [6, 3]) @ reshape(u, [3, 1]), [3, 2]) - (f(x, y + h * u) - f(x, y - h * u)) / (2.0 * h))));
      }
      """
    let result = run(source, name: "jacobians.mind", optimizationLevel: 1)
    #expect(result.errors == "", "\(source)")
    let values = numbers(in: result.output)
    try #require(values.count == 5, "\(result.output)")
    #expect(values[0] <= 1e-12 && values[1] == 0 && values[2] <= 1e-12, "\(values)")
    #expect(values[3] <= 1e-8 && values[4] <= 1e-8, "\(values)")
  }
}
