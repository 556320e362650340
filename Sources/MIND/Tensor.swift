// Host tensors for the Swift API: an element type, a shape and row-major bytes (in a
// TensorStorage: aligned, and huge pages for large tensors).

import Foundation
import MindCodegen
import MindIR
import MindRuntime

public enum ElementType: String, Sendable, CaseIterable {
  case f32, f64, i32, i64, bool

  /// The MIR dtype (a switch: every call of the Swift API converts its arguments' types).
  var dtype: DType {
    switch self {
    case .f32: return .f32
    case .f64: return .f64
    case .i32: return .i32
    case .i64: return .i64
    case .bool: return .bool
    }
  }

  init(_ dtype: DType) {
    switch dtype {
    case .f32: self = .f32
    case .f64: self = .f64
    case .i32: self = .i32
    case .i64: self = .i64
    case .bool: self = .bool
    }
  }

  /// The bytes of one element.
  public var byteSize: Int { dtype.byteSize }
}

public struct Tensor: Equatable, Sendable, CustomStringConvertible {
  public let elementType: ElementType
  public let shape: [Int]
  let storage: TensorStorage

  init(elementType: ElementType, shape: [Int], storage: TensorStorage) {
    self.elementType = elementType
    self.shape = shape
    self.storage = storage
  }

  static func make<T>(_ values: [T], shape: [Int]?, _ type: ElementType) -> Tensor {
    let shape = shape ?? [values.count]
    precondition(shape.reduce(1, *) == values.count, "\(values.count) values do not fill shape \(shape)")
    return Tensor(elementType: type, shape: shape, storage: values.withUnsafeBytes { TensorStorage(copying: $0) })
  }

  public init(_ values: [Float], shape: [Int]? = nil) { self = Self.make(values, shape: shape, .f32) }
  public init(_ values: [Double], shape: [Int]? = nil) { self = Self.make(values, shape: shape, .f64) }
  public init(_ values: [Int32], shape: [Int]? = nil) { self = Self.make(values, shape: shape, .i32) }
  public init(_ values: [Int64], shape: [Int]? = nil) { self = Self.make(values, shape: shape, .i64) }
  public init(_ values: [Bool], shape: [Int]? = nil) {
    self = Self.make(values.map { UInt8($0 ? 1 : 0) }, shape: shape, .bool)
  }
  public init(_ scalar: Float) { self.init([scalar], shape: []) }
  public init(_ scalar: Double) { self.init([scalar], shape: []) }
  public init(_ scalar: Int64) { self.init([scalar], shape: []) }

  /// A tensor over memory the caller owns and keeps unchanged for as long as the tensor is used
  /// (compiled code reads it in place). For the C interface, whose callers keep their arrays
  /// alive across a call.
  public init(unsafeBorrowing data: UnsafeRawPointer, elementType: ElementType, shape: [Int]) {
    self.init(
      elementType: elementType, shape: shape,
      storage: TensorStorage(borrowing: data, count: shape.reduce(1, *) * elementType.byteSize))
  }

  /// A tensor whose row-major bytes `initialize` writes, once, into its new storage.
  public init(
    unsafeUninitialized elementType: ElementType, shape: [Int],
    initializingWith initialize: (UnsafeMutableRawBufferPointer) -> Void
  ) {
    let storage = TensorStorage(count: shape.reduce(1, *) * elementType.byteSize)
    initialize(UnsafeMutableRawBufferPointer(start: storage.pointer, count: storage.count))
    self.init(elementType: elementType, shape: shape, storage: storage)
  }

  /// The elements' bytes, row-major; valid while the tensor lives.
  public var unsafeData: UnsafeRawPointer { UnsafeRawPointer(storage.pointer) }

  var type: TensorType { TensorType(elementType.dtype, known: shape) }

  func values<T>(_ type: ElementType, as: T.Type) -> [T] {
    guard elementType == type else { return [] }
    let count = shape.reduce(1, *)
    return Array(UnsafeBufferPointer(start: storage.pointer.assumingMemoryBound(to: T.self), count: count))
  }

  /// The elements, when the tensor holds that type (else empty).
  public var floats: [Float] { values(.f32, as: Float.self) }
  public var doubles: [Double] { values(.f64, as: Double.self) }
  public var int64s: [Int64] { values(.i64, as: Int64.self) }
  public var int32s: [Int32] { values(.i32, as: Int32.self) }
  public var bools: [Bool] { values(.bool, as: UInt8.self).map { $0 != 0 } }

  /// As `print` writes it.
  public var description: String {
    shape.isEmpty
      ? Formatting.element(storage.pointer, ElementKind.of(elementType.dtype), 0)
      : Formatting.tensor(storage.pointer, ElementKind.of(elementType.dtype), extents: shape)
  }
}
