// Tensors in files: NumPy's `.npy` and `.npz`, safetensors, and folders of `.npy` files (formats
// in MindData). A file's array is used in place when its bytes are what compiled code reads,
// else converted; results are written whole or not at all (AtomicFile).

import Foundation
import MindData

extension MindError {
  init(_ error: DataError) {
    self.init(code: error.code, message: error.message, description: error.description + "\n")
  }

  static func data(_ kind: DataError.Kind, _ message: String) -> MindError { MindError(DataError(kind, message)) }
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
  public func write(npy path: String) throws {
    let header = NumPyFormat.header(for: arrayType)
    do throws(DataError) {
      try AtomicFile.write(path, header: header, [bytes])
    } catch {
      throw MindError(error.at(path))
    }
  }
}

/// Files of named tensors.
public enum TensorFile {
  /// The file's format, by its name: `.npy`, `.npz`, `.safetensors`, or a folder of `.npy` files.
  enum Format {
    case npy, npz, safetensors, folder

    init?(path: String) {
      var isFolder: ObjCBool = false
      if path.hasSuffix("/")
        || (FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue)
      {
        self = .folder
      } else if path.hasSuffix(".npy") || path == "-" {
        self = .npy
      } else if path.hasSuffix(".npz") {
        self = .npz
      } else if path.hasSuffix(".safetensors") {
        self = .safetensors
      } else {
        return nil
      }
    }
  }

  /// The named tensors of an `.npz` or safetensors file, or of the `.npy` files of a folder
  /// (each named after its file without `.npy`, those of subfolders with dotted names:
  /// `layer1/w.npy` is `layer1.w`). A lone `.npy` file's tensor is named "".
  public static func tensors(at path: String) throws -> [(name: String, tensor: Tensor)] {
    guard let format = Format(path: path) else {
      throw MindError.data(.unsupported, "`\(path)`: not a .npy, .npz or .safetensors file, nor a folder")
    }
    do {
      switch format {
      case .npy: return [("", try Tensor(npy: path))]
      case .npz:
        return try NumPyArchive.read(MappedFile(path: path)).map { ($0.name, Tensor($0.array)) }
      case .safetensors:
        return try Safetensors.read(MappedFile(path: path)).arrays.map { ($0.name, Tensor($0.array)) }
      case .folder:
        return try folderTensors(path.hasSuffix("/") ? String(path.dropLast()) : path, prefix: "", depth: 0)
      }
    } catch let error as DataError {
      throw MindError(error.at(path))
    }
  }

  static func folderTensors(_ folder: String, prefix: String, depth: Int) throws -> [(name: String, tensor: Tensor)] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
      throw MindError.data(.unreadable, "`\(folder)`: cannot list the folder")
    }
    var found: [(name: String, tensor: Tensor)] = []
    for name in names.sorted() where !name.hasPrefix(".") {
      let path = folder + "/" + name
      var isFolder: ObjCBool = false
      _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
      if isFolder.boolValue && depth < 16 {
        found += try folderTensors(path, prefix: prefix + name + ".", depth: depth + 1)
      } else if name.hasSuffix(".npy") {
        found.append((prefix + String(name.dropLast(4)), try Tensor(npy: path)))
      }
    }
    return found
  }

  /// Writes named tensors as a safetensors file (with `metadata` as its `__metadata__`).
  public static func write(
    safetensors path: String, _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]
  )
    throws
  {
    let header = Safetensors.header(for: tensors.map { ($0.name, $0.tensor.arrayType) }, metadata: metadata)
    do throws(DataError) {
      try AtomicFile.write(path, header: header, tensors.map(\.tensor.bytes))
    } catch {
      throw MindError(error.at(path))
    }
    withExtendedLifetime(tensors) {}
  }

  /// Writes each tensor to `folder/<name>.npy` (the folder is made if missing).
  public static func write(folder: String, _ tensors: [(name: String, tensor: Tensor)]) throws {
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw MindError.data(.unwritable, "`\(folder)`: cannot make the folder")
    }
    for (name, tensor) in tensors { try tensor.write(npy: folder + "/" + name + ".npy") }
  }
}

extension HostValue {
  /// Where `-o PATH` writes a result: one `.npy` file, a safetensors file, or a folder.
  public enum Destination {
    case npy, safetensors, folder

    public init?(path: String) {
      guard path != "-", let format = TensorFile.Format(path: path) else { return nil }
      switch format {
      case .npy: self = .npy
      case .safetensors: self = .safetensors
      case .folder: self = .folder
      case .npz: return nil
      }
    }
  }

  /// The leaves of the value, a lone tensor named `result`.
  var fileLeaves: [(name: String, tensor: Tensor)] {
    namedLeaves.map { ($0.name.isEmpty ? "result" : $0.name, $0.tensor) }
  }

  /// Writes the value: as one `.npy` (a tensor), as a safetensors file (tensors by field name or
  /// position) or as a folder of `.npy` files.
  public func write(to path: String) throws {
    switch Destination(path: path) {
    case .npy?:
      guard case .tensor(let tensor) = self else {
        throw MindError.entry(
          "E7106",
          "the result is \(leaves.count == 1 ? "a struct or tuple" : "\(leaves.count) tensors"); write it with -o NAME.safetensors or -o FOLDER/, not `\(path)`"
        )
      }
      try tensor.write(npy: path)
    case .safetensors?: try TensorFile.write(safetensors: path, fileLeaves)
    case .folder?: try TensorFile.write(folder: path.hasSuffix("/") ? String(path.dropLast()) : path, fileLeaves)
    case nil:
      throw MindError.entry(
        "E7106", "cannot write `\(path)`: name a .npy or .safetensors file, or a folder ending in /")
    }
  }
}
