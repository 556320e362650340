// Numbers against values computed independently with NumPy: every built-in on fixed inputs
// (Tests/Numerics/generate.py) and the gradients of common losses — MSE, softmax
// cross-entropy, a two-layer MLP and an attention block (Tests/Numerics/generate_losses.py).
// Each generator writes a MIND program printing labelled lines and the expected lines.

import Testing

struct NumericsFile: Sendable {
  let name: String
  let relative: Double
  let absolute: Double

  var expected: [(label: String, text: String)] {
    guard
      let text = try? Repository.read(Repository.root.appendingPathComponent("Tests/Numerics/\(name).expected").path)
    else { return [] }
    return text.split(separator: "\n").map { line in
      let parts = line.split(separator: ":", maxSplits: 1)
      return (String(parts[0]), String(parts[1]))
    }
  }

  func actual() -> [String: String] {
    guard let source = try? Repository.read(Repository.root.appendingPathComponent("Tests/Numerics/\(name).mind").path)
    else { return [:] }
    var table: [String: String] = [:]
    for line in run(source, name: "\(name).mind").output.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      if parts.count == 2 { table[String(parts[0])] = String(parts[1]) }
    }
    return table
  }
}

@Suite struct NumericsTests {
  static let builtins = NumericsFile(name: "builtins", relative: 2e-5, absolute: 1e-6)
  static let losses = NumericsFile(name: "losses", relative: 1e-4, absolute: 1e-5)
  static let builtinOutput = builtins.actual()
  static let lossOutput = losses.actual()

  @Test func everyCaseRan() {
    #expect(Self.builtins.expected.count >= 102)
    #expect(Self.builtinOutput.count == Self.builtins.expected.count)
    #expect(Self.losses.expected.count == 4)
    #expect(Self.lossOutput.count == Self.losses.expected.count)
  }

  @Test(arguments: builtins.expected.map(\.label))
  func builtinMatchesNumPy(_ label: String) throws {
    try compare(label, Self.builtins, Self.builtinOutput)
  }

  @Test(arguments: losses.expected.map(\.label))
  func lossGradientMatchesNumPy(_ label: String) throws {
    try compare(label, Self.losses, Self.lossOutput)
  }

  func compare(_ label: String, _ file: NumericsFile, _ output: [String: String]) throws {
    let expected = try #require(file.expected.first { $0.label == label }).text
    let actual = try #require(output[label], "no output for \(label)")
    #expect(
      close(numbers(in: actual), numbers(in: expected), relative: file.relative, absolute: file.absolute),
      "\(label): \(actual) vs \(expected)")
  }
}
