// Recursive-descent parser for MIND (grammar and precedence: LANGUAGE.md).
//
// Errors are E1xxx diagnostics. The parser recovers at statement and item boundaries, so that one
// run reports several independent syntax errors; it always terminates, because every recovery
// step consumes at least one token.

public struct Parser {
  var tokens: [Token]
  var index = 0
  var nextID = 0
  let file: Int
  public private(set) var diagnostics: [Diagnostic] = []
  /// Nesting depth guard: deeply nested input gets an error instead of a stack overflow.
  var depth = 0
  static let maximumDepth = 1000

  public init(source: SourceFile, fileIndex: Int) {
    var lexer = Lexer(source: source, fileIndex: fileIndex)
    tokens = lexer.tokenize()
    diagnostics = lexer.diagnostics
    file = fileIndex
  }

  /// Parses a whole module; check `diagnostics` afterwards.
  public mutating func parseModule() -> ModuleAST {
    var items: [Item] = []
    while !atEnd {
      let before = index
      do {
        items.append(try parseItem())
      } catch let diagnostic as Diagnostic {
        diagnostics.append(diagnostic)
        synchronizeToItem(after: before)
      } catch {
        synchronizeToItem(after: before)
      }
    }
    return ModuleAST(items: items, file: file)
  }

  // MARK: - Token helpers

  var current: Token { tokens[index] }
  var atEnd: Bool { current.kind == .endOfFile }

  func peek(_ ahead: Int) -> TokenKind {
    index + ahead < tokens.count ? tokens[index + ahead].kind : .endOfFile
  }

  mutating func advance() -> Token {
    let token = tokens[index]
    if index < tokens.count - 1 { index += 1 }
    return token
  }

  func check(_ punct: Punct) -> Bool { current.kind == .punct(punct) }
  func check(_ keyword: Keyword) -> Bool { current.kind == .keyword(keyword) }

  mutating func accept(_ punct: Punct) -> Bool {
    if check(punct) {
      _ = advance()
      return true
    }
    return false
  }

  mutating func accept(_ keyword: Keyword) -> Bool {
    if check(keyword) {
      _ = advance()
      return true
    }
    return false
  }

  @discardableResult
  mutating func expect(_ punct: Punct, _ context: String) throws -> Token {
    guard check(punct) else {
      throw Diagnostic(
        "E1010", "expected `\(punct.rawValue)` \(context), found \(current.kind)", at: current.span)
    }
    return advance()
  }

  mutating func expect(_ keyword: Keyword, _ context: String) throws {
    guard check(keyword) else {
      throw Diagnostic(
        "E1010", "expected `\(keyword.rawValue)` \(context), found \(current.kind)", at: current.span)
    }
    _ = advance()
  }

  mutating func expectIdentifier(_ context: String) throws -> (String, SourceSpan) {
    guard case .identifier(let name) = current.kind else {
      throw Diagnostic("E1011", "expected a name \(context), found \(current.kind)", at: current.span)
    }
    let span = advance().span
    return (name, span)
  }

  mutating func makeExpr(_ kind: Expr.Kind, _ span: SourceSpan) -> Expr {
    nextID += 1
    return Expr(kind, span: span, id: nextID)
  }

  func spanFrom(_ start: SourceSpan) -> SourceSpan {
    let previous = tokens[max(0, index - 1)].span
    return SourceSpan(file: file, start: start.start, end: max(start.end, previous.end))
  }

  mutating func enter() throws {
    depth += 1
    if depth > Self.maximumDepth {
      throw Diagnostic("E1020", "expression is nested too deeply", at: current.span)
    }
  }

  /// Skips to the start of the next item, consuming at least one token.
  mutating func synchronizeToItem(after start: Int) {
    if index == start { _ = advance() }
    var braces = 0
    while !atEnd {
      switch current.kind {
      case .punct(.lBrace): braces += 1
      case .punct(.rBrace):
        braces -= 1
        if braces <= 0 {
          _ = advance()
          if braces == 0 { return }
          braces = 0
          continue
        }
      case .keyword(.fn), .keyword(.struct), .keyword(.import), .punct(.at):
        if braces == 0 { return }
      case .keyword(.let):
        if braces == 0 { return }
      default: break
      }
      _ = advance()
    }
  }

