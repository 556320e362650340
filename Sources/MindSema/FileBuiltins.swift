// `load` and `save` (module `io`): tensors, tuples and structs read from and written to the
// files MindData reads and writes (.npy, .npz, safetensors, folders of .npy files).
//
// `load(path)` takes its type from a declaration (`let w: Tensor<f32, 784, 128> = load("w.npy")`,
// `let p: MLP = load("model.safetensors")` or `load<MLP>(...)`) or, without one, from the file:
// the compiler reads the file's header when it specializes the program, and the types it read
// are the types of the MIR op (so they are part of the cache key: a file of other shapes is
// another specialization). The data is read at run time, checked against those types. A file
// missing at compile time is fine when its declared type is fully static. `save(path, value)`
// writes a tensor to `.npy`, or a tuple/struct to safetensors or a folder, fields by name.
// Relative paths are relative to the program's file.

import MindData
import MindFrontend
import MindIR

enum Files {
  static func call(_ name: String, _ args: BuiltinArguments, typeArguments: [TypeAnnotation]) throws -> SemaValue? {
    switch name {
    case "load": return try load(args, declared: typeArguments.first)
    case "save": return try save(args)
    default: return nil
    }
  }

  /// The string-literal path of a file builtin, resolved against the program's folder.
  static func path(_ args: BuiltinArguments) throws -> String {
    guard case .string(let written) = args.positional[0].value else {
      throw Diagnostic("E2019", "the path of `\(args.name)` must be a string literal", at: args.positional[0].span)
    }
    guard !written.hasPrefix("/"), let program = args.e.sources?.file(args.span.file)?.name,
      let slash = program.lastIndex(of: "/")
    else { return written }
    return String(program[...slash]) + written
  }

  static func load(_ args: BuiltinArguments, declared: TypeAnnotation?) throws -> SemaValue {
    try args.expect(1...1)
    let e = args.e
    let path = try path(args)
    if e.symbolic, let declared { return try e.symbolicValue(of: declared, name: "load") }
    let layout = declared.map { e.layout(of: $0.type) } ?? .tensor(nil)
    let names = layout.leafNames()
    var types: [TensorType]
    do throws(DataError) {
      types = try fileTypes(path, names: names, layout: layout)
    } catch {
      guard error.kind == .unreadable, let declared, let known = staticTypes(declared.type, e) else {
        throw Diagnostic(error.code, error.message, at: args.span)
      }
      types = known
    }
    let op = args.b.create(.load(path: path, names: names), [], resultTypes: types)
    var results = op.results[...]
    return e.rebuild(e.template(of: layout), from: &results)
  }

  /// The types of the named tensors in the file, checked against the declared types.
  static func fileTypes(_ path: String, names: [String], layout: ValueLayout) throws(DataError) -> [TensorType] {
    let arrays = try DataFile.arrays(at: path, use: .headers)
    let picked = try layout.pick(
      from: arrays.map(\.name), file: "`\(path)`", what: "the declared type",
      hint: "declare a struct or tuple type to load them (`let p: MLP = load(...)`)")
    return try zip(zip(names, picked), layout.declaredLeaves).map {
      (leaf: (name: String, index: Int), declared: TypeExpr?) throws(DataError) in
      let type = arrays[leaf.index].array.type
      if let declared, !declared.admits(dtype: type.dtype.rawValue, shape: type.shape) {
        throw DataError(
          .mismatch,
          "`\(path)`\(leaf.name.isEmpty ? "" : " tensor `\(leaf.name)`") holds \(type), but is declared \(declared.spelled)"
        )
      }
      return TensorType(DType(sourceName: type.dtype.rawValue)!, known: type.shape)
    }
  }

  /// The leaves' types of a declared type without symbolic extents (nil when it has some).
  static func staticTypes(_ type: TypeExpr, _ e: Elaborator) -> [TensorType]? {
    switch type {
    case .scalar(let s): return [TensorType(e.dtype(s))]
    case .tensor(let s, let dims):
      var extents: [Int] = []
      for dim in dims {
        guard case .known(let extent) = dim else { return nil }
        extents.append(extent)
      }
      return [TensorType(e.dtype(s), known: extents)]
    case .tuple(let elements):
      var types: [TensorType] = []
      for element in elements {
        guard let leaves = staticTypes(element, e) else { return nil }
        types += leaves
      }
      return types
    case .named(let name):
      guard let decl = e.structs[name] else { return nil }
      return staticTypes(.tuple(decl.fields.map(\.type.type)), e)
    }
  }

  static func save(_ args: BuiltinArguments) throws -> SemaValue {
    try args.expect(2...2)
    let e = args.e
    let path = try path(args)
    let (value, span) = args.positional[1]
    let leaves = try e.leavesMaterialized(value, span: span)
    let names = e.layout(of: value).leafNames()
    let format = DataFile.Format(path: path)
    switch format {
    case .npy?:
      guard names == [""] else {
        throw Diagnostic(
          "E7107",
          "an .npy file holds one tensor, not \(value.typeDescription): save it to a .safetensors file or a folder",
          at: args.span)
      }
    case .safetensors?, .folder?:
      guard !leaves.isEmpty else { throw Diagnostic("E7107", "nothing to save", at: span) }
    case .npz?, nil:
      throw Diagnostic(
        "E7107", "cannot save to `\(path)`: name a .npy or .safetensors file, or a folder ending in /",
        at: args.positional[0].span)
    }
    let fileNames = names == [""] && format != .npy ? ["result"] : names
    args.b.create(.save(path: path, names: fileNames), leaves, resultTypes: [])
    return .tuple([])
  }
}
