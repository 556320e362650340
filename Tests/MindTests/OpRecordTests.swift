// The op records (Sources/MindIR/UnaryOps.swift, BinaryOps.swift) against the passes that read
// them: the ops that carry no gradient are exactly the ones activity analysis stops at and the
// derivative table classifies as such, and every op compiles in the dtypes it accepts and
// computes, through the JIT, what its folder computes.

import Foundation
import MIND
import MindIR
import Testing

@testable import MindAD

@Suite struct OpRecordTests {
  @Test func opsWithoutGradientAreExactlyTheOnesActivityStopsAt() {
    let values = ValueFactory()
    for op in UnaryOp.allCases {
      let dtype: DType = op.record.accepts(.f32) ? .f32 : .bool
      let b = Builder(values: values, block: Block(arguments: []))
      let operation = b.create(.unary(op), [values.make(TensorType(dtype, known: [2]))])
      let hasGradient = op.record.tangent != nil
      #expect(Activity.propagatesDerivatives(operation) == hasGradient, "\(op.rawValue)")
      #expect((DerivativeRules.classify(.unary(op)) == .rule) == hasGradient, "\(op.rawValue)")
    }
  }

  @Test func binaryOpsWithoutGradientAreExactlyTheOnesActivityStopsAt() {
    let values = ValueFactory()
    for op in BinaryOp.allCases {
      let dtype: DType = op.record.operands.accepts(.f32) ? .f32 : .bool
      let b = Builder(values: values, block: Block(arguments: []))
      let operands = (0..<2).map { _ in values.make(TensorType(dtype, known: [2])) }
      let operation = b.create(.binary(op), operands)
      let hasGradient = op.record.pullback != nil
      #expect(Activity.propagatesDerivatives(operation) == hasGradient, "\(op.rawValue)")
      #expect((DerivativeRules.classify(.binary(op)) == .rule) == hasGradient, "\(op.rawValue)")
    }
  }

  /// Every binary op with a folder, on integers and floats, through the JIT against the folder.
  @Test func binaryOpsComputeWhatTheyFold() throws {
    let spelling: [BinaryOp: (String, String) -> String] = [
      .add: { "\($0) + \($1)" }, .sub: { "\($0) - \($1)" }, .mul: { "\($0) * \($1)" }, .div: { "\($0) / \($1)" },
      .pow: { "\($0) ** \($1)" }, .max: { "max(\($0), \($1))" }, .min: { "min(\($0), \($1))" },
    ]
    var cases: [(op: BinaryOp, dtype: DType, function: String)] = []
    var source = ""
    for op in BinaryOp.allCases where op.record.fold != nil {
      let spell = try #require(spelling[op], "\(op.rawValue) has a folder but no spelling here")
      for dtype in [DType.f64, .i64] where op.record.operands.accepts(dtype) {
        let type = "Tensor<\(dtype.rawValue), N>"
        let function = "\(op.rawValue)_\(dtype.rawValue)"
        source += "fn \(function)(x: \(type), y: \(type)) -> \(type) { \(spell("x", "y")) }\n"
        cases.append((op, dtype, function))
      }
    }
    let session = try Session(source: source, cacheDirectory: nil)
    let (xs, ys): ([Double], [Double]) = ([-3, -1, 0, 2, 5, 7], [2, -4, 3, 2, -1, 3])
    for (op, dtype, name) in cases {
      let arguments =
        dtype == .f64 ? [Tensor(xs), Tensor(ys)] : [Tensor(xs.map(Int64.init)), Tensor(ys.map(Int64.init))]
      let output = try session.function(name)(arguments[0], arguments[1])[0]
      let got = dtype == .f64 ? output.doubles : output.int64s.map(Double.init)
      for (i, y) in got.enumerated() {
        guard let want = op.record.fold!(xs[i], ys[i], dtype.isFloat) else { continue }
        #expect(
          y == want || Swift.abs(y - want) <= 1e-15 * Swift.abs(want),
          "\(name)(\(xs[i]), \(ys[i])) = \(y), folded \(want)")
      }
    }
  }

  @Test func namedUnaryOpsComputeWhatTheyFold() throws {
    let named = UnaryOp.allCases.compactMap { op in op.record.builtinName.map { (op, $0) } }
    var functions: [(op: UnaryOp, dtype: DType, function: String)] = []
    var source = ""
    for (op, name) in named {
      for dtype in [DType.f32, .f64] where op.record.accepts(dtype) {
        let function = "\(op.rawValue)_\(dtype.rawValue)"
        source += "fn \(function)(x: Tensor<\(dtype.rawValue), N>) -> Tensor<\(dtype.rawValue), N> { \(name)(x) }\n"
        functions.append((op, dtype, function))
      }
    }
    #expect(functions.count >= 30)
    let session = try Session(source: source, cacheDirectory: nil)
    let xs = [-2.5, -1.0, -0.3, -0.0, 0.0, 0.2, 0.5, 0.75, 1.7, 3.0]
    for (op, dtype, name) in functions {
      let fold = try #require(op.record.fold, "\(op.rawValue) has no folder")
      let isF32 = dtype == .f32
      let output = try session.function(name)(isF32 ? Tensor(xs.map { Float($0) }) : Tensor(xs))[0]
      let got = isF32 ? output.floats.map(Double.init) : output.doubles
      for (x, y) in zip(xs, got) {
        let want = isF32 ? Double(Float(fold(x))) : fold(x)
        let tolerance = (isF32 ? 4 * Double(Float.ulpOfOne) : 4 * Double.ulpOfOne) * Swift.max(Swift.abs(want), 1e-30)
        let agrees = want.isNaN ? y.isNaN : (y == want || Swift.abs(y - want) <= tolerance) && y.sign == want.sign
        #expect(agrees, "\(name)(\(x)) = \(y), folded \(want)")
      }
    }
  }
}
