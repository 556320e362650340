// A function's compiled code for one set of argument types, called over raw memory. This is the
// C interface's path: it checks its arguments against `parameters` itself and gives the code
// memory of its own for the results, so that a repeated call builds no tensors.

import MindSema

/// The element type and extents of an argument or a result of a specialization.
public struct ArraySpec: Equatable, Sendable {
  public let elementType: ElementType
  public let shape: [Int]

  /// The bytes of its row-major elements.
  public var byteCount: Int { shape.reduce(elementType.byteSize, *) }
}

public struct Specialization {
  let session: Session
  let call: Session.CompiledCall
  /// The arguments' leaves it was compiled for, and its results' leaves.
  public let parameters: [ArraySpec]
  public let results: [ArraySpec]
  /// How the results' leaves make up the value the function returns.
  public var resultLayout: ValueLayout { call.resultLayout }

  init(session: Session, call: Session.CompiledCall) {
    (self.session, self.call) = (session, call)
    parameters = call.parameters.map { ArraySpec(elementType: ElementType($0.dtype), shape: $0.extents) }
    results = call.results.map { ArraySpec(elementType: ElementType($0.dtype), shape: $0.extents) }
  }

  /// Runs the code. `table` holds `parameters.count` pointers to the arguments' row-major bytes
  /// (unchanged during the call), then `results.count` pointers to 64-byte aligned memory the
  /// results are written into. Not thread-safe: calls into one session must be serialized.
  public func run(_ table: UnsafeMutablePointer<UnsafeMutableRawPointer?>) throws {
    try session.run(call, table)
  }
}

extension CompiledFunction {
  /// The specialization for these arguments' types (compiled on first use, as `call` does).
  public func specialization(for leaves: [Tensor]) throws -> Specialization {
    Specialization(session: session, call: try session.specialization(expression, leaves))
  }
}
