// Mutations that keep a program parseable and change what it means, as a user's mistakes do:
// numbers (extents, axes, `wrt` indices, counts, steps) become 0, -1, huge or tiny; arguments
// are dropped, duplicated and swapped; keyword arguments are renamed; a loop-carried variable
// starts as a literal; `grad` is wrapped around a function. Each program goes through checking,
// specialization, differentiation and (every tenth) LLVM lowering without running: it must give
// a result or located, coded diagnostics, never a trap or a hang.

import Foundation
import MIND
import Testing

@testable import MindSema

enum SemanticMutator {
  static let numbers = [
    "0", "-1", "1", "2", "3", "0.0", "-0.0", "1e-30", "1e30", "2147483648", "4294967296", "9007199254740992",
    "9223372036854775807", "-9223372036854775807",
  ]
  static let keywords = [
    "axis", "axes", "keepdims", "wrt", "seed", "dtype", "strides", "padding", "in_axes", "out_axes", "eps",
    "descending", "lower", "k",
  ]
  static let carriedLiterals = ["0.0", "1", "[1.0, 2.0]", "(1.0, 2)", "[[1.0], [2.0]]", "true"]

  /// One to three mutations of `source`, each replacing a range of its text.
  static func mutate(_ source: String, _ random: inout SplitMix) -> String {
    var text = Array(source.utf8)
    for _ in 0..<(1 + random.below(3)) {
      let tokens = tokenize(text)
      guard !tokens.isEmpty, let (range, replacement) = mutation(tokens, text, &random) else { continue }
      text.replaceSubrange(range, with: Array(replacement.utf8))
    }
    return String(decoding: text, as: UTF8.self)
  }

  static func tokenize(_ text: [UInt8]) -> [Token] {
    var lexer = Lexer(source: SourceFile(name: "m.mind", text: String(decoding: text, as: UTF8.self)), fileIndex: 0)
    return lexer.tokenize().filter { $0.kind != .endOfFile }
  }

  static func mutation(_ tokens: [Token], _ text: [UInt8], _ random: inout SplitMix) -> (Range<Int>, String)? {
    func source(_ range: Range<Int>) -> String { String(decoding: text[range], as: UTF8.self) }
    func range(_ token: Token) -> Range<Int> { token.span.start..<token.span.end }
    func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[random.below(items.count)] }
    switch random.below(6) {
    case 0:
      // A number: an extent, an axis, an index, a count, a step, a value.
      let literals = tokens.filter {
        if case .integer = $0.kind { true } else if case .float = $0.kind { true } else { false }
      }
      guard let token = pick(literals), let number = pick(numbers) else { return nil }
      return (range(token), number)
    case 1:
      // A keyword argument renamed.
      let labels = tokens.indices.dropLast().filter {
        if case .identifier = tokens[$0].kind, tokens[$0 + 1].kind == .punct(.eq), $0 > 0,
          [.punct(.lParen), .punct(.comma)].contains(tokens[$0 - 1].kind)
        {
          true
        } else {
          false
        }
      }
      guard let index = pick(labels), let keyword = pick(keywords) else { return nil }
      return (range(tokens[index]), keyword)
    case 2, 3:
      // The arguments of a call: one dropped, duplicated, or two swapped.
      let calls = tokens.indices.dropLast().filter {
        if case .identifier = tokens[$0].kind, tokens[$0 + 1].kind == .punct(.lParen) { true } else { false }
      }
      guard let call = pick(calls), let arguments = arguments(of: call + 1, tokens), !arguments.isEmpty else {
        return nil
      }
      let whole = arguments.first!.lowerBound..<arguments.last!.upperBound
      var parts = arguments.map(source)
      switch random.below(3) {
      case 0: parts.remove(at: random.below(parts.count))
      case 1: parts.insert(parts[random.below(parts.count)], at: random.below(parts.count + 1))
      default: parts.swapAt(random.below(parts.count), random.below(parts.count))
      }
      return (whole, parts.joined(separator: ", "))
    case 4:
      // A loop-carried (mutable) variable starts as a literal.
      let lets = tokens.indices.dropLast(3).filter {
        tokens[$0].kind == .keyword(.let) && tokens[$0 + 1].kind == .keyword(.mut)
          && tokens[$0 + 3].kind == .punct(.eq)
      }
      guard let index = pick(lets),
        let end = tokens[(index + 4)...].firstIndex(where: { $0.kind == .punct(.semicolon) }),
        end > index + 4, let literal = pick(carriedLiterals)
      else { return nil }
      return (tokens[index + 4].span.start..<tokens[end - 1].span.end, literal)
    default:
      // `grad` around a name: a function value, or anything else.
      let names = tokens.indices.filter {
        if case .identifier = tokens[$0].kind, $0 + 1 < tokens.count, tokens[$0 + 1].kind != .punct(.colon) {
          true
        } else {
          false
        }
      }
      guard let index = pick(names) else { return nil }
      let wrapped = "grad(\(source(range(tokens[index]))), wrt=\(pick(["0", "1", "(0, 1)", "-1", "5"])!))"
      return (range(tokens[index]), wrapped)
    }
  }

  /// The text ranges of the top-level arguments of the call whose `(` is at `open`.
  static func arguments(of open: Int, _ tokens: [Token]) -> [Range<Int>]? {
    var depth = 0
    var ranges: [Range<Int>] = []
    var start: Int?
    for index in open..<tokens.count {
      let kind = tokens[index].kind
      if [.punct(.lParen), .punct(.lBracket), .punct(.lBrace)].contains(kind) {
        depth += 1
        if depth == 1 { continue }
      }
      if [.punct(.rParen), .punct(.rBracket), .punct(.rBrace)].contains(kind) {
        depth -= 1
        if depth == 0 {
          if let first = start { ranges.append(tokens[first].span.start..<tokens[index - 1].span.end) }
          return ranges
        }
      }
      if depth == 1 && kind == .punct(.comma) {
        if let first = start { ranges.append(tokens[first].span.start..<tokens[index - 1].span.end) }
        start = nil
      } else if start == nil {
        start = index
      }
    }
    return nil
  }
}

