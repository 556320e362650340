// Activity analysis: which values carry derivatives. A value is *varied* when it depends on a
// differentiable (floating-point) input along operations that propagate derivatives; it is
// *useful* when a result depends on it. Derivative code is emitted only for values that are
// both (Enzyme's activity analysis, simplified to structured regions).
//
// Integer and bool values are never active; ops with no derivative (comparisons, argmax,
// casts to integers, iota, random, constants) stop variation.

import MindIR

public struct Activity {
  public private(set) var varied: Set<Value> = []

  /// Propagates variation from `inputs` through `block` (and its regions, to a fixed point
  /// for loops).
  public init(function: Function, inputs: [Value]) {
    for input in inputs where input.type.dtype.isFloat { varied.insert(input) }
    propagate(function.body)
  }

  public func isVaried(_ value: Value) -> Bool { varied.contains(value) }

  static func propagatesDerivatives(_ op: Operation) -> Bool {
    switch op.kind {
    case .compare, .argReduce, .argsort, .iota, .random, .empty, .constant, .print, .assert, .load, .save:
      return false
    case .unary(let u): return u.record.tangent != nil
    case .binary(let o): return o.record.pullback != nil
    case .cast: return op.result.type.dtype.isFloat && op.operands[0].type.dtype.isFloat
    default: return true
    }
  }

  mutating func propagate(_ block: Block) {
    for op in block.operations {
      let inputsVaried = op.operands.contains(where: varied.contains) || op.regions.contains { usesVaried($0) }
      switch op.kind {
      case .forOp, .whileOp:
        // Carried values are varied if their initial value is, or if the body makes them so.
        let carriedOffset = op.kind == .forOp ? 2 : 0
        let bodyIndex = op.kind == .forOp ? 0 : 1
        let argumentOffset = op.kind == .forOp ? 1 : 0
        var changed = true
        while changed {
          changed = false
          for (i, initial) in op.operands.dropFirst(carriedOffset).enumerated() where varied.contains(initial) {
            for region in op.regions {
              let argument = region.arguments[i + (region === op.regions[bodyIndex] ? argumentOffset : 0)]
              if argument.type.dtype.isFloat && !varied.contains(argument) {
                varied.insert(argument)
                changed = true
              }
            }
          }
          for region in op.regions { propagate(region) }
          let body = op.regions[bodyIndex]
          for (i, next) in (body.terminator?.operands ?? []).enumerated() where varied.contains(next) {
            for region in op.regions {
              let argument = region.arguments[i + (region === body ? argumentOffset : 0)]
              if argument.type.dtype.isFloat && !varied.contains(argument) {
                varied.insert(argument)
                changed = true
              }
            }
            if op.results[i].type.dtype.isFloat && !varied.contains(op.results[i]) {
              varied.insert(op.results[i])
              changed = true
            }
          }
        }
        for (i, initial) in op.operands.dropFirst(carriedOffset).enumerated()
        where varied.contains(initial) && op.results[i].type.dtype.isFloat {
          varied.insert(op.results[i])
        }
      case .ifOp:
        for region in op.regions { propagate(region) }
        for region in op.regions {
          for (i, yielded) in (region.terminator?.operands ?? []).enumerated()
          where varied.contains(yielded) && op.results[i].type.dtype.isFloat {
            varied.insert(op.results[i])
          }
        }
      default:
        guard inputsVaried, Self.propagatesDerivatives(op) else { continue }
        for result in op.results where result.type.dtype.isFloat { varied.insert(result) }
      }
    }
  }

  func usesVaried(_ block: Block) -> Bool {
    block.operations.contains { op in
      op.operands.contains(where: varied.contains) || op.regions.contains { usesVaried($0) }
    }
  }
}
