// The element types array files hold that MIND computes with, and how each file format names
// them. Every other element type a file may carry is refused by name (DataError.unsupported).

public enum DataType: String, Sendable, CaseIterable {
  case f32, f64, i32, i64, bool

  public var byteSize: Int {
    switch self {
    case .f32, .i32: return 4
    case .f64, .i64: return 8
    case .bool: return 1
    }
  }

  /// NumPy's type character and size in a `descr` without its byte-order mark: `f4`, `b1`.
  var numPyCode: String {
    switch self {
    case .f32: return "f4"
    case .f64: return "f8"
    case .i32: return "i4"
    case .i64: return "i8"
    case .bool: return "b1"
    }
  }

  init?(numPyCode: String) {
    guard let type = Self.allCases.first(where: { $0.numPyCode == numPyCode }) else { return nil }
    self = type
  }

  /// The safetensors dtype name: `F32`, `BOOL`.
  public var safetensorsName: String { self == .bool ? "BOOL" : rawValue.uppercased() }

  init?(safetensorsName: String) {
    guard let type = Self.allCases.first(where: { $0.safetensorsName == safetensorsName }) else { return nil }
    self = type
  }

  static let supportedList = "f32, f64, i32, i64 and bool"
}

/// An array's element type and shape, with its element count and size in bytes checked
/// against overflow.
public struct ArrayType: Equatable, Sendable, CustomStringConvertible {
  public let dtype: DataType
  public let shape: [Int]
  public let count: Int
  public let byteCount: Int

  public init(_ dtype: DataType, _ shape: [Int]) throws(DataError) {
    var count = 1
    for extent in shape {
      guard extent >= 0 else { throw DataError(.malformed, "negative extent \(extent) in shape \(shape)") }
      let (product, overflow) = count.multipliedReportingOverflow(by: extent)
      guard !overflow else { throw DataError(.malformed, "shape \(shape) has more elements than fit in memory") }
      count = product
    }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
    guard !overflow else { throw DataError(.malformed, "shape \(shape) has more bytes than fit in memory") }
    (self.dtype, self.shape, self.count, byteCount) = (dtype, shape, count, bytes)
  }

  /// `f32[64, 784]`, as `mind build` writes argument types.
  public var description: String {
    shape.isEmpty ? dtype.rawValue : "\(dtype.rawValue)[\(shape.map(String.init).joined(separator: ", "))]"
  }
}
