// Generated code flushes subnormal numbers to zero by default (FTZ and DAZ, as XLA does) and keeps
// IEEE gradual underflow when asked; the host's floating-point mode is the same after a call.

import Foundation
import Testing

@testable import MIND

@Suite struct SubnormalsTests {
  static let source = """
    fn scale(x: Tensor<f32, N>, s: f32) -> Tensor<f32, N> { x * s }
    fn twice(x: Tensor<f64, N>) -> Tensor<f64, N> { x + x }
    """

  /// 1e-20 * 1e-20 = 1e-40 is subnormal in f32; 1e-310 is subnormal in f64. The modes alternate
  /// in one process, so the runtime's worker threads run code of both (they start in the mode of
  /// the code that started them).
  @Test func resultsAndInputs() throws {
    for flushesSubnormals in [true, false, true, false] {
      try check(flushesSubnormals: flushesSubnormals)
    }
  }

  func check(flushesSubnormals: Bool) throws {
    let session = try Session(source: Self.source, cacheDirectory: nil, flushesSubnormals: flushesSubnormals)
    for count in [3, 1 << 18] {  // scalar-width and parallel loops (worker threads)
      let product = try session.function("scale")(Tensor([Float](repeating: 1e-20, count: count)), Tensor(Float(1e-20)))
      let doubled = try session.function("twice")(Tensor([Double](repeating: 1e-310, count: count)))
      if flushesSubnormals {
        #expect(product[0].floats.allSatisfy { $0 == 0 })
        #expect(doubled[0].doubles.allSatisfy { $0 == 0 })
      } else {
        #expect(product[0].floats.allSatisfy { $0 == Float(1e-20) * Float(1e-20) && $0.isSubnormal })
        #expect(doubled[0].doubles.allSatisfy { $0 == 2e-310 })
      }
    }
    // The host computes with IEEE subnormals again after the call.
    let tiny = Float(1e-20)
    #expect((tiny * tiny).isSubnormal)
  }

  @Test func modeIsPartOfTheCacheKey() throws {
    let flushing = try Engine(flushesSubnormals: true)
    let ieee = try Engine(flushesSubnormals: false)
    #expect(flushing.fingerprint != ieee.fingerprint)
    #expect(ieee.fingerprint.hasSuffix("ieee-subnormals"))
  }

  @Test func commandLineFlag() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mind-ftz-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("tiny.mind").path
    try "fn main() { let x = randn([2], seed=1) * 0.0 + 1e-20; print(x * x); }\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    let flushed = try Tools.shell("\(Tools.mind) jit --no-cache \(path)")
    #expect(flushed.output == "[0.0, 0.0]\n")
    let ieee = try Tools.shell("\(Tools.mind) jit --no-cache --ieee-subnormals \(path)")
    #expect(ieee.output == "[1e-40, 1e-40]\n")
  }
}
