// Verifies that a function can be differentiated meaningfully: no value that depends on a
// differentiated input reaches the result only through a conversion to an integer or bool,
// where its derivative would silently vanish (E5001). Comparisons, argmax, floor and friends
// are fine: LANGUAGE.md defines them to carry no gradient, and their use as conditions or
// indices is the normal way to branch on data.

import MindFrontend
import MindIR

public enum Differentiability {
  /// The first integer conversion of an active value that the outputs depend on, if any.
  public static func firstLostDerivative(in block: Block, inputs: [Value], outputs: [Value]) -> Operation? {
    var varied = Set(inputs.filter { $0.type.dtype.isFloat })
    var conversions: [Operation] = []
    func forward(_ block: Block) {
      for op in block.operations {
        let uses = op.operands.contains(where: varied.contains) || op.regions.contains { usesAny($0, varied) }
        if case .cast = op.kind, op.operands[0].type.dtype.isFloat, !op.result.type.dtype.isFloat,
          varied.contains(op.operands[0])
        {
          conversions.append(op)
        }
        op.regions.forEach(forward)
        guard uses, Activity.propagatesDerivatives(op) || !op.regions.isEmpty || op.kind.isCall else { continue }
        for result in op.results where result.type.dtype.isFloat { varied.insert(result) }
        for region in op.regions {
          for argument in region.arguments where argument.type.dtype.isFloat { varied.insert(argument) }
        }
      }
    }
    forward(block)
    guard !conversions.isEmpty else { return nil }
    let needed = dependencies(of: outputs, in: block)
    return conversions.first { needed.contains($0.result) }
  }

  static func usesAny(_ block: Block, _ values: Set<Value>) -> Bool {
    block.operations.contains { op in
      op.operands.contains(where: values.contains) || op.regions.contains { usesAny($0, values) }
    }
  }

  /// Every value the outputs depend on (through any operand, region or region argument).
  static func dependencies(of outputs: [Value], in block: Block) -> Set<Value> {
    var needed = Set(outputs)
    var changed = true
    while changed {
      changed = false
      func visit(_ block: Block) {
        for op in block.operations.reversed() {
          let isNeeded =
            op.results.contains(where: needed.contains) || op.kind == .yield || op.kind == .returnOp
            || op.regions.contains { $0.arguments.contains(where: needed.contains) }
          if isNeeded {
            for operand in op.operands where !needed.contains(operand) {
              needed.insert(operand)
              changed = true
            }
          }
          op.regions.forEach(visit)
        }
      }
      visit(block)
    }
    return needed
  }
}

extension OpKind {
  var isCall: Bool {
    if case .call = self { return true }
    return false
  }
}