  /// Skips to the end of the current statement, consuming at least one token.
  mutating func synchronizeToStatement(after start: Int) {
    if index == start && !check(.rBrace) { _ = advance() }
    var braces = 0
    while !atEnd {
      switch current.kind {
      case .punct(.semicolon) where braces == 0:
        _ = advance()
        return
      case .punct(.lBrace): braces += 1
      case .punct(.rBrace):
        if braces == 0 { return }
        braces -= 1
        if braces == 0 {
          _ = advance()
          return
        }
      case .keyword(.let), .keyword(.return), .keyword(.for), .keyword(.while):
        if braces == 0 { return }
      default: break
      }
      _ = advance()
    }
  }

  // MARK: - Items

  mutating func parseItem() throws -> Item {
    let start = current.span
    var attributes: [Attribute] = []
    while check(.at) {
      let atSpan = advance().span
      let (name, _) = try expectIdentifier("after `@`")
      var arguments: [Expr] = []
      if accept(.lParen) {
        if !check(.rParen) {
          repeat { arguments.append(try parseExpression()) } while accept(.comma)
        }
        try expect(.rParen, "to close the attribute's arguments")
      }
      attributes.append(Attribute(name: name, arguments: arguments, span: spanFrom(atSpan)))
    }
    if check(.fn) { return .function(try parseFunction(attributes: attributes, start: start)) }
    if let attribute = attributes.first {
      throw Diagnostic("E1012", "attribute `@\(attribute.name)` must be followed by `fn`", at: current.span)
    }
    if accept(.struct) {
      let (name, _) = try expectIdentifier("after `struct`")
      try expect(.lBrace, "to open the struct's fields")
      var fields: [(name: String, type: TypeAnnotation)] = []
      while !check(.rBrace) && !atEnd {
        let (field, _) = try expectIdentifier("for a struct field")
        try expect(.colon, "after the field name")
        fields.append((field, try parseType()))
        if !accept(.comma) { break }
      }
      try expect(.rBrace, "to close the struct")
      return .structure(StructDecl(name: name, fields: fields, span: spanFrom(start)))
    }
    if accept(.let) {
      let (name, nameSpan) = try expectIdentifier("after `let`")
      try expect(.eq, "in a module-level `let`")
      let value = try parseExpression()
      try expect(.semicolon, "after a module-level `let`")
      return .constant(name: name, span: nameSpan, value: value)
    }
    if accept(.import) {
      var path = [try expectIdentifier("after `import`").0]
      while accept(.colonColon) { path.append(try expectIdentifier("in an import path").0) }
      try expect(.semicolon, "after an import")
      return .import(path: path, span: spanFrom(start))
    }
    throw Diagnostic(
      "E1013", "expected an item (`fn`, `struct`, `let` or `import`), found \(current.kind)",
      at: current.span)
  }

  mutating func parseFunction(attributes: [Attribute], start: SourceSpan) throws -> FunctionDecl {
    try expect(.fn, "")
    let (name, nameSpan) = try expectIdentifier("after `fn`")
    try expect(.lParen, "to open the parameter list")
    var parameters: [Parameter] = []
    while !check(.rParen) && !atEnd {
      let (parameter, span) = try expectIdentifier("for a parameter")
      try expect(.colon, "after parameter `\(parameter)` (parameters need types)")
      parameters.append(Parameter(name: parameter, type: try parseType(), span: span))
      if !accept(.comma) { break }
    }
    try expect(.rParen, "to close the parameter list")
    var returnType: TypeAnnotation?
    if accept(.arrow) { returnType = try parseType() }
    let body = try parseBlock()
    return FunctionDecl(
      name: name, nameSpan: nameSpan, attributes: attributes, parameters: parameters,
      returnType: returnType, body: body, span: spanFrom(start))
  }

