// Reads the textual MIR that `Printer` writes, so that printing and parsing round-trip exactly
// (tests print every example's MIR, parse it, verify it and print it again).
// Errors are E4002 diagnostics with the line of the offending text.

import MindFrontend

public struct MIRParser {
  let text: [UInt8]
  var position = 0
  var names: [String: Value] = [:]
  let values = ValueFactory()
  let file: Int

  public init(_ text: String, file: Int = -1) {
    self.text = Array(text.utf8)
    self.file = file
  }

  public static func parse(_ text: String) throws(Diagnostic) -> Module {
    var parser = MIRParser(text)
    return try parser.parseModule()
  }

  // MARK: - Characters

  func fail(_ message: String) -> Diagnostic {
    let line = text[..<min(position, text.count)].filter { $0 == 0x0A }.count + 1
    return Diagnostic(
      "E4002", "MIR line \(line): \(message)", at: SourceSpan(file: file, start: position, end: position + 1))
  }

  mutating func skipSpace() {
    while position < text.count,
      text[position] == 0x20 || text[position] == 0x0A || text[position] == 0x09 || text[position] == 0x0D
    { position += 1 }
  }

  mutating func accept(_ literal: String) -> Bool {
    skipSpace()
    let bytes = Array(literal.utf8)
    guard position + bytes.count <= text.count, Array(text[position..<position + bytes.count]) == bytes else {
      return false
    }
    position += bytes.count
    return true
  }

  mutating func expect(_ literal: String) throws(Diagnostic) {
    guard accept(literal) else { throw fail("expected `\(literal)`") }
  }

  func peek(_ literal: String) -> Bool {
    var copy = self
    return copy.accept(literal)
  }

  static func isWordByte(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2E
      || c == 0x2D || c == 0x2B
  }

  mutating func word() throws(Diagnostic) -> String {
    skipSpace()
    let start = position
    while position < text.count, Self.isWordByte(text[position]) { position += 1 }
    guard position > start else { throw fail("expected a word") }
    return String(decoding: text[start..<position], as: UTF8.self)
  }

  mutating func number() throws(Diagnostic) -> Double {
    let w = try word()
    switch w {
    case "inf": return .infinity
    case "-inf": return -.infinity
    case "nan": return .nan
    default:
      guard let v = Double(w) else { throw fail("expected a number, found `\(w)`") }
      return v
    }
  }

  mutating func integer() throws(Diagnostic) -> Int {
    let w = try word()
    guard let v = Int(w) else { throw fail("expected an integer, found `\(w)`") }
    return v
  }

  mutating func string() throws(Diagnostic) -> String {
    try expect("\"")
    var bytes: [UInt8] = []
    while position < text.count, text[position] != UInt8(ascii: "\"") {
      if text[position] == UInt8(ascii: "\\"), position + 1 < text.count {
        position += 1
        switch text[position] {
        case UInt8(ascii: "n"): bytes.append(0x0A)
        case UInt8(ascii: "t"): bytes.append(0x09)
        default: bytes.append(text[position])
        }
      } else {
        bytes.append(text[position])
      }
      position += 1
    }
    try expect("\"")
    return String(decoding: bytes, as: UTF8.self)
  }

  mutating func list<T>(_ element: (inout MIRParser) throws(Diagnostic) -> T) throws(Diagnostic) -> [T] {
    try expect("[")
    var items: [T] = []
    if accept("]") { return items }
    repeat { items.append(try element(&self)) } while accept(",")
    try expect("]")
    return items
  }

  // MARK: - Types and values

  mutating func type() throws(Diagnostic) -> TensorType {
    if accept("tensor<") {
      skipSpace()
      let start = position
      while position < text.count, text[position] != UInt8(ascii: ">") { position += 1 }
      let parts = String(decoding: text[start..<position], as: UTF8.self).split(
        separator: "x", omittingEmptySubsequences: false)
      try expect(">")
      guard let dtype = DType(rawValue: String(parts.last ?? "")) else { throw fail("unknown element type") }
      var shape: [Dim] = []
      for part in parts.dropLast() {
        guard let extent = Int(part) else { throw fail("bad extent `\(part)`") }
        shape.append(.known(extent))
      }
      return TensorType(dtype, shape)
    }
    let w = try word()
    guard let dtype = DType(rawValue: w) else { throw fail("unknown type `\(w)`") }
    return TensorType(dtype)
  }

