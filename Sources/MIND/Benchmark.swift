// Timing a function from the host API (what `mind bench` reports to bench/run.py): the first
// call (specialization, differentiation, compilation, linking and the call itself, or a cache
// load), then repeated calls. Inputs are made deterministically so that every system in the
// benchmark computes on the same numbers: element i of a `sin` input with seed s is
// sin(0.37 i + s) (computed in f64, rounded to the element type); of an `index` input, i mod s;
// every element of a `const` input is s (a trip count, say).

import Foundation

public struct BenchmarkInput {
  public let type: ElementType
  public let shape: [Int]
  public let pattern: String
  public let seed: Int

  /// Parses `f32[64,784]:sin:3`, `i64[64]:index:10` or `i64:const:1000`.
  public init?(_ text: String) {
    let parts = text.split(separator: ":").map(String.init)
    guard parts.count == 3, let seed = Int(parts[2]), ["sin", "index", "const"].contains(parts[1]) else { return nil }
    let typeText = parts[0]
    let name = String(typeText.prefix { $0.isLetter || $0.isNumber })
    guard let type = ElementType(rawValue: name) else { return nil }
    let rest = typeText.dropFirst(name.count)
    var shape: [Int] = []
    if !rest.isEmpty {
      guard rest.hasPrefix("["), rest.hasSuffix("]") else { return nil }
      let extents = rest.dropFirst().dropLast().split(separator: ",").map {
        Int($0.trimmingCharacters(in: .whitespaces))
      }
      guard extents.allSatisfy({ $0 != nil }) else { return nil }
      shape = extents.map { $0! }
    }
    self.type = type
    self.shape = shape
    self.pattern = parts[1]
    self.seed = seed
  }

  public func tensor() -> Tensor {
    let count = shape.reduce(1, *)
    let values = (0..<count).map { i in
      switch pattern {
      case "sin": return Foundation.sin(0.37 * Double(i) + Double(seed))
      case "index": return Double(i % max(seed, 1))
      default: return Double(seed)
      }
    }
    switch type {
    case .f32: return Tensor(values.map { Float($0) }, shape: shape)
    case .f64: return Tensor(values, shape: shape)
    case .i32: return Tensor(values.map { Int32($0) }, shape: shape)
    case .i64: return Tensor(values.map { Int64($0) }, shape: shape)
    case .bool: return Tensor(values.map { $0 != 0 }, shape: shape)
    }
  }
}

public struct BenchmarkResult {
  public let firstCallMilliseconds: Double
  public let callMilliseconds: [Double]
  /// Per output: the sum of its elements, its Euclidean norm and its first elements (for
  /// agreement checks).
  public let outputs: [(sum: Double, norm: Double, first: [Double])]

  public var json: String {
    func list(_ xs: [Double]) -> String { "[" + xs.map { String($0) }.joined(separator: ", ") + "]" }
    let outs = outputs.map { "{\"sum\": \($0.sum), \"norm\": \($0.norm), \"first\": \(list($0.first))}" }.joined(
      separator: ", ")
    return
      "{\"first_call_ms\": \(firstCallMilliseconds), \"call_ms\": \(list(callMilliseconds)), \"outputs\": [\(outs)]}"
  }
}

extension Session {
  public func benchmark(_ expression: String, inputs: [BenchmarkInput], repeat count: Int) throws -> BenchmarkResult {
    let arguments = inputs.map { $0.tensor() }
    let function = try self.function(expression)
    let start = now()
    var results = try function.call(arguments)
    let first = (now() - start) * 1000
    // Steady state is the optimized code: wait for the background tier.
    waitForOptimizedCode()
    var times: [Double] = []
    for _ in 0..<count {
      let t0 = now()
      results = try function.call(arguments)
      times.append((now() - t0) * 1000)
    }
    let outputs = results.map { tensor -> (sum: Double, norm: Double, first: [Double]) in
      let values: [Double] = tensor.floats.map(Double.init) + tensor.doubles + tensor.int64s.map(Double.init)
      return (values.reduce(0, +), values.map { $0 * $0 }.reduce(0, +).squareRoot(), Array(values.prefix(4)))
    }
    return BenchmarkResult(firstCallMilliseconds: first, callMilliseconds: times, outputs: outputs)
  }
}
