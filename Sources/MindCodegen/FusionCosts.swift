// What fusion planning weighs when it recomputes a value in each of its readers
// (FunctionLowering.planFusion): the cost of computing one element where it is read, and the
// full-size tensors that computation loads.

import MindIR

struct FusionCosts {
  private var known: [Value: (cost: Int, streams: Set<Value>)] = [:]

  /// The cost of one element of `value` where it is read: its op and the fused ops under it
  /// (1 for an addition, comparison, select or cast, 4 for a division or square root, 16 for a
  /// vector math kernel such as exp or tanh; 0 for a stored tensor, a view or a register), and
  /// the full-size tensors it loads: its own when stored, those under a fused op, a broadcast
  /// view's operand unless it is much smaller (a row statistic); none for splat constants.
  mutating func of(_ value: Value, _ lowering: FunctionLowering) -> (cost: Int, streams: Set<Value>) {
    if let facts = known[value] { return facts }
    var facts: (cost: Int, streams: Set<Value>) = (0, [])
    if value.type.isScalar {
    } else if case .constant(.splat) = value.definingOp?.kind {
    } else if lowering.fused.contains(value), let op = value.definingOp {
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
    } else if let view = lowering.broadcastViews[value] {
      if view.count * 8 > value.type.elementCount { facts.streams = of(view.operand, lowering).streams }
    } else {
      facts.streams = [value]
    }
    known[value] = facts
    return facts
  }

  /// Drops what was worked out for `value` (fusion planning decided against fusing it).
  mutating func forget(_ value: Value) { known[value] = nil }
}