  mutating func valueName() throws(Diagnostic) -> String {
    try expect("%")
    return "%" + (try word())
  }

  mutating func use() throws(Diagnostic) -> Value {
    let name = try valueName()
    guard let value = names[name] else { throw fail("undefined value \(name)") }
    return value
  }

  mutating func define(_ name: String, _ type: TensorType) -> Value {
    let value = values.make(type)
    names[name] = value
    return value
  }

  // MARK: - Structure

  public mutating func parseModule() throws(Diagnostic) -> Module {
    let module = Module()
    skipSpace()
    while position < text.count {
      module.add(try parseFunction())
      skipSpace()
    }
    return module
  }

  mutating func parseFunction() throws(Diagnostic) -> Function {
    try expect("func")
    try expect("@")
    let name = try word()
    try expect("(")
    var parameters: [Value] = []
    if !accept(")") {
      repeat {
        let n = try valueName()
        try expect(":")
        parameters.append(define(n, try type()))
      } while accept(",")
      try expect(")")
    }
    try expect("->")
    try expect("(")
    var results: [TensorType] = []
    if !accept(")") {
      repeat { results.append(try type()) } while accept(",")
      try expect(")")
    }
    let body = Block(arguments: parameters)
    if accept("=") {
      try expect("vjp")
      try expect("@")
      let function = Function(name: name, body: body, resultTypes: results, location: .unknown)
      function.derivativeOf = try word()
      return function
    }
    try expect("{")
    try parseOperations(into: body)
    return Function(name: name, body: body, resultTypes: results, location: .unknown)
  }

  /// Operations up to the closing `}` of a block.
  mutating func parseOperations(into block: Block) throws(Diagnostic) {
    while !accept("}") {
      guard position < text.count else { throw fail("unexpected end of input") }
      block.operations.append(try parseOperation())
    }
  }

  mutating func parseOperation() throws(Diagnostic) -> Operation {
    var resultNames: [String] = []
    if peek("%") {
      repeat { resultNames.append(try valueName()) } while accept(",")
      try expect("=")
    }
    let name = try word()
    let kind = try parseKind(name)
    var operands: [Value] = []
    if peek("%") {
      repeat { operands.append(try use()) } while accept(",")
    }
    var types: [TensorType] = []
    if !resultNames.isEmpty {
      try expect(":")
      repeat { types.append(try type()) } while types.count < resultNames.count && accept(",")
    }
    guard types.count == resultNames.count else { throw fail("\(resultNames.count) results but \(types.count) types") }
    let results = zip(resultNames, types).map { define($0, $1) }
    var regions: [Block] = []
    while accept("{") {
      var arguments: [Value] = []
      if accept("^(") {
        repeat {
          let n = try valueName()
          try expect(":")
          arguments.append(define(n, try type()))
        } while accept(",")
        try expect(")")
        try expect(":")
      }
      let region = Block(arguments: arguments)
      try parseOperations(into: region)
      regions.append(region)
    }
    return Operation(kind: kind, operands: operands, results: results, regions: regions, location: .unknown)
  }

  mutating func attribute<T>(_ key: String, _ value: (inout MIRParser) throws(Diagnostic) -> T) throws(Diagnostic) -> T
  {
    try expect(key)
    try expect("=")
    return try value(&self)
  }

