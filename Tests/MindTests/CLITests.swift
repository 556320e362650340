// The `mind` command line as a user runs it: exit status, where output and errors go, and the
// subcommands and options of the README.

import Foundation
import Testing

@Suite struct CLITests {
  func mind(_ arguments: String, input: String? = nil) throws -> (status: Int32, output: String, error: String) {
    try Tools.shell("\(Tools.mind) \(arguments)", input: input)
  }

  func temporary(_ source: String, name: String = "program.mind") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mind-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try source.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func jitRunsMainAndExitsZero() throws {
    let result = try mind("jit \(Repository.root.path)/Examples/first_program.mind")
    #expect(result.status == 0)
    #expect(result.output == (try Repository.read("\(Repository.root.path)/Examples/first_program.expected")))
    #expect(result.error.isEmpty)
  }

  @Test func whatTheEntryReturnsIsPrinted() throws {
    // Once passed `check` and then crashed in `jit` (the results were written through null).
    for (source, printed) in [
      ("fn main() -> f32 { 1.0 }", "1.0\n"),
      (
        "struct P { a: f32, b: Tensor<f32, 2> }\nfn main() -> (P, i64) { (P { a: 1.0, b: [2.0, 3.0] }, 4) }",
        "(P { a: 1.0, b: [2.0, 3.0] }, 4)\n"
      ),
      ("fn go() -> Tensor<f64, 2> { print(\"first\"); [0.1, 0.2] }", "first\n[0.1, 0.2]\n"),
    ] {
      let file = try temporary(source)
      let entry = source.contains("fn go") ? " --entry go" : ""
      let result = try mind("jit --no-cache \(file)\(entry)")
      #expect(result.status == 0, "\(result.error)")
      #expect(result.output == printed)
    }
  }

