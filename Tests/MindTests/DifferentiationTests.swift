// Differentiation beyond finite differences: the rule table is closed under differentiation,
// transforms return what LANGUAGE.md says, custom rules are really called, checkpointing keeps
// less, and common losses have their known gradients.

import MIND
import MindAD
import MindFrontend
import MindIR
import Testing

@Suite struct DifferentiationTests {
  /// One op of every kind that has a derivative rule, on small concrete operands.
  static func representativeOps(_ values: ValueFactory) -> [Operation] {
    let v3 = TensorType(.f32, known: [3])
    let m23 = TensorType(.f32, known: [2, 3])
    let m32 = TensorType(.f32, known: [3, 2])
    let block = Block(arguments: [])
    let b = Builder(values: values, block: block)
    let x = values.make(v3)
    let y = values.make(v3)
    let a = values.make(m23)
    let c = values.make(m32)
    let i = values.make(TensorType(.i64))
    let indices = values.make(TensorType(.i64, known: [2]))
    for op in UnaryOp.allCases where op != .not { _ = b.unary(op, x) }
    for op in BinaryOp.allCases where op != .and && op != .or { _ = b.binary(op, x, y) }
    _ = b.select(b.compare(.lt, x, y), x, y)
    _ = b.value(.cast, [x], type: TensorType(.f64, known: [3]))
    _ = b.value(.broadcast(dims: [1]), [x], type: m23)
    for op in ReduceOp.allCases { _ = b.value(.reduce(op, axes: [1]), [a]) }
    _ = b.value(.reshape, [a], type: m32)
    _ = b.value(.transpose(perm: [1, 0]), [a])
    _ = b.value(.matmul, [a, c])
    _ = b.value(.slice(starts: [0, 1], strides: [1, 2]), [a], type: TensorType(.f32, known: [2, 1]))
    _ = b.value(.unslice(starts: [0, 1], strides: [1, 2]), [values.make(TensorType(.f32, known: [2, 1]))], type: m23)
    _ = b.value(.dynamicSlice, [x, i], type: TensorType(.f32, known: [1]))
    _ = b.value(.dynamicUpdateSlice, [x, values.make(TensorType(.f32, known: [1])), i])
    _ = b.value(.concat(axis: 0), [x, y])
    _ = b.value(.gather(axis: 1), [a, indices])
    _ = b.value(.scatterAdd(axis: 1), [values.make(TensorType(.f32, known: [2, 2])), indices], type: m23)
    return block.operations.filter { DerivativeRules.classify($0.kind) == .rule }
  }

  static func kindName(_ kind: OpKind) -> String { kind.name }

