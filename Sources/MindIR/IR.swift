// The MIR object model: a module of functions; a function has one body region; a region is one
// block with typed arguments and a list of operations ending in a terminator (`return` or
// `yield`). Control flow is structured (`if`, `for`, `while` own regions), as in MLIR's scf.

import MindFrontend

public final class Value: Hashable {
  public let id: Int
  public let type: TensorType
  /// The defining operation, or nil for a block argument.
  public internal(set) weak var definingOp: Operation?

  init(id: Int, type: TensorType) {
    self.id = id
    self.type = type
  }

  public static func == (a: Value, b: Value) -> Bool { a === b }
  public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

public final class Operation {
  public var kind: OpKind
  public var operands: [Value]
  public let results: [Value]
  public var regions: [Block]
  public var location: SourceSpan

  init(kind: OpKind, operands: [Value], results: [Value], regions: [Block], location: SourceSpan) {
    self.kind = kind
    self.operands = operands
    self.results = results
    self.regions = regions
    self.location = location
    for result in results { result.definingOp = self }
  }

  public var result: Value { results[0] }

  /// A `for` loop's bounds, when both are integer constants.
  public var constantBounds: (lower: Int, upper: Int)? {
    func constant(_ v: Value) -> Int? {
      guard let def = v.definingOp, case .constant(.splat(let x)) = def.kind else { return nil }
      return Int(exactly: x)
    }
    guard kind == .forOp, let lower = constant(operands[0]), let upper = constant(operands[1]) else { return nil }
    return (lower, upper)
  }

  /// An op with given results (for passes that rebuild ops).
  public static func make(
    _ kind: OpKind, _ operands: [Value], results: [Value], regions: [Block] = [], location: SourceSpan
  ) -> Operation {
    Operation(kind: kind, operands: operands, results: results, regions: regions, location: location)
  }

  /// An op with fresh results of the given types.
  public static func make(
    _ kind: OpKind, _ operands: [Value], resultTypes: [TensorType], regions: [Block], location: SourceSpan,
    values: ValueFactory
  ) -> Operation {
    Operation(
      kind: kind, operands: operands, results: resultTypes.map(values.make), regions: regions, location: location)
  }

  /// A region-holding stand-in, so that helpers that walk an op's regions can walk one block.
  public static func wrapper(_ block: Block) -> Operation {
    Operation(kind: .yield, operands: [], results: [], regions: [block], location: .unknown)
  }
}

public final class Block {
  public var arguments: [Value]
  public var operations: [Operation] = []

  public init(arguments: [Value]) { self.arguments = arguments }

  public var terminator: Operation? { operations.last }
}

public final class Function {
  public let name: String
  public var body: Block
  public var resultTypes: [TensorType]
  public var location: SourceSpan
  /// Set while the function is a declared VJP function whose body the differentiator has not
  /// derived yet: the name of the function it is the VJP of. Its body then has arguments only.
  public var derivativeOf: String?
  /// Set while the function is a declared batched function (Batching) whose body is not built
  /// yet: the name of the function it batches.
  public var batchOf: String?

  public init(name: String, body: Block, resultTypes: [TensorType], location: SourceSpan) {
    self.name = name
    self.body = body
    self.resultTypes = resultTypes
    self.location = location
  }

  public var parameters: [Value] { body.arguments }
}

public final class Module {
  /// In order of addition; functions are found by name through `byName` (a program with
  /// thousands of functions looks one up for every call).
  public private(set) var functions: [Function] = []
  private var byName: [String: Function] = [:]

  public init(functions: [Function] = []) { replaceFunctions(with: functions) }

  /// The first function of this name.
  public func function(named name: String) -> Function? { byName[name] }

  public func add(_ function: Function) {
    functions.append(function)
    if byName[function.name] == nil { byName[function.name] = function }
  }

  public func removeFunctions(where shouldRemove: (Function) -> Bool) {
    replaceFunctions(with: functions.filter { !shouldRemove($0) })
  }

  public func replaceFunctions(with functions: [Function]) {
    self.functions = functions
    byName = [:]
    for function in functions where byName[function.name] == nil { byName[function.name] = function }
  }
}

/// Hands out value ids, unique within a module.
public final class ValueFactory {
  public internal(set) var next = 0
  public init() {}
  public func make(_ type: TensorType) -> Value {
    next += 1
    return Value(id: next, type: type)
  }
}

/// Values used in `block` (or its regions) but defined outside it.
public func freeValues(_ block: Block) -> [Value] {
  var defined: Set<Value> = []
  var free: [Value] = []
  var seen: Set<Value> = []
  func visit(_ block: Block) {
    for argument in block.arguments { defined.insert(argument) }
    for op in block.operations {
      for operand in op.operands where !defined.contains(operand) && !seen.contains(operand) {
        seen.insert(operand)
        free.append(operand)
      }
      op.regions.forEach(visit)
      for result in op.results { defined.insert(result) }
    }
  }
  visit(block)
  return free.filter { !defined.contains($0) }
}