  // MARK: - Types

  mutating func parseType() throws -> TypeAnnotation {
    try enter()
    defer { depth -= 1 }
    let start = current.span
    if accept(.lParen) {
      var elements: [TypeExpr] = []
      while !check(.rParen) && !atEnd {
        elements.append(try parseType().type)
        if !accept(.comma) { break }
      }
      try expect(.rParen, "to close the tuple type")
      return TypeAnnotation(type: .tuple(elements), span: spanFrom(start))
    }
    let (name, span) = try expectIdentifier("for a type")
    if let scalar = ScalarTypeName(rawValue: name) { return TypeAnnotation(type: .scalar(scalar), span: span) }
    guard name == "Tensor" else { return TypeAnnotation(type: .named(name), span: span) }
    try expect(.less, "after `Tensor`")
    let (dtypeName, dtypeSpan) = try expectIdentifier("for the element type")
    guard let dtype = ScalarTypeName(rawValue: dtypeName) else {
      throw Diagnostic(
        "E2002", "unknown element type `\(dtypeName)` (expected f32, f64, i32, i64 or bool)", at: dtypeSpan)
    }
    var dims: [TypeExpr.DimExpr] = []
    while accept(.comma) {
      if accept(.lBracket) {
        while !check(.rBracket) && !atEnd {
          dims.append(try parseDim())
          if !accept(.comma) { break }
        }
        try expect(.rBracket, "to close the shape")
      } else {
        dims.append(try parseDim())
      }
    }
    try expect(.greater, "to close `Tensor<...>`")
    return TypeAnnotation(type: .tensor(dtype, dims), span: spanFrom(start))
  }

  mutating func parseDim() throws -> TypeExpr.DimExpr {
    switch current.kind {
    case .integer(let value) where value >= 0 && value < Int64(Int32.max):
      _ = advance()
      return .known(Int(value))
    case .identifier(let name):
      _ = advance()
      return .symbol(name)
    default:
      throw Diagnostic(
        "E1014", "expected a dimension (a name or a non-negative integer), found \(current.kind)", at: current.span)
    }
  }

  // MARK: - Blocks and statements

  mutating func parseBlock() throws -> StatementBlock {
    try enter()
    defer { depth -= 1 }
    let start = try expect(.lBrace, "to open a block").span
    var statements: [Stmt] = []
    var result: Expr?
    while !check(.rBrace) && !atEnd {
      if let pending = result {
        // An expression without `;` that is not last: only block-like expressions may do that.
        statements.append(Stmt(.expression(pending), span: pending.span))
        result = nil
      }
      let before = index
      do {
        switch try parseStatement() {
        case .statement(let statement): statements.append(statement)
        case .trailing(let expression): result = expression
        }
      } catch let diagnostic as Diagnostic {
        diagnostics.append(diagnostic)
        synchronizeToStatement(after: before)
      }
    }
    try expect(.rBrace, "to close the block")
    return StatementBlock(statements: statements, result: result, span: spanFrom(start))
  }

  enum StatementResult {
    case statement(Stmt)
    case trailing(Expr)
  }

  static func isBlockLike(_ expr: Expr) -> Bool {
    switch expr.kind {
    case .if, .block: return true
    default: return false
    }
  }

