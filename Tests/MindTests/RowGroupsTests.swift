// Row fusion (RowGroups.swift): row-wise functions of [R, C] inputs run as one loop over rows
// when R > 1, on several threads when R·C reaches the parallel threshold, with scratch rows for
// the values only the group reads. A single row ([1, C]) is lowered op by op. Each row of the
// first must equal the second's for that row, in both tiers, for rows with and without a
// vector tail, in f32 and f64, serial and parallel, and for groups that other code interrupts
// or whose values are read after them.

import Foundation
import MIND
import Testing

@Suite struct RowGroupsTests {
  static let source = """
    fn soft(x: Tensor<f32, B, D>, c: Tensor<f32, B, D>) -> f32 { sum(softmax(x) * c) }
    fn ln_gelu(x: Tensor<f32, B, D>, c: Tensor<f32, B, D>) -> f32 { sum(gelu(layer_norm(x)) * c) }
    fn soft64(x: Tensor<f64, B, D>, c: Tensor<f64, B, D>) -> f64 { sum(softmax(x) * c) }
    fn cross_entropy(x: Tensor<f32, B, D>, c: Tensor<f32, B, D>) -> f32 {
        -sum(log_softmax(x) * softmax(c))
    }
    // The statistics are read after the group too, and a transpose interrupts the gradient.
    fn interrupted(x: Tensor<f32, B, D>, c: Tensor<f32, B, D>) -> f32 {
        let m = mean(x, axis=1, keepdims=true);
        let s = softmax(x - m);
        sum(s * c) + sum(transpose(s * s) * transpose(c)) + sum(m * m)
    }
    """

  struct Case: CustomTestStringConvertible, Sendable {
    let function: String
    let rows: Int
    let width: Int
    var f64: Bool { function.hasSuffix("64") }
    var testDescription: String { "\(function) \(rows)x\(width)" }
  }

  static let cases = [
    Case(function: "soft", rows: 16, width: 100), Case(function: "soft", rows: 2048, width: 100),
    Case(function: "ln_gelu", rows: 24, width: 64), Case(function: "ln_gelu", rows: 512, width: 1000),
    Case(function: "soft64", rows: 8, width: 37), Case(function: "soft64", rows: 1024, width: 300),
    Case(function: "cross_entropy", rows: 300, width: 10), Case(function: "cross_entropy", rows: 4096, width: 40),
    Case(function: "interrupted", rows: 32, width: 50), Case(function: "interrupted", rows: 1200, width: 128),
  ]

  @Test(arguments: cases) func rowsEqualTheRowsAlone(_ test: Case) throws {
    let (rows, width) = (test.rows, test.width)
    let x = (0..<rows * width).map { Foundation.sin(Double($0) * 0.37) * 2 }
    let c = (0..<rows * width).map { Foundation.cos(Double($0) * 0.11) }
    func tensor(_ values: ArraySlice<Double>, rows: Int) -> Tensor {
      test.f64 ? Tensor(Array(values), shape: [rows, width]) : Tensor(values.map(Float.init), shape: [rows, width])
    }
    func values(_ t: Tensor) -> [Double] { test.f64 ? t.doubles : t.floats.map(Double.init) }
    let session = try Session(source: Self.source, cacheDirectory: nil)
    let gradient = try session.function("grad(\(test.function))")
    for tier in ["quick", "optimized"] {
      if tier == "optimized" { session.waitForOptimizedCode() }
      let whole = values(try gradient(tensor(x[...], rows: rows), tensor(c[...], rows: rows))[0])
      for row in Set([0, 1, rows / 2, rows - 1]) {
        let part = row * width..<(row + 1) * width
        let alone = values(try gradient(tensor(x[part], rows: 1), tensor(c[part], rows: 1))[0])
        let worst = zip(whole[part], alone).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
        #expect(worst < (test.f64 ? 1e-12 : 1e-5), "\(test.function) \(tier) row \(row): \(worst)")
      }
    }
  }
}
