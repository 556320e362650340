// How `print` writes values (LANGUAGE.md): floats as the shortest decimal that reads back to the
// same value, always with `.` or an exponent; tensors as nested brackets; more than 1000
// elements are summarized with the first and last 3 entries of each axis around `...`.

public enum ElementKind: Int32, Sendable {
  case f32 = 0
  case f64 = 1
  case i32 = 2
  case i64 = 3
  case bool = 4

  public var byteSize: Int {
    switch self {
    case .f32, .i32: return 4
    case .f64, .i64: return 8
    case .bool: return 1
    }
  }
}

public enum Formatting {
  public static func format(float value: Double, single: Bool) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    var text = single ? Float(value).description : value.description
    if !text.contains(".") && !text.contains("e") { text += ".0" }
    return text
  }

  /// One element at `index` of raw data.
  public static func element(_ data: UnsafeRawPointer, _ kind: ElementKind, _ index: Int) -> String {
    switch kind {
    case .f32: return format(float: Double(data.load(fromByteOffset: index * 4, as: Float.self)), single: true)
    case .f64: return format(float: data.load(fromByteOffset: index * 8, as: Double.self), single: false)
    case .i32: return String(data.load(fromByteOffset: index * 4, as: Int32.self))
    case .i64: return String(data.load(fromByteOffset: index * 8, as: Int64.self))
    case .bool: return data.load(fromByteOffset: index, as: UInt8.self) != 0 ? "true" : "false"
    }
  }

  public static func tensor(_ data: UnsafeRawPointer, _ kind: ElementKind, extents: [Int]) -> String {
    let count = extents.reduce(1, *)
    let summarize = count > 1000
    var out = ""
    func visit(_ axis: Int, _ offset: Int, _ stride: Int) {
      if axis == extents.count {
        out += element(data, kind, offset)
        return
      }
      let extent = extents[axis]
      let inner = stride / max(extent, 1)
      out += "["
      var first = true
      for i in 0..<extent {
        if summarize && extent > 6 && i == 3 {
          out += ", ..."
          continue
        }
        if summarize && extent > 6 && i > 3 && i < extent - 3 { continue }
        if !first { out += ", " }
        first = false
        visit(axis + 1, offset + i * inner, inner)
      }
      out += "]"
    }
    visit(0, 0, count)
    return out
  }
}
