// The unary elementwise ops, one record each. Everything the compiler knows about such an op is in
// its entry of `UnaryOp.record`: the name a program calls it by, which dtypes it accepts, how it
// folds, its derivative, and how codegen computes it. The type rule, the front end's built-in table,
// Simplify, activity analysis, the derivative rules and the elementwise lowering all read the record;
// adding an op is one case here (the switch is exhaustive, so a missing facet does not compile) plus,
// for a `.kernel` lowering, its code in VectorMath. The MIR name is the enum's raw value.

import Foundation

/// The operand dtypes an elementwise op accepts.
public enum ElementwiseOperands: Sendable {
  /// f32 and f64.
  case floatingPoint
  /// Any integer or floating-point dtype.
  case numeric
  /// bool only.
  case boolean

  public func accepts(_ dtype: DType) -> Bool {
    switch self {
    case .floatingPoint: return dtype.isFloat
    case .numeric: return dtype != .bool
    case .boolean: return dtype == .bool
    }
  }
}

public struct UnaryOpRecord: Sendable {
  public typealias Operands = ElementwiseOperands

  /// How codegen computes an op on elements of one dtype.
  public enum Lowering: Equatable, Sendable {
    /// Code written for the op in the elementwise lowering (an instruction or a VectorMath kernel),
    /// on vectors of any width.
    case kernel
    /// An overloaded LLVM intrinsic, on vectors of any width.
    case intrinsic(String)
    /// A libm function called once per element (the scalar loop only); `f` is appended for f32.
    case libm(String)
  }

  /// A tangent rule: the tangent of `y = op(x)` given `x`, `y` and the tangent `t` of `x`, all of one
  /// type. An elementwise derivative is a diagonal linear map, so the rule is its own transpose: the
  /// same rule applied to an adjoint gives the adjoint of `x` (reverse mode uses it that way).
  public typealias Tangent = @Sendable (_ b: Builder, _ x: Value, _ y: Value, _ t: Value) -> Value

  /// The name a MIND program calls the op by (nil: reached only through an operator).
  public let builtinName: String?
  public let operands: Operands
  /// The op on one element in f64, for constant folding (nil: not folded).
  public let fold: (@Sendable (Double) -> Double)?
  /// Nil: the op carries no gradient (its derivative is zero almost everywhere, or it is
  /// `stop_gradient`), and activity analysis stops at it.
  public let tangent: Tangent?
  public let lowering: @Sendable (DType) -> Lowering

  public func accepts(_ dtype: DType) -> Bool { operands.accepts(dtype) }
}

extension UnaryOp {
  /// The op's record, built once (every type rule and fold asks for it).
  public var record: UnaryOpRecord { Self.records[self]! }

  private static let records = Dictionary(uniqueKeysWithValues: allCases.map { ($0, $0.makeRecord()) })

