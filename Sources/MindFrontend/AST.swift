// The abstract syntax tree of a MIND module, as the parser builds it. Nodes are immutable classes
// with an identity (`id`) so that later stages can attach facts to them in side tables.

public enum ScalarTypeName: String, Sendable, CaseIterable {
  case f32, f64, i32, i64, bool
}

public indirect enum TypeExpr: Sendable, Equatable {
  public enum DimExpr: Sendable, Equatable {
    case known(Int)
    case symbol(String)
  }
  case scalar(ScalarTypeName)
  case tensor(ScalarTypeName, [DimExpr])
  case tuple([TypeExpr])
  case named(String)
}

public struct TypeAnnotation: Sendable {
  public var type: TypeExpr
  public var span: SourceSpan

  public init(type: TypeExpr, span: SourceSpan) {
    self.type = type
    self.span = span
  }
}

public enum UnaryOperator: String, Sendable {
  case negate = "-"
  case not = "!"
}

public enum BinaryOperator: String, Sendable {
  case power = "**"
  case multiply = "*"
  case divide = "/"
  case remainder = "%"
  case matmul = "@"
  case add = "+"
  case subtract = "-"
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case greater = ">"
  case lessEqual = "<="
  case
    greaterEqual = ">="
  case and = "&&"
  case or = "||"
}

public struct CallArgument {
  public var label: String?
  public var labelSpan: SourceSpan?
  public var value: Expr
}

public enum IndexItem {
  case single(Expr)
  case slice(start: Expr?, end: Expr?, step: Expr?, span: SourceSpan)
  /// `...`: as many whole axes as the other items leave.
  case ellipsis(SourceSpan)
}

public struct Parameter {
  public var name: String
  public var type: TypeAnnotation?
  public var span: SourceSpan
}

public final class Expr {
  public enum Kind {
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case name(String)
    case array([Expr])
    case tuple([Expr])
    case unary(UnaryOperator, Expr)
    case binary(BinaryOperator, Expr, Expr)
    case call(callee: Expr, typeArguments: [TypeAnnotation], arguments: [CallArgument])
    case index(Expr, [IndexItem])
    case field(Expr, String)
    case `if`(condition: Expr, then: StatementBlock, else: StatementBlock?)
    case block(StatementBlock)
    case closure(parameters: [Parameter], body: Expr)
    case structLiteral(name: String, fields: [(name: String, span: SourceSpan, value: Expr)])
  }

  public let kind: Kind
  public let span: SourceSpan
  public let id: Int

  init(_ kind: Kind, span: SourceSpan, id: Int) {
    self.kind = kind
    self.span = span
    self.id = id
  }
}

public enum Pattern {
  case name(String, SourceSpan)
  case tuple([Pattern], SourceSpan)
  case wildcard(SourceSpan)

  public var span: SourceSpan {
    switch self {
    case .name(_, let span), .tuple(_, let span), .wildcard(let span): return span
    }
  }
}

public enum AssignOperator: String, Sendable {
  case assign = "="
  case add = "+="
  case subtract = "-="
  case multiply = "*="
  case divide = "/="
}

public final class Stmt {
  public enum Kind {
    case `let`(pattern: Pattern, mutable: Bool, type: TypeAnnotation?, value: Expr)
    case assign(target: Expr, op: AssignOperator, value: Expr)
    case expression(Expr)
    case `return`(Expr?)
    case `for`(variable: String, variableSpan: SourceSpan, start: Expr, end: Expr, body: StatementBlock)
    case `while`(condition: Expr, body: StatementBlock)
    case function(FunctionDecl)
  }

  public let kind: Kind
  public let span: SourceSpan

  init(_ kind: Kind, span: SourceSpan) {
    self.kind = kind
    self.span = span
  }
}

public final class StatementBlock {
  public let statements: [Stmt]
  /// The block's value: its last expression when that has no `;` after it.
  public let result: Expr?
  public let span: SourceSpan

  public init(statements: [Stmt], result: Expr?, span: SourceSpan) {
    self.statements = statements
    self.result = result
    self.span = span
  }
}

public struct Attribute {
  public var name: String
  public var arguments: [Expr]
  public var span: SourceSpan
}

public final class FunctionDecl {
  public let name: String
  public let nameSpan: SourceSpan
  public let attributes: [Attribute]
  public let parameters: [Parameter]
  public let returnType: TypeAnnotation?
  public let body: StatementBlock
  public let span: SourceSpan

  init(
    name: String, nameSpan: SourceSpan, attributes: [Attribute], parameters: [Parameter],
    returnType: TypeAnnotation?, body: StatementBlock, span: SourceSpan
  ) {
    self.name = name
    self.nameSpan = nameSpan
    self.attributes = attributes
    self.parameters = parameters
    self.returnType = returnType
    self.body = body
    self.span = span
  }

  public func attribute(_ name: String) -> Attribute? { attributes.first { $0.name == name } }
}

public struct StructDecl {
  public var name: String
  public var fields: [(name: String, type: TypeAnnotation)]
  public var span: SourceSpan
}

public enum Item {
  case function(FunctionDecl)
  case structure(StructDecl)
  case constant(name: String, span: SourceSpan, value: Expr)
  case `import`(path: [String], span: SourceSpan)
}

public struct ModuleAST {
  public var items: [Item]
  public var file: Int
}
