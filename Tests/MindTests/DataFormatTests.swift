// The data file formats on their own (MindData, and the Swift API's Tensor(npy:)): round trips
// of every dtype, headers NumPy may write (versions 2.0 and 3.0, big-endian, Fortran order),
// and every kind of bad file, named by its code. Interoperation with NumPy and safetensors
// themselves is in DataInteropTests.

import Foundation
import MIND
import MindData
import Testing

enum DataFiles {
  static func folder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mind-data-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// An `.npy` file with the given header dict and data bytes (version 1.0 unless given).
  static func npy(_ dict: String, _ data: [UInt8], major: UInt8 = 1) -> [UInt8] {
    var text = Array(dict.utf8)
    let prefix = major == 1 ? 10 : 12
    text += [UInt8](repeating: 0x20, count: (64 - (prefix + text.count + 1) % 64) % 64) + [0x0A]
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
    for i in 0..<(prefix - 8) { bytes.append(UInt8(truncatingIfNeeded: text.count >> (8 * i))) }
    return bytes + text + data
  }

  static func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

  static func write(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

  /// The code of the MindError `body` throws (nil when it throws none).
  static func code(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch let error as MindError {
      return error.code
    } catch {
      return "not a MindError: \(error)"
    }
  }
}

@Suite struct DataFormatTests {
  @Test func npyRoundTripsEveryDtypeAndShape() throws {
    let folder = try DataFiles.folder()
    let tensors = [
      Tensor([1.5, -2, 3, 4, 5, 6] as [Float], shape: [2, 3]), Tensor([1e300, -0.0, .infinity] as [Double]),
      Tensor([Int32.min, 0, Int32.max], shape: [3, 1, 1]), Tensor([Int64.min, 7, Int64.max]),
      Tensor([true, false, true, true], shape: [2, 2]), Tensor(Float(2.5)), Tensor([] as [Float], shape: [0, 4]),
    ]
    for (i, tensor) in tensors.enumerated() {
      let path = "\(folder)/\(i).npy"
      try tensor.write(npy: path)
      let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
      // NumPy's layout: the data starts at a multiple of 64 bytes, the header ends in a newline.
      let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      #expect((10 + headerLength) % 64 == 0 && bytes[10 + headerLength - 1] == 0x0A)
      let read = try Tensor(npy: path)
      #expect(read == tensor && read.shape == tensor.shape && read.elementType == tensor.elementType)
    }
  }

  @Test func npyHeadersOfEveryVersionOrderAndByteOrder() throws {
    let folder = try DataFiles.folder()
    let cases: [(String, [UInt8], UInt8, Tensor)] = [
      // Version 2.0 and 3.0 headers (4-byte length); 3.0 is UTF-8.
      (
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", DataFiles.bytes([Float(1), 2]), 2,
        Tensor([1, 2] as [Float])
      ),
      ("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", DataFiles.bytes([Int64(-3)]), 3, Tensor(Int64(-3))),
      // Big-endian elements are swapped.
      (
        "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", [0, 0, 1, 2, 0xFF, 0xFF, 0xFF, 0xFE], 1,
        Tensor([258, -2] as [Int32])
      ),
      (
        "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", [0x3F, 0xF8, 0, 0, 0, 0, 0, 0], 1,
        Tensor([1.5] as [Double])
      ),
      // Fortran order: column-major data, read back in C order.
      (
        "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", DataFiles.bytes([Float(0), 3, 1, 4, 2, 5]), 1,
        Tensor([0, 1, 2, 3, 4, 5] as [Float], shape: [2, 3])
      ),
      (
        "{'fortran_order': True, 'shape': (2, 2, 2), 'descr': '<i4'}",
        DataFiles.bytes([Int32(0), 4, 2, 6, 1, 5, 3, 7]), 1,
        Tensor([0, 1, 2, 3, 4, 5, 6, 7] as [Int32], shape: [2, 2, 2])
      ),
      // A bool byte other than 0 or 1 is true.
      ("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", [0, 1, 7], 1, Tensor([false, true, true])),
    ]
    for (i, (dict, data, major, expected)) in cases.enumerated() {
      let path = "\(folder)/\(i).npy"
      try DataFiles.write(DataFiles.npy(dict, data, major: major), path)
      let read = try Tensor(npy: path)
      #expect(read == expected && read.shape == expected.shape, "\(dict)")
    }
  }

