// The lexer turns source bytes into tokens. It never fails: bad characters, unterminated strings
// and comments become diagnostics (E1001–E1003) and lexing goes on, so that the parser can still
// report the errors after them.

public struct Lexer {
  let bytes: [UInt8]
  let file: Int
  var position = 0
  public private(set) var diagnostics: [Diagnostic] = []

  public init(source: SourceFile, fileIndex: Int) {
    bytes = source.text
    file = fileIndex
  }

  public mutating func tokenize() -> [Token] {
    var tokens: [Token] = []
    while true {
      let token = next()
      tokens.append(token)
      if token.kind == .endOfFile { return tokens }
    }
  }

  private func peek(_ ahead: Int = 0) -> UInt8? {
    position + ahead < bytes.count ? bytes[position + ahead] : nil
  }

  private func span(_ start: Int) -> SourceSpan { SourceSpan(file: file, start: start, end: position) }

  private mutating func skipTrivia() {
    while let c = peek() {
      if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
        position += 1
      } else if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "/") {
        while let d = peek(), d != 0x0A { position += 1 }
      } else if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
        let start = position
        position += 2
        var depth = 1
        while depth > 0 {
          guard let d = peek() else {
            diagnostics.append(
              Diagnostic(
                "E1006", "unterminated block comment", at: SourceSpan(file: file, start: start, end: start + 2)))
            return
          }
          if d == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
            depth += 1
            position += 2
          } else if d == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/") {
            depth -= 1
            position += 2
          } else {
            position += 1
          }
        }
      } else {
        return
      }
    }
  }

  private static func isIdentifierStart(_ c: UInt8) -> Bool {
    (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
  }

  private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

  private mutating func next() -> Token {
    skipTrivia()
    let start = position
    guard let c = peek() else { return Token(kind: .endOfFile, span: span(start)) }
    if Self.isIdentifierStart(c) {
      while let d = peek(), Self.isIdentifierStart(d) || Self.isDigit(d) { position += 1 }
      let text = String(decoding: bytes[start..<position], as: UTF8.self)
      if let keyword = Keyword(rawValue: text) { return Token(kind: .keyword(keyword), span: span(start)) }
      return Token(kind: .identifier(text), span: span(start))
    }
    if Self.isDigit(c) { return number(start) }
    if c == UInt8(ascii: "\"") { return string(start) }
    for punct in Punct.allCases {
      let text = Array(punct.rawValue.utf8)
      if position + text.count <= bytes.count && Array(bytes[position..<position + text.count]) == text {
        // `0..n` is a range, but `1.5` is handled by number(); a lone `.` after an integer
        // is taken care of there too.
        position += text.count
        return Token(kind: .punct(punct), span: span(start))
      }
    }
    position += 1
    // Skip the rest of a multi-byte UTF-8 character so the caret covers it once.
    while let d = peek(), d & 0xC0 == 0x80 { position += 1 }
    let shown = String(decoding: bytes[start..<position], as: UTF8.self)
    diagnostics.append(Diagnostic("E1002", "unexpected character `\(shown)`", at: span(start)))
    return next()
  }

  private mutating func number(_ start: Int) -> Token {
    while let d = peek(), Self.isDigit(d) || d == UInt8(ascii: "_") { position += 1 }
    var isFloat = false
    // A `.` followed by a digit continues the number; `0..n` must stay a range.
    if peek() == UInt8(ascii: "."), let d = peek(1), Self.isDigit(d) {
      isFloat = true
      position += 1
      while let d = peek(), Self.isDigit(d) || d == UInt8(ascii: "_") { position += 1 }
    } else if peek() == UInt8(ascii: "."), peek(1) != UInt8(ascii: "."),
      !(peek(1).map(Self.isIdentifierStart) ?? false)
    {
      // `1.` is a float too.
      isFloat = true
      position += 1
    }
    if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
      var ahead = 1
      if let s = peek(1), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { ahead = 2 }
      if let d = peek(ahead), Self.isDigit(d) {
        isFloat = true
        position += ahead
        while let d = peek(), Self.isDigit(d) { position += 1 }
      }
    }
    let text = String(decoding: bytes[start..<position], as: UTF8.self).filter { $0 != "_" }
    if isFloat {
      if let value = Double(text) { return Token(kind: .float(value), span: span(start)) }
    } else if let value = Int64(text) {
      return Token(kind: .integer(value), span: span(start))
    }
    diagnostics.append(Diagnostic("E1005", "malformed number `\(text)`", at: span(start)))
    return Token(kind: .integer(0), span: span(start))
  }

  private mutating func string(_ start: Int) -> Token {
    position += 1
    var value: [UInt8] = []
    while let c = peek(), c != UInt8(ascii: "\"") {
      if c == 0x0A { break }
      if c == UInt8(ascii: "\\"), let e = peek(1) {
        position += 2
        switch e {
        case UInt8(ascii: "n"): value.append(0x0A)
        case UInt8(ascii: "t"): value.append(0x09)
        case UInt8(ascii: "r"): value.append(0x0D)
        case UInt8(ascii: "\\"), UInt8(ascii: "\""): value.append(e)
        default:
          diagnostics.append(
            Diagnostic(
              "E1004", "unknown escape `\\\(Character(Unicode.Scalar(e)))` in a string (known: \\n \\t \\r \\\\ \\\")",
              at: SourceSpan(file: file, start: position - 2, end: position)))
          value.append(e)
        }
        continue
      }
      value.append(c)
      position += 1
    }
    if peek() == UInt8(ascii: "\"") {
      position += 1
    } else {
      diagnostics.append(Diagnostic("E1003", "unterminated string literal", at: span(start)))
    }
    return Token(kind: .string(String(decoding: value, as: UTF8.self)), span: span(start))
  }
}
