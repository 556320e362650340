// The README's language tour is executable: each ```mind block with a `fn main` runs, and the
// ```text block right after it is its exact output.

import Testing

@Suite struct ReadmeTests {
  struct Snippet: CustomTestStringConvertible, Sendable {
    let source: String
    let expected: String?
    var testDescription: String { String(source.split(separator: "\n").first ?? "") }
  }

  static let snippets: [Snippet] = {
    guard let text = try? Repository.read(Repository.root.appendingPathComponent("README.md").path) else { return [] }
    var snippets: [Snippet] = []
    let blocks = text.components(separatedBy: "```")
    var i = 1
    while i < blocks.count {
      let block = blocks[i]
      if block.hasPrefix("mind\n") && block.contains("fn main") {
        var expected: String?
        if i + 2 < blocks.count, blocks[i + 2].hasPrefix("text\n") {
          expected = String(blocks[i + 2].dropFirst("text\n".count))
        }
        snippets.append(Snippet(source: String(block.dropFirst("mind\n".count)), expected: expected))
      }
      i += 2
    }
    return snippets
  }()

  @Test func readmeHasSnippets() {
    #expect(Self.snippets.count >= 4)
  }

  @Test(arguments: snippets)
  func snippetRunsAndPrintsItsOutput(_ snippet: Snippet) {
    let result = run(snippet.source, name: "README.mind")
    #expect(result.errors == "")
    if let expected = snippet.expected { #expect(result.output == expected) }
  }
}
