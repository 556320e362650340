// Every program in Examples/ runs through the JIT and prints exactly its `.expected` file.

import Foundation
import Testing

@Suite struct ExamplesTests {
  static let programs = Repository.files(in: "Examples", withExtension: "mind")

  @Test func examplesExist() {
    #expect(Self.programs.count >= 5)
  }

  @Test(arguments: programs)
  func exampleMatchesExpectedOutput(_ path: String) throws {
    let expectedPath = String(path.dropLast(".mind".count)) + ".expected"
    let expected = try Repository.read(expectedPath)
    let result = run(try Repository.read(path), name: path)
    #expect(result.errors == "")
    #expect(result.output == expected)
  }

  @Test(arguments: programs)
  func exampleMatchesWithoutOptimization(_ path: String) throws {
    let expectedPath = String(path.dropLast(".mind".count)) + ".expected"
    let expected = try Repository.read(expectedPath)
    let result = run(try Repository.read(path), name: path, optimizationLevel: 0)
    #expect(result.errors == "")
    #expect(close(numbers(in: result.output), numbers(in: expected), relative: 1e-5))
  }
}
