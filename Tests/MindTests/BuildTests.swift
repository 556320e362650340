// `mind build` as a C programmer uses it: the object and header it writes compile and link
// with `cc`, the functions compute the right numbers, and runtime errors come back as status.

import Foundation
import Testing

@Suite struct BuildTests {
  static let model = """
    fn loss(w: Tensor<f32, 3, 2>, x: Tensor<f32, 4, 3>, y: Tensor<f32, 4, 2>) -> f32 {
        mean((x @ w - y) ** 2)
    }
    fn pick(x: Tensor<f32, 3>, i: i64) -> f32 { x[i] * 2.0 }
    fn noisy(x: Tensor<f32, 2>) -> Tensor<f32, 2> { x + randn([2], seed=3) }
    fn solved(a: Tensor<f32, 2, 2>, b: Tensor<f32, 2>) -> Tensor<f32, 2> { solve(a, b) }
    """

  static let program = """
    #include <stdio.h>
    #include "model.h"
    int main(void) {
      float w[6] = {1, 2, 3, 4, 5, 6}, x[12], y[8], l, g[6], p, n[2], z[2] = {0, 0};
      for (int i = 0; i < 12; i++) x[i] = i * 0.1f;
      for (int i = 0; i < 8; i++) y[i] = 1.0f;
      mind_status status = {0};
      int a = mind_loss(&status, w, x, y, &l);
      int b = mind_grad_loss(&status, w, x, y, g);
      printf("%d %d %.6f\\n", a, b, l);
      for (int i = 0; i < 6; i++) printf("%.6f ", g[i]);
      printf("\\n");
      float v[3] = {1, 2, 3};
      int64_t index = -1;
      int c = mind_pick(&status, v, &index, &p);
      printf("%d %.1f\\n", c, p);
      index = 5;
      int d = mind_pick(&status, v, &index, &p);
      printf("%d %lld %lld %s\\n", d, (long long)status.a, (long long)status.b, mind_model_error_message(status.site));
      int e = mind_noisy(&status, z, n);
      printf("%d %.7f %.7f\\n", e, n[0], n[1]);
      float m[4] = {2, 1, 1, 3}, r[2] = {3, 5}, s[2];
      int f = mind_solved(&status, m, r, s);
      printf("%d %.6f %.6f\\n", f, s[0], s[1]);
      return 0;
    }
    """

