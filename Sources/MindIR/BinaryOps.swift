// The binary elementwise ops, one record each, as the unary ones are (UnaryOps.swift): which
// dtypes an op takes, how it folds, and its derivative. The type rule, Simplify, activity analysis
// and the derivative rules read the record; every binary op is lowered as an instruction or
// intrinsic (ElementwiseLowering.swift), so there is no lowering facet. The derivative is a VJP
// rule, the clearer form for two operands: the adjoints of both operands from the result's, for
// the operands that need one.

import Foundation

public struct BinaryOpRecord: Sendable {
  /// The adjoints of the left and right operands (nil where not needed or zero), given the
  /// operands, the result `y` and its adjoint `g`.
  public typealias Pullback =
    @Sendable (
      _ b: Builder, _ l: Value, _ r: Value, _ y: Value, _ g: Value, _ needed: [Bool]
    ) -> (Value?, Value?)

  /// Both operands have this class (and one dtype).
  public let operands: ElementwiseOperands
  /// The op on two elements in f64 (nil: not folded), for float or integer operands (`isFloat`);
  /// Simplify rounds the result to the dtype.
  public let fold: (@Sendable (_ a: Double, _ b: Double, _ isFloat: Bool) -> Double?)?
  /// Nil: the op carries no gradient.
  public let pullback: Pullback?
}

extension BinaryOp {
  /// The op's record, built once (every type rule and fold asks for it).
  public var record: BinaryOpRecord { Self.records[self]! }

  private static let records = Dictionary(uniqueKeysWithValues: allCases.map { ($0, $0.makeRecord()) })

  private func makeRecord() -> BinaryOpRecord {
    typealias R = BinaryOpRecord
    let one: @Sendable (Builder, Value) -> Value = { b, v in b.splat(1, like: v.type) }
    switch self {
    case .add:
      return R(operands: .numeric, fold: { a, b, _ in a + b }, pullback: { _, _, _, _, g, _ in (g, g) })
    case .sub:
      return R(
        operands: .numeric, fold: { a, b, _ in a - b },
        pullback: { b, _, _, _, g, needed in (g, needed[1] ? b.unary(.neg, g) : nil) })
    case .mul:
      return R(
        operands: .numeric, fold: { a, b, _ in a * b },
        pullback: { b, l, r, _, g, needed in
          (needed[0] ? b.binary(.mul, g, r) : nil, needed[1] ? b.binary(.mul, g, l) : nil)
        })
    case .div:
      return R(
        operands: .floatingPoint, fold: { a, b, _ in a / b },
        pullback: { b, _, r, y, g, needed in
          let quotient = b.binary(.div, g, r)
          return (quotient, needed[1] ? b.unary(.neg, b.binary(.mul, quotient, y)) : nil)
        })
    case .rem:
      return R(
        operands: .numeric, fold: nil,
        pullback: { b, l, r, _, g, needed in
          (g, needed[1] ? b.unary(.neg, b.binary(.mul, g, b.unary(.floor, b.binary(.div, l, r)))) : nil)
        })
    case .pow:
      return R(
        operands: .floatingPoint, fold: { a, b, _ in Foundation.pow(a, b) },
        pullback: { b, l, r, y, g, needed in
          let left =
            needed[0] ? b.binary(.mul, b.binary(.mul, g, r), b.binary(.pow, l, b.binary(.sub, r, one(b, r)))) : nil
          return (left, needed[1] ? b.binary(.mul, b.binary(.mul, g, y), b.unary(.log, l)) : nil)
        })
    case .max, .min:
      // Floats are not folded: the op propagates NaN and orders -0 below +0, Swift.max does not.
      let isMax = self == .max
      return R(
        operands: .numeric, fold: { a, b, isFloat in isFloat ? nil : isMax ? Swift.max(a, b) : Swift.min(a, b) },
        pullback: { b, l, r, _, g, needed in
          // The winner takes the adjoint; a tie splits it evenly.
          let wins = b.compare(isMax ? .gt : .lt, l, r)
          let ties = b.compare(.eq, l, r)
          let share = b.select(wins, one(b, g), b.select(ties, b.splat(0.5, like: g.type), b.splat(0, like: g.type)))
          let left = b.binary(.mul, g, share)
          return (needed[0] ? left : nil, needed[1] ? b.binary(.sub, g, left) : nil)
        })
    case .and, .or:
      return R(operands: .boolean, fold: nil, pullback: nil)
    }
  }
}
