// Checks MIR invariants: every operand is defined before its use in the same or an enclosing
// block; ops with a type rule have the types it gives; blocks end in the right terminator with
// the right types; region ops have the regions and arguments their definitions require.
// A failure is an E4001 diagnostic naming the function and op: it means a compiler bug.

import MindFrontend

public struct Verifier {
  public static func verify(_ module: Module) throws(Diagnostic) {
    for function in module.functions { try verify(function, in: module) }
  }

  public static func verify(_ function: Function, in module: Module) throws(Diagnostic) {
    if let original = function.derivativeOf {
      throw Diagnostic("E4001", "@\(function.name), the VJP of @\(original), was never derived", at: function.location)
    }
    if let original = function.batchOf {
      throw Diagnostic("E4001", "@\(function.name), a batched @\(original), was never built", at: function.location)
    }
    var verifier = Verifier(module: module, function: function)
    try verifier.check(function.body, visible: [], expectedYield: function.resultTypes, terminator: "return")
  }

  let module: Module
  let function: Function

  func fail(_ message: String, _ op: Operation?) -> Diagnostic {
    Diagnostic(
      "E4001", "invalid MIR in @\(function.name): \(message)\(op.map { " (op `\($0.kind.name)`)" } ?? "")",
      at: op?.location ?? function.location)
  }

  mutating func check(_ block: Block, visible outer: Set<Value>, expectedYield: [TensorType], terminator: String)
    throws(Diagnostic)
  {
    var visible = outer
    for argument in block.arguments { visible.insert(argument) }
    guard let last = block.operations.last, last.kind.name == terminator else {
      throw fail("block does not end in `\(terminator)`", block.operations.last)
    }
    for (i, op) in block.operations.enumerated() {
      for operand in op.operands where !visible.contains(operand) {
        throw fail("operand used before its definition", op)
      }
      if (op.kind == .yield || op.kind == .returnOp) && i != block.operations.count - 1 {
        throw fail("terminator in the middle of a block", op)
      }
      if op.kind == .yield || op.kind == .returnOp {
        guard op.operands.map(\.type) == expectedYield else {
          throw fail("yields \(op.operands.map(\.type)) but \(expectedYield) is expected", op)
        }
      }
      let inferred: [TensorType]?
      do {
        inferred = try inferResultTypes(op.kind, op.operands.map(\.type))
      } catch {
        guard case .mismatch(let message) = error else { throw fail("ill-typed", op) }
        throw fail(message, op)
      }
      if let inferred, inferred != op.results.map(\.type) {
        throw fail("result types \(op.results.map(\.type)) differ from the rule's \(inferred)", op)
      }
      try checkStructure(op, visible: visible)
      for result in op.results where result.type.isConcrete && result.type.byteCount > TensorType.maximumByteCount {
        throw Diagnostic(
          "E6009", "a tensor of shape \(result.type.shapeDescription) is too large (the limit is 16 GiB)",
          at: op.location)
      }
      for result in op.results { visible.insert(result) }
    }
  }

  mutating func checkStructure(_ op: Operation, visible: Set<Value>) throws(Diagnostic) {
    let resultTypes = op.results.map(\.type)
    switch op.kind {
    case .ifOp:
      guard op.regions.count == 2, op.operands.count == 1, op.operands[0].type == TensorType(.bool) else {
        throw fail("`if` takes one i1 condition and two regions", op)
      }
      for region in op.regions { try check(region, visible: visible, expectedYield: resultTypes, terminator: "yield") }
    case .forOp:
      let carried = Array(op.operands.dropFirst(2)).map(\.type)
      guard op.regions.count == 1, op.operands.count >= 2, carried == resultTypes,
        op.regions[0].arguments.map(\.type) == [TensorType(.i64)] + carried
      else { throw fail("malformed `for`", op) }
      try check(op.regions[0], visible: visible, expectedYield: carried, terminator: "yield")
    case .whileOp:
      let carried = op.operands.map(\.type)
      guard op.regions.count == 2, carried == resultTypes,
        op.regions.allSatisfy({ $0.arguments.map(\.type) == carried })
      else { throw fail("malformed `while`", op) }
      try check(op.regions[0], visible: visible, expectedYield: [TensorType(.bool)], terminator: "yield")
      try check(op.regions[1], visible: visible, expectedYield: carried, terminator: "yield")
    case .call(let callee):
      guard let target = module.function(named: callee) else { throw fail("call of unknown @\(callee)", op) }
      guard target.parameters.map(\.type) == op.operands.map(\.type), target.resultTypes == resultTypes else {
        throw fail("call of @\(callee) with wrong types", op)
      }
    case .reshape, .broadcast:
      guard op.operands.count == 1, resultTypes.count == 1, op.operands[0].type.dtype == resultTypes[0].dtype else {
        throw fail("\(op.kind.name) changes the dtype", op)
      }
      if op.operands[0].type.isConcrete && resultTypes[0].isConcrete,
        op.kind == .reshape && op.operands[0].type.elementCount != resultTypes[0].elementCount
      {
        throw fail("reshape changes the element count", op)
      }
    case .empty, .iota, .random:
      guard op.operands.isEmpty, op.regions.isEmpty, resultTypes.count == 1 else {
        throw fail("\(op.kind.name) takes no operands and has one result", op)
      }
    default:
      if !op.regions.isEmpty { throw fail("unexpected regions", op) }
    }
  }
}