  @Test func aCProgramLinksTheObjectAndGetsTheNumbers() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mind-build-\(UUID().uuidString)")
      .path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try Self.model.write(toFile: directory + "/model.mind", atomically: true, encoding: .utf8)
    try Self.program.write(toFile: directory + "/main.c", atomically: true, encoding: .utf8)
    let build = try Tools.shell(
      "cd \(directory) && \(Tools.mind) build model.mind --export 'loss(f32[3,2], f32[4,3], f32[4,2])' "
        + "--export 'grad(loss)(f32[3,2], f32[4,3], f32[4,2])' --export 'pick(f32[3], i64)' --export 'noisy(f32[2])' "
        + "--export 'solved(f32[2,2], f32[2])' -o model.o"
    )
    #expect(build.status == 0, "\(build.error)")
    let header = try String(contentsOfFile: directory + "/model.h", encoding: .utf8)
    #expect(header.contains("int32_t mind_grad_loss(mind_status *status, const float *in0 /* [3, 2] */"))
    let compiled = try Tools.shell(
      "cd \(directory) && cc -Wall -Werror main.c model.o -lopenblas -lm -o main && ./main")
    #expect(compiled.status == 0, "\(compiled.error)")
    let lines = compiled.output.split(separator: "\n").map(String.init)
    try #require(lines.count == 6)
    // NumPy: r = x @ w - y; mean(r²) = 40.1175; ∂/∂w = 2 xᵀ r / 8.
    #expect(lines[0] == "0 0 40.117500")
    #expect(close(numbers(in: lines[1]), [2.97, 4.05, 3.405, 4.65, 3.84, 5.25], relative: 1e-5))
    #expect(lines[2] == "0 6.0")
    #expect(lines[3] == "1 5 3 model.mind:4:45: error[E6001]: index {0} is out of bounds for axis 0 with size {1}")
    // The random tensor is computed at build time, with the JIT's generator.
    let jit = run("fn main() { print(randn([2], seed=3)); }")
    #expect(close(numbers(in: lines[4]), [0] + numbers(in: jit.output), relative: 1e-6))
    // The linear algebra calls the LAPACK in OpenBLAS: [[2, 1], [1, 3]] x = [3, 5].
    #expect(lines[5] == "0 0.800000 1.400000")
  }

  @Test func exportNamesAreCIdentifiersThatCollideWithNothing() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mind-build-\(UUID().uuidString)")
      .path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try "fn f(x: f32) -> f32 { x * 3.0 }\n".write(toFile: directory + "/a.mind", atomically: true, encoding: .utf8)
    try "fn f(x: f32) -> f32 { x * 5.0 }\n".write(toFile: directory + "/b.mind", atomically: true, encoding: .utf8)
    let refused: [(name: String, reason: String)] = [
      ("1abc", "is not a C identifier"), ("é", "is not a C identifier"), ("a b", "is not a C identifier"),
      ("int", "is a C or C++ keyword"), ("class", "is a C or C++ keyword"), ("__x", "is reserved"),
      ("_Value", "is reserved"), ("malloc", "C library, libm or OpenBLAS"), ("expf", "C library, libm or OpenBLAS"),
      ("sgemm_", "C library, libm or OpenBLAS"), ("mind_a_error_message", "the object or its header defines"),
      ("MIND_A_H", "the object or its header defines"),
    ]
    for (name, reason) in refused {
      let result = try Tools.shell("cd \(directory) && \(Tools.mind) build a.mind --export '\(name)=f(f32)' -o a.o")
      #expect(result.status == 1, "\(name)")
      #expect(result.error.contains("error[E7003]") && result.error.contains(reason), "\(name): \(result.error)")
    }
    // A line break would inject a line into the header.
    let injected = try Tools.shell(
      "cd \(directory) && \(Tools.mind) build a.mind --export $'f(f32)\\n#include <nothing.h>' -o a.o")
    #expect(injected.status == 1)
    #expect(injected.error.contains("control character") && injected.error.contains("f(f32)\\u{a}#include"))
    // Two objects, each with its own message function, link into one program with both headers.
    for stem in ["a", "b"] {
      let built = try Tools.shell(
        "cd \(directory) && \(Tools.mind) build \(stem).mind --export 'times_\(stem)=f(f32)' -o \(stem).o")
      #expect(built.status == 0, "\(built.error)")
    }
    let program = """
      #include <stdio.h>
      #include "a.h"
      #include "b.h"
      int main(void) {
        mind_status status = {0};
        float x = 2, y, z;
        int s = times_a(&status, &x, &y) + times_b(&status, &x, &z);
        const char *(*messages[2])(int64_t) = {mind_a_error_message, mind_b_error_message};
        printf("%d %.1f %.1f %d\\n", s, y, z, messages[0] != messages[1]);
        return 0;
      }
      """
    try program.write(toFile: directory + "/main.c", atomically: true, encoding: .utf8)
    let linked = try Tools.shell("cd \(directory) && cc -Wall -Werror main.c a.o b.o -lopenblas -lm -o main && ./main")
    #expect(linked.status == 0, "\(linked.error)")
    #expect(linked.output == "0 6.0 10.0 1\n")
  }

  @Test func printInAnExportIsAnError() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mind-build-\(UUID().uuidString)")
      .path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try "fn f(x: f32) -> f32 {\n    print(x);\n    x\n}\n".write(
      toFile: directory + "/m.mind", atomically: true, encoding: .utf8)
    let result = try Tools.shell("cd \(directory) && \(Tools.mind) build m.mind --export 'f(f32)' -o m.o")
    #expect(result.status == 1)
    #expect(result.error.contains("error[E7010]"))
    #expect(result.error.contains("m.mind:2:5"))
    let bad = try Tools.shell("cd \(directory) && \(Tools.mind) build m.mind --export 'f(f16)' -o m.o")
    #expect(bad.status == 1)
    #expect(bad.error.contains("E7003"))
    let nothing = try Tools.shell("cd \(directory) && \(Tools.mind) build m.mind -o m.o")
    #expect(nothing.status == 1)
    #expect(nothing.error.contains("E7002"))
    try "fn g(x: f32) -> f32 { sum(randn([5000000], seed=1)) * x }\n".write(
      toFile: directory + "/r.mind", atomically: true, encoding: .utf8)
    let random = try Tools.shell("cd \(directory) && \(Tools.mind) build r.mind --export 'g(f32)' -o r.o")
    #expect(random.status == 1)
    #expect(random.error.contains("error[E7011]"))
    try "fn h(x: f32) -> f32 { x }\n".write(toFile: directory + "/h.mind", atomically: true, encoding: .utf8)
    let unwritable = try Tools.shell(
      "cd \(directory) && \(Tools.mind) build h.mind --export 'h(f32)' -o /nonexistent/folder/h.o")
    #expect(unwritable.status == 1)
    #expect(unwritable.error.contains("error[E7004]"))
  }
}
