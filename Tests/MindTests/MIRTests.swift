// MIR as a data structure: the printed form parses back to the same module (exact round trip),
// the verifier rejects broken IR with E4001, and inlining removes calls without changing results.

import MIND
import MindIR
import Testing

@Suite struct MIRTests {
  static let programs =
    Repository.files(in: "Examples", withExtension: "mind")
    + Repository.files(in: "Tests/Numerics", withExtension: "mind")

  @Test(arguments: programs)
  func printedMIRParsesBackExactly(_ path: String) throws {
    let program = try Program(source: try Repository.read(path), name: path)
    for optimize in [false, true] {
      let (module, _) = try program.mir(optimize: optimize)
      let printed = Printer.print(module)
      let parsed = try MIRParser.parse(printed)
      try Verifier.verify(parsed)
      #expect(Printer.print(parsed) == printed)
    }
  }

  @Test func parserReportsBadInput() {
    do {
      _ = try MIRParser.parse("func @f() -> () {\n  %0 = frobnicate : f32\n  return\n}")
      Issue.record("expected E4002")
    } catch {
      #expect(error.code == "E4002")
      #expect(error.message.contains("line 2: unknown operation `frobnicate`"))
    }
    #expect(throws: Diagnostic.self) { try MIRParser.parse("func @f() -> () {\n  return %7\n}") }
  }

  @Test func verifierRejectsUseBeforeDefinitionAndBadTypes() throws {
    let undefined = """
      func @f(%0: f32) -> (f32) {
        %1 = add %0, %0 : f32
        return %1
      }
      """
    let module = try MIRParser.parse(undefined)
    // Swap the two operations: the add now uses nothing undefined, but return comes first.
    module.functions[0].body.operations.reverse()
    #expect(throws: Diagnostic.self) { try Verifier.verify(module) }
    let mistyped = try MIRParser.parse(
      """
      func @g(%0: tensor<3xf32>) -> (tensor<3xf32>) {
        %1 = exp %0 : tensor<4xf32>
        return %1
      }
      """)
    do {
      try Verifier.verify(mistyped)
      Issue.record("expected E4001")
    } catch {
      #expect(error.code == "E4001")
      #expect(error.message.contains("differ from the rule"))
    }
  }

  @Test func inliningRemovesCallsAndKeepsResults() throws {
    let source = """
      fn square(x: Tensor<f32, N>) -> Tensor<f32, N> { x * x }
      fn twice(x: Tensor<f32, N>) -> Tensor<f32, N> { square(x) + square(x) }
      fn main() { print(twice([1.0, 2.0, 3.0])); }
      """
    let program = try Program(source: source, name: "inline.mind")
    let (module, _) = try program.mir(optimize: true)
    #expect(module.functions.count == 1)
    #expect(!Printer.print(module).contains("call"))
    #expect(run(source).output == "[2.0, 8.0, 18.0]\n")
  }

  @Test func simplifyRemovesALongDeadChain() throws {
    // A chain of 40 adds whose last result nobody reads (like the adjoint of an input nobody
    // differentiates, accumulated across many layers): longer than Simplify's round limit, so
    // each sweep of dead-code elimination must remove whole chains.
    var lines = ["func @f(%0: tensor<4xf32>) -> (tensor<4xf32>) {"]
    for i in 1...40 { lines.append("  %\(i) = add %\(i - 1), %0 : tensor<4xf32>") }
    lines += ["  return %0", "}"]
    let module = try MIRParser.parse(lines.joined(separator: "\n"))
    Simplify.run(module.functions[0])
    #expect(module.functions[0].body.operations.count == 1)
  }
}
