// Moving between SemaValues and MIR values: materializing weak literals, flattening aggregates
// into leaves and rebuilding them, and conforming a value to a declared type (binding the
// declaration's symbolic dimensions on the way).

import MindFrontend
import MindIR

extension Elaborator {
  /// A tensor value for `value`; literals get `dtype` (or their default: f32 / i64).
  func materialize(_ value: SemaValue, as dtype: DType? = nil, span: SourceSpan) throws -> Value {
    switch value {
    case .tensor(let v):
      // An array literal takes the dtype asked for: any float dtype, or an integer one when its
      // elements are integers.
      if let dtype, dtype != v.type.dtype, let weak = weakArrays[v], dtype.isFloat || (!weak.isFloat && dtype != .bool)
      {
        return builder.constant(.dense(weak.elements), v.type.with(dtype: dtype))
      }
      return v
    case .literal(let number, let isFloat):
      let target = dtype ?? (isFloat ? .f32 : .i64)
      if isFloat && !target.isFloat {
        throw Diagnostic("E2001", "a float literal cannot be used as \(target.sourceName)", at: span)
      }
      if target == .bool {
        throw Diagnostic("E2001", "a number cannot be used as bool", at: span)
      }
      return builder.scalar(number, target)
    default:
      throw Diagnostic("E2001", "expected a tensor or number, found \(value.typeDescription)", at: span)
    }
  }

  /// The tensor leaves of an aggregate, in order; literals are not materialized.
  func leaves(_ value: SemaValue) -> [Value] {
    switch value {
    case .tensor(let v): return [v]
    case .tuple(let elements), .structure(_, let elements): return elements.flatMap(leaves)
    case .literal, .function, .string, .none, .dtype: return []
    }
  }

  /// Like `leaves`, materializing literals and rejecting functions and strings (what crosses a
  /// function or region boundary).
  func leavesMaterialized(_ value: SemaValue, span: SourceSpan) throws -> [Value] {
    switch value {
    case .tensor(let v): return [v]
    case .literal: return [try materialize(value, span: span)]
    case .tuple(let elements), .structure(_, let elements):
      return try elements.flatMap { try leavesMaterialized($0, span: span) }
    case .function(let f):
      throw Diagnostic("E2009", "function value `\(f.name)` cannot be stored or returned here", at: span)
    case .string, .none, .dtype:
      throw Diagnostic("E2009", "a \(value.typeDescription) cannot be stored or returned here", at: span)
    }
  }

  /// The value with every number literal in it, inside tuples and structs too, made a tensor of
  /// the literal's default dtype (what a loop carries must have a type).
  func materializingLiterals(_ value: SemaValue, span: SourceSpan) throws -> SemaValue {
    switch value {
    case .literal: return .tensor(try materialize(value, span: span))
    case .tuple(let parts): return .tuple(try parts.map { try materializingLiterals($0, span: span) })
    case .structure(let decl, let parts):
      return .structure(decl, try parts.map { try materializingLiterals($0, span: span) })
    case .tensor, .function, .string, .none, .dtype: return value
    }
  }

  /// Replaces the leaves of `template` with values taken in order from `leaves`.
  func rebuild(_ template: SemaValue, from leaves: inout ArraySlice<Value>) -> SemaValue {
    switch template {
    case .tensor, .literal: return .tensor(leaves.removeFirst())
    case .tuple(let elements): return .tuple(elements.map { rebuild($0, from: &leaves) })
    case .structure(let decl, let elements): return .structure(decl, elements.map { rebuild($0, from: &leaves) })
    case .function, .string, .none, .dtype: return template
    }
  }

  /// Checks that `value` has the declared type, binding unbound symbols; materializes literals.
  func conform(
    _ value: SemaValue, to annotation: TypeAnnotation, bindings: inout [String: Dim], span: SourceSpan, what: String
  ) throws -> SemaValue {
    func mismatch() -> Diagnostic {
      Diagnostic("E2001", "\(what) has type \(value.typeDescription), expected \(annotation.type.spelled)", at: span)
    }
    switch annotation.type {
    case .scalar(let s):
      let v = try materialize(value, as: dtype(s), span: span)
      guard v.type == TensorType(dtype(s)) else { throw mismatch() }
      return .tensor(v)
    case .tensor(let s, let dims):
      let v = try materialize(value, as: dtype(s), span: span)
      guard v.type.dtype == dtype(s), v.type.rank == dims.count else { throw mismatch() }
      for (axis, (declared, actual)) in zip(dims, v.type.shape).enumerated() {
        switch declared {
        case .known(let extent):
          if let a = actual.value, a != extent { throw mismatch() }
          if case .symbol = actual, !symbolic { throw mismatch() }
          if case .symbol = actual { throw mismatch() }
        case .symbol(let name):
          if let bound = bindings[name] {
            if bound != actual && bound != .unknown && actual != .unknown {
              throw Diagnostic(
                "E3003",
                "\(what) has shape \(v.type.shapeDescription), but dimension \(axis) must be `\(name)` = \(bound)",
                at: span)
            }
          } else {
            bindings[name] = actual
          }
        }
      }
      return .tensor(v)
    case .tuple(let elements):
      guard case .tuple(let parts) = value, parts.count == elements.count else { throw mismatch() }
      return .tuple(
        try zip(parts, elements).map { part, element in
          try conform(
            part, to: TypeAnnotation(type: element, span: annotation.span), bindings: &bindings, span: span, what: what)
        })
    case .named(let name):
      guard case .structure(let decl, let fields) = value, decl.name == name else { throw mismatch() }
      var structBindings: [String: Dim] = [:]
      let conformed = SemaValue.structure(
        decl,
        try zip(fields, decl.fields).map { field, declared in
          try conform(
            field, to: declared.type, bindings: &structBindings, span: span, what: "field `\(declared.name)` of \(what)"
          )
        })
      // The struct's extents, under its own name (`MLP.H`): a signature's struct type takes them
      // from the argument, so that a result of that type has them too (two arguments of one
      // struct type with different extents leave them unknown).
      for (symbol, extent) in structBindings {
        let key = decl.name + "." + symbol
        bindings[key] = bindings[key].map { $0 == extent ? extent : .unknown } ?? extent
      }
      return conformed
    }
  }

  /// A value whose leaves are the results of an op, shaped like `template`.
  func shaped(like template: SemaValue, _ results: [Value]) -> SemaValue {
    var iterator = results[...]
    return rebuild(template, from: &iterator)
  }
}
