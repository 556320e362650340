// Diagnostics are data: a stable code, a message, the span of the culprit and optional notes.
// They are rendered in exactly one place (`DiagnosticRenderer`), in the form LANGUAGE.md shows.

/// A source file known to the compiler; spans refer to files by their index in a `SourceManager`.
public struct SourceFile: Sendable {
  public let name: String
  public let text: [UInt8]
  let lineStarts: [Int]

  public init(name: String, text: String) {
    self.name = name
    self.text = Array(text.utf8)
    var starts = [0]
    for (i, byte) in self.text.enumerated() where byte == UInt8(ascii: "\n") { starts.append(i + 1) }
    self.lineStarts = starts
  }

  /// 1-based line and column (in bytes) of an offset.
  public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
    var lo = 0
    var hi = lineStarts.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
    }
    return (lo + 1, offset - lineStarts[lo] + 1)
  }

  /// The text of a 1-based line, without its newline.
  public func lineText(_ line: Int) -> String {
    let start = lineStarts[line - 1]
    var end = line < lineStarts.count ? lineStarts[line] - 1 : text.count
    if end > start && end <= text.count && end - 1 >= start && text[end - 1] == UInt8(ascii: "\r") {
      end -= 1
    }
    return String(decoding: text[start..<max(start, end)], as: UTF8.self)
  }
}

/// A half-open byte range in one source file.
public struct SourceSpan: Hashable, Sendable {
  public var file: Int
  public var start: Int
  public var end: Int

  public init(file: Int, start: Int, end: Int) {
    self.file = file
    self.start = start
    self.end = end
  }

  /// The smallest span covering both.
  public func merged(with other: SourceSpan) -> SourceSpan {
    SourceSpan(file: file, start: min(start, other.start), end: max(end, other.end))
  }

  public static let unknown = SourceSpan(file: -1, start: 0, end: 0)
}

public struct Note: Sendable, Equatable {
  public var message: String
  public var span: SourceSpan?

  public init(_ message: String, at span: SourceSpan? = nil) {
    self.message = message
    self.span = span
  }
}

/// One error, located and coded.
public struct Diagnostic: Error, Sendable, Equatable {
  public var code: String
  public var message: String
  public var span: SourceSpan
  public var notes: [Note]

  public init(_ code: String, _ message: String, at span: SourceSpan, notes: [Note] = []) {
    self.code = code
    self.message = message
    self.span = span
    self.notes = notes
  }
}

/// Several diagnostics reported together (one run reports all independent errors it finds).
public struct DiagnosticList: Error, Sendable {
  public var diagnostics: [Diagnostic]
  /// The files the spans refer to, when the thrower had them (loading a program fails before
  /// the caller has a program to render with).
  public var sources: SourceManager?

  public init(_ diagnostics: [Diagnostic], sources: SourceManager? = nil) {
    self.diagnostics = diagnostics
    self.sources = sources
  }

  /// The diagnostics rendered with their source lines (codes and messages only without
  /// sources).
  public var rendered: String {
    guard let sources else { return diagnostics.map { "error[\($0.code)]: \($0.message)\n" }.joined() }
    return DiagnosticRenderer(sources: sources).render(diagnostics)
  }
}

/// All source files of one compilation.
public final class SourceManager: @unchecked Sendable {
  public private(set) var files: [SourceFile] = []

  public init() {}

  @discardableResult
  public func add(_ file: SourceFile) -> Int {
    files.append(file)
    return files.count - 1
  }

  public func file(_ index: Int) -> SourceFile? {
    index >= 0 && index < files.count ? files[index] : nil
  }

  /// `file:line:col` of a span, or `<unknown>`.
  public func describe(_ span: SourceSpan) -> String {
    guard let file = file(span.file) else { return "<unknown>" }
    let (line, column) = file.lineAndColumn(of: span.start)
    return "\(file.name):\(line):\(column)"
  }
}

/// Renders diagnostics as text:
///
///     error[E3001]: shapes [3] and [4] cannot be broadcast together (dimension 0: 3 vs 4)
///       --> model.mind:7:14
///        |
///      7 |     let d = pred - target;
///        |             ^^^^^^^^^^^^^
public struct DiagnosticRenderer {
  public let sources: SourceManager

  public init(sources: SourceManager) { self.sources = sources }

  public func render(_ diagnostic: Diagnostic) -> String {
    var out = "error[\(diagnostic.code)]: \(Self.escapingControls(diagnostic.message))\n"
    out += snippet(for: diagnostic.span)
    for note in diagnostic.notes {
      out += "note: \(Self.escapingControls(note.message))\n"
      if let span = note.span { out += snippet(for: span) }
    }
    return out
  }

  public func render(_ diagnostics: [Diagnostic]) -> String {
    diagnostics.map(render).joined(separator: "\n")
  }

  /// The location line, the source line and carets under the span. A span outside its file
  /// (from a damaged cache entry, say) is clamped into it; control characters of the source are
  /// shown escaped, so a file cannot drive the terminal through an error message.
  private func snippet(for span: SourceSpan) -> String {
    guard let file = sources.file(span.file) else { return "" }
    let start = max(0, min(span.start, file.text.count))
    let (line, column) = file.lineAndColumn(of: start)
    let text = file.lineText(line)
    let gutter = String(repeating: " ", count: String(line).count)
    let lineEnd = file.lineStarts.count > line ? file.lineStarts[line] - 1 : file.text.count
    let lineStart = start - (column - 1)
    // Carets count characters as shown (escapes and multi-byte characters included).
    func shown(_ bytes: ArraySlice<UInt8>) -> Int {
      Self.escapingControls(String(decoding: bytes, as: UTF8.self)).count
    }
    let pad = shown(file.text[lineStart..<start])
    let width = max(1, shown(file.text[start..<max(start, min(span.end, lineEnd))]))
    var out = "\(gutter)--> \(Self.escapingControls(file.name)):\(line):\(column)\n"
    out += "\(gutter) |\n"
    out += "\(line) | \(Self.escapingControls(text))\n"
    out += "\(gutter) | \(String(repeating: " ", count: pad))\(String(repeating: "^", count: width))\n"
    return out
  }

  /// The text with control characters other than tab written as `\u{1b}`.
  static func escapingControls(_ text: String) -> String {
    func isControl(_ scalar: Unicode.Scalar) -> Bool {
      scalar != "\t" && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
    }
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    return text.unicodeScalars.map { isControl($0) ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
  }
}
