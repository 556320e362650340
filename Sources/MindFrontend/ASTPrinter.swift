// Prints the AST as indented S-expressions (`mind ir --stage ast`), one node per line.

public struct ASTPrinter {
  var out = ""

  public static func print(_ module: ModuleAST) -> String {
    var printer = ASTPrinter()
    for item in module.items { printer.item(item, 0) }
    return printer.out
  }

  /// One expression, in the same form (two expressions print alike when they are the same tree).
  public static func print(_ expression: Expr) -> String {
    var printer = ASTPrinter()
    printer.expr(expression, 0)
    return printer.out
  }

  mutating func line(_ depth: Int, _ text: String) {
    out += String(repeating: "  ", count: depth) + text + "\n"
  }

  mutating func item(_ item: Item, _ depth: Int) {
    switch item {
    case .function(let decl): function(decl, depth)
    case .structure(let decl):
      line(
        depth,
        "(struct \(decl.name) " + decl.fields.map { "\($0.name): \($0.type.type.spelled)" }.joined(separator: ", ")
          + ")")
    case .constant(let name, _, let value):
      line(depth, "(let \(name)")
      expr(value, depth + 1)
    case .import(let path, _): line(depth, "(import \(path.joined(separator: "::")))")
    }
  }

  mutating func function(_ decl: FunctionDecl, _ depth: Int) {
    let attributes = decl.attributes.map { "@\($0.name) " }.joined()
    let parameters = decl.parameters.map { "\($0.name): \($0.type?.type.spelled ?? "_")" }.joined(separator: ", ")
    line(depth, "(\(attributes)fn \(decl.name) (\(parameters)) -> \(decl.returnType?.type.spelled ?? "()")")
    for attribute in decl.attributes where !attribute.arguments.isEmpty {
      line(depth + 1, "(@\(attribute.name)")
      attribute.arguments.forEach { expr($0, depth + 2) }
    }
    block(decl.body, depth + 1)
  }

  mutating func block(_ b: StatementBlock, _ depth: Int) {
    for statement in b.statements { self.statement(statement, depth) }
    if let result = b.result {
      line(depth, "(result")
      expr(result, depth + 1)
    }
  }

  mutating func statement(_ s: Stmt, _ depth: Int) {
    switch s.kind {
    case .let(let pattern, let mutable, let type, let value):
      line(depth, "(let\(mutable ? " mut" : "") \(pattern.text)\(type.map { ": " + $0.type.spelled } ?? "")")
      expr(value, depth + 1)
    case .assign(let target, let op, let value):
      line(depth, "(assign \(op.rawValue)")
      expr(target, depth + 1)
      expr(value, depth + 1)
    case .expression(let e): expr(e, depth)
    case .return(let e):
      line(depth, "(return")
      if let e { expr(e, depth + 1) }
    case .for(let variable, _, let start, let end, let body):
      line(depth, "(for \(variable)")
      expr(start, depth + 1)
      expr(end, depth + 1)
      block(body, depth + 1)
    case .while(let condition, let body):
      line(depth, "(while")
      expr(condition, depth + 1)
      block(body, depth + 1)
    case .function(let decl): function(decl, depth)
    }
  }

  mutating func expr(_ e: Expr, _ depth: Int) {
    switch e.kind {
    case .integer(let v): line(depth, "\(v)")
    case .float(let v): line(depth, "\(v)")
    case .bool(let v): line(depth, "\(v)")
    case .string(let v): line(depth, "\"\(v)\"")
    case .name(let n): line(depth, n)
    case .array(let elements):
      line(depth, "(array")
      elements.forEach { expr($0, depth + 1) }
    case .tuple(let elements):
      line(depth, "(tuple")
      elements.forEach { expr($0, depth + 1) }
    case .unary(let op, let x):
      line(depth, "(\(op.rawValue)")
      expr(x, depth + 1)
    case .binary(let op, let a, let b):
      line(depth, "(\(op.rawValue)")
      expr(a, depth + 1)
      expr(b, depth + 1)
    case .call(let callee, let types, let arguments):
      line(depth, "(call" + (types.isEmpty ? "" : " <" + types.map { $0.type.spelled }.joined(separator: ", ") + ">"))
      expr(callee, depth + 1)
      for argument in arguments {
        if let label = argument.label { line(depth + 1, "\(label)=") }
        expr(argument.value, depth + 1)
      }
    case .index(let base, let items):
      line(depth, "(index")
      expr(base, depth + 1)
      for item in items {
        switch item {
        case .single(let i): expr(i, depth + 1)
        case .slice(let a, let b, let c, _):
          line(depth + 1, "(slice")
          for part in [a, b, c] {
            if let part { expr(part, depth + 2) } else { line(depth + 2, "_") }
          }
        case .ellipsis: line(depth + 1, "...")
        }
      }
    case .field(let base, let name):
      line(depth, "(field \(name)")
      expr(base, depth + 1)
    case .if(let condition, let then, let otherwise):
      line(depth, "(if")
      expr(condition, depth + 1)
      line(depth + 1, "(then")
      block(then, depth + 2)
      if let otherwise {
        line(depth + 1, "(else")
        block(otherwise, depth + 2)
      }
    case .block(let b):
      line(depth, "(block")
      block(b, depth + 1)
    case .closure(let parameters, let body):
      line(depth, "(closure |" + parameters.map(\.name).joined(separator: ", ") + "|")
      expr(body, depth + 1)
    case .structLiteral(let name, let fields):
      line(depth, "(struct-literal \(name)")
      for field in fields {
        line(depth + 1, "\(field.name):")
        expr(field.value, depth + 2)
      }
    }
  }
}

extension TypeExpr {
  /// The type as MIND source writes it: `f32`, `Tensor<f32, N, 3>`, `(f32, P)`.
  public var spelled: String {
    switch self {
    case .scalar(let s): return s.rawValue
    case .tensor(let s, let dims):
      return "Tensor<\(s.rawValue)"
        + dims.map { d -> String in
          switch d {
          case .known(let v): return ", \(v)"
          case .symbol(let n): return ", \(n)"
          }
        }.joined() + ">"
    case .tuple(let elements): return "(" + elements.map(\.spelled).joined(separator: ", ") + ")"
    case .named(let n): return n
    }
  }
}

extension Pattern {
  var text: String {
    switch self {
    case .name(let n, _): return n
    case .wildcard: return "_"
    case .tuple(let parts, _): return "(" + parts.map(\.text).joined(separator: ", ") + ")"
    }
  }
}
