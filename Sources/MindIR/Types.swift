// The types of MIR values: tensors of one element type and a shape. A scalar is a rank-0 tensor.
// Shapes are concrete after specialization; symbolic dimensions appear only while a function is
// checked at its definition.

public enum DType: String, Sendable, Hashable, CaseIterable {
  case f32, f64, i32, i64
  case bool = "i1"

  public var isFloat: Bool { self == .f32 || self == .f64 }
  public var isInteger: Bool { self == .i32 || self == .i64 }
  public var byteSize: Int {
    switch self {
    case .f32, .i32: return 4
    case .f64, .i64: return 8
    case .bool: return 1
    }
  }
  /// The name MIND source uses.
  public var sourceName: String { self == .bool ? "bool" : rawValue }

  public init?(sourceName: String) {
    if sourceName == "bool" {
      self = .bool
    } else if let d = DType(rawValue: sourceName), d != .bool {
      self = d
    } else {
      return nil
    }
  }
}

public enum Dim: Hashable, Sendable, CustomStringConvertible {
  case known(Int)
  case symbol(String)
  /// A dimension the symbolic checker cannot name (e.g. after `reshape(x, [-1])`); it is
  /// compatible with anything, and becomes concrete in every specialization.
  case unknown

  public var value: Int? {
    if case .known(let v) = self { return v }
    return nil
  }

  public var description: String {
    switch self {
    case .known(let v): return String(v)
    case .symbol(let s): return s
    case .unknown: return "?"
    }
  }
}

public struct TensorType: Hashable, Sendable, CustomStringConvertible {
  public var dtype: DType
  public var shape: [Dim]

  public init(_ dtype: DType, _ shape: [Dim] = []) {
    self.dtype = dtype
    self.shape = shape
  }

  public init(_ dtype: DType, known: [Int]) {
    self.init(dtype, known.map { .known($0) })
  }

  public var rank: Int { shape.count }
  public var isScalar: Bool { shape.isEmpty }
  public var isConcrete: Bool { shape.allSatisfy { $0.value != nil } }
  /// Concrete extents; only valid on concrete types.
  public var extents: [Int] { shape.map { $0.value ?? 0 } }
  /// The number of elements, saturating at `Int.max` (extents come from user input); 0 when an
  /// extent is 0, whatever the others.
  public var elementCount: Int {
    if extents.contains(0) { return 0 }
    var count = 1
    for extent in extents {
      let (product, overflow) = count.multipliedReportingOverflow(by: extent)
      if overflow { return Int.max }
      count = product
    }
    return count
  }

  public var byteCount: Int {
    let (bytes, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
    return overflow ? Int.max : bytes
  }

  /// The largest tensor a program may create (16 GiB).
  public static let maximumByteCount = 1 << 34

  public func with(dtype: DType) -> TensorType { TensorType(dtype, shape) }

  /// `tensor<2x3xf32>`, `f32` for scalars.
  public var description: String {
    shape.isEmpty ? dtype.rawValue : "tensor<" + shape.map(\.description).joined(separator: "x") + "x\(dtype.rawValue)>"
  }

  /// `[2, 3]`, the form diagnostics use.
  public var shapeDescription: String { "[" + shape.map(\.description).joined(separator: ", ") + "]" }
}

/// Row-major strides of concrete extents.
public func rowMajorStrides(_ extents: [Int]) -> [Int] {
  var strides = [Int](repeating: 1, count: extents.count)
  var running = 1
  for axis in stride(from: extents.count - 1, through: 0, by: -1) {
    strides[axis] = running
    running *= extents[axis]
  }
  return strides
}
