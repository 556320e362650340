// Copies operations (with their regions) under a value mapping: operands found in the mapping
// are replaced, every result and region argument gets a fresh value. Used by inlining and by
// the differentiator, which replays forward code inside adjoint code.

public final class Cloner {
  public let values: ValueFactory
  public private(set) var mapping: [Value: Value]

  public init(values: ValueFactory, mapping: [Value: Value] = [:]) {
    self.values = values
    self.mapping = mapping
  }

  public func lookup(_ value: Value) -> Value { mapping[value] ?? value }

  public func map(_ old: Value, to new: Value) { mapping[old] = new }

  public func clone<S: Sequence>(_ operations: S) -> [Operation] where S.Element == Operation {
    operations.map(clone)
  }

  public func clone(_ op: Operation) -> Operation {
    let regions = op.regions.map(clone)
    let results = op.results.map { values.make($0.type) }
    let copy = Operation(
      kind: op.kind, operands: op.operands.map(lookup), results: results, regions: regions, location: op.location)
    for (old, new) in zip(op.results, results) { mapping[old] = new }
    return copy
  }

  public func clone(_ block: Block) -> Block {
    let arguments = block.arguments.map { values.make($0.type) }
    for (old, new) in zip(block.arguments, arguments) { mapping[old] = new }
    let copy = Block(arguments: arguments)
    copy.operations = clone(block.operations)
    return copy
  }
}

extension Module {
  /// The largest value id in use, so that new values never collide.
  public var largestValueID: Int {
    var largest = 0
    func visit(_ block: Block) {
      for argument in block.arguments { largest = max(largest, argument.id) }
      for op in block.operations {
        for result in op.results { largest = max(largest, result.id) }
        op.regions.forEach(visit)
      }
    }
    for function in functions { visit(function.body) }
    return largest
  }
}

extension ValueFactory {
  public convenience init(startingAfter id: Int) {
    self.init()
    next = id
  }
}