  @Test func badFilesAreCodedErrors() throws {
    let folder = try DataFiles.folder()
    let good = DataFiles.npy(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", DataFiles.bytes([Float](repeating: 1, count: 4)))
    let cases: [(String, [UInt8]?, String)] = [
      ("missing", nil, "E7101"),
      ("empty", [], "E7102"),
      ("text", Array("hello, world\n".utf8), "E7102"),
      ("truncated data", Array(good.dropLast(3)), "E7102"),
      ("extra data", good + [0], "E7102"),
      ("truncated header", Array(good.prefix(40)), "E7102"),
      ("header length beyond the file", Array(good.prefix(8)) + [0xFF, 0xFF] + Array(good.dropFirst(10)), "E7102"),
      ("version 4", Array(good.prefix(6)) + [4] + Array(good.dropFirst(7)), "E7102"),
      ("negative extent", DataFiles.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", []), "E7102"),
      (
        "extents overflow",
        DataFiles.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", []), "E7102"
      ),
      ("no shape", DataFiles.npy("{'descr': '<f4', 'fortran_order': False}", []), "E7102"),
      ("not a dict", DataFiles.npy("('<f4', False, (1,))", []), "E7102"),
      ("float16", DataFiles.npy("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", [0, 0]), "E7103"),
      ("uint8", DataFiles.npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", [0]), "E7103"),
      (
        "structured",
        DataFiles.npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0]), "E7103"
      ),
    ]
    for (name, bytes, code) in cases {
      let path = "\(folder)/\(name).npy"
      if let bytes { try DataFiles.write(bytes, path) }
      #expect(DataFiles.code { _ = try Tensor(npy: path) } == code, "\(name)")
    }
    #expect(DataFiles.code { try Tensor([1] as [Float]).write(npy: "/nonexistent/folder/x.npy") } == "E7107")
  }

  @Test func safetensorsRoundTripAndBadHeaders() throws {
    let folder = try DataFiles.folder()
    let tensors: [(name: String, tensor: Tensor)] = [
      ("layer1.w", Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])), ("steps", Tensor(Int64(9))),
      ("mask", Tensor([true, false])), ("scale", Tensor([0.25] as [Double])), ("ids", Tensor([5, 6] as [Int32])),
    ]
    let path = "\(folder)/model.safetensors"
    try TensorFile.write(tensors, to: path, metadata: ["format": "mind"])
    let read = try TensorFile.tensors(at: path)
    #expect(read.map(\.name) == tensors.map(\.name))
    #expect(zip(read, tensors).allSatisfy { $0.tensor == $1.tensor && $0.tensor.shape == $1.tensor.shape })
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(try Safetensors.read(OwnedBytes(copying: bytes)).metadata == ["format": "mind"])

    func file(_ json: String, _ data: [UInt8]) -> [UInt8] {
      let header = Array(json.utf8)
      return (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) } + header + data
    }
    let cases: [(String, [UInt8], String)] = [
      ("short", [1, 2, 3], "E7102"),
      ("length beyond the file", [0xFF, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D], "E7102"),
      ("not JSON", file("{nope", []), "E7102"),
      (
        "wrong field type",
        file(#"{"a": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}}"#, [UInt8](repeating: 0, count: 8)),
        "E7102"
      ),
      (
        "size mismatch",
        file(#"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, [UInt8](repeating: 0, count: 8)),
        "E7102"
      ),
      (
        "offsets past the data",
        file(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, [UInt8](repeating: 0, count: 8)),
        "E7102"
      ),
      (
        "overlap",
        file(
          #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#,
          [UInt8](repeating: 0, count: 4)), "E7102"
      ),
      (
        "trailing bytes",
        file(#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, [UInt8](repeating: 0, count: 6)),
        "E7102"
      ),
      ("bf16", file(#"{"a": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}"#, [0, 0]), "E7103"),
    ]
    for (name, bytes, code) in cases {
      let bad = "\(folder)/\(name).safetensors"
      try DataFiles.write(bytes, bad)
      #expect(DataFiles.code { _ = try TensorFile.tensors(at: bad) } == code, "\(name)")
    }
  }

  /// Truncated and mutated headers of both formats: every outcome is a tensor or a coded error,
  /// never a crash (the process would die) or a hang.
  @Test func fuzzedHeadersNeverCrash() throws {
    let folder = try DataFiles.folder()
    let npy = DataFiles.npy(
      "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 2), }", DataFiles.bytes([Double](repeating: 1, count: 6)))
    let safetensorsPath = "\(folder)/seed.safetensors"
    try TensorFile.write([("a", Tensor([1, 2] as [Float])), ("b.c", Tensor(Int64(3)))], to: safetensorsPath)
    let safetensors = try [UInt8](Data(contentsOf: URL(fileURLWithPath: safetensorsPath)))
    var generator = SystemRandomNumberGenerator()
    var outcomes: [String: Int] = [:]
    for i in 0..<4000 {
      var bytes = i % 2 == 0 ? npy : safetensors
      switch i % 4 {
      case 0, 1: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
      default:
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
          // Mostly within the header, where the structure is.
          let at = Int.random(in: 0..<min(bytes.count, 140), using: &generator)
          bytes[at] = [0, 0xFF, 0x22, 0x27, 0x2C, 0x28, 0x7B, 0x5B, UInt8.random(in: 0...255, using: &generator)]
            .randomElement(using: &generator)!
        }
      }
      let path = "\(folder)/fuzz\(i % 2 == 0 ? ".npy" : ".safetensors")"
      try DataFiles.write(bytes, path)
      let code = DataFiles.code { _ = try TensorFile.tensors(at: path) } ?? "read"
      #expect(["read", "E7102", "E7103"].contains(code), "\(code) for \(bytes)")
      outcomes[code, default: 0] += 1
    }
    #expect(outcomes["E7102", default: 0] > 1000)
  }
}
