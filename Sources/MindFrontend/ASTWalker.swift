// Visits every name an expression, block or function refers to (for closures: what they may
// capture; for the object cache: which items compiled code depends on).

public enum ASTWalker {
  public static func visitNames(_ expr: Expr, _ visit: (String) -> Void) {
    switch expr.kind {
    case .name(let n): visit(n)
    case .integer, .float, .bool, .string: break
    case .array(let xs), .tuple(let xs): xs.forEach { visitNames($0, visit) }
    case .unary(_, let x), .field(let x, _): visitNames(x, visit)
    case .binary(_, let a, let b):
      visitNames(a, visit)
      visitNames(b, visit)
    case .call(let callee, _, let arguments):
      visitNames(callee, visit)
      arguments.forEach { visitNames($0.value, visit) }
    case .index(let base, let items):
      visitNames(base, visit)
      for item in items {
        switch item {
        case .single(let e): visitNames(e, visit)
        case .slice(let a, let b, let c, _): [a, b, c].compactMap { $0 }.forEach { visitNames($0, visit) }
        case .ellipsis: break
        }
      }
    case .if(let c, let t, let e):
      visitNames(c, visit)
      visitNames(t, visit)
      if let e { visitNames(e, visit) }
    case .block(let b): visitNames(b, visit)
    case .closure(_, let body): visitNames(body, visit)
    case .structLiteral(_, let fields): fields.forEach { visitNames($0.value, visit) }
    }
  }

  public static func visitNames(_ block: StatementBlock, _ visit: (String) -> Void) {
    for statement in block.statements {
      switch statement.kind {
      case .let(_, _, _, let value): visitNames(value, visit)
      case .assign(let target, _, let value):
        visitNames(target, visit)
        visitNames(value, visit)
      case .expression(let e): visitNames(e, visit)
      case .return(let e): if let e { visitNames(e, visit) }
      case .for(_, _, let s, let e, let body):
        visitNames(s, visit)
        visitNames(e, visit)
        visitNames(body, visit)
      case .while(let c, let body):
        visitNames(c, visit)
        visitNames(body, visit)
      case .function(let decl): visitNames(decl, visit)
      }
    }
    if let result = block.result { visitNames(result, visit) }
  }

  /// The names a function's attributes (`@custom_grad(g)`) and body refer to.
  public static func visitNames(_ decl: FunctionDecl, _ visit: (String) -> Void) {
    for attribute in decl.attributes { attribute.arguments.forEach { visitNames($0, visit) } }
    visitNames(decl.body, visit)
  }
}
