// Numbers against values computed independently with NumPy: every built-in on fixed inputs
// (Tests/Numerics/generate.py) and the gradients of common losses — MSE, softmax
// cross-entropy, a two-layer MLP and an attention block (Tests/Numerics/generate_losses.py).
// Each generator writes a MIND program printing labelled lines and the expected lines. Every
// case runs in both subnormal modes (flushed to zero, the default, and IEEE).

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

  func actual(flushesSubnormals: Bool) -> [String: String] {
    guard let source = try? Repository.read(Repository.root.appendingPathComponent("Tests/Numerics/\(name).mind").path)
    else { return [:] }
    var table: [String: String] = [:]
    for line in run(source, name: "\(name).mind", flushesSubnormals: flushesSubnormals).output.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      if parts.count == 2 { table[String(parts[0])] = String(parts[1]) }
    }
    return table
  }
}

@Suite struct NumericsTests {
  static let builtins = NumericsFile(name: "builtins", relative: 2e-5, absolute: 1e-6)
  static let losses = NumericsFile(name: "losses", relative: 1e-4, absolute: 1e-5)
  /// Outputs by subnormal mode (flushed, IEEE).
  static let builtinOutput = [
    true: builtins.actual(flushesSubnormals: true), false: builtins.actual(flushesSubnormals: false),
  ]
  static let lossOutput = [
    true: losses.actual(flushesSubnormals: true), false: losses.actual(flushesSubnormals: false),
  ]

  @Test(arguments: [true, false]) func everyCaseRan(flushesSubnormals: Bool) {
    #expect(Self.builtins.expected.count >= 102)
    #expect(Self.builtinOutput[flushesSubnormals]!.count == Self.builtins.expected.count)
    #expect(Self.losses.expected.count == 4)
    #expect(Self.lossOutput[flushesSubnormals]!.count == Self.losses.expected.count)
  }

  @Test(arguments: builtins.expected.map(\.label), [true, false])
  func builtinMatchesNumPy(_ label: String, flushesSubnormals: Bool) throws {
    try compare(label, Self.builtins, Self.builtinOutput[flushesSubnormals]!)
  }

  @Test(arguments: losses.expected.map(\.label), [true, false])
  func lossGradientMatchesNumPy(_ label: String, flushesSubnormals: Bool) throws {
    try compare(label, Self.losses, Self.lossOutput[flushesSubnormals]!)
  }

  func compare(_ label: String, _ file: NumericsFile, _ output: [String: String]) throws {
    let expected = try #require(file.expected.first { $0.label == label }).text
    let actual = try #require(output[label], "no output for \(label)")
    #expect(
      close(numbers(in: actual), numbers(in: expected), relative: file.relative, absolute: file.absolute),
      "\(label): \(actual) vs \(expected)")
  }
}