  mutating func parseStatement() throws -> StatementResult {
    let start = current.span
    if accept(.let) {
      let mutable = accept(.mut)
      let pattern = try parsePattern()
      var type: TypeAnnotation?
      if accept(.colon) { type = try parseType() }
      try expect(.eq, "in `let`")
      let value = try parseExpression()
      try expect(.semicolon, "after `let`")
      return .statement(Stmt(.let(pattern: pattern, mutable: mutable, type: type, value: value), span: spanFrom(start)))
    }
    if accept(.return) {
      var value: Expr?
      if !check(.semicolon) && !check(.rBrace) { value = try parseExpression() }
      _ = accept(.semicolon)
      return .statement(Stmt(.return(value), span: spanFrom(start)))
    }
    if accept(.for) {
      let (variable, variableSpan) = try expectIdentifier("after `for`")
      try expect(.in, "in `for`")
      let lower = try parseExpression()
      try expect(.dotDot, "in the `for` range (`start..end`)")
      let upper = try parseExpression()
      let body = try parseBlock()
      return .statement(
        Stmt(
          .for(variable: variable, variableSpan: variableSpan, start: lower, end: upper, body: body),
          span: spanFrom(start)))
    }
    if accept(.while) {
      let condition = try parseExpression()
      let body = try parseBlock()
      return .statement(Stmt(.while(condition: condition, body: body), span: spanFrom(start)))
    }
    if check(.fn) || check(.at) {
      guard case .function(let decl) = try parseItem() else {
        throw Diagnostic("E1013", "expected a nested function", at: start)
      }
      return .statement(Stmt(.function(decl), span: decl.span))
    }
    let expression = try parseExpression()
    let assignOperators: [(Punct, AssignOperator)] = [
      (.eq, .assign), (.plusEq, .add), (.minusEq, .subtract), (.starEq, .multiply), (.slashEq, .divide),
    ]
    for (punct, op) in assignOperators where accept(punct) {
      let value = try parseExpression()
      try expect(.semicolon, "after an assignment")
      return .statement(Stmt(.assign(target: expression, op: op, value: value), span: spanFrom(start)))
    }
    if accept(.semicolon) { return .statement(Stmt(.expression(expression), span: expression.span)) }
    if check(.rBrace) || Self.isBlockLike(expression) { return .trailing(expression) }
    throw Diagnostic("E1010", "expected `;` after the expression, found \(current.kind)", at: current.span)
  }

  mutating func parsePattern() throws -> Pattern {
    try enter()
    defer { depth -= 1 }
    let start = current.span
    if accept(.lParen) {
      var elements: [Pattern] = []
      while !check(.rParen) && !atEnd {
        elements.append(try parsePattern())
        if !accept(.comma) { break }
      }
      try expect(.rParen, "to close the tuple pattern")
      return .tuple(elements, spanFrom(start))
    }
    let (name, span) = try expectIdentifier("in a pattern")
    return name == "_" ? .wildcard(span) : .name(name, span)
  }

  // MARK: - Expressions

  public mutating func parseExpression() throws -> Expr {
    try enter()
    defer { depth -= 1 }
    return try parseBinary(level: 0)
  }

  static let levels: [[(Punct, BinaryOperator)]] = [
    [(.orOr, .or)],
    [(.andAnd, .and)],
    [
      (.eqEq, .equal), (.notEq, .notEqual), (.lessEq, .lessEqual), (.greaterEq, .greaterEqual),
      (.less, .less), (.greater, .greater),
    ],
    [(.plus, .add), (.minus, .subtract)],
    [(.star, .multiply), (.slash, .divide), (.percent, .remainder), (.at, .matmul)],
  ]

  mutating func parseBinary(level: Int) throws -> Expr {
    if level == Self.levels.count { return try parseUnary() }
    var left = try parseBinary(level: level + 1)
    // Each operator of a chain nests the tree one level deeper (`a + b + c` is `(a + b) + c`).
    let entryDepth = depth
    defer { depth = entryDepth }
    outer: while true {
      for (punct, op) in Self.levels[level] where check(punct) {
        _ = advance()
        try enter()
        let right = try parseBinary(level: level + 1)
        left = makeExpr(.binary(op, left, right), left.span.merged(with: right.span))
        continue outer
      }
      return left
    }
  }

