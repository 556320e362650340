// What a MIND expression denotes while it is elaborated: a MIR tensor value, a weakly typed
// literal not yet given a dtype, an aggregate (tuple, struct) of those, a compile-time function
// value, or a string (for print and assert). Aggregates never reach MIR: they are flattened
// into their leaves at function boundaries and region boundaries.

import MindFrontend
import MindIR

public final class Closure {
  let parameters: [Parameter]
  let body: Expr
  let captured: [String: Binding]
  let span: SourceSpan

  init(parameters: [Parameter], body: Expr, captured: [String: Binding], span: SourceSpan) {
    self.parameters = parameters
    self.body = body
    self.captured = captured
    self.span = span
  }
}

/// A nested `fn` item: like a closure, with typed parameters and its own body block.
public final class NestedFunction {
  let decl: FunctionDecl
  let captured: [String: Binding]

  init(decl: FunctionDecl, captured: [String: Binding]) {
    self.decl = decl
    self.captured = captured
  }
}

/// A transform of LANGUAGE.md applied to a function value.
public enum Transform: Equatable {
  /// `grad(f, wrt=...)` (`tuple` when `wrt` was written as a tuple) and `value_and_grad`.
  case grad(wrt: [Int], tuple: Bool, withValue: Bool)
  case vjp
  case jvp
  case hessian
  /// `jacrev(f, wrt=...)` (also spelled `jacobian`) and `jacfwd(f, wrt=...)`.
  case jacobian(forward: Bool, wrt: Int)
  case checkpoint
  /// `vmap(f, in_axes=..., out_axes=...)`: per argument, the axis mapped over (nil: none); per
  /// result element, the axis the batch goes to.
  case vmap(inAxes: MappedAxes, outAxes: MappedAxes)

  var name: String {
    switch self {
    case .grad(_, _, let withValue): return withValue ? "value_and_grad" : "grad"
    case .vjp: return "vjp"
    case .jvp: return "jvp"
    case .hessian: return "hessian"
    case .jacobian(let forward, _): return forward ? "jacfwd" : "jacrev"
    case .checkpoint: return "checkpoint"
    case .vmap: return "vmap"
    }
  }
}

/// `vmap`'s axes: one for every argument (or result element), or one each.
public enum MappedAxes: Equatable {
  case all(Int?)
  case each([Int?])

  func axis(_ i: Int) -> Int? {
    switch self {
    case .all(let axis): return axis
    case .each(let axes): return axes[i]
    }
  }
}

/// The pullback returned by `vjp(f)(x...)`: `f` linearized at the primal arguments.
public final class Pullback {
  let function: FunctionValue
  let arguments: [SemaValue]

  init(function: FunctionValue, arguments: [SemaValue]) {
    self.function = function
    self.arguments = arguments
  }
}

public indirect enum FunctionValue {
  case user(FunctionDecl)
  case nested(NestedFunction)
  case builtin(String)
  case closure(Closure)
  case transform(Transform, FunctionValue)
  case pullback(Pullback)

  var name: String {
    switch self {
    case .user(let decl): return decl.name
    case .nested(let nested): return nested.decl.name
    case .builtin(let name): return name
    case .closure: return "closure"
    case .transform(let t, let inner): return "\(t.name)(\(inner.name))"
    case .pullback(let p): return "pullback of \(p.function.name)"
    }
  }
}

public indirect enum SemaValue {
  case tensor(Value)
  /// A weakly typed numeric literal: takes the dtype of the operand it meets.
  case literal(Double, isFloat: Bool)
  case tuple([SemaValue])
  case structure(StructDecl, [SemaValue])
  case function(FunctionValue)
  case string(String)
  /// `None`: an axis argument that names no axis (`vmap`'s `in_axes`).
  case none
  /// A dtype named as a value: `zeros([3], dtype=f64)`.
  case dtype(DType)

  var isTensor: Bool {
    if case .tensor = self { return true }
    return false
  }

  /// The MIND spelling of the value's type, for messages.
  var typeDescription: String {
    switch self {
    case .tensor(let v): return describe(v.type)
    case .literal(_, let isFloat): return isFloat ? "float literal" : "integer literal"
    case .tuple(let elements): return "(" + elements.map(\.typeDescription).joined(separator: ", ") + ")"
    case .structure(let decl, _): return decl.name
    case .function(let f): return "function `\(f.name)`"
    case .string: return "string"
    case .none: return "None"
    case .dtype(let d): return "dtype " + d.sourceName
    }
  }
}

/// `f32`, `Tensor<f32, 3, 4>`.
func describe(_ type: TensorType) -> String {
  type.isScalar
    ? type.dtype.sourceName
    : "Tensor<\(type.dtype.sourceName), " + type.shape.map(\.description).joined(separator: ", ") + ">"
}

public final class Binding {
  var value: SemaValue
  let mutable: Bool
  let span: SourceSpan

  init(value: SemaValue, mutable: Bool, span: SourceSpan) {
    self.value = value
    self.mutable = mutable
    self.span = span
  }
}

/// Lexical scopes: a chain of name tables.
final class Scope {
  var bindings: [String: Binding] = [:]
  let parent: Scope?

  init(parent: Scope?) { self.parent = parent }

  func lookup(_ name: String) -> Binding? { bindings[name] ?? parent?.lookup(name) }

  func define(_ name: String, _ binding: Binding) { bindings[name] = binding }

  /// Every visible binding, innermost winning: what a closure captures.
  func snapshot() -> [String: Binding] {
    var all = parent?.snapshot() ?? [:]
    for (name, binding) in bindings {
      all[name] = Binding(value: binding.value, mutable: false, span: binding.span)
    }
    return all
  }
}