  private func makeRecord() -> UnaryOpRecord {
    typealias R = UnaryOpRecord
    let kernel: @Sendable (DType) -> R.Lowering = { _ in .kernel }
    let intrinsic = { (name: String) -> @Sendable (DType) -> R.Lowering in { _ in .intrinsic(name) } }
    let one: @Sendable (Builder, Value) -> Value = { b, t in b.splat(1, like: t.type) }
    /// (1 - x)(1 + x): 1 - x² without cancellation near ±1.
    let oneMinusSquare: @Sendable (Builder, Value) -> Value = { b, x in
      let o = b.splat(1, like: x.type)
      return b.binary(.mul, b.binary(.sub, o, x), b.binary(.add, o, x))
    }
    switch self {
    case .neg:
      return R(
        builtinName: "neg", operands: .numeric, fold: { -$0 }, tangent: { b, _, _, t in b.unary(.neg, t) },
        lowering: kernel)
    case .abs:
      return R(
        builtinName: "abs", operands: .numeric, fold: { Swift.abs($0) },
        tangent: { b, x, _, t in b.binary(.mul, t, b.unary(.sign, x)) },
        lowering: { $0.isFloat ? .intrinsic("llvm.fabs") : .kernel })
    case .sign:
      return R(
        builtinName: "sign", operands: .numeric, fold: { $0 > 0 ? 1 : $0 < 0 ? -1 : $0 }, tangent: nil,
        lowering: kernel)
    case .exp:
      return R(
        builtinName: "exp", operands: .floatingPoint, fold: Foundation.exp,
        tangent: { b, _, y, t in b.binary(.mul, t, y) },
        lowering: kernel)
    case .log:
      return R(
        builtinName: "log", operands: .floatingPoint, fold: Foundation.log,
        tangent: { b, x, _, t in b.binary(.div, t, x) },
        lowering: kernel)
    case .log1p:
      return R(
        builtinName: "log1p", operands: .floatingPoint, fold: Foundation.log1p,
        tangent: { b, x, _, t in b.binary(.div, t, b.binary(.add, one(b, t), x)) }, lowering: kernel)
    case .expm1:
      return R(
        builtinName: "expm1", operands: .floatingPoint, fold: Foundation.expm1,
        tangent: { b, _, y, t in b.binary(.mul, t, b.binary(.add, y, one(b, t))) }, lowering: kernel)
    case .exp2:
      return R(
        builtinName: "exp2", operands: .floatingPoint, fold: Foundation.exp2,
        tangent: { b, _, y, t in b.binary(.mul, t, b.binary(.mul, y, b.splat(0.6931471805599453, like: t.type))) },
        lowering: kernel)
    case .sqrt:
      return R(
        builtinName: "sqrt", operands: .floatingPoint, fold: { $0.squareRoot() },
        tangent: { b, _, y, t in b.binary(.div, t, b.binary(.mul, b.splat(2, like: t.type), y)) },
        lowering: intrinsic("llvm.sqrt"))
    case .sin:
      return R(
        builtinName: "sin", operands: .floatingPoint, fold: Foundation.sin,
        tangent: { b, x, _, t in b.binary(.mul, t, b.unary(.cos, x)) },
        lowering: { $0 == .f32 ? .kernel : .intrinsic("llvm.sin") })
    case .cos:
      return R(
        builtinName: "cos", operands: .floatingPoint, fold: Foundation.cos,
        tangent: { b, x, _, t in b.unary(.neg, b.binary(.mul, t, b.unary(.sin, x))) },
        lowering: { $0 == .f32 ? .kernel : .intrinsic("llvm.cos") })
    case .tan:
      return R(
        builtinName: "tan", operands: .floatingPoint, fold: Foundation.tan,
        tangent: { b, _, y, t in b.binary(.mul, t, b.binary(.add, one(b, t), b.binary(.mul, y, y))) },
        lowering: { _ in .libm("tan") })
    case .asin:
      return R(
        builtinName: "asin", operands: .floatingPoint, fold: Foundation.asin,
        tangent: { b, x, _, t in b.binary(.div, t, b.unary(.sqrt, oneMinusSquare(b, x))) }, lowering: kernel)
    case .acos:
      return R(
        builtinName: "acos", operands: .floatingPoint, fold: Foundation.acos,
        tangent: { b, x, _, t in b.unary(.neg, b.binary(.div, t, b.unary(.sqrt, oneMinusSquare(b, x)))) },
        lowering: kernel)
    case .atan:
      return R(
        builtinName: "atan", operands: .floatingPoint, fold: Foundation.atan,
        tangent: { b, x, _, t in b.binary(.div, t, b.binary(.add, one(b, t), b.binary(.mul, x, x))) },
        lowering: kernel)
    case .tanh:
      return R(
        builtinName: "tanh", operands: .floatingPoint, fold: Foundation.tanh,
        tangent: { b, _, y, t in b.binary(.mul, t, b.binary(.sub, one(b, t), b.binary(.mul, y, y))) },
        lowering: kernel)
    case .sinh:
      return R(
        builtinName: "sinh", operands: .floatingPoint, fold: Foundation.sinh,
        tangent: { b, x, _, t in b.binary(.mul, t, b.unary(.cosh, x)) }, lowering: kernel)
    case .cosh:
      return R(
        builtinName: "cosh", operands: .floatingPoint, fold: Foundation.cosh,
        tangent: { b, x, _, t in b.binary(.mul, t, b.unary(.sinh, x)) }, lowering: kernel)
    case .asinh:
      return R(
        builtinName: "asinh", operands: .floatingPoint, fold: Foundation.asinh,
        tangent: { b, x, _, t in
          b.binary(.div, t, b.unary(.sqrt, b.binary(.add, b.binary(.mul, x, x), one(b, t))))
        }, lowering: kernel)
    case .acosh:
      return R(
        builtinName: "acosh", operands: .floatingPoint, fold: Foundation.acosh,
        tangent: { b, x, _, t in
          let o = one(b, t)
          return b.binary(.div, t, b.unary(.sqrt, b.binary(.mul, b.binary(.sub, x, o), b.binary(.add, x, o))))
        }, lowering: kernel)
    case .atanh:
      return R(
        builtinName: "atanh", operands: .floatingPoint, fold: Foundation.atanh,
        tangent: { b, x, _, t in b.binary(.div, t, oneMinusSquare(b, x)) }, lowering: kernel)
    case .erf, .erfc:
      let sign = self == .erf ? 1.0 : -1.0
      return R(
        builtinName: rawValue, operands: .floatingPoint, fold: self == .erf ? Foundation.erf : Foundation.erfc,
        tangent: { b, x, _, t in
          let gaussian = b.unary(.exp, b.unary(.neg, b.binary(.mul, x, x)))
          return b.binary(.mul, t, b.binary(.mul, b.splat(sign * 1.1283791670955126, like: t.type), gaussian))
        }, lowering: kernel)
    case .logistic:
      return R(
        builtinName: "sigmoid", operands: .floatingPoint, fold: { 1 / (1 + Foundation.exp(-$0)) },
        tangent: { b, _, y, t in b.binary(.mul, t, b.binary(.mul, y, b.binary(.sub, one(b, t), y))) },
        lowering: kernel)
    case .floor:
      return R(
        builtinName: "floor", operands: .floatingPoint, fold: { $0.rounded(.down) }, tangent: nil,
        lowering: intrinsic("llvm.floor"))
    case .ceil:
      return R(
        builtinName: "ceil", operands: .floatingPoint, fold: { $0.rounded(.up) }, tangent: nil,
        lowering: intrinsic("llvm.ceil"))
    case .round:
      return R(
        builtinName: "round", operands: .floatingPoint, fold: { $0.rounded(.toNearestOrEven) }, tangent: nil,
        lowering: intrinsic("llvm.roundeven"))
    case .not:
      return R(builtinName: nil, operands: .boolean, fold: { $0 == 0 ? 1 : 0 }, tangent: nil, lowering: kernel)
    case .stopGradient:
      return R(builtinName: "stop_gradient", operands: .numeric, fold: { $0 }, tangent: nil, lowering: kernel)
    }
  }
}
