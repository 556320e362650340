// NumPy's `.npy` format, versions 1.0, 2.0 and 3.0 (numpy/lib/format.py documents it): the
// magic `\x93NUMPY`, a version, the header's length (2 bytes in 1.0, 4 in 2.0 and 3.0), then
// a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded
// with spaces and a newline so that the data starts at a multiple of 64 bytes, then the data.
// Reading accepts either byte order and either memory order; writing produces what NumPy
// writes for a little-endian C-order array (version 1.0, or 2.0 for a header too long for it).

public enum NumPyFormat {
  static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

  /// The array in `owner`'s bytes from `start` to `end` (by default the end), which must be its
  /// data's end.
  public static func read(_ owner: ByteOwner, start: Int = 0, end: Int? = nil) throws(DataError) -> StoredArray {
    let bytes = owner.bytes
    let available = (end ?? bytes.count) - start
    guard available >= 10, (0..<6).allSatisfy({ bytes[start + $0] == magic[$0] }) else {
      throw DataError(.malformed, "not an .npy file (no \\x93NUMPY magic)")
    }
    let major = bytes[start + 6]
    let lengthBytes: Int
    switch major {
    case 1: lengthBytes = 2
    case 2, 3: lengthBytes = 4
    default: throw DataError(.malformed, ".npy version \(major).\(bytes[start + 7]) is not 1.0, 2.0 or 3.0")
    }
    var headerLength = 0
    for i in 0..<lengthBytes { headerLength |= Int(bytes[start + 8 + i]) << (8 * i) }
    let headerStart = 8 + lengthBytes
    guard headerLength <= available - headerStart else {
      throw DataError(
        .malformed, "header of \(headerLength) bytes runs past the end of the file (\(available) bytes)")
    }
    let text = Array(bytes[(start + headerStart)..<(start + headerStart + headerLength)])
    let (dtype, bigEndian, fortranOrder, shape) = try header(PythonLiteral.parse(text))
    let type = try ArrayType(dtype, shape)
    let dataOffset = headerStart + headerLength
    let dataBytes = available - dataOffset
    guard dataBytes == type.byteCount else {
      throw DataError(
        .malformed,
        dataBytes < type.byteCount
          ? "truncated: the header declares \(type) (\(type.byteCount) bytes of data), the file has \(dataBytes)"
          : "the header declares \(type) (\(type.byteCount) bytes of data), the file has \(dataBytes)")
    }
    return StoredArray(
      type: type, owner: owner, offset: start + dataOffset, bigEndian: bigEndian, fortranOrder: fortranOrder)
  }

  /// The dtype, byte order, memory order and shape a header dict declares.
  static func header(_ literal: PythonLiteral) throws(DataError) -> (DataType, Bool, Bool, [Int]) {
    guard case .dictionary(let entries) = literal else {
      throw DataError(.malformed, "malformed header: not a dictionary")
    }
    func entry(_ key: String) throws(DataError) -> PythonLiteral {
      guard let found = entries.first(where: { $0.key == .string(key) }) else {
        throw DataError(.malformed, "malformed header: no '\(key)'")
      }
      return found.value
    }
    guard case .string(let descr) = try entry("descr") else {
      throw DataError(.unsupported, "a structured dtype is not supported (mind reads \(DataType.supportedList))")
    }
    guard case .boolean(let fortranOrder) = try entry("fortran_order") else {
      throw DataError(.malformed, "malformed header: 'fortran_order' is not True or False")
    }
    guard case .sequence(let extents) = try entry("shape") else {
      throw DataError(.malformed, "malformed header: 'shape' is not a tuple")
    }
    var shape: [Int] = []
    for extent in extents {
      guard case .integer(let value) = extent else {
        throw DataError(.malformed, "malformed header: 'shape' holds a non-integer")
      }
      shape.append(value)
    }
    let order = descr.first
    let code = ["<", ">", "|", "="].contains(order) ? String(descr.dropFirst()) : descr
    guard let dtype = DataType(numPyCode: code) else {
      throw DataError(
        .unsupported,
        "dtype '\(descr)'\(numPyName(code).map { " (\($0))" } ?? "") is not supported (mind reads \(DataType.supportedList))"
      )
    }
    return (dtype, order == ">", fortranOrder, shape)
  }

  /// NumPy's name of a type code, for messages: `f2` is float16.
  static func numPyName(_ code: String) -> String? {
    guard let kind = code.first, let size = Int(code.dropFirst()) else { return nil }
    switch kind {
    case "f": return "float\(size * 8)"
    case "i": return "int\(size * 8)"
    case "u": return "uint\(size * 8)"
    case "c": return "complex\(size * 8)"
    case "b": return "bool"
    case "U": return "unicode string"
    case "S": return "byte string"
    default: return nil
    }
  }

  /// The header (magic to padding) of a little-endian C-order array of `type`.
  public static func header(for type: ArrayType) -> [UInt8] {
    let order = type.dtype.byteSize == 1 ? "|" : "<"
    let shape =
      type.shape.count == 1 ? "(\(type.shape[0]),)" : "(" + type.shape.map(String.init).joined(separator: ", ") + ")"
    var text = Array("{'descr': '\(order)\(type.dtype.numPyCode)', 'fortran_order': False, 'shape': \(shape), }".utf8)
    let version: UInt8 = text.count + 1 + 10 < 65536 ? 1 : 2
    let prefix = version == 1 ? 10 : 12
    let padding = (64 - (prefix + text.count + 1) % 64) % 64
    text += [UInt8](repeating: 0x20, count: padding) + [0x0A]
    var header = magic + [version, 0]
    for i in 0..<(prefix - 8) { header.append(UInt8(truncatingIfNeeded: text.count >> (8 * i))) }
    return header + text
  }
}
