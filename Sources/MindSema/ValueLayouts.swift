// How the host sees a function's arguments and results: tensors, tuples and structs (with their
// field names) whose leaves, depth first in declaration order, are the flat tensors that cross
// the boundary of a compiled entry (the Swift API, `mind build` exports, `mind jit --entry`
// with files). A struct parameter takes as many consecutive leaves as it has tensors.

import MindData
import MindFrontend
import MindIR

public indirect enum ValueLayout: Equatable, Sendable {
  /// One tensor, with its declared type when the signature gives one.
  case tensor(TypeExpr?)
  case tuple([ValueLayout])
  case structure(String, [Field])

  public struct Field: Equatable, Sendable {
    public let name: String
    public let layout: ValueLayout

    public init(name: String, layout: ValueLayout) {
      self.name = name
      self.layout = layout
    }
  }

  public var leafCount: Int {
    switch self {
    case .tensor: return 1
    case .tuple(let elements): return elements.reduce(0) { $0 + $1.leafCount }
    case .structure(_, let fields): return fields.reduce(0) { $0 + $1.layout.leafCount }
    }
  }

  /// The leaves' declared types (nil where the signature declares none).
  public var declaredLeaves: [TypeExpr?] {
    switch self {
    case .tensor(let declared): return [declared]
    case .tuple(let elements): return elements.flatMap(\.declaredLeaves)
    case .structure(_, let fields): return fields.flatMap(\.layout.declaredLeaves)
    }
  }

  /// The leaves' names: fields by name, tuple elements by position, nested ones dotted
  /// (`layer1.w`, `0`, `1.b`); a lone tensor's is `prefix` (empty at the top).
  public func leafNames(prefix: String = "") -> [String] {
    func joined(_ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }
    switch self {
    case .tensor: return [prefix]
    case .tuple(let elements):
      return elements.enumerated().flatMap { i, element in element.leafNames(prefix: joined(String(i))) }
    case .structure(_, let fields): return fields.flatMap { $0.layout.leafNames(prefix: joined($0.name)) }
    }
  }
}

extension ValueLayout {
  /// Which of a file's tensors (by name, in the file's order) make a value of this layout: their
  /// indices, in leaf order. A lone tensor takes the file's only tensor, or the one named
  /// `preferred`; a struct or tuple takes its leaves by dotted name, and the file may hold no
  /// others. The errors (E7105) name the file as `file`, the value as `what`, and end a lone
  /// tensor's with `hint`. Shared by `mind jit`'s arguments and `load`.
  public func pick(
    from names: [String], file: String, what: String, preferred: String? = nil, hint: String
  ) throws(DataError) -> [Int] {
    if case .tensor = self {
      if names.count == 1 { return [0] }
      if let preferred, let index = names.firstIndex(of: preferred) { return [index] }
      throw DataError(.missing, "\(file) holds \(names.count) tensors; \(hint)")
    }
    let wanted = leafNames()
    let missing = wanted.filter { !names.contains($0) }
    guard missing.isEmpty else {
      throw DataError(
        .missing, "\(file) has no tensor \(Self.list(missing)) for \(what) (it holds \(Self.list(names)))")
    }
    let extra = names.filter { !wanted.contains($0) }
    guard extra.isEmpty else {
      throw DataError(.missing, "\(file) holds \(Self.list(extra)), which \(what) has no field for")
    }
    return wanted.map { names.firstIndex(of: $0)! }
  }

  /// Names for a message: `a`, `b`, ... (at most eight).
  public static func list(_ names: [String]) -> String {
    names.isEmpty
      ? "nothing" : names.prefix(8).map { "`\($0)`" }.joined(separator: ", ") + (names.count > 8 ? ", ..." : "")
  }
}

extension TypeExpr {
  /// Whether a tensor of this dtype (its MIND name) and shape has the declared type's dtype,
  /// rank and fixed extents (symbolic extents are matched against each other when a function
  /// is specialized); a struct or tuple type admits any.
  public func admits(dtype: String, shape: [Int]) -> Bool {
    switch self {
    case .scalar(let s): return dtype == s.rawValue && shape.isEmpty
    case .tensor(let s, let dims):
      return dtype == s.rawValue && shape.count == dims.count
        && zip(dims, shape).allSatisfy { dim, extent in
          if case .known(let fixed) = dim { return fixed == extent }
          return true
        }
    case .tuple, .named: return true
    }
  }
}