  mutating func parseKind(_ name: String) throws(Diagnostic) -> OpKind {
    func ints(_ p: inout MIRParser) throws(Diagnostic) -> [Int] {
      try p.list { (q: inout MIRParser) throws(Diagnostic) in try q.integer() }
    }
    if let op = UnaryOp(rawValue: name) { return .unary(op) }
    if let op = BinaryOp(rawValue: name) { return .binary(op) }
    if name.hasPrefix("cmp."), let op = CompareOp(rawValue: String(name.dropFirst(4))) { return .compare(op) }
    if name.hasPrefix("reduce."), let op = ReduceOp(rawValue: String(name.dropFirst(7))) {
      try expect("{")
      let axes = try attribute("axes", ints)
      try expect("}")
      return .reduce(op, axes: axes)
    }
    switch name {
    case "constant":
      try expect("{")
      let key = try word()
      try expect("=")
      let data: ConstantData
      if key == "value" {
        data = .splat(try number())
      } else if key == "dense" {
        data = .dense(try list { (p: inout MIRParser) throws(Diagnostic) in try p.number() })
      } else {
        throw fail("unknown constant attribute `\(key)`")
      }
      try expect("}")
      return .constant(data)
    case "argsort", "argsort.descending": return .argsort(descending: name == "argsort.descending")
    case "solve": return .solve
    case "cholesky": return .cholesky
    case "eigh": return .eigh
    case "qr": return .qr
    case "triangular_solve.lower", "triangular_solve.upper", "triangular_solve.lower.transpose",
      "triangular_solve.upper.transpose":
      return .triangularSolve(lower: name.contains(".lower"), transposeA: name.hasSuffix(".transpose"))
    case "slogdet": return .slogdet
    case "select": return .select
    case "cast": return .cast
    case "reshape": return .reshape
    case "matmul": return .matmul
    case "dynamic_slice": return .dynamicSlice
    case "empty": return .empty
    case "dynamic_update_slice": return .dynamicUpdateSlice
    case "if": return .ifOp
    case "for": return .forOp
    case "while": return .whileOp
    case "yield": return .yield
    case "return": return .returnOp
    case "broadcast":
      try expect("{")
      let dims = try attribute("dims", ints)
      try expect("}")
      return .broadcast(dims: dims)
    case "transpose":
      try expect("{")
      let perm = try attribute("perm", ints)
      try expect("}")
      return .transpose(perm: perm)
    case "slice", "unslice":
      try expect("{")
      let starts = try attribute("starts", ints)
      try expect(",")
      let strides = try attribute("strides", ints)
      try expect("}")
      return name == "slice" ? .slice(starts: starts, strides: strides) : .unslice(starts: starts, strides: strides)
    case "argmax", "argmin", "concat", "gather", "iota", "scatter_add":
      try expect("{")
      let axis = try attribute("axis", { (p: inout MIRParser) throws(Diagnostic) in try p.integer() })
      try expect("}")
      switch name {
      case "argmax": return .argReduce(max: true, axis: axis)
      case "argmin": return .argReduce(max: false, axis: axis)
      case "concat": return .concat(axis: axis)
      case "gather": return .gather(axis: axis)
      case "scatter_add": return .scatterAdd(axis: axis)
      default: return .iota(axis: axis)
      }
    case "random.normal", "random.uniform":
      try expect("{")
      let seed = try attribute("seed", { (p: inout MIRParser) throws(Diagnostic) in try p.word() })
      try expect("}")
      guard let value = UInt64(seed) else { throw fail("bad seed") }
      return .random(normal: name == "random.normal", seed: value)
    case "call":
      try expect("@")
      return .call(callee: try word())
    case "print":
      try expect("{")
      let pieces = try attribute("format") { (p: inout MIRParser) throws(Diagnostic) in
        try p.list { (q: inout MIRParser) throws(Diagnostic) -> PrintPiece in
          if q.accept("_") { return .operand }
          return .text(try q.string())
        }
      }
      try expect("}")
      return .print(pieces)
    case "io.load", "io.save":
      try expect("{")
      let path = try attribute("path") { (p: inout MIRParser) throws(Diagnostic) in try p.string() }
      try expect(",")
      let names = try attribute("names") { (p: inout MIRParser) throws(Diagnostic) in
        try p.list { (q: inout MIRParser) throws(Diagnostic) in try q.string() }
      }
      try expect("}")
      return name == "io.load" ? .load(path: path, names: names) : .save(path: path, names: names)
    case "assert":
      try expect("{")
      let code = try attribute("code") { (p: inout MIRParser) throws(Diagnostic) in try p.string() }
      try expect(",")
      let message = try attribute("message") { (p: inout MIRParser) throws(Diagnostic) in try p.string() }
      try expect("}")
      return .assert(code: code, message: message)
    default:
      throw fail("unknown operation `\(name)`")
    }
  }
}
