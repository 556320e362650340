// Simplification: constant folding of scalar ops, algebraic identities, common-subexpression
// elimination, dead-code elimination (of repeated bounds checks too), loop-invariant code motion
// (LoopInvariants.swift) and removal of dead loop-carried values (DeadCarriedValues.swift), to a
// fixed point, inside every region.
//
// Takes verified MIR; guarantees verified MIR computing the same values with no dead or
// duplicate pure ops. Identities keep IEEE semantics: `x * 0` is not folded (NaN, -0).

public enum Simplify {
  public static func run(_ module: Module) {
    module.functions.forEach(run)
  }

  public static func run(_ function: Function) {
    do {
      var changed = true
      var rounds = 0
      while changed && rounds < 8 {
        var replacements: [Value: Value] = [:]
        changed = fold(function.body, replacements: &replacements)
        changed = eliminateCommonSubexpressions(function.body) || changed
        changed = eliminateDeadCode(function.body) || changed
        changed = hoistLoopInvariants(function.body) || changed
        var counts: [Value: Int] = [:]
        countUses(function.body, into: &counts)
        changed = removeDeadCarriedValues(function.body, uses: counts) || changed
        rounds += 1
      }
    }
  }

  static func constantValue(_ v: Value) -> Double? {
    if let op = v.definingOp, case .constant(let data) = op.kind, case .splat(let s) = data { return s }
    return nil
  }

  /// Replaces uses in `block` (recursively) according to `replacements`.
  public static func substitute(_ block: Block, _ replacements: [Value: Value]) {
    for op in block.operations {
      op.operands = op.operands.map { replacements[$0] ?? $0 }
      for region in op.regions { substitute(region, replacements) }
    }
  }

  static func evaluate(_ kind: OpKind, _ xs: [Double], _ dtype: DType) -> Double? {
    func wrap(_ v: Double) -> Double? {
      switch dtype {
      case .f32: return Double(Float(v))
      case .f64: return v
      case .bool: return v != 0 ? 1 : 0
      case .i32: return Swift.abs(v) < 2.147483647e9 ? v.rounded(.towardZero) : nil
      case .i64: return Swift.abs(v) < 9.007199254740992e15 ? v.rounded(.towardZero) : nil
      }
    }
    switch kind {
    case .unary(let op): return op.record.fold.flatMap { wrap($0(xs[0])) }
    case .cast: return wrap(xs[0])
    case .compare(let op):
      let (a, b) = (xs[0], xs[1])
      switch op {
      case .eq: return a == b ? 1 : 0
      case .ne: return a != b ? 1 : 0
      case .lt: return a < b ? 1 : 0
      case .gt: return a > b ? 1 : 0
      case .le: return a <= b ? 1 : 0
      case .ge: return a >= b ? 1 : 0
      }
    case .select: return xs[0] != 0 ? xs[1] : xs[2]
    case .binary(let op):
      return op.record.fold?(xs[0], xs[1], dtype.isFloat).flatMap(wrap)
    default: return nil
    }
  }