  mutating func parseUnary() throws -> Expr {
    try enter()
    defer { depth -= 1 }
    let start = current.span
    if accept(.minus) {
      let operand = try parseUnary()
      return makeExpr(.unary(.negate, operand), start.merged(with: operand.span))
    }
    if accept(.bang) {
      let operand = try parseUnary()
      return makeExpr(.unary(.not, operand), start.merged(with: operand.span))
    }
    return try parsePower()
  }

  /// `**` binds tighter than unary minus and is right-associative; its exponent may be negated.
  mutating func parsePower() throws -> Expr {
    let base = try parsePostfix()
    if accept(.starStar) {
      let exponent = try parseUnary()
      return makeExpr(.binary(.power, base, exponent), base.span.merged(with: exponent.span))
    }
    return base
  }

  mutating func parsePostfix() throws -> Expr {
    var expression = try parsePrimary()
    while true {
      if check(.lParen) {
        expression = try parseCall(callee: expression, typeArguments: [])
      } else if check(.less), case .name("cast") = expression.kind, case .identifier = peek(1),
        peek(2) == .punct(.greater), peek(3) == .punct(.lParen)
      {
        _ = advance()
        let type = try parseType()
        try expect(.greater, "after the type argument")
        expression = try parseCall(callee: expression, typeArguments: [type])
      } else if accept(.lBracket) {
        var items: [IndexItem] = []
        while !check(.rBracket) && !atEnd {
          items.append(try parseIndexItem())
          if !accept(.comma) { break }
        }
        try expect(.rBracket, "to close the index")
        expression = makeExpr(.index(expression, items), spanFrom(expression.span))
      } else if accept(.dot) {
        switch current.kind {
        case .identifier(let name):
          _ = advance()
          expression = makeExpr(.field(expression, name), spanFrom(expression.span))
        case .integer(let position):
          _ = advance()
          expression = makeExpr(.field(expression, String(position)), spanFrom(expression.span))
        default:
          throw Diagnostic("E1011", "expected a field name after `.`, found \(current.kind)", at: current.span)
        }
      } else {
        return expression
      }
    }
  }

  mutating func parseCall(callee: Expr, typeArguments: [TypeAnnotation]) throws -> Expr {
    try expect(.lParen, "to open the arguments")
    var arguments: [CallArgument] = []
    while !check(.rParen) && !atEnd {
      if case .identifier(let label) = current.kind, peek(1) == .punct(.eq) {
        let labelSpan = advance().span
        _ = advance()
        arguments.append(CallArgument(label: label, labelSpan: labelSpan, value: try parseExpression()))
      } else {
        arguments.append(CallArgument(label: nil, labelSpan: nil, value: try parseExpression()))
      }
      if !accept(.comma) { break }
    }
    try expect(.rParen, "to close the arguments")
    return makeExpr(.call(callee: callee, typeArguments: typeArguments, arguments: arguments), spanFrom(callee.span))
  }

  mutating func parseIndexItem() throws -> IndexItem {
    let start = current.span
    if accept(.ellipsis) { return .ellipsis(start) }
    if accept(.colonColon) {
      // `x[::2]`: `::` is one token.
      var step: Expr?
      if !check(.comma) && !check(.rBracket) { step = try parseExpression() }
      return .slice(start: nil, end: nil, step: step, span: spanFrom(start))
    }
    var lower: Expr?
    if !check(.colon) { lower = try parseExpression() }
    if accept(.colonColon) {
      var step: Expr?
      if !check(.comma) && !check(.rBracket) { step = try parseExpression() }
      return .slice(start: lower, end: nil, step: step, span: spanFrom(start))
    }
    guard accept(.colon) else {
      guard let single = lower else { throw Diagnostic("E1010", "expected an index", at: current.span) }
      return .single(single)
    }
    var upper: Expr?
    var step: Expr?
    if !check(.colon) && !check(.comma) && !check(.rBracket) { upper = try parseExpression() }
    if accept(.colon), !check(.comma) && !check(.rBracket) { step = try parseExpression() }
    return .slice(start: lower, end: upper, step: step, span: spanFrom(start))
  }

