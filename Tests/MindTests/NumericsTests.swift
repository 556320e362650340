// Every built-in on fixed inputs against values computed independently with NumPy
// (Tests/Numerics/generate.py writes both the program and the expected lines).

import Testing

@Suite struct NumericsTests {
  static let lines: [(label: String, expected: String)] = {
    guard let text = try? Repository.read(Repository.root.appendingPathComponent("Tests/Numerics/builtins.expected").path) else { return [] }
    return text.split(separator: "\n").map { line in
      let parts = line.split(separator: ":", maxSplits: 1)
      return (String(parts[0]), String(parts[1]))
    }
  }()

  static let output: [String: String] = {
    guard let source = try? Repository.read(Repository.root.appendingPathComponent("Tests/Numerics/builtins.mind").path) else { return [:] }
    var table: [String: String] = [:]
    for line in run(source, name: "builtins.mind").output.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      if parts.count == 2 { table[String(parts[0])] = String(parts[1]) }
    }
    return table
  }()

  @Test func everyCaseRan() {
    #expect(Self.lines.count >= 100)
    #expect(Self.output.count == Self.lines.count)
  }

  @Test(arguments: lines.map(\.label))
  func builtinMatchesNumPy(_ label: String) throws {
    let expected = try #require(Self.lines.first { $0.label == label }).expected
    let actual = try #require(Self.output[label], "no output for \(label)")
    #expect(close(numbers(in: actual), numbers(in: expected), relative: 2e-5, absolute: 1e-6), "\(label): \(actual) vs \(expected)")
  }
}
