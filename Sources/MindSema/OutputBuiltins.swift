// print and assert.

import MindFrontend
import MindIR

enum Output {
  static func call(_ name: String, _ args: BuiltinArguments) throws -> SemaValue {
    let b = args.b
    switch name {
    case "print":
      try args.expect(0...Int.max)
      var pieces: [PrintPiece] = []
      var operands: [Value] = []
      func add(_ value: SemaValue, _ span: SourceSpan) throws {
        switch value {
        case .string(let s): pieces.append(.text(s))
        case .none: pieces.append(.text("None"))
        case .dtype(let d): pieces.append(.text(d.sourceName))
        case .tensor, .literal:
          operands.append(try args.e.materialize(value, span: span))
          pieces.append(.operand)
        case .tuple(let parts):
          pieces.append(.text("("))
          for (i, part) in parts.enumerated() {
            if i > 0 { pieces.append(.text(", ")) }
            try add(part, span)
          }
          pieces.append(.text(")"))
        case .structure(let decl, let fields):
          pieces.append(.text("\(decl.name) { "))
          for (i, (field, value)) in zip(decl.fields, fields).enumerated() {
            pieces.append(.text((i > 0 ? ", " : "") + field.name + ": "))
            try add(value, span)
          }
          pieces.append(.text(" }"))
        case .function(let f):
          pieces.append(.text("<function \(f.name)>"))
        }
      }
      for (i, argument) in args.positional.enumerated() {
        if i > 0 { pieces.append(.text(" ")) }
        try add(argument.value, argument.span)
      }
      for (_, value) in args.keywords {
        throw Diagnostic("E2008", "`print` takes no keyword arguments", at: value.span)
      }
      b.location = args.span
      b.create(.print(pieces), operands, resultTypes: [])
      return .tuple([])
    case "assert":
      try args.expect(1...2)
      let condition = try args.tensor(0, as: .bool)
      guard condition.type.dtype == .bool else {
        throw Diagnostic(
          "E2005", "`assert` needs a bool condition, found \(describe(condition.type))", at: args.positional[0].span)
      }
      var message = "assertion failed"
      if args.positional.count == 2 {
        guard case .string(let text) = args.positional[1].value else {
          throw Diagnostic("E2019", "the message of `assert` must be a string literal", at: args.positional[1].span)
        }
        message = text
      }
      b.location = args.span
      b.check(condition, code: "E6011", message: message)
      return .tuple([])
    default:
      throw Diagnostic("E2002", "undefined function `\(name)`", at: args.span)
    }
  }
}
