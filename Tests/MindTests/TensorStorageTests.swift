// Host tensors keep their bytes 64-byte aligned (whole cache lines for compiled code's vector
// loads), whether made from a Swift array or written by compiled code as a result; tensors of
// 2 MiB or more live in 2 MiB-aligned (huge-page) blocks, recycled when freed.

import Testing

@testable import MIND

@Suite struct TensorStorageTests {
  static func aligned(_ tensor: Tensor) -> Bool { UInt(bitPattern: tensor.storage.pointer) % 64 == 0 }

  @Test func inputsAndResultsAreAlignedAndCompareByContent() throws {
    let session = try Session(source: "fn twice(x: Tensor<f32, N>) -> Tensor<f32, N> { x * 2.0 }", cacheDirectory: nil)
    for count in [1, 3, 1000, 100_001, 1_000_000, 1_000_000, 600_000] {
      let input = Tensor((0..<count).map { Float($0) })
      let result = try session.function("twice")(input)[0]
      #expect(Self.aligned(input) && Self.aligned(result))
      if count * 4 >= 2 << 20 {
        #expect(UInt(bitPattern: result.storage.pointer) % UInt(2 << 20) == 0)
      }
      #expect(result == Tensor((0..<count).map { Float(2 * $0) }))
      #expect(result != input || count == 1 && input.floats == [0])
    }
  }
}
