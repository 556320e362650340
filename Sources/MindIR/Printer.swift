// Prints MIR as text. Values are renumbered in print order (`%0`, `%1`, ...) so that the output is
// stable across passes that renumber nothing; `mind ir --stage mir` and the golden tests use it.
//
//     func @f(%0: tensor<3xf32>) -> f32 {
//       %1 = reduce.sum {axes = [0]} %0 : f32
//       return %1
//     }

public struct Printer {
  var names: [ObjectIdentifier: Int] = [:]
  var out = ""
  /// Shorten dense constants of more than 16 elements (not parseable back).
  var elide = false
  /// Print the source span of ops that can fail at runtime (for cache keys: their error
  /// messages point there).
  var runtimeLocations = false

  public init() {}

  public static func print(_ module: Module, elide: Bool = false, runtimeLocations: Bool = false) -> String {
    var printer = Printer()
    printer.elide = elide
    printer.runtimeLocations = runtimeLocations
    for (i, function) in module.functions.enumerated() {
      if i > 0 { printer.out += "\n" }
      printer.print(function)
    }
    return printer.out
  }

  public static func print(_ function: Function, elide: Bool = false) -> String {
    var printer = Printer()
    printer.elide = elide
    printer.print(function)
    return printer.out
  }

  mutating func name(_ value: Value) -> String {
    if let n = names[ObjectIdentifier(value)] { return "%\(n)" }
    let n = names.count
    names[ObjectIdentifier(value)] = n
    return "%\(n)"
  }

  mutating func print(_ function: Function) {
    let parameters = function.parameters.map { "\(name($0)): \($0.type)" }.joined(separator: ", ")
    let results = function.resultTypes.map(\.description).joined(separator: ", ")
    if let original = function.derivativeOf {
      out += "func @\(function.name)(\(parameters)) -> (\(results)) = vjp @\(original)\n"
      return
    }
    out += "func @\(function.name)(\(parameters)) -> (\(results)) {\n"
    print(function.body.operations, indent: "  ")
    out += "}\n"
  }

  mutating func print(_ operations: [Operation], indent: String) {
    for op in operations { print(op, indent: indent) }
  }

  static func format(_ v: Double) -> String {
    if v == 0 && v.sign == .minus { return "-0.0" }
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) + ".0" }
    return String(v)
  }

  static func quoted(_ text: String) -> String {
    var out = "\""
    for c in text {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      default: out.append(c)
      }
    }
    return out + "\""
  }

  static func attributes(_ kind: OpKind, elide: Bool) -> String {
    func list(_ xs: [Int]) -> String { "[" + xs.map(String.init).joined(separator: ", ") + "]" }
    switch kind {
    case .constant(.splat(let v)): return " {value = \(format(v))}"
    case .constant(.dense(let vs)):
      let shown =
        elide && vs.count > 16
        ? vs.prefix(16).map(format).joined(separator: ", ") + ", ..." : vs.map(format).joined(separator: ", ")
      return " {dense = [\(shown)]}"
    case .broadcast(let dims): return " {dims = \(list(dims))}"
    case .reduce(_, let axes): return " {axes = \(list(axes))}"
    case .argReduce(_, let axis), .concat(let axis), .gather(let axis), .scatterAdd(let axis), .iota(let axis):
      return " {axis = \(axis)}"
    case .transpose(let perm): return " {perm = \(list(perm))}"
    case .slice(let starts, let strides), .unslice(let starts, let strides):
      return " {starts = \(list(starts)), strides = \(list(strides))}"
    case .random(_, let seed): return " {seed = \(seed)}"
    case .call(let callee): return " @\(callee)"
    case .print(let pieces):
      let text = pieces.map { piece -> String in
        switch piece {
        case .text(let t): return quoted(t)
        case .operand: return "_"
        }
      }
      return " {format = [\(text.joined(separator: ", "))]}"
    case .assert(let code, let message): return " {code = \(quoted(code)), message = \(quoted(message))}"
    case .load(let path, let names), .save(let path, let names):
      return " {path = \(quoted(path)), names = [\(names.map(quoted).joined(separator: ", "))]}"
    default: return ""
    }
  }

  mutating func print(_ op: Operation, indent: String) {
    out += indent
    if !op.results.isEmpty {
      out += op.results.map { name($0) }.joined(separator: ", ") + " = "
    }
    out += op.kind.name + Self.attributes(op.kind, elide: elide)
    if !op.operands.isEmpty {
      out += " " + op.operands.map { name($0) }.joined(separator: ", ")
    }
    if !op.results.isEmpty {
      out += " : " + op.results.map(\.type.description).joined(separator: ", ")
    }
    if runtimeLocations && op.kind.canFailAtRuntime {
      out += " loc(\(op.location.file):\(op.location.start):\(op.location.end))"
    }
    for (i, region) in op.regions.enumerated() {
      out += i == 0 ? " {\n" : " {\n"
      if !region.arguments.isEmpty {
        out += indent + "^(" + region.arguments.map { "\(name($0)): \($0.type)" }.joined(separator: ", ") + "):\n"
      }
      print(region.operations, indent: indent + "  ")
      out += indent + "}"
    }
    out += "\n"
  }
}
