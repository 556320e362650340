// The host functions behind `load` and `save` in compiled code. A load is a series of calls, one
// per tensor, the first of which reads the file; each copies one named tensor into a buffer of
// the type compiled in, checking the file's dtype and shape against it;
// a save is a series of calls, one per tensor, the last of which writes the file whole
// (MindData.DataFile). Errors are reported at the op's site with the file error's own code.

import MindData

enum FileFunctions {
  typealias LoadTensor =
    @convention(c) (
      UnsafeMutableRawPointer?, Int64, UnsafePointer<UInt8>?, Int64, UnsafePointer<UInt8>?, Int64, Int32, Int64,
      UnsafePointer<Int64>?, UnsafeMutableRawPointer?, Int64, Int64
    ) -> Int32
  typealias SaveTensor =
    @convention(c) (
      UnsafeMutableRawPointer?, Int64, UnsafePointer<UInt8>?, Int64, UnsafePointer<UInt8>?, Int64, Int32, Int64,
      UnsafePointer<Int64>?, UnsafeRawPointer?, Int64, Int64
    ) -> Int32

  static func text(_ bytes: UnsafePointer<UInt8>?, _ count: Int64) -> String {
    String(decoding: UnsafeBufferPointer(start: bytes, count: Int(count)), as: UTF8.self)
  }

  /// The compiled type of a tensor: its element kind and extents.
  static func type(_ kind: Int32, _ rank: Int64, _ extents: UnsafePointer<Int64>?) -> ArrayType? {
    guard let kind = ElementKind(rawValue: kind) else { return nil }
    let dtype: DataType
    switch kind {
    case .f32: dtype = .f32
    case .f64: dtype = .f64
    case .i32: dtype = .i32
    case .i64: dtype = .i64
    case .bool: dtype = .bool
    }
    return try? ArrayType(dtype, (0..<Int(rank)).map { Int(extents![$0]) })
  }

  /// Reads the tensor `name` of the file at `path` (0), or reports why it cannot (1): tensor
  /// `index` of the `count` one load reads; the first opens the file, the others read the same.
  static let loadTensor: LoadTensor = {
    context, site, path, pathLength, name, nameLength, kind, rank, extents, into, index, count in
    guard let runtime = RuntimeContext.from(context), let into, let compiled = type(kind, rank, extents) else {
      return 1
    }
    let (path, name) = (text(path, pathLength), text(name, nameLength))
    defer { if index == count - 1 { runtime.pendingLoad = [] } }
    do throws(DataError) {
      if index == 0 { runtime.pendingLoad = try DataFile.arrays(at: path, use: .copy) }
      let arrays = runtime.pendingLoad
      guard
        let found = arrays.first(where: { $0.name == name }) ?? (arrays.count == 1 && name == "" ? arrays.first : nil)
      else {
        throw DataError(.missing, "`\(path)` has no tensor `\(name)`")
      }
      guard found.array.type == compiled else {
        throw DataError(
          .mismatch,
          "`\(path)`\(name.isEmpty ? "" : " tensor `\(name)`") holds \(found.array.type), the program was compiled for \(compiled)"
        )
      }
      found.array.copyNative(into: into)
      return 0
    } catch {
      runtime.report(site: Int(site), error)
      return 1
    }
  }

  /// Adds tensor `index` of `count` to the pending save; the last one writes the file.
  static let saveTensor: SaveTensor = {
    context, site, path, pathLength, name, nameLength, kind, rank, extents, data, index, count in
    guard let runtime = RuntimeContext.from(context), let data, let type = type(kind, rank, extents) else { return 1 }
    if index == 0 { runtime.pendingSave = [] }
    runtime.pendingSave.append(
      (text(name, nameLength), type, UnsafeRawBufferPointer(start: data, count: type.byteCount)))
    guard index == count - 1 else { return 0 }
    defer { runtime.pendingSave = [] }
    do throws(DataError) {
      try DataFile.write(runtime.pendingSave, to: text(path, pathLength))
      return 0
    } catch {
      runtime.report(site: Int(site), error)
      return 1
    }
  }
}
