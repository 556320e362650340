// A data file by its name: `.npy` (one array, named ""), `.npz`, `.safetensors`, or a folder of
// `.npy` files (each named after its file, those of subfolders dotted: `layer1/w.npy` is
// `layer1.w`). The one place that decides how a path is read, for the command line, the Swift
// API and `load` in compiled code alike.

import Foundation

public enum DataFile {
  public enum Format: Sendable {
    case npy, npz, safetensors, folder

    /// The format a path names; nil for any other file.
    public init?(path: String) {
      var isFolder: ObjCBool = false
      if path.hasSuffix("/")
        || (FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue)
      {
        self = .folder
      } else if path.hasSuffix(".npy") {
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

  /// The named arrays at `path`, mapped for `use`; errors name the file.
  public static func arrays(at path: String, use: MappedFile.Use = .inPlace) throws(DataError) -> [(
    name: String, array: StoredArray
  )] {
    guard let format = Format(path: path) else {
      throw DataError(.unsupported, "`\(path)`: not a .npy, .npz or .safetensors file, nor a folder")
    }
    do throws(DataError) {
      switch format {
      case .npy: return [("", try NumPyFormat.read(MappedFile(path: path, use: use)))]
      case .npz: return try NumPyArchive.read(MappedFile(path: path, use: use))
      case .safetensors: return try Safetensors.read(MappedFile(path: path, use: use)).arrays
      case .folder:
        return try folderArrays(
          path.hasSuffix("/") ? String(path.dropLast()) : path, prefix: "", depth: 0, use: use)
      }
    } catch {
      throw error.at(path)
    }
  }

  static func folderArrays(_ folder: String, prefix: String, depth: Int, use: MappedFile.Use) throws(DataError) -> [(
    name: String, array: StoredArray
  )] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
      throw DataError(.unreadable, "cannot list the folder")
    }
    var found: [(name: String, array: StoredArray)] = []
    for name in names.sorted() where !name.hasPrefix(".") {
      let path = folder + "/" + name
      var isFolder: ObjCBool = false
      _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
      if isFolder.boolValue && depth < 16 {
        found += try folderArrays(path, prefix: prefix + name + ".", depth: depth + 1, use: use)
      } else if name.hasSuffix(".npy") {
        do throws(DataError) {
          found.append(
            (prefix + String(name.dropLast(4)), try NumPyFormat.read(MappedFile(path: path, use: use))))
        } catch {
          throw DataError(error.kind, "`\(name)`: \(error.message)")
        }
      }
    }
    return found
  }

  /// Writes named arrays (given by type and bytes) to `path`: one `.npy` (a single array),
  /// a safetensors file, or a folder of `.npy` files (made if missing); each file whole or not
  /// at all.
  public static func write(
    _ arrays: [(name: String, type: ArrayType, bytes: UnsafeRawBufferPointer)], to path: String,
    metadata: [String: String] = [:]
  ) throws(DataError) {
    switch Format(path: path) {
    case .npy?:
      guard arrays.count == 1 else {
        throw DataError(.unwritable, "`\(path)`: an .npy file holds one tensor, not \(arrays.count)")
      }
      try AtomicFile.write(path, header: NumPyFormat.header(for: arrays[0].type), [arrays[0].bytes])
    case .safetensors?:
      let header = Safetensors.header(for: arrays.map { ($0.name, $0.type) }, metadata: metadata)
      try AtomicFile.write(path, header: header, arrays.map(\.bytes))
    case .folder?:
      let folder = path.hasSuffix("/") ? String(path.dropLast()) : path
      do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      } catch {
        throw DataError(.unwritable, "`\(folder)`: cannot make the folder")
      }
      for array in arrays {
        try AtomicFile.write(
          folder + "/" + array.name + ".npy", header: NumPyFormat.header(for: array.type), [array.bytes])
      }
    case .npz?, nil:
      throw DataError(.unwritable, "`\(path)`: name a .npy or .safetensors file, or a folder ending in /")
    }
  }
}