  @Test func theRuleTableIsClosedUnderDifferentiation() {
    let values = ValueFactory()
    let ops = Self.representativeOps(values)
    let covered = Set(ops.map { Self.kindName($0.kind) })
    var emitted: Set<String> = []
    for op in ops {
      let scratch = Block(arguments: [])
      let b = Builder(values: values, block: scratch)
      let adjoints = op.results.map { values.make($0.type) as Value? }
      let needed = op.operands.map { $0.type.dtype.isFloat }
      let contributions = DerivativeRules.pullback(
        op, operands: op.operands, results: op.results, adjoints: adjoints, needed: needed, b)
      // A rule answers for every floating-point operand, with the operand's type.
      for (operand, contribution) in zip(op.operands, contributions) where operand.type.dtype.isFloat {
        #expect(
          contribution?.type == operand.type,
          "\(op.kind.name): adjoint \(String(describing: contribution?.type)) for \(operand.type)")
      }
      for emittedOp in scratch.operations { emitted.insert(Self.kindName(emittedOp.kind)) }
    }
    // Everything a rule emits is either an op with a (tested) rule or one without gradient.
    for name in emitted.sorted() {
      let noGradient = ["constant", "cmp.eq", "cmp.gt", "cmp.lt", "sign", "floor", "iota"].contains(name)
      #expect(covered.contains(name) || noGradient, "rules emit \(name), which has no rule")
    }
    #expect(covered.count >= 30)
  }

  /// A loop carries a tuple whose members start as number literals (issue 15's third case, a
  /// trap before): the literals become f32 tensors, and the derivative goes through them.
  @Test func loopCarriedTuplesStartingAsLiteralsAreDifferentiated() throws {
    let result = run(
      """
      fn f(x: f32) -> f32 { let mut t = (x, 1.0); for i in 0..3 { t = (t.0 * x, t.1 + 2.0); } t.0 * t.1 }
      fn g(x: f32) -> f32 { let mut t = (x, 1.0); for i in 0..2 { t = (x, 2.0); } x }
      fn main() { print(f(2.0), grad(f)(2.0), grad(g)(1.0)); }
      """)
    #expect(result.errors == "")
    #expect(result.output == "112.0 224.0 1.0\n")
  }

  @Test func thirdDerivativeOfACubeIsAConstantInOptimizedMIR() throws {
    let program = try Program(
      source: try Repository.read(Repository.root.appendingPathComponent("Examples/higher_order.mind").path),
      name: "higher_order.mind")
    let (module, _) = try program.mir(optimize: true)
    let text = Printer.print(module)
    #expect(module.functions.count == 1)
    #expect(text.contains("constant {value = 6.0}"))
    #expect(!text.contains("call") && !text.contains("pow") && !text.contains("mul"))
  }

  @Test func transformsReturnWhatTheLanguageSays() {
    let result = run(
      """
      struct Params { w: Tensor<f32, 2>, b: f32 }
      fn loss(p: Params, x: Tensor<f32, 2>, n: i64) -> f32 { (sum(p.w * x) + p.b) ** 2 * cast<f32>(n) }
      fn cube(x: Tensor<f32, 2>) -> f32 { sum(x ** 3) }
      fn f(x: f32, y: f32) -> f32 { x * x * y }
      fn vec(x: Tensor<f32, 2>) -> Tensor<f32, 2> { x * x }
      fn main() {
          let p = Params { w: [1.0, 2.0], b: 0.5 };
          let x = [3.0, -1.0];
          print(grad(loss)(p, x, 2));
          print(grad(loss, wrt=1)(p, x, 2));
          print(grad(f, wrt=(0, 1))(3.0, 2.0), value_and_grad(f)(3.0, 2.0));
          let (y, pullback) = vjp(vec)(x);
          print(y, pullback([1.0, 10.0]));
          print(jvp(vec)(x, [1.0, 0.5]));
          print(hessian(cube)(x));
      }
      """)
    #expect(result.errors == "")
    // loss = (w·x + b)² n with w·x + b = 1.5: ∂/∂w = 2·1.5·2·x, ∂/∂b = 2·1.5·2, ∂/∂x = 6 w.
    #expect(
      result.output == """
        Params { w: [18.0, -6.0], b: 6.0 }
        [6.0, 12.0]
        (12.0, 9.0) (18.0, 12.0)
        [9.0, 1.0] [6.0, -20.0]
        ([9.0, 1.0], [6.0, -1.0])
        [[18.0, -0.0], [0.0, -6.0]]

        """)
  }

  @Test func derivativeConventionsAtKinks() {
    // LANGUAGE.md: relu'(0) = 0 (it was 0.5: relu was max(x, 0), whose tie splits), while a tie
    // of max/min sends half the upstream to each side; relu keeps NaN.
    let result = run(
      """
      fn main() {
          print(grad(|x: Tensor<f32, 4>| sum(relu(x)))([-1.0, 0.0, -0.0, 2.0]));
          print(grad(grad(|x: f32| relu(x) * x))(0.0), grad(|x: f32| max(x, 0.0))(0.0));
          print(relu([0.0 / 0.0, -3.0, 3.0]), relu([-2, 0, 5]));
      }
      """)
    #expect(result.errors == "")
    #expect(result.output == "[0.0, 0.0, 0.0, 1.0]\n0.0 0.5\n[nan, 0.0, 3.0] [0, 0, 5]\n")
  }

  @Test func stopGradientIsTheIdentityWithNoDerivative() throws {
    let result = run(
      """
      fn f(x: f32) -> f32 { x * stop_gradient(x) }
      fn main() {
          print(f(3.0), grad(f)(3.0), grad(grad(f))(3.0));
          print(stop_gradient([1, 2]));
      }
      """)
    #expect(result.errors == "")
    // f = x·c with c = x held constant: f' = c = 3, f'' = 0.
    #expect(result.output == "9.0 3.0 0.0\n[1, 2]\n")
    // Softmax subtracts its maximum under stop_gradient: its gradient has no path through the max.
    let program = try Program(
      source:
        "fn f(x: Tensor<f32, 3>) -> f32 { sum(softmax(x) * [1.0, 2.0, 3.0]) }\nfn main() { print(grad(f)([1.0, 2.0, 3.0])); }",
      name: "softmax.mind")
    let (module, _) = try program.mir(optimize: true)
    #expect(!Printer.print(module).contains("cmp.eq"))
  }

  @Test func customGradientRuleIsCalledInsteadOfTheDerivative() {
    // The rule deliberately returns 10 × upstream, which is not the derivative of x * x.
    let result = run(
      """
      @custom_grad(fake)
      fn square(x: f32) -> f32 { x * x }
      fn fake(x: f32, upstream: f32) -> f32 { 10.0 * upstream }
      fn main() {
          print(square(3.0), grad(square)(3.0), grad(|x: f32| square(x) * 2.0)(3.0));
          // Higher order differentiates the rule: d/dx (10 * upstream) is 0.
          print(grad(grad(square))(3.0));
      }
      """)
    #expect(result.errors == "")
    #expect(result.output == "9.0 10.0 20.0\n0.0\n")
  }

  @Test func customGradientWithSeveralParametersReturnsATuple() {
    let result = run(
      """
      @custom_grad(rule)
      fn mul(x: f32, y: f32) -> f32 { x * y }
      fn rule(x: f32, y: f32, upstream: f32) -> (f32, f32) { (upstream * y, upstream * 100.0) }
      fn main() { print(grad(mul, wrt=(0, 1))(2.0, 3.0)); }
      """)
    #expect(result.errors == "")
    #expect(result.output == "(3.0, 100.0)\n")
  }

  static let stackSource = """
    fn block(x: Tensor<f32, B, S, D>) -> Tensor<f32, B, S, D> {
        let scores = softmax((x @ transpose(x, perm=[0, 2, 1])) * 0.25, axis=-1);
        let attended = layer_norm(x + scores @ x);
        attended + 0.5 * gelu(attended)
    }
    @checkpoint
    fn checkpointed(x: Tensor<f32, B, S, D>) -> Tensor<f32, B, S, D> { block(x) }
    fn plain_loss(x: Tensor<f32, 2, 16, 8>) -> f32 {
        let mut h = x;
        for i in 0..8 { h = block(h); }
        sum(h ** 2)
    }
    fn unrolled_plain(x: Tensor<f32, 2, 16, 8>) -> f32 {
        sum(block(block(block(block(block(block(block(block(x)))))))) ** 2)
    }
    fn unrolled_checkpointed(x: Tensor<f32, 2, 16, 8>) -> f32 {
        sum(checkpointed(checkpointed(checkpointed(checkpointed(checkpointed(checkpointed(checkpointed(checkpointed(x)))))))) ** 2)
    }
    fn main() {
        let x = randn([2, 16, 8], seed=1) * 0.5;
        let a = grad(unrolled_plain)(x);
        let b = grad(unrolled_checkpointed)(x);
        print(max(abs(a - b)) == 0.0, sum(abs(a)) > 0.0);
    }
    """

  @Test func checkpointingEightBlocksKeepsAtMostHalfTheIntermediates() throws {
    let result = run(Self.stackSource)
    #expect(result.errors == "")
    #expect(result.output == "true true\n")
    let program = try Program(source: Self.stackSource, name: "stack.mind")
    _ = try program.mir()
    let saved = Dictionary(uniqueKeysWithValues: program.savedValues.map { ($0.function, $0.bytes) })
    let plain = try #require(saved.first { $0.key.hasPrefix("vjp.unrolled_plain") }?.value)
    let checkpointed = try #require(saved.first { $0.key.hasPrefix("vjp.unrolled_checkpointed") }?.value)
    #expect(checkpointed * 2 <= plain, "checkpointed keeps \(checkpointed) bytes, plain \(plain)")
    #expect(checkpointed > 0)
  }
}

