// The Python literals an `.npy` header is written in (NumPy writes it with repr() and reads it
// with ast.literal_eval): strings, integers, True/False/None, tuples, lists and dicts. Just
// enough to read a header; anything else is a malformed header.

enum PythonLiteral: Equatable {
  case string(String)
  case integer(Int)
  case boolean(Bool)
  case none
  case sequence([PythonLiteral])
  case dictionary([(key: PythonLiteral, value: PythonLiteral)])

  static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
    switch (a, b) {
    case (.string(let x), .string(let y)): return x == y
    case (.integer(let x), .integer(let y)): return x == y
    case (.boolean(let x), .boolean(let y)): return x == y
    case (.none, .none): return true
    case (.sequence(let x), .sequence(let y)): return x == y
    case (.dictionary(let x), .dictionary(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    default: return false
    }
  }

  /// Parses one literal that fills `text` (surrounding white space aside).
  static func parse(_ text: [UInt8]) throws(DataError) -> PythonLiteral {
    var parser = Parser(text: text)
    let value = try parser.value(depth: 0)
    parser.skipSpace()
    guard parser.at == text.count else { throw parser.failure("text after the header's dictionary") }
    return value
  }

  struct Parser {
    let text: [UInt8]
    var at = 0

    func failure(_ what: String) -> DataError { DataError(.malformed, "malformed header: \(what) at byte \(at)") }

    mutating func skipSpace() {
      while at < text.count, [0x20, 0x09, 0x0A, 0x0D].contains(text[at]) { at += 1 }
    }

    mutating func value(depth: Int) throws(DataError) -> PythonLiteral {
      guard depth < 32 else { throw failure("nesting too deep") }
      skipSpace()
      guard at < text.count else { throw failure("unexpected end") }
      switch text[at] {
      case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "("): return .sequence(try items(closing: ")", depth: depth))
      case UInt8(ascii: "["): return .sequence(try items(closing: "]", depth: depth))
      case UInt8(ascii: "{"): return try dictionary(depth: depth)
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try integer())
      default:
        for (word, value) in [("True", PythonLiteral.boolean(true)), ("False", .boolean(false)), ("None", .none)] {
          let bytes = Array(word.utf8)
          if text.count - at >= bytes.count, Array(text[at..<at + bytes.count]) == bytes {
            at += bytes.count
            return value
          }
        }
        throw failure("unexpected character")
      }
    }

    mutating func string() throws(DataError) -> String {
      let quote = text[at]
      at += 1
      var bytes: [UInt8] = []
      while at < text.count, text[at] != quote {
        guard text[at] != UInt8(ascii: "\\") else { throw failure("escape in a string") }
        bytes.append(text[at])
        at += 1
      }
      guard at < text.count else { throw failure("unterminated string") }
      at += 1
      return String(decoding: bytes, as: UTF8.self)
    }

    mutating func integer() throws(DataError) -> Int {
      let start = at
      if text[at] == UInt8(ascii: "-") { at += 1 }
      while at < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[at]) { at += 1 }
      // A trailing L is how Python 2 wrote long integers in old headers.
      let digits = String(decoding: text[start..<at], as: UTF8.self)
      if at < text.count, text[at] == UInt8(ascii: "L") { at += 1 }
      guard let value = Int(digits) else { throw failure("integer `\(digits)` out of range") }
      return value
    }

    /// Comma-separated values up to `closing`, a trailing comma allowed.
    mutating func items(closing: Character, depth: Int) throws(DataError) -> [PythonLiteral] {
      at += 1
      var values: [PythonLiteral] = []
      while true {
        skipSpace()
        guard at < text.count else { throw failure("unexpected end") }
        if text[at] == closing.asciiValue! {
          at += 1
          return values
        }
        values.append(try value(depth: depth + 1))
        skipSpace()
        guard at < text.count else { throw failure("unexpected end") }
        if text[at] == UInt8(ascii: ",") {
          at += 1
        } else if text[at] != closing.asciiValue! {
          throw failure("expected `,` or `\(closing)`")
        }
      }
    }

    mutating func dictionary(depth: Int) throws(DataError) -> PythonLiteral {
      at += 1
      var entries: [(key: PythonLiteral, value: PythonLiteral)] = []
      while true {
        skipSpace()
        guard at < text.count else { throw failure("unexpected end") }
        if text[at] == UInt8(ascii: "}") {
          at += 1
          return .dictionary(entries)
        }
        let key = try value(depth: depth + 1)
        skipSpace()
        guard at < text.count, text[at] == UInt8(ascii: ":") else { throw failure("expected `:`") }
        at += 1
        entries.append((key, try value(depth: depth + 1)))
        skipSpace()
        guard at < text.count else { throw failure("unexpected end") }
        if text[at] == UInt8(ascii: ",") {
          at += 1
        } else if text[at] != UInt8(ascii: "}") {
          throw failure("expected `,` or `}`")
        }
      }
    }
  }
}