/// A named parameter of an entry and how its value is laid out.
public struct ParameterLayout: Sendable {
  public let name: String
  public let layout: ValueLayout
}

extension Elaborator {
  /// The layout of a declared type (a struct by its fields, recursively); nil for none.
  func layout(of type: TypeExpr?, depth: Int = 0) -> ValueLayout {
    guard let type, depth < 64 else { return .tensor(type) }
    switch type {
    case .scalar, .tensor: return .tensor(type)
    case .tuple(let elements): return .tuple(elements.map { layout(of: $0, depth: depth + 1) })
    case .named(let name):
      guard let decl = structs[name] else { return .tensor(type) }
      return .structure(
        name, decl.fields.map { .init(name: $0.name, layout: layout(of: $0.type.type, depth: depth + 1)) })
    }
  }

  /// The layout of a value the host receives.
  func layout(of value: SemaValue) -> ValueLayout {
    switch value {
    case .tuple(let elements): return .tuple(elements.map(layout(of:)))
    case .structure(let decl, let elements):
      return .structure(
        decl.name, zip(decl.fields, elements).map { .init(name: $0.name, layout: layout(of: $1)) })
    default: return .tensor(nil)
    }
  }

  /// The parameters of the function the transforms in `function` apply to, as declared.
  func declaredParameters(_ function: FunctionValue) -> [Parameter]? {
    switch innermost(function) {
    case .user(let decl): return decl.parameters
    case .nested(let nested): return nested.decl.parameters
    case .closure(let closure): return closure.parameters
    default: return nil
    }
  }

  /// How the arguments of `function` are laid out: its declared parameters' (twice for `jvp`,
  /// which takes primals and then tangents), or nil when it declares none.
  func argumentLayouts(_ function: FunctionValue) -> [ValueLayout]? {
    if case .transform(let transform, let inner) = function {
      guard let layouts = argumentLayouts(inner) else { return nil }
      return transform == .jvp ? layouts + layouts : layouts
    }
    guard case .pullback = function else {
      return declaredParameters(function).map { $0.map { layout(of: $0.type?.type) } }
    }
    return nil
  }

  /// The named parameters of the function `callee` denotes (for binding an entry's arguments).
  public func parameterLayouts(of callee: Expr) throws -> [ParameterLayout] {
    let value = try elaborate(callee, Scope(parent: nil))
    guard case .function(let function) = value else {
      throw Diagnostic("E2018", "\(value.typeDescription) is not a function and cannot be called", at: callee.span)
    }
    guard let parameters = declaredParameters(function), argumentLayouts(function) != nil else { return [] }
    let layouts = argumentLayouts(function)!
    let names = parameters.map(\.name)
    return layouts.enumerated().map { i, layout in
      ParameterLayout(name: i < names.count ? names[i] : "tangent \(i - names.count)", layout: layout)
    }
  }

  /// `leaves` grouped into the arguments `layouts` describe (each struct or tuple rebuilt from
  /// its consecutive leaves); one tensor each when the counts do not add up.
  func arguments(_ leaves: [Value], _ layouts: [ValueLayout]?) -> [SemaValue] {
    guard let layouts, layouts.reduce(0, { $0 + $1.leafCount }) == leaves.count else {
      return leaves.map { .tensor($0) }
    }
    var remaining = leaves[...]
    return layouts.map { rebuild(template(of: $0), from: &remaining) }
  }

  /// A value of `layout`'s structure whose leaves are placeholders for `rebuild`.
  func template(of layout: ValueLayout) -> SemaValue {
    switch layout {
    case .tensor: return .literal(0, isFloat: true)
    case .tuple(let elements): return .tuple(elements.map(template(of:)))
    case .structure(let name, let fields):
      guard let decl = structs[name] else { return .literal(0, isFloat: true) }
      return .structure(decl, fields.map { template(of: $0.layout) })
    }
  }
}
