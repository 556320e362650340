// Data in and out of `mind jit` with the files NumPy and the safetensors package write and read
// (in the Python environment of scripts/data-venv.sh, made on first use): entry parameters bound
// to files, names and numbers, struct parameters from containers, results written with -o, and
// the errors of each kind of bad binding.

import Foundation
import MIND
import Testing

enum DataPython {
  /// The environment's python, or nil when PyPI cannot be reached to make it.
  static let path: String? = {
    guard let result = try? Tools.shell("bash \(Repository.root.path)/scripts/data-venv.sh"), result.status == 0 else {
      return nil
    }
    return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
  }()

  static let unavailable: Comment = "NumPy and safetensors could not be installed (PyPI unreachable)"

  /// Runs a Python script in `folder`; returns its standard output.
  static func run(_ script: String, in folder: String) throws -> String {
    let file = folder + "/script.py"
    try script.write(toFile: file, atomically: true, encoding: .utf8)
    let result = try Tools.shell("cd \(folder) && \(path!) script.py")
    #expect(result.status == 0, "\(result.error)")
    return result.output
  }
}

@Suite(.enabled(if: DataPython.path != nil, DataPython.unavailable)) struct DataInteropTests {
  let program = """
    struct Layer { w: Tensor<f32, I, O>, b: Tensor<f32, O> }
    struct Model { layer1: Layer, layer2: Layer }
    fn show_f32(x: Tensor<f32, A, B>) -> Tensor<f32, A, B> { x }
    fn show_f64(x: Tensor<f64, A, B>) -> Tensor<f64, A, B> { x }
    fn show_i32(x: Tensor<i32, A, B>) -> Tensor<i32, A, B> { x }
    fn show_i64(x: Tensor<i64, N>) -> Tensor<i64, N> { x }
    fn show_bool(x: Tensor<bool, N>) -> Tensor<bool, N> { x }
    fn scalar(x: f64) -> f64 { x * 2.0 }
    fn forward(m: Model, x: Tensor<f32, B, I>) -> Tensor<f32, B, O> {
      tanh(x @ m.layer1.w + m.layer1.b) @ m.layer2.w + m.layer2.b
    }
    fn scaled(m: Model, s: f32) -> Model {
      Model { layer1: Layer { w: s * m.layer1.w, b: m.layer1.b }, layer2: m.layer2 }
    }
    fn stats(x: Tensor<f32, N>, lr: f32, steps: i64) -> (f32, Tensor<f32, N>, i64) { (sum(x) * lr, x * x, steps + 1) }
    fn checked(x: Tensor<f32, N>) -> Tensor<f32, N> { assert(sum(x) > 0.0, "needs a positive sum"); x }
    """

  func mind(_ arguments: String, in folder: String) throws -> (status: Int32, output: String, error: String) {
    try Tools.shell("cd \(folder) && MIND_CACHE_DIR=\(folder)/cache \(Tools.mind) \(arguments)")
  }

  func setUp() throws -> String {
    let folder = try DataFiles.folder()
    try program.write(toFile: folder + "/data.mind", atomically: true, encoding: .utf8)
    return folder
  }

  @Test func numPyFilesOfEveryKindAreRead() throws {
    let folder = try setUp()
    _ = try DataPython.run(
      """
      import numpy as np
      np.save('f32.npy', np.array([[1.5, -2], [3, 4.25]], np.float32))
      np.save('f64_fortran_big.npy', np.asfortranarray(np.arange(6, dtype='>f8').reshape(2, 3)))
      np.save('i32_big.npy', np.array([[7, -8, 9]], dtype='>i4'))
      np.save('i64.npy', np.array([2**40, -1], np.int64))
      np.save('bool.npy', np.array([True, False, True]))
      np.save('zero_d.npy', np.float64(0.75))
      np.savez('stored.npz', x=np.array([[1, 2]], np.float32))
      np.savez_compressed('deflated.npz', x=np.arange(2000, dtype=np.float32).reshape(1000, 2))
      """, in: folder)
    let cases = [
      ("show_f32 f32.npy", "[[1.5, -2.0], [3.0, 4.25]]"),
      ("show_f64 f64_fortran_big.npy", "[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]"),
      ("show_i32 i32_big.npy", "[[7, -8, 9]]"),
      ("show_i64 i64.npy", "[1099511627776, -1]"),
      ("show_bool bool.npy", "[true, false, true]"),
      ("scalar zero_d.npy", "1.5"),
      ("scalar x=-4", "-8.0"),
      ("show_f32 stored.npz", "[[1.0, 2.0]]"),
      ("stats x=stored.npz 0.5 7", nil),
    ]
    for (arguments, expected) in cases {
      let result = try mind("jit data.mind --entry \(arguments)", in: folder)
      if let expected {
        #expect(result.status == 0 && result.output == expected + "\n", "\(arguments): \(result.error)")
      } else {
        #expect(result.status != 0 && result.error.contains("E7104"), "\(arguments): \(result.error)")
      }
    }
    // A compressed member is inflated: the sum of 0..<2000 over the whole array.
    let deflated = try TensorFile.tensors(at: folder + "/deflated.npz")
    #expect(deflated.map(\.name) == ["x"] && deflated[0].tensor.floats.reduce(0, +) == 1_999_000)
  }

  @Test func structParametersComeFromSafetensorsFoldersAndArchives() throws {
    let folder = try setUp()
    let expected = try DataPython.run(
      """
      import numpy as np, os
      from safetensors.numpy import save_file
      rng = np.random.default_rng(0)
      m = {'layer1.w': rng.standard_normal((3, 4), dtype=np.float32), 'layer1.b': rng.standard_normal(4, dtype=np.float32),
           'layer2.w': rng.standard_normal((4, 2), dtype=np.float32), 'layer2.b': rng.standard_normal(2, dtype=np.float32)}
      x = rng.standard_normal((5, 3), dtype=np.float32)
      save_file(m, 'model.safetensors', metadata={'by': 'numpy'})
      np.savez('model.npz', **m)
      os.makedirs('model/layer1'); os.makedirs('model/layer2')
      for k, v in m.items(): np.save('model/' + k.replace('.', '/') + '.npy', v)
      np.save('x.npy', x)
      save_file({k: v for k, v in m.items() if k != 'layer2.b'}, 'partial.safetensors')
      save_file(dict(m, extra=np.zeros(1, np.float32)), 'extra.safetensors')
      y = np.tanh(x @ m['layer1.w'] + m['layer1.b']) @ m['layer2.w'] + m['layer2.b']
      print(repr(y.astype(np.float64).ravel().tolist()))
      """, in: folder)
    let want = try #require(
      expected.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst().dropLast().split(separator: ",").map {
        Double($0.trimmingCharacters(in: .whitespaces))!
      })
    for source in ["model.safetensors", "model.npz", "model", "model/"] {
      for (i, arguments) in ["\(source) x.npy", "x=x.npy m=\(source)"].enumerated() {
        let result = try mind("jit data.mind --entry forward \(arguments) -o out\(i).npy", in: folder)
        #expect(result.status == 0, "\(arguments): \(result.error)")
        let out = try Tensor(npy: folder + "/out\(i).npy")
        #expect(out.shape == [5, 2])
        #expect(zip(out.floats, want).allSatisfy { abs(Double($0) - $1) < 1e-5 }, "\(arguments)")
      }
    }
    let partial = try mind("jit data.mind --entry forward partial.safetensors x.npy", in: folder)
    #expect(partial.status == 1 && partial.error.contains("error[E7105]") && partial.error.contains("`layer2.b`"))
    let extra = try mind("jit data.mind --entry forward extra.safetensors x.npy", in: folder)
    #expect(extra.status == 1 && extra.error.contains("error[E7105]") && extra.error.contains("`extra`"))
    // The Swift API: the struct value from the file, called with its structure kept.
    let session = try Session(path: folder + "/data.mind")
    let model = try session.argument("m", of: "forward", from: folder + "/model.safetensors")
    #expect(model.namedLeaves.map(\.name) == ["layer1.w", "layer1.b", "layer2.w", "layer2.b"])
    let y = try session.function("forward").call(values: [model, .tensor(try Tensor(npy: folder + "/x.npy"))])
    guard case .tensor(let tensor) = y else {
      Issue.record("forward returned \(y)")
      return
    }
    #expect(zip(tensor.floats, want).allSatisfy { abs(Double($0) - $1) < 1e-5 })
  }

  @Test func resultsAreWrittenForNumPyAndSafetensors() throws {
    let folder = try setUp()
    try Tensor([1, 2, 3] as [Float]).write(npy: folder + "/x.npy")
    _ = try DataPython.run(
      """
      import numpy as np
      from safetensors.numpy import save_file
      r = {'layer1.w': np.ones((2, 3), np.float32), 'layer1.b': np.zeros(3, np.float32),
           'layer2.w': np.full((3, 1), 2, np.float32), 'layer2.b': np.ones(1, np.float32)}
      save_file(r, 'model.safetensors')
      """, in: folder)
    for arguments in [
      "stats x.npy 0.5 7 -o stats.safetensors", "stats x.npy lr=0.5 steps=7 -o stats/",
      "scaled model.safetensors 3 -o scaled.safetensors", "show_i64 - -o ints.npy",
    ] {
      let input = arguments.contains(" - ") ? " < \(folder)/ints_in.npy" : ""
      if !input.isEmpty { try Tensor([4, 5] as [Int64]).write(npy: folder + "/ints_in.npy") }
      let result = try mind("jit data.mind --entry \(arguments)\(input)", in: folder)
      #expect(result.status == 0 && result.output.isEmpty, "\(arguments): \(result.error)")
    }
    let report = try DataPython.run(
      """
      import numpy as np
      from safetensors.numpy import load_file
      s = load_file('stats.safetensors')
      assert sorted(s) == ['0', '1', '2'] and s['0'] == np.float32(3.0) and s['2'] == 8, s
      assert s['1'].tolist() == [1.0, 4.0, 9.0] and s['1'].dtype == np.float32
      assert np.load('stats/0.npy') == 3.0 and np.load('stats/1.npy').tolist() == [1, 4, 9] and np.load('stats/2.npy') == 8
      m = load_file('scaled.safetensors')
      assert m['layer1.w'].tolist() == [[3.0] * 3] * 2 and m['layer2.w'].shape == (3, 1), m
      i = np.load('ints.npy')
      assert i.dtype == np.int64 and i.tolist() == [4, 5]
      print('ok')
      """, in: folder)
    #expect(report == "ok\n")
  }

  @Test func badBindingsAreCodedAndLoseNothing() throws {
    let folder = try setUp()
    try Tensor([1, 2] as [Float]).write(npy: folder + "/x.npy")
    try Tensor([-1, -2] as [Float]).write(npy: folder + "/negative.npy")
    try Tensor([1, 2] as [Double]).write(npy: folder + "/x64.npy")
    try "previous".write(toFile: folder + "/kept.npy", atomically: true, encoding: .utf8)
    let cases: [(String, String, String)] = [
      ("checked missing.npy", "E7101", "`missing.npy`: cannot open"),
      ("checked data.mind", "E7103", "not a .npy, .npz or .safetensors file"),
      ("checked x64.npy", "E7104", "parameter `x` (from `x64.npy`) holds f64[2], but is declared Tensor<f32, N>"),
      ("scalar x.npy", "E7104", "holds f32[2], but is declared f64"),
      ("checked 2.5", "E7104", "parameter `x` is Tensor<f32, N>: give it a file, not `2.5`"),
      ("stats x.npy 1 2 3", "E7106", "`stats` takes 3 arguments; `3` is one too many"),
      ("stats x.npy", "E7106", "no value for parameters `lr`, `steps` of `stats`"),
      ("stats x.npy lr=1 rate=2 3", "E7106", "`stats` has no parameter `rate`"),
      ("stats x.npy x=x.npy 1 2", "E7106", "parameter `x` of `stats` is given twice"),
      ("stats x.npy 1 2.5", "E7104", "parameter `steps` is i64, not `2.5`"),
      (
        "stats x.npy 1 2 -o out.npy", "E7106",
        "the result is 3 tensors; write it with -o NAME.safetensors or -o FOLDER/"
      ),
      ("checked x.npy -o out.txt", "E7106", "cannot write `out.txt`"),
      ("checked x.npy -o /nonexistent/out.npy", "E7107", "`/nonexistent/out.npy`: cannot write"),
      ("checked negative.npy -o kept.npy", "E6011", "needs a positive sum"),
    ]
    for (arguments, code, message) in cases {
      let result = try mind("jit data.mind --entry \(arguments)", in: folder)
      #expect(result.status == 1 && result.error.contains("error[\(code)]"), "\(arguments): \(result.error)")
      #expect(result.error.contains(message), "\(arguments): \(result.error)")
    }
    // A run that fails writes nothing: the old file is intact, no temporary is left behind.
    #expect(try String(contentsOfFile: folder + "/kept.npy", encoding: .utf8) == "previous")
    let left = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") }
    #expect(left.isEmpty, "\(left)")
  }

  @Test func eachSetOfShapesIsASpecializationAndDataIsNot() throws {
    let folder = try setUp()
    func entries() throws -> String {
      try Tools.shell("MIND_CACHE_DIR=\(folder)/cache \(Tools.mind) cache stats").output
        .split(separator: "\n").first { $0.hasPrefix("entries:") }.map(String.init) ?? ""
    }
    try Tensor([1, 2] as [Float]).write(npy: folder + "/a.npy")
    try Tensor([5, 6] as [Float]).write(npy: folder + "/b.npy")
    try Tensor([1, 2, 3] as [Float]).write(npy: folder + "/c.npy")
    #expect(try mind("jit data.mind --entry checked a.npy", in: folder).output == "[1.0, 2.0]\n")
    #expect(try entries() == "entries: 1")
    #expect(try mind("jit data.mind --entry checked b.npy", in: folder).output == "[5.0, 6.0]\n")
    #expect(try entries() == "entries: 1")
    #expect(try mind("jit data.mind --entry checked c.npy", in: folder).output == "[1.0, 2.0, 3.0]\n")
    #expect(try entries() == "entries: 2")
  }

  /// The README's digits example end to end: the data script, training (which must learn: the
  /// training accuracy from chance to above 0.95), the saved weights read by a second program
  /// and through the command line, agreeing on a test accuracy above 0.9.
  @Test func theDigitsExampleTrainsSavesLoadsAndEvaluates() throws {
    let root = Repository.root.path
    let data = try Tools.shell("\(DataPython.path!) \(root)/scripts/digits.py")
    #expect(data.status == 0, "\(data.error)")
    let folder = try DataFiles.folder()
    let train = try mind("jit \(root)/Examples/data/train_digits.mind", in: folder)
    #expect(train.status == 0, "\(train.error)")
    let accuracies = train.output.split(separator: "\n").compactMap {
      $0.split(separator: " ").last.flatMap { Double($0) }
    }
    #expect(accuracies.count == 2 && accuracies[0] < 0.2 && accuracies[1] > 0.95, "\(train.output)")
    let evaluated = try mind("jit \(root)/Examples/data/evaluate_digits.mind", in: folder)
    let digits = "\(root)/Examples/data/digits"
    let bound = try mind(
      "jit \(root)/Examples/data/evaluate_digits.mind --entry accuracy \(digits)/mlp.safetensors \(digits)/test_x.npy \(digits)/test_y.npy",
      in: folder)
    let accuracy = try #require(Double(bound.output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(bound.error)")
    #expect(accuracy > 0.9)
    #expect(evaluated.output == "test accuracy \(bound.output)", "\(evaluated.error)")
    // The same model compiled by `mind build`, called from C on the .npy files.
    let c = try Tools.shell(
      "cd \(folder) && \(Tools.mind) build \(root)/Examples/data/digits_model.mind -o digits.o "
        + "--export 'accuracy(f32[64,128], f32[128], f32[128,10], f32[10], f32[297,64], i64[297])' && "
        + "cc -Wall -Werror -I. \(root)/Examples/data/evaluate_digits.c digits.o -lopenblas -lm -o evaluate && "
        + "./evaluate \(digits)")
    #expect(c.status == 0, "\(c.error)")
    let printed = c.output.split(separator: "\n").last.map(String.init) ?? ""
    #expect(printed.hasPrefix("test accuracy "))
    #expect(abs((Double(printed.dropFirst(14)) ?? 0) - accuracy) < 1e-6, "\(printed)")
  }
}
