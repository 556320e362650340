// `load` and `save` in MIND programs: types from declarations or from the file's header (read
// when the program is specialized), data at run time, paths relative to the program's file,
// output done once under differentiation, the header in the cache key, and every error located.

import Foundation
import MIND
import Testing

@Suite struct LoadSaveTests {
  /// Runs `source` as `folder/program.mind`.
  func runIn(_ folder: String, _ source: String) -> RunResult { run(source, name: folder + "/program.mind") }

  @Test func valuesSavedAreLoadedBackWithTheirStructure() throws {
    let folder = try DataFiles.folder()
    let result = runIn(
      folder,
      """
      struct Layer { w: Tensor<f32, 2, 3>, b: Tensor<f32, 3> }
      fn main() {
        let layer = Layer { w: reshape(arange(0.0, 6.0, 1.0), [2, 3]), b: [0.5, -1.0, 2.0] };
        save("layer.safetensors", layer);
        save("parts/", (layer.b, 7, true));
        save("w.npy", cast<f64>(layer.w));
        let back: Layer = load("layer.safetensors");
        let parts: (Tensor<f32, 3>, i64, bool) = load("parts/");
        let w: Tensor<f64, 2, 3> = load("w.npy");
        print(back.w, back.b);
        print(parts);
        print(w[1, 2]);
      }
      """)
    #expect(result.errors == "")
    #expect(result.output == "[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] [0.5, -1.0, 2.0]\n([0.5, -1.0, 2.0], 7, true)\n5.0\n")
    // The files are where the program is, as NumPy and safetensors name them.
    let tensors = try TensorFile.tensors(at: folder + "/layer.safetensors")
    #expect(tensors.map(\.name) == ["w", "b"])
    #expect(try TensorFile.tensors(at: folder + "/parts").map(\.name) == ["0", "1", "2"])
    #expect(try Tensor(npy: folder + "/w.npy") == Tensor([0, 1, 2, 3, 4, 5] as [Double], shape: [2, 3]))
  }

  @Test func anUndeclaredLoadTakesItsTypeFromTheFileWhenCompiled() throws {
    let folder = try DataFiles.folder()
    try Tensor([1, 2, 3, 4] as [Int32], shape: [2, 2]).write(npy: folder + "/m.npy")
    let source = "fn main() { let m = load(\"m.npy\"); print(m * m, shape(m)); }"
    let result = runIn(folder, source)
    #expect(result.errors == "")
    #expect(result.output == "[[1, 4], [9, 16]] [2, 2]\n")
    let program = try Program(source: source, name: folder + "/program.mind")
    let mir = program.printMIR(try program.mir(optimize: false).0.functions[0])
    #expect(mir.contains("io.load {path = \"\(folder)/m.npy\", names = [\"\"]}"), "\(mir)")
    #expect(mir.contains("tensor<2x2xi32>"), "\(mir)")
  }

  /// The cache key holds the types read from the header: new shapes are a new specialization,
  /// new data is not (and is read, not taken from the cache).
  @Test func theHeaderIsPartOfTheCacheKeyAndTheDataIsNot() throws {
    let folder = try DataFiles.folder()
    let program = folder + "/program.mind"
    try "fn main() { print(sum(load(\"x.npy\"))); }".write(toFile: program, atomically: true, encoding: .utf8)
    func runIt() throws -> String {
      try Tools.shell("MIND_CACHE_DIR=\(folder)/cache \(Tools.mind) jit --time \(program) 2>&1").output
    }
    try Tensor([1, 2] as [Float]).write(npy: folder + "/x.npy")
    let first = try runIt()
    try Tensor([10, 20] as [Float]).write(npy: folder + "/x.npy")
    let second = try runIt()
    try Tensor([1, 2, 3] as [Float]).write(npy: folder + "/x.npy")
    let third = try runIt()
    #expect(first.hasPrefix("3.0\n") && first.contains("cache: miss"), "\(first)")
    #expect(second.hasPrefix("30.0\n") && second.contains("cache: hit"), "\(second)")
    #expect(third.hasPrefix("6.0\n") && third.contains("cache: miss"), "\(third)")
  }

