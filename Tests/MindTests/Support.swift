// Helpers shared by the tests: locating the repository, running MIND source in-process through
// the real pipeline (parse, check, specialize, lower, ORC JIT), and comparing numbers.

import Foundation
import MIND
import Testing

enum Repository {
  /// The repository root, found from this file's path.
  static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static func files(in folder: String, withExtension ext: String) -> [String] {
    let directory = root.appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasSuffix("." + ext) }.sorted().map { directory.appendingPathComponent($0).path }
  }

  static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }
}

/// What running a program produced: its printed output and the diagnostics, rendered.
struct RunResult {
  var output = ""
  var errors = ""
  var codes: [String] = []
  var locations: [String] = []
  var succeeded: Bool { codes.isEmpty }
}

/// Runs `source` through `mind jit`'s pipeline in this process.
func run(_ source: String, name: String = "test.mind", optimizationLevel: Int = 2, flushesSubnormals: Bool = true)
  -> RunResult
{
  var result = RunResult()
  let program: Program
  do {
    program = try Program(source: source, name: name)
  } catch let list as DiagnosticList {
    result.codes = list.diagnostics.map(\.code)
    let sources = SourceManager()
    sources.add(SourceFile(name: name, text: source))
    result.errors = DiagnosticRenderer(sources: sources).render(list.diagnostics)
    result.locations = list.diagnostics.map { sources.describe($0.span) }
    return result
  } catch {
    result.codes = ["?"]
    return result
  }
  do {
    let engine = try Engine(optimizationLevel: optimizationLevel, flushesSubnormals: flushesSubnormals)
    _ = try engine.run(program: program, cache: nil) { result.output += $0 }
  } catch let list as DiagnosticList {
    result.codes = list.diagnostics.map(\.code)
    result.errors = program.render(list.diagnostics)
    result.locations = list.diagnostics.map { program.sources.describe($0.span) }
  } catch let error as RuntimeError {
    result.codes = [error.diagnostic.code]
    result.errors = program.render([error.diagnostic])
    result.locations = [program.sources.describe(error.diagnostic.span)]
  } catch {
    result.codes = ["E7000"]
    result.errors = "\(error)"
  }
  return result
}

/// Every number in a printed line, in order (`true`/`false` count as 1/0).
func numbers(in text: String) -> [Double] {
  var values: [Double] = []
  var token = ""
  func flush() {
    if !token.isEmpty, let v = Double(token) {
      values.append(v)
    } else if token == "true" {
      values.append(1)
    } else if token == "false" {
      values.append(0)
    } else if token == "nan" {
      values.append(.nan)
    } else if token == "inf" {
      values.append(.infinity)
    } else if token == "-inf" {
      values.append(-.infinity)
    }
    token = ""
  }
  for c in text {
    if c.isLetter || c.isNumber || c == "." || c == "-" || c == "+" { token.append(c) } else { flush() }
  }
  flush()
  return values
}

/// True when the numbers agree to a relative tolerance (with an absolute floor).
func close(_ a: [Double], _ b: [Double], relative: Double = 1e-5, absolute: Double = 1e-6) -> Bool {
  guard a.count == b.count else { return false }
  for (x, y) in zip(a, b) {
    if x.isNaN && y.isNaN { continue }
    if x == y { continue }
    if Swift.abs(x - y) > absolute + relative * max(Swift.abs(x), Swift.abs(y)) { return false }
  }
  return true
}