  @Test func aTrapIsAnInternalErrorNotABareSignal() throws {
    // A Swift trap raises SIGILL: sent to a running `mind`, it must print E7999 and exit 70.
    let file = try temporary(
      "fn main() { let mut s = 0.0; for i in 0..2000000000 { s = s + 0.000000001 * sin(s + 1.0); } print(s); }")
    let result = try Tools.shell(
      "\(Tools.mind) jit --no-cache \(file) & pid=$!; sleep 1.5; kill -ILL $pid; wait $pid; echo status $?")
    #expect(result.output == "status 70\n")
    #expect(
      result.error.hasPrefix("error[E7999]: internal compiler error (signal 4) while compiling or running `\(file)`"))
    #expect(result.error.contains("please report it"))
  }

  @Test func failedAllocationIsAnErrorWithItsSize() throws {
    // 8 GB of tensors under a 4 GB address-space limit: E6004 with the size, not a segfault.
    let file = try temporary("fn main() { let y = randn([2000000000], seed=1); print(sum(y * y), y[5]); }")
    let result = try Tools.shell("ulimit -v 4000000; \(Tools.mind) jit --no-cache \(file)")
    #expect(result.status == 1)
    #expect(
      result.error.contains("error[E6004]: out of memory: cannot allocate 8000000000 bytes"), "\(result.error)")
  }

  @Test func versionNamesLLVMTheCPUAndTheOpenBLASKernels() throws {
    let result = try mind("--version")
    #expect(result.status == 0)
    #expect(result.output.hasPrefix("mind "))
    #expect(result.output.contains("LLVM 19."))
    #expect(result.output.contains("OpenBLAS kernels: "))
  }

  @Test func compileErrorsGoToStandardErrorWithStatusOne() throws {
    let path = try temporary("fn main() {\n    let d = [1.0, 2.0] - [1.0, 2.0, 3.0];\n}\n", name: "bad.mind")
    let result = try mind("jit \(path)")
    #expect(result.status == 1)
    #expect(result.output.isEmpty)
    #expect(result.error.contains("error[E3001]"))
    #expect(result.error.contains("bad.mind:2:13"))
    #expect(result.error.contains("1 error"))
  }

  @Test func runtimeErrorsStopTheProgramWithStatusOne() throws {
    let path = try temporary(
      "fn main() {\n    print(\"before\");\n    assert(1.0 > 2.0, \"impossible\");\n    print(\"after\");\n}\n")
    let result = try mind("jit \(path)")
    #expect(result.status == 1)
    #expect(result.output == "before\n")
    #expect(result.error.contains("error[E6011]: impossible"))
  }

  @Test func errorsInImportedFilesShowTheirOwnSource() throws {
    let main = try temporary("import helper;\nfn main() {}\n")
    let folder = URL(fileURLWithPath: main).deletingLastPathComponent().path
    try "fn f(x: f32) -> f32 { x + nope }\n".write(toFile: folder + "/helper.mind", atomically: true, encoding: .utf8)
    let result = try mind("check \(main)")
    #expect(result.status == 1)
    #expect(result.error.contains("helper.mind:1:27"))
    #expect(result.error.contains("fn f(x: f32) -> f32 { x + nope }"))
  }

  @Test func missingFileIsAnError() throws {
    let result = try mind("jit /nonexistent/model.mind")
    #expect(result.status == 1)
    #expect(result.error.contains("E7001"))
  }

  @Test func checkReportsOkOrErrors() throws {
    let good = try mind("check \(Repository.root.path)/Examples/attention.mind")
    #expect(good.status == 0)
    #expect(good.output.hasSuffix("ok\n"))
    let path = try temporary("fn f(x: f32) -> f32 { y }\n")
    let bad = try mind("check \(path)")
    #expect(bad.status == 1)
    #expect(bad.error.contains("E2002"))
  }

  @Test func timePrintsEveryStage() throws {
    // Without the cache every stage runs (with it, a warm run skips most of them).
    let result = try mind("jit --time --no-cache \(Repository.root.path)/Examples/first_program.mind")
    #expect(result.status == 0)
    #expect(result.error.contains("cache: disabled"))
    for stage in [
      "parse", "sema", "specialize", "inline+simplify", "lower", "llvm-opt", "codegen", "link", "run", "total",
    ] {
      #expect(result.error.contains(stage), "missing \(stage)")
    }
  }

  @Test func timeSaysHowEachLoopRunsBackwards() throws {
    // A constant-bound loop is taped while its tape stays under 1 GiB, then checkpointed (the
    // switch is O(n·√n) at worst: two levels of checkpoints); a runtime trip count gets both.
    func report(_ iterations: String, extra: String = "") throws -> String {
      let path = try temporary(
        """
        fn f(x: Tensor<f32, 262144>\(extra)) -> f32 {
            let mut s = x;
            for i in 0..\(iterations) { s = sin(s) * 0.999 + 0.001; }
            sum(s)
        }
        fn main() { print(grad(f)(ones([262144])\(extra.isEmpty ? "" : ", 3"))[0] > 0.0); }
        """, name: "loop.mind")
      let result = try mind("jit --time --no-cache \(path)")
      #expect(result.status == 0, "\(result.error)")
      return result.error.split(separator: "\n").filter { $0.hasPrefix("loop at") }.map {
        String($0.split(separator: ": ", maxSplits: 1)[1])
      }.joined()
    }
    #expect(try report("1024") == "taped: 1024 iterations in 1073741824 bytes")
    #expect(
      try report("1025")
        == "checkpoints on 2 levels of 32 states of 1048576 bytes (at most 67108864 bytes, linear up to 1024 iterations)"
    )
    #expect(
      try report("n", extra: ", n: i64")
        == "taped up to 4 iterations (4194304 bytes), beyond: checkpoints on 2 levels of 32 states of 1048576 bytes (at most 67108864 bytes, linear up to 1024 iterations)"
    )
  }

  @Test(arguments: ["ast", "mir", "opt", "llvm", "llvm-opt", "asm"])
  func irPrintsEveryStage(_ stage: String) throws {
    let result = try mind("ir --stage \(stage) \(Repository.root.path)/Examples/first_program.mind")
    #expect(result.status == 0)
    #expect(!result.output.isEmpty)
  }

  @Test func savedListsKeptValuesAndCheckpointedLoops() throws {
    let path = try temporary(
      """
      fn f(x: Tensor<f32, 8>, n: i64) -> f32 {
          let mut z = x;
          for i in 0..n { z = sin(z); }
          sum(z)
      }
      fn main() { print(grad(f)(ones([8]), 3)); }
      """, name: "loop.mind")
    let result = try mind("ir --stage ad --saved \(path)")
    #expect(result.status == 0)
    let lines = result.output.split(separator: "\n").filter { $0.hasPrefix("saved by") || $0.hasPrefix("loop at") }
    #expect(
      lines == [
        "saved by @vjp.f__f32x8__i64: 131073 bytes in 2 values i1, tensor<4096x8xf32>",
        "loop at \(path):3:9 in @vjp.f__f32x8__i64: taped up to 4096 iterations (131072 bytes), beyond: checkpoints on 2 levels of 4096 states of 32 bytes (at most 262144 bytes, linear up to 16777216 iterations)",
      ], "\(result.output)")
  }

  @Test func entryAndOptimizationLevelOptions() throws {
    let path = try temporary("fn other() { print(1.0 + 2.0); }\n")
    let result = try mind("jit -O0 --entry other \(path)")
    #expect(result.status == 0)
    #expect(result.output == "3.0\n")
    let invalid = try mind("jit -O7 \(path)")
    #expect(invalid.status != 0)
  }

  @Test func helpDescribesTheSubcommands() throws {
    let result = try mind("--help")
    #expect(result.status == 0)
    for word in ["jit", "ir", "check"] { #expect(result.output.contains(word)) }
  }
}