extension DifferentiationTests {
  static let loopSource = """
    fn taped(x0: Tensor<f32, 64>, w: Tensor<f32, 64, 64>) -> f32 {
        let mut x = x0;
        for i in 0..1000 { x = x + 0.001 * tanh(w @ x); }
        sum(x * x)
    }
    fn taped5000(x0: Tensor<f32, 64>, w: Tensor<f32, 64, 64>) -> f32 {
        let mut x = x0;
        for i in 0..5000 { x = x + 0.0002 * tanh(w @ x); }
        sum(x * x)
    }
    fn counted(x0: Tensor<f32, 64>, w: Tensor<f32, 64, 64>, n: i64) -> f32 {
        let mut x = x0;
        let h = if n > 4096 { 0.0002 } else { 0.001 };
        for i in 0..n { x = x + h * tanh(w @ x); }
        sum(x * x)
    }
    fn looped(x0: Tensor<f32, 64>, w: Tensor<f32, 64, 64>, n: i64) -> f32 {
        let mut x = x0;
        let mut k = 0;
        let h = if n > 4096 { 0.0002 } else { 0.001 };
        while k < n { x = x + h * tanh(w @ x); k += 1; }
        sum(x * x)
    }
    fn main() {
        let x0 = randn([64], seed=1);
        let w = randn([64, 64], seed=2) * 0.3;
        let a = grad(taped, wrt=1)(x0, w);
        let c = grad(counted, wrt=1)(x0, w, 1000);
        print(max(abs(c - grad(looped, wrt=1)(x0, w, 1000))), max(abs(c - a)) / max(abs(a)) < 0.0001);
        print(sum(abs(a)) > 0.0, sum(abs(grad(counted, wrt=1)(x0, w, 0))), sum(abs(grad(looped, wrt=1)(x0, w, -3))));
        let b = grad(taped5000, wrt=1)(x0, w);
        let d = grad(counted, wrt=1)(x0, w, 5000);
        print(max(abs(d - grad(looped, wrt=1)(x0, w, 5000))), max(abs(d - b)) / max(abs(b)) < 0.0001);
    }
    """