  static func fold(_ block: Block, replacements: inout [Value: Value]) -> Bool {
    var changed = false
    for op in block.operations {
      op.operands = op.operands.map { replacements[$0] ?? $0 }
      for region in op.regions { changed = fold(region, replacements: &replacements) || changed }
      guard op.results.count == 1 else { continue }
      let constants = op.operands.map(constantValue)
      // Ops whose operands are all splat constants fold to a splat constant of any shape.
      if !op.operands.isEmpty, constants.allSatisfy({ $0 != nil }),
        let folded = evaluate(op.kind, constants.map { $0! }, op.result.type.dtype),
        op.result.type.dtype != .f32 || folded.isFinite
      {
        op.kind = .constant(.splat(folded))
        op.operands = []
        changed = true
        continue
      }
      // Broadcasting or reshaping a splat constant is a splat constant of the new shape.
      if case .broadcast = op.kind, let splat = constants[0] {
        op.kind = .constant(.splat(splat))
        op.operands = []
        changed = true
        continue
      }
      if case .reshape = op.kind, let splat = constants[0] {
        op.kind = .constant(.splat(splat))
        op.operands = []
        changed = true
        continue
      }
      // A reshape of a reshape is one reshape, and none when it gives back the original type.
      if case .reshape = op.kind, let inner = op.operands[0].definingOp, inner.kind == .reshape {
        if inner.operands[0].type == op.result.type {
          replacements[op.result] = inner.operands[0]
        } else {
          op.operands = [inner.operands[0]]
        }
        changed = true
        continue
      }
      // A transpose of a transpose is one transpose (none when the permutations cancel): the
      // adjoint of a product with a transposed operand transposes it back.
      if case .transpose(let outer) = op.kind, let inner = op.operands[0].definingOp,
        case .transpose(let first) = inner.kind
      {
        let composed = outer.map { first[$0] }
        if composed == Array(composed.indices) {
          replacements[op.result] = inner.operands[0]
        } else {
          op.kind = .transpose(perm: composed)
          op.operands = [inner.operands[0]]
        }
        changed = true
        continue
      }
      // x ** 1 = x, x ** 0 = 1 (IEEE: pow(x, 0) is 1 even for NaN)
      if case .binary(.pow) = op.kind, let exponent = constants[1], exponent == 1 || exponent == 0 {
        if exponent == 1 {
          replacements[op.result] = op.operands[0]
        } else {
          op.kind = .constant(.splat(1))
          op.operands = []
        }
        changed = true
        continue
      }
      // x + 0, x - 0, x * 1, x / 1
      if case .binary(let b) = op.kind, let rhs = constants[1] {
        if (rhs == 0 && (b == .add || b == .sub)) || (rhs == 1 && (b == .mul || b == .div)) {
          replacements[op.result] = op.operands[0]
          changed = true
        }
      }
      if case .binary(let b) = op.kind, let lhs = constants[0], (lhs == 0 && b == .add) || (lhs == 1 && b == .mul) {
        replacements[op.result] = op.operands[1]
        changed = true
      }
    }
    return changed
  }

  struct Key: Hashable {
    let kind: OpKind
    let operands: [Value]
    let types: [TensorType]
  }

  static func eliminateCommonSubexpressions(_ block: Block) -> Bool {
    var seen: [Key: Operation] = [:]
    var replacements: [Value: Value] = [:]
    for op in block.operations {
      op.operands = op.operands.map { replacements[$0] ?? $0 }
      for region in op.regions { substitute(region, replacements) }
      guard !op.kind.hasSideEffects, op.regions.isEmpty else { continue }
      if case .random = op.kind { continue }
      let key = Key(kind: op.kind, operands: op.operands, types: op.results.map(\.type))
      if let previous = seen[key] {
        for (a, b) in zip(op.results, previous.results) { replacements[a] = b }
      } else {
        seen[key] = op
      }
    }
    for op in block.operations {
      for region in op.regions { _ = eliminateCommonSubexpressions(region) }
    }
    return !replacements.isEmpty
  }

  /// How many times each value is read in `block` and the regions inside it.
  static func countUses(_ block: Block, into counts: inout [Value: Int], by delta: Int = 1) {
    for op in block.operations {
      for operand in op.operands { counts[operand, default: 0] += delta }
      for region in op.regions { countUses(region, into: &counts, by: delta) }
    }
  }

  /// Removes pure ops whose results nobody reads, and such dynamic slices and updates whose bounds
  /// check repeats an earlier one (DeadCarriedValues.swift). One backward walk removes whole dead chains
  /// (such as the adjoint of an input nobody asked for, accumulated across many layers): a
  /// removed op no longer counts as a reader of its operands.
  static func eliminateDeadCode(_ block: Block) -> Bool {
    var counts: [Value: Int] = [:]
    countUses(block, into: &counts)
    var changed = false
    var kept: [Operation] = []
    let repeated = repeatedChecks(block)
    for op in block.operations.reversed() {
      let dead =
        (!op.kind.hasSideEffects || repeated.contains(ObjectIdentifier(op)))
        && op.results.allSatisfy { (counts[$0] ?? 0) == 0 }
      if dead {
        changed = true
        for operand in op.operands { counts[operand, default: 0] -= 1 }
        for region in op.regions { countUses(region, into: &counts, by: -1) }
        continue
      }
      kept.append(op)
    }
    block.operations = kept.reversed()
    for op in block.operations {
      for region in op.regions { changed = eliminateDeadCode(region) || changed }
    }
    return changed
  }
}