  /// Under `grad` and `hessian` the primal's `save` happens once per call of the primal, and a
  /// loaded tensor is a constant: d/dx sum(sin(w x)) = w cos(w x).
  @Test func filesUnderDifferentiation() throws {
    let folder = try DataFiles.folder()
    let result = runIn(
      folder,
      """
      fn f(x: Tensor<f32, 3>) -> f32 {
        let w: Tensor<f32, 3> = load("w.npy");
        save("trace.npy", x * w);
        sum(sin(x * w))
      }
      fn main() {
        save("w.npy", [1.0, 2.0, 3.0]);
        let g = grad(f)([0.5, 0.25, 0.125]);
        let t: Tensor<f32, 3> = load("trace.npy");
        print(abs(g[2] - 3.0 * cos(0.375)) < 1e-6, t);
      }
      """)
    #expect(result.errors == "")
    #expect(result.output == "true [0.5, 0.5, 0.375]\n")
  }

  @Test func everyFileErrorIsCodedAndLocated() throws {
    let folder = try DataFiles.folder()
    try Tensor([1, 2] as [Float]).write(npy: folder + "/two.npy")
    try TensorFile.write(
      [("w", Tensor([1] as [Float])), ("c", Tensor([2] as [Float]))], to: folder + "/ab.safetensors")
    let prelude = "struct AB { a: Tensor<f32, N>, b: Tensor<f32, N> }\n"
    let cases: [(String, String, String, String)] = [
      ("fn main() { print(load(\"missing.npy\")); }", "E7101", "program.mind:2:19", "missing.npy`: cannot open"),
      // A declared type with symbolic extents needs the file when the program is compiled.
      (
        "fn main() { let x: Tensor<f32, N> = load(\"missing.npy\"); print(x); }", "E7101", "program.mind:2:37",
        "cannot open"
      ),
      (
        "fn main() { let x: Tensor<f64, 2> = load(\"two.npy\"); print(x); }", "E7104", "program.mind:2:37",
        "two.npy` holds f32[2], but is declared Tensor<f64, 2>"
      ),
      (
        "fn main() { let x: Tensor<f32, 3> = load(\"two.npy\"); print(x); }", "E7104", "program.mind:2:37",
        "holds f32[2]"
      ),
      (
        "fn main() { let p: AB = load(\"ab.safetensors\"); print(p.a); }", "E7105", "program.mind:2:25",
        "has no tensor `a`, `b`"
      ),
      (
        "fn main() { print(load(\"ab.safetensors\")); }", "E7105", "program.mind:2:19",
        "holds 2 tensors; declare a struct"
      ),
      ("fn main() { print(load(2)); }", "E2019", "program.mind:2:24", "the path of `load` must be a string literal"),
      ("fn main() { save(\"out.txt\", 1.0); }", "E7107", "program.mind:2:18", "cannot save to"),
      ("fn main() { save(\"out.npy\", (1.0, 2.0)); }", "E7107", "program.mind:2:13", "an .npy file holds one tensor"),
      // At run time: a file missing then, a folder that cannot be written.
      (
        "fn main() { let x: Tensor<f32, 2> = load(\"later.npy\"); print(x); }", "E7101", "program.mind:2:37",
        "later.npy`: cannot open"
      ),
      (
        "fn main() { save(\"/nonexistent/out.npy\", [1.0]); }", "E7107", "program.mind:2:13",
        "`/nonexistent/out.npy`: cannot write"
      ),
      // A file that changes between compilation and the load (last: it rewrites two.npy).
      (
        "fn main() { save(\"two.npy\", [1.0, 2.0, 3.0]); let x: Tensor<f32, 2> = load(\"two.npy\"); print(x); }",
        "E7104", "program.mind:2:71", "two.npy` holds f32[3], the program was compiled for f32[2]"
      ),
    ]
    for (source, code, location, message) in cases {
      let result = runIn(folder, prelude + source)
      #expect(result.codes == [code], "\(source): \(result.errors)")
      #expect(result.locations.first?.hasSuffix(location) == true, "\(source): \(result.locations)")
      #expect(result.errors.contains(message), "\(source): \(result.errors)")
    }
  }

  @Test func exportsCannotUseFiles() throws {
    let folder = try DataFiles.folder()
    let source = folder + "/program.mind"
    try "fn f(x: Tensor<f32, 2>) -> f32 { save(\"x.npy\", x); sum(x) }".write(
      toFile: source, atomically: true, encoding: .utf8)
    let result = try Tools.shell("\(Tools.mind) build \(source) --export 'f(f32[2])' -o \(folder)/f.o")
    #expect(result.status == 1 && result.error.contains("error[E7010]: `save` cannot be used in an exported function"))
  }
}