  mutating func parsePrimary() throws -> Expr {
    try enter()
    defer { depth -= 1 }
    let token = current
    switch token.kind {
    case .integer(let value):
      _ = advance()
      return makeExpr(.integer(value), token.span)
    case .float(let value):
      _ = advance()
      return makeExpr(.float(value), token.span)
    case .string(let value):
      _ = advance()
      return makeExpr(.string(value), token.span)
    case .keyword(.true), .keyword(.false):
      _ = advance()
      return makeExpr(.bool(token.kind == .keyword(.true)), token.span)
    case .identifier(let name):
      _ = advance()
      if check(.lBrace), name.first?.isUppercase == true,
        peek(1) == .punct(.rBrace) || (peek(2) == .punct(.colon) && isIdentifier(peek(1)))
      {
        return try parseStructLiteral(name: name, start: token.span)
      }
      return makeExpr(.name(name), token.span)
    case .punct(.lParen):
      _ = advance()
      if accept(.rParen) { return makeExpr(.tuple([]), spanFrom(token.span)) }
      let first = try parseExpression()
      if accept(.rParen) { return first }
      var elements = [first]
      while accept(.comma) {
        if check(.rParen) { break }
        elements.append(try parseExpression())
      }
      try expect(.rParen, "to close the tuple")
      return makeExpr(.tuple(elements), spanFrom(token.span))
    case .punct(.lBracket):
      _ = advance()
      var elements: [Expr] = []
      while !check(.rBracket) && !atEnd {
        elements.append(try parseExpression())
        if !accept(.comma) { break }
      }
      try expect(.rBracket, "to close the array literal")
      return makeExpr(.array(elements), spanFrom(token.span))
    case .punct(.lBrace):
      let block = try parseBlock()
      return makeExpr(.block(block), block.span)
    case .keyword(.if):
      return try parseIf()
    case .punct(.pipe), .punct(.orOr):
      return try parseClosure()
    default:
      throw Diagnostic("E1015", "expected an expression, found \(token.kind)", at: token.span)
    }
  }

  func isIdentifier(_ kind: TokenKind) -> Bool {
    if case .identifier = kind { return true }
    return false
  }

  mutating func parseStructLiteral(name: String, start: SourceSpan) throws -> Expr {
    try expect(.lBrace, "")
    var fields: [(name: String, span: SourceSpan, value: Expr)] = []
    while !check(.rBrace) && !atEnd {
      let (field, span) = try expectIdentifier("for a field")
      try expect(.colon, "after the field name")
      fields.append((field, span, try parseExpression()))
      if !accept(.comma) { break }
    }
    try expect(.rBrace, "to close the struct literal")
    return makeExpr(.structLiteral(name: name, fields: fields), spanFrom(start))
  }

  mutating func parseIf() throws -> Expr {
    let start = current.span
    try expect(.if, "")
    let condition = try parseExpression()
    let thenBlock = try parseBlock()
    var elseBlock: StatementBlock?
    if accept(.else) {
      if check(.if) {
        let nested = try parseIf()
        elseBlock = StatementBlock(statements: [], result: nested, span: nested.span)
      } else {
        elseBlock = try parseBlock()
      }
    }
    return makeExpr(.if(condition: condition, then: thenBlock, else: elseBlock), spanFrom(start))
  }

  mutating func parseClosure() throws -> Expr {
    let start = current.span
    var parameters: [Parameter] = []
    if !accept(.orOr) {
      try expect(.pipe, "")
      while !check(.pipe) && !atEnd {
        let (name, span) = try expectIdentifier("for a closure parameter")
        var type: TypeAnnotation?
        if accept(.colon) { type = try parseType() }
        parameters.append(Parameter(name: name, type: type, span: span))
        if !accept(.comma) { break }
      }
      try expect(.pipe, "to close the closure's parameters")
    }
    let body = try parseExpression()
    return makeExpr(.closure(parameters: parameters, body: body), spanFrom(start))
  }
}
