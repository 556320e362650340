// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N,
// N bytes of JSON `{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
// "__metadata__": {"key": "value"}}` (spaces may pad it), then the tensors' bytes, little-endian
// and C order, at the offsets given relative to the end of the header. The header is read with
// Foundation's JSONDecoder; every offset, size and dtype is checked before a byte is used.

import Foundation

public struct SafetensorsFile: Sendable {
  /// The tensors in the order of their data.
  public let arrays: [(name: String, array: StoredArray)]
  public let metadata: [String: String]

  public func array(named name: String) -> StoredArray? { arrays.first { $0.name == name }?.array }
}

public enum Safetensors {
  /// The reference implementation refuses headers over 100 MB.
  static let maximumHeaderBytes = 100_000_000

  struct Header: Decodable {
    struct Entry: Decodable {
      let dtype: String
      let shape: [Int]
      let data_offsets: [Int]
    }

    struct Key: CodingKey {
      let stringValue: String
      init(stringValue: String) { self.stringValue = stringValue }
      var intValue: Int? { nil }
      init?(intValue: Int) { nil }
    }

    var entries: [(String, Entry)] = []
    var metadata: [String: String] = [:]

    init(from decoder: Decoder) throws {
      let container = try decoder.container(keyedBy: Key.self)
      for key in container.allKeys {
        if key.stringValue == "__metadata__" {
          metadata = try container.decode([String: String].self, forKey: key)
        } else {
          entries.append((key.stringValue, try container.decode(Entry.self, forKey: key)))
        }
      }
    }
  }

  public static func read(_ owner: ByteOwner) throws(DataError) -> SafetensorsFile {
    let bytes = owner.bytes
    guard bytes.count >= 8 else {
      throw DataError(.malformed, "not a safetensors file (shorter than its 8-byte header length)")
    }
    var length: UInt64 = 0
    for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    guard length <= UInt64(bytes.count - 8), length <= maximumHeaderBytes else {
      throw DataError(
        .malformed, "header length \(length) runs past the end of the file (\(bytes.count) bytes)")
    }
    let headerEnd = 8 + Int(length)
    guard length >= 2, bytes[8] == UInt8(ascii: "{") else {
      throw DataError(.malformed, "not a safetensors file (the header is not a JSON object)")
    }
    let header: Header
    do {
      header = try JSONDecoder().decode(Header.self, from: Data(bytes[8..<headerEnd]))
    } catch {
      throw DataError(.malformed, "malformed header: \(describe(error))")
    }
    let bufferBytes = bytes.count - headerEnd
    var arrays: [(name: String, array: StoredArray)] = []
    var covered = 0
    for (name, entry) in header.entries.sorted(by: { ($0.1.data_offsets.first ?? 0) < ($1.1.data_offsets.first ?? 0) })
    {
      guard let dtype = DataType(safetensorsName: entry.dtype) else {
        throw DataError(
          .unsupported,
          "tensor `\(name)` has dtype \(entry.dtype), which is not supported (mind reads F32, F64, I32, I64 and BOOL)")
      }
      let type = try ArrayType(dtype, entry.shape)
      guard entry.data_offsets.count == 2, case (let begin, let end) = (entry.data_offsets[0], entry.data_offsets[1]),
        0 <= begin, begin <= end, end <= bufferBytes
      else {
        throw DataError(
          .malformed,
          "tensor `\(name)`: data_offsets \(entry.data_offsets) are not within the \(bufferBytes) bytes of data")
      }
      guard end - begin == type.byteCount else {
        throw DataError(
          .malformed, "tensor `\(name)`: \(type) is \(type.byteCount) bytes, its data_offsets span \(end - begin)")
      }
      guard begin == covered else {
        throw DataError(.malformed, "tensor `\(name)`: its data overlaps another's or leaves a hole (at byte \(begin))")
      }
      covered = end
      arrays.append((name, StoredArray(type: type, owner: owner, offset: headerEnd + begin)))
    }
    guard covered == bufferBytes else {
      throw DataError(.malformed, "\(bufferBytes - covered) bytes after the last tensor's data")
    }
    return SafetensorsFile(arrays: arrays, metadata: header.metadata)
  }

  static func describe(_ error: Error) -> String {
    switch error {
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
      DecodingError.keyNotFound(_, let context), DecodingError.dataCorrupted(let context):
      let path = context.codingPath.map(\.stringValue).joined(separator: ".")
      return path.isEmpty ? context.debugDescription : "`\(path)`: \(context.debugDescription)"
    default:
      return "\(error)"
    }
  }

  /// The length field and JSON header for tensors stored one after another in the given order,
  /// padded with spaces so that the data starts at a multiple of 64 bytes.
  public static func header(for arrays: [(name: String, type: ArrayType)], metadata: [String: String]) -> [UInt8] {
    var object: [String: Any] = [:]
    var offset = 0
    for (name, type) in arrays {
      object[name] = [
        "dtype": type.dtype.safetensorsName, "shape": type.shape, "data_offsets": [offset, offset + type.byteCount],
      ]
      offset += type.byteCount
    }
    if !metadata.isEmpty { object["__metadata__"] = metadata }
    var json = [UInt8]((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    json += [UInt8](repeating: 0x20, count: (64 - (8 + json.count) % 64) % 64)
    return (0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) } + json
  }
}