  /// The backward sweep of a loop with a runtime trip count, taped when the count fits 4096 rows
  /// (1000) and from checkpoints when it does not (5000), runs the same operations for a `for` and
  /// a `while`, so their results are equal, and the operations of the taped sweep of its twin with
  /// constant bounds, except that the twin's weight gradient is one product after its loop
  /// (AccumulatedProducts), summed in another order (f32 sums of 1000 and 5000 terms: 1e-4).
  @Test func loopsWithRuntimeTripCountsGetTheGradientsOfTheirTapedTwins() throws {
    let result = run(Self.loopSource)
    #expect(result.errors == "")
    #expect(result.output == "0.0 true\ntrue 0.0 0.0\n0.0 true\n")
    let program = try Program(source: Self.loopSource, name: "loops.mind")
    _ = try program.mir()
    // The twins with constant bounds are taped.
    #expect(
      program.loopSweeps.compactMap { loop in if case .taped(let n, _) = loop.sweep { n } else { nil } } == [
        5000, 1000,
      ])
    let loops = program.loopSweeps.filter { if case .tapedUpTo = $0.sweep { true } else { false } }
    #expect(loops.map { $0.function.components(separatedBy: "__")[0] } == ["vjp.counted", "vjp.looped"])
    // Taped up to 4096 iterations, beyond from checkpoints of 64 floats (the `while` also
    // carries its i64 counter).
    let plans = loops.map { loop -> CheckpointPlan? in
      if case .tapedUpTo(4096, _, let plan) = loop.sweep { plan } else { nil }
    }
    #expect(
      plans == [
        CheckpointPlan(levels: 2, rows: 4096, stateBytes: 256), CheckpointPlan(levels: 2, rows: 4096, stateBytes: 264),
      ])
    #expect(loops.map { program.sources.describe($0.location) } == ["loops.mind:14:9", "loops.mind:21:11"])
  }

  /// The central pattern of a training loop: a struct of parameters with symbolic extents,
  /// returned by a function that takes it (and its gradient), reassigned in a `for` and a
  /// `while` loop. The struct type in `update`'s signature takes its extents from the argument,
  /// so the loops' carried types agree; the results equal the same steps written out.
  @Test func structParametersUpdatedInLoopsKeepTheirExtents() {
    let result = run(
      """
      struct MLP { w: Tensor<f32, I, H>, b: Tensor<f32, H> }
      fn loss(p: MLP, x: Tensor<f32, I>) -> f32 { sum(tanh(x @ p.w + p.b) ** 2) }
      fn update(p: MLP, g: MLP, lr: f32) -> MLP { MLP { w: p.w - lr * g.w, b: p.b - lr * g.b } }
      fn fresh() -> MLP { MLP { w: reshape(sin(arange(0.0, 32.0, 1.0)), [4, 8]), b: zeros([8]) } }
      fn main() {
          let x = [1.0, 2.0, 3.0, 4.0];
          let mut p = fresh();
          for i in 0..3 { p = update(p, grad(loss)(p, x), 0.1); }
          let mut q = fresh();
          let mut k = 0;
          while k < 3 { q = update(q, grad(loss)(q, x), 0.1); k += 1; }
          let r0 = fresh();
          let r1 = update(r0, grad(loss)(r0, x), 0.1);
          let r2 = update(r1, grad(loss)(r1, x), 0.1);
          let r3 = update(r2, grad(loss)(r2, x), 0.1);
          print(loss(p, x) == loss(r3, x), loss(q, x) == loss(r3, x), loss(r3, x) < loss(r0, x));
      }
      """)
    #expect(result.errors == "")
    #expect(result.output == "true true true\n")
  }

  /// Two values of one struct type in a signature (the layers of a model) have extents of their
  /// own: the definition check does not equate `layer1.w`'s `O` with `layer2.w`'s `I`, each call
  /// checks them concretely. tanh(3) * 4 per output, and 5 * tanh(3) per weight of layer 2.
  @Test func structsOfRepeatedStructTypesHaveExtentsPerValue() {
    let definitions = """
      struct Layer { w: Tensor<f32, I, O>, b: Tensor<f32, O> }
      struct Model { layer1: Layer, layer2: Layer }
      fn forward(m: Model, x: Tensor<f32, B, I>) -> Tensor<f32, B, O> {
        tanh(x @ m.layer1.w + m.layer1.b) @ m.layer2.w + m.layer2.b
      }
      fn model() -> Model { Model { layer1: Layer { w: ones([3, 4]), b: zeros([4]) }, layer2: Layer { w: ones([4, 2]), b: zeros([2]) } } }

      """
    let result = run(
      definitions + """
        fn main() {
          let y = forward(model(), ones([5, 3]));
          print(shape(y), abs(y[0, 0] - 4.0 * tanh(3.0)) < 1e-5);
          let g = grad(|m: Model| sum(forward(m, ones([5, 3]))))(model()).layer2.w;
          print(shape(g), abs(g[3, 1] - 5.0 * tanh(3.0)) < 1e-5);
        }
        """)
    #expect(result.errors == "")
    #expect(result.output == "[5, 2] true\n[4, 2] true\n")
    let wrong = run(definitions + "fn main() { print(forward(model(), ones([5, 4]))); }")
    #expect(wrong.codes == ["E3003"])
  }

  @Test func nestedFunctionsBuiltinsAndTuplesAreDifferentiable() {
    let result = run(
      """
      fn main() {
          let a = 3.0;
          fn scaled(x: f32) -> f32 { a * x * x }
          print(grad(scaled)(2.0), grad(sin)(0.0), grad(|t: (f32, f32)| t.0 * t.1)((2.0, 5.0)));
          print(grad(grad(exp))(1.0), hessian(|x: Tensor<f32, 2>| sum(x * x * x))([1.0, 2.0]));
      }
      """)
    #expect(result.errors == "")
    #expect(result.output == "12.0 1.0 (5.0, 2.0)\n2.7182817 [[6.0, 0.0], [0.0, 12.0]]\n")
  }
}
