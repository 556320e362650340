// Binding an entry's parameters to data named on the command line (`mind jit model.mind
// --entry train x.npy y=labels.npy lr=0.01 p=model.safetensors`): positional words bind the
// parameters in order, `name=value` words by name. A value is a file (`.npy`, `-` for an
// `.npy` on standard input, `.npz`, `.safetensors`, or a folder of `.npy` files) or, for a
// scalar parameter, a number or `true`/`false`. A tensor parameter takes a `.npy` file, or the
// one tensor of a container (or the one named after the parameter); a struct or tuple
// parameter takes a container whose tensors are its fields by dotted name (`layer1.w`, `0`).
// Types are checked against the declared ones before anything is compiled.

import MindData
import MindFrontend
import MindSema

extension MindError {
  /// E7106: arguments that do not fit the entry's parameters, a result that does not fit `-o`.
  static func entry(_ message: String) -> MindError {
    MindError(code: "E7106", unlocated: message)
  }

  static func data(_ kind: DataError.Kind, _ message: String) -> MindError { MindError(DataError(kind, message)) }
}

struct EntryArguments {
  let entry: String
  let parameters: [ParameterLayout]
  /// Reads all of standard input (for `-`).
  var standardInput: () -> [UInt8]

  /// The arguments' values, in parameter order.
  func bind(_ words: [String]) throws -> [HostValue] {
    var bound: [HostValue?] = Array(repeating: nil, count: parameters.count)
    var positional = 0
    for word in words {
      let index: Int
      let source: String
      if let equals = word.firstIndex(of: "="), let named = parameters.firstIndex(where: { $0.name == word[..<equals] })
      {
        (index, source) = (named, String(word[word.index(after: equals)...]))
      } else if let equals = word.firstIndex(of: "="), !word.contains("/"),
        word[..<equals].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
      {
        throw MindError.entry(
          "`\(entry)` has no parameter `\(word[..<equals])` (its parameters: \(parameters.map(\.name).joined(separator: ", ")))"
        )
      } else {
        while positional < bound.count && bound[positional] != nil { positional += 1 }
        guard positional < bound.count else {
          throw MindError.entry(
            "`\(entry)` takes \(parameters.count) argument\(parameters.count == 1 ? "" : "s"); `\(word)` is one too many"
          )
        }
        (index, source) = (positional, word)
      }
      guard bound[index] == nil else {
        throw MindError.entry("parameter `\(parameters[index].name)` of `\(entry)` is given twice")
      }
      bound[index] = try value(parameters[index], from: source)
    }
    let missing = parameters.indices.filter { bound[$0] == nil }.map { "`\(parameters[$0].name)`" }
    guard missing.isEmpty else {
      throw MindError.entry(
        "no value for parameter\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) of `\(entry)`")
    }
    return bound.map { $0! }
  }

  func value(_ parameter: ParameterLayout, from source: String) throws -> HostValue {
    let what = "parameter `\(parameter.name)`"
    if case .tensor(let declared) = parameter.layout,
      let scalar = try Self.scalar(source, declared: declared, what: what)
    {
      return .tensor(scalar)
    }
    if source == "-" {
      let tensor: Tensor
      do {
        tensor = Tensor(try NumPyFormat.read(OwnedBytes(copying: standardInput())))
      } catch {
        throw MindError(error.at("standard input"))
      }
      return try laidOut(parameter, [("", tensor)], source: "standard input")
    }
    return try laidOut(parameter, try TensorFile.tensors(at: source), source: "`\(source)`")
  }

  /// A number or `true`/`false` for a scalar parameter (nil: `source` names a file).
  static func scalar(_ source: String, declared: TypeExpr?, what: String) throws -> Tensor? {
    let number = Double(source)
    let boolean = ["true": true, "false": false][source]
    guard number != nil || boolean != nil else { return nil }
    let dtype: ScalarTypeName
    switch declared {
    case .scalar(let s)?: dtype = s
    case nil: dtype = boolean != nil ? .bool : Int64(source) != nil ? .i64 : .f32
    case let type?:
      throw MindError.data(.mismatch, "\(what) is \(type.spelled): give it a file, not `\(source)`")
    }
    switch (dtype, number, boolean) {
    case (.f32, let x?, _): return Tensor(Float(x))
    case (.f64, let x?, _): return Tensor(x)
    case (.i64, _, _) where Int64(source) != nil: return Tensor(Int64(source)!)
    case (.i32, _, _) where Int32(source) != nil: return Tensor([Int32(source)!], shape: [])
    case (.bool, _, let b?): return Tensor([b], shape: [])
    default: throw MindError.data(.mismatch, "\(what) is \(dtype.rawValue), not `\(source)`")
    }
  }

  /// The parameter's value made of the named tensors a file holds.
  func laidOut(_ parameter: ParameterLayout, _ tensors: [(name: String, tensor: Tensor)], source: String) throws
    -> HostValue
  {
    let (layout, what) = (parameter.layout, "parameter `\(parameter.name)`")
    let names = tensors.map(\.name)
    let picked: [Int]
    do throws(DataError) {
      picked = try layout.pick(
        from: names, file: source, what: what, preferred: parameter.name,
        hint: "\(what) takes one (they are \(ValueLayout.list(names)))")
    } catch {
      throw MindError(error)
    }
    var leaves = picked.map { tensors[$0].tensor }[...]
    let value = HostValue.laidOut(layout, &leaves)
    for ((name, tensor), declared) in zip(value.namedLeaves, layout.declaredLeaves) {
      let field = name.isEmpty ? what : "field `\(name)` of \(what)"
      try Self.check(tensor, against: declared, what: "\(field) (from \(source))")
    }
    return value
  }

  /// The dtype, rank and fixed extents a declared type requires (symbolic extents are
  /// checked against each other when the entry is specialized).
  static func check(_ tensor: Tensor, against declared: TypeExpr?, what: String) throws {
    guard let declared, !declared.admits(dtype: tensor.elementType.rawValue, shape: tensor.shape) else { return }
    throw MindError.data(.mismatch, "\(what) holds \(tensor.arrayType), but is declared \(declared.spelled)")
  }

}
