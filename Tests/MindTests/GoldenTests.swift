// Golden tests of each pipeline stage, in the style of LLVM's lit: every file in Tests/Golden
// has a `// RUN:` line (`%s` is the file) whose output FileCheck matches against the file's
// CHECK lines. The `mind` binary is the one `swift build` just produced.

import Foundation
import Testing

/// The object cache folder of CLI runs in tests (fresh per test process).
let testCacheDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
  "mind-test-cache-\(UUID().uuidString)"
).path

enum Tools {
  static let mind = Repository.root.appendingPathComponent(".build/debug/mind").path
  static let fileCheck =
    ["/usr/lib/llvm-19/bin/FileCheck", "/usr/bin/FileCheck-19"].first {
      FileManager.default.isExecutableFile(atPath: $0)
    } ?? "FileCheck"

  /// Runs a shell command; returns its exit status, standard output and standard error.
  static func shell(_ command: String, input: String? = nil) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    // Tests never touch the user's object cache.
    var environment = ProcessInfo.processInfo.environment
    if environment["MIND_CACHE_DIR"] == nil { environment["MIND_CACHE_DIR"] = testCacheDirectory }
    process.environment = environment
    process.arguments = ["-c", command]
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    if let input {
      let stdin = Pipe()
      process.standardInput = stdin
      try process.run()
      stdin.fileHandleForWriting.write(Data(input.utf8))
      try stdin.fileHandleForWriting.close()
    } else {
      process.standardInput = FileHandle.nullDevice
      try process.run()
    }
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
  }
}

@Suite struct GoldenTests {
  static let files = Repository.files(in: "Tests/Golden", withExtension: "mind")

  @Test func goldenFilesExist() {
    #expect(Self.files.count >= 5)
  }

  @Test(arguments: files)
  func stageOutputMatchesCheckLines(_ path: String) throws {
    let source = try Repository.read(path)
    let runLine = try #require(source.split(separator: "\n").first { $0.hasPrefix("// RUN:") })
    // Substitute the tools first, then the file (whose path contains `mind`).
    let command = runLine.dropFirst("// RUN:".count)
      .replacingOccurrences(of: " mind ", with: " " + Tools.mind + " ")
      .replacingOccurrences(of: "FileCheck", with: Tools.fileCheck)
      .replacingOccurrences(of: "%s", with: path)
    let result = try Tools.shell("set -o pipefail; " + command)
    #expect(result.status == 0, "\(result.error)")
  }
}
