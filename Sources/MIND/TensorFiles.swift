// Tensors in files for the Swift API and the command line: NumPy's `.npy` and `.npz`,
// safetensors, and folders of `.npy` files (MindData.DataFile). A file's array is used in place
// when its bytes are what compiled code reads, else converted; results are written whole or
// not at all.

import Foundation
import MindData

extension MindError {
  init(_ error: DataError) {
    self.init(code: error.code, unlocated: error.message)
  }
}

extension Tensor {
  /// The tensor an `.npy` file holds (either byte order, either memory order).
  public init(npy path: String) throws {
    do throws(DataError) {
      self.init(try NumPyFormat.read(MappedFile(path: path)))
    } catch {
      throw MindError(error.at(path))
    }
  }

  init(_ array: StoredArray) {
    self.init(
      elementType: ElementType(rawValue: array.type.dtype.rawValue)!, shape: array.type.shape,
      storage: .holding(array))
  }

  var arrayType: ArrayType {
    // A tensor's shape was checked when it was made.
    try! ArrayType(DataType(rawValue: elementType.rawValue)!, shape)
  }

  var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage.pointer, count: arrayType.byteCount) }

  /// Writes the tensor as NumPy writes it (`np.save`: little-endian, C order).
  public func write(npy path: String) throws { try TensorFile.write([("", self)], to: path) }
}

/// Files of named tensors.
public enum TensorFile {
  /// The named tensors of an `.npz` or safetensors file, or of the `.npy` files of a folder
  /// (each named after its file without `.npy`, those of subfolders with dotted names:
  /// `layer1/w.npy` is `layer1.w`). A lone `.npy` file's tensor is named "".
  public static func tensors(at path: String) throws -> [(name: String, tensor: Tensor)] {
    do throws(DataError) {
      return try DataFile.arrays(at: path).map { ($0.name, Tensor($0.array)) }
    } catch {
      throw MindError(error)
    }
  }

  /// The `__metadata__` of a safetensors file.
  public static func metadata(safetensors path: String) throws -> [String: String] {
    do throws(DataError) {
      return try Safetensors.read(MappedFile(path: path)).metadata
    } catch {
      throw MindError(error.at(path))
    }
  }

  /// Writes named tensors to a `.npy` file (one tensor), a safetensors file (with `metadata`
  /// as its `__metadata__`) or a folder of `.npy` files (a path ending in `/`, or an existing
  /// folder).
  public static func write(
    _ tensors: [(name: String, tensor: Tensor)], to path: String, metadata: [String: String] = [:]
  )
    throws
  {
    do throws(DataError) {
      try withExtendedLifetime(tensors) { () throws(DataError) in
        try DataFile.write(
          tensors.map { ($0.name, $0.tensor.arrayType, $0.tensor.bytes) }, to: path, metadata: metadata)
      }
    } catch {
      throw MindError(error)
    }
  }
}

extension HostValue {
  /// The leaves of the value, a lone tensor named `result`.
  var fileLeaves: [(name: String, tensor: Tensor)] {
    namedLeaves.map { ($0.name.isEmpty ? "result" : $0.name, $0.tensor) }
  }

  /// Whether `-o path` names a file the result can be written to (a `.npy` or safetensors file,
  /// or a folder).
  public static func canWrite(to path: String) -> Bool {
    switch DataFile.Format(path: path) {
    case .npy?, .safetensors?, .folder?: return true
    case .npz?, nil: return false
    }
  }

  /// Writes the value: as one `.npy` (a tensor), as a safetensors file (tensors by field name or
  /// position) or as a folder of `.npy` files.
  public func write(to path: String) throws {
    if case .npy? = DataFile.Format(path: path), leaves.count != 1 || namedLeaves[0].name != "" {
      throw MindError.entry(
        "the result is \(leaves.count == 1 ? "a struct or tuple" : "\(leaves.count) tensors"); write it with -o NAME.safetensors or -o FOLDER/, not `\(path)`"
      )
    }
    try TensorFile.write(fileLeaves, to: path)
  }
}
