// Values recomputed in each of their readers (FunctionLowering.planFusion, FusionCosts.swift):
// only tensors of 1 MiB or more qualify, so the gradient of a row-wise function over 512 rows
// of 1024 (2 MiB) recomputes its intermediates while the same gradient of one row stores them.
// Each row of the first must equal the second's for that row, in both compilation tiers.

import Foundation
import MIND
import Testing

@Suite struct RecomputedFusionTests {
  static let source = """
    fn ln_gelu(x: Tensor<f32, B, D>, c: Tensor<f32, B, D>) -> f32 { sum(gelu(layer_norm(x)) * c) }
    fn soft(x: Tensor<f32, B, D>, c: Tensor<f32, B, D>) -> f32 { sum(softmax(x) * c) }
    """

  @Test(arguments: ["ln_gelu", "soft"]) func rowsEqualTheRowsAlone(_ function: String) throws {
    let (rows, width) = (512, 1024)
    let x = (0..<rows * width).map { Float(Foundation.sin(Double($0) * 0.37)) * 2 }
    let c = (0..<rows * width).map { Float(Foundation.cos(Double($0) * 0.11)) }
    let session = try Session(source: Self.source, cacheDirectory: nil)
    let gradient = try session.function("grad(\(function))")
    for tier in ["quick", "optimized"] {
      if tier == "optimized" { session.waitForOptimizedCode() }
      let whole = try gradient(Tensor(x, shape: [rows, width]), Tensor(c, shape: [rows, width]))[0].floats
      for row in [0, 1, 255, 511] {
        let part = row * width..<(row + 1) * width
        let alone = try gradient(
          Tensor(Array(x[part]), shape: [1, width]), Tensor(Array(c[part]), shape: [1, width]))[0]
          .floats
        let worst = zip(whole[part], alone).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
        #expect(worst < 1e-4, "\(function) \(tier) row \(row): \(worst)")
      }
    }
  }
}