@Suite struct SemanticFuzzTests {
  /// Every built-in and transform, called with each of a set of argument lists (none, scalars,
  /// tensors of ranks 0 to 3, empty ones, integers, functions, strings, tuples, odd keywords):
  /// an arity or type the built-in does not take is a coded, located error, never a trap.
  @Test func everyBuiltinTakesAnyArgumentsWithoutTrapping() {
    let names = Builtins.elementwise.keys.sorted() + Builtins.composite.sorted() + Builtins.transforms.sorted()
    let argumentLists = [
      "", "1.0", "-1", "[1.0, 2.0]", "[[1.0, 2.0], [3.0, 4.0]]", "zeros([0])", "zeros([2, 0, 3])", "[1, 2]",
      "1.0, 2.0", "[1.0, 2.0], [3.0]", "[[1.0]], [[2.0]], [[3.0]]", "f", "f, f", "\"text\"", "(1.0, [2.0])",
      "[1.0, 2.0], axis=5", "[1.0, 2.0], axes=[0, 0]", "[1.0], wrt=3", "[1.0], keepdims=1.0", "[1.0], nope=1",
      "[true, false]", "zeros([2, 2, 2, 2]), zeros([2, 2, 2, 2])", "[1.0, 2.0], -9223372036854774784",
    ]
    var ran = 0
    for name in names {
      for arguments in argumentLists {
        let source = "fn f(x: f32) -> f32 { x * x }\nfn main() { print(\(name)(\(arguments))); }"
        let result = run(source)
        if result.errors.isEmpty { ran += 1 }
        #expect(
          result.codes.allSatisfy { $0.count == 5 && !["E2000", "E4001", "E5000", "E6000"].contains($0) },
          "\(name)(\(arguments)): \(result.errors)")
        #expect(
          result.locations.allSatisfy { $0.hasPrefix("test.mind:") }, "\(name)(\(arguments)): \(result.errors)")
      }
    }
    // Some of the calls are valid and ran (the lists are not all errors).
    #expect(names.count > 100 && ran > names.count)
  }

  @Test func meaningChangingMutationsNeverCrashOrHang() throws {
    var random = SplitMix(state: 20_261_203)
    let outcomes = try Fuzzing.run(defaultIterations: 1500, located: true) { seed in
      SemanticMutator.mutate(seed, &random)
    }
    print("semantic fuzzing: \(outcomes)")
    #expect(outcomes.accepted > outcomes.iterations / 10)
    #expect(outcomes.rejected > outcomes.iterations / 10)
  }
}
