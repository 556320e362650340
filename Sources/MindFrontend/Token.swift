/// The lexical categories of MIND.
public enum TokenKind: Equatable, Sendable {
  case identifier(String)
  case integer(Int64)
  case float(Double)
  case string(String)
  case keyword(Keyword)
  case punct(Punct)
  case endOfFile
}

public enum Keyword: String, CaseIterable, Sendable {
  case fn, `let`, mut, `return`, `if`, `else`, `for`, `in`, `while`, `struct`, `import`, `true`,
    `false`
}

public enum Punct: String, CaseIterable, Sendable {
  // Longest first, so the lexer can match greedily in this order.
  case ellipsis = "..."
  case starStar = "**"
  case arrow = "->"
  case fatArrow = "=>"
  case dotDot = ".."
  case colonColon = "::"
  case eqEq = "=="
  case notEq = "!="
  case lessEq = "<="
  case greaterEq = ">="
  case andAnd = "&&"
  case orOr = "||"
  case plusEq = "+="
  case minusEq = "-="
  case starEq = "*="
  case slashEq = "/="
  case plus = "+"
  case minus = "-"
  case star = "*"
  case slash = "/"
  case percent = "%"
  case at = "@"
  case eq = "="
  case less = "<"
  case greater = ">"
  case bang = "!"
  case pipe = "|"
  case lParen = "("
  case rParen = ")"
  case lBracket = "["
  case rBracket = "]"
  case lBrace = "{"
  case rBrace = "}"
  case comma = ","
  case colon = ":"
  case semicolon = ";"
  case dot = "."
}

public struct Token: Sendable {
  public var kind: TokenKind
  public var span: SourceSpan
}

extension TokenKind: CustomStringConvertible {
  public var description: String {
    switch self {
    case .identifier(let name): return "identifier `\(name)`"
    case .integer(let value): return "integer `\(value)`"
    case .float(let value): return "number `\(value)`"
    case .string: return "string literal"
    case .keyword(let keyword): return "`\(keyword.rawValue)`"
    case .punct(let punct): return "`\(punct.rawValue)`"
    case .endOfFile: return "end of file"
    }
  }
}
