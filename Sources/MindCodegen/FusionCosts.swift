// What fusion planning weighs when it recomputes a value in each of its readers
// (FunctionLowering.planFusion): the cost of computing one element where it is read, and the
// full-size tensors that computation loads.

import MindIR

struct FusionCosts {
  private var known: [Value: (cost: Int, streams: Set<Value>)] = [:]

  /// The cost of one element of `value` where it is read, and the full-size tensors that loads:
  /// a fused value's op and what is fused under it; nothing for a stored tensor (itself the one
  /// tensor loaded), a broadcast view (its operand's tensors, unless the operand is much smaller:
  /// a row statistic), a register or a splat constant.
  mutating func of(_ value: Value, _ lowering: FunctionLowering) -> (cost: Int, streams: Set<Value>) {
    if let facts = known[value] { return facts }
    var facts: (cost: Int, streams: Set<Value>) = (0, [])
    if value.type.isScalar {
    } else if case .constant(.splat) = value.definingOp?.kind {
    } else if lowering.fused.contains(value), let op = value.definingOp {
      facts = ifFused(op, lowering)
    } else if let view = lowering.broadcastViews[value] {
      if view.count * 8 > value.type.elementCount { facts.streams = of(view.operand, lowering).streams }
    } else {
      facts.streams = [value]
    }
    known[value] = facts
    return facts
  }

  /// The facts of an elementwise op's value if it were computed where it is read: 1 for an
  /// addition, comparison, select or cast, 4 for a division or square root, 16 for a vector
  /// math kernel such as exp or tanh, plus its operands'.
  mutating func ifFused(_ op: Operation, _ lowering: FunctionLowering) -> (cost: Int, streams: Set<Value>) {
    var facts: (cost: Int, streams: Set<Value>) = (0, [])
    switch op.kind {
    case .binary(.div), .unary(.sqrt): facts.cost = 4
    case .binary(.pow), .binary(.rem): facts.cost = 16
    case .unary(let u) where ![.neg, .abs, .sign, .not, .stopGradient].contains(u): facts.cost = 16
    default: facts.cost = 1
    }
    for operand in op.operands {
      let under = of(operand, lowering)
      facts.cost += under.cost
      facts.streams.formUnion(under.streams)
    }
    return facts
  }
}
