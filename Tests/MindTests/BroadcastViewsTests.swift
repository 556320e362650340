// Broadcasts read in place by their elementwise readers (Sources/MindCodegen/BroadcastViews.swift)
// compute what a written-out broadcast computes: a row statistic over rows (one operand element
// per vector), a bias over rows (consecutive elements, repeated), a middle axis, extents that
// no vector width divides (written out), a reduction reading a view, a loop split across
// threads, f64; against the same values computed here.

import Foundation
import MIND
import Testing

@Suite struct BroadcastViewsTests {
  static let source = """
    fn rows(x: Tensor<f32, B, D>) -> Tensor<f32, B, D> { x - mean(x, axis=1, keepdims=true) * 0.5 }
    fn bias(x: Tensor<f32, B, D>, v: Tensor<f32, D>) -> Tensor<f32, B, D> { x * 2.0 + v }
    fn middle(x: Tensor<f32, A, M, D>, v: Tensor<f32, M>) -> Tensor<f32, A, M, D> {
        x * broadcast(reshape(v, [M, 1]), [A, M, D])
    }
    fn columns(x: Tensor<f32, B, D>, v: Tensor<f32, D>) -> Tensor<f32, D> { sum(x * v, axis=0) }
    fn rows64(x: Tensor<f64, B, D>) -> Tensor<f64, B, D> { x / sum(x, axis=1, keepdims=true) }
    """

  static func values(_ count: Int, _ phase: Double) -> [Double] {
    (0..<count).map { Foundation.sin(Double($0) * 0.37 + phase) }
  }

  static func check(_ got: [Double], _ want: [Double], _ what: String) {
    #expect(got.count == want.count, "\(what)")
    let worst = zip(got, want).map { abs($0 - $1) / max(abs($1), 1) }.max() ?? 0
    #expect(worst < 1e-5, "\(what): worst relative error \(worst)")
  }

  /// (B, D): D = 16 and 64 are multiples of every vector width, 5 of none, 512×512 runs on
  /// several threads.
  @Test(arguments: [(3, 16), (4, 5), (2, 64), (512, 512)]) func rowsAndBiases(_ shape: (Int, Int)) throws {
    let (b, d) = shape
    let session = try Session(source: Self.source, cacheDirectory: nil)
    let x = Self.values(b * d, 1)
    let v = Self.values(d, 2)
    let xf = Tensor(x.map(Float.init), shape: [b, d])
    let vf = Tensor(v.map(Float.init), shape: [d])
    let xs = xf.floats.map(Double.init)
    let vs = vf.floats.map(Double.init)

    let rows = try session.function("rows")(xf)[0].floats.map(Double.init)
    let means = (0..<b).map { r in (0..<d).reduce(0.0) { $0 + xs[r * d + $1] } / Double(d) }
    Self.check(rows, (0..<b * d).map { xs[$0] - means[$0 / d] * 0.5 }, "rows \(shape)")

    let bias = try session.function("bias")(xf, vf)[0].floats.map(Double.init)
    Self.check(bias, (0..<b * d).map { xs[$0] * 2 + vs[$0 % d] }, "bias \(shape)")

    let columns = try session.function("columns")(xf, vf)[0].floats.map(Double.init)
    Self.check(columns, (0..<d).map { c in (0..<b).reduce(0.0) { $0 + xs[$1 * d + c] * vs[c] } }, "columns \(shape)")

    let rows64 = try session.function("rows64")(Tensor(x, shape: [b, d]))[0].doubles
    let sums = (0..<b).map { r in (0..<d).reduce(0.0) { $0 + x[r * d + $1] } }
    Self.check(rows64, (0..<b * d).map { x[$0] / sums[$0 / d] }, "rows64 \(shape)")
  }

  @Test func aMiddleAxis() throws {
    let session = try Session(source: Self.source, cacheDirectory: nil)
    let (a, m, d) = (2, 3, 16)
    let x = Tensor(Self.values(a * m * d, 1).map(Float.init), shape: [a, m, d])
    let v = Tensor(Self.values(m, 2).map(Float.init), shape: [m])
    let (xs, vs) = (x.floats.map(Double.init), v.floats.map(Double.init))
    let got = try session.function("middle")(x, v)[0].floats.map(Double.init)
    Self.check(got, (0..<a * m * d).map { xs[$0] * vs[($0 / d) % m] }, "middle")
  }

  /// The row statistic of `rows` is read in place: no loop writes the broadcast out.
  @Test func theBroadcastIsNotWrittenOut() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mind-views-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("views.mind").path
    try (Self.source + "\nfn main() { print(sum(rows(rand([8, 32])))); }\n").write(
      toFile: path, atomically: true, encoding: .utf8)
    let mir = try Tools.shell("\(Tools.mind) ir \(path) --stage opt")
    #expect(mir.output.contains("broadcast"))
    let llvm = try Tools.shell("\(Tools.mind) ir \(path) --stage llvm").output
    #expect(llvm.contains("udiv i64"), "the view's index")
    // One 1 KiB buffer, the random matrix's; written out, the broadcast takes a second.
    #expect(llvm.components(separatedBy: "alloca [1024 x i8]").count - 1 == 1, "\(llvm)")
  }
}
