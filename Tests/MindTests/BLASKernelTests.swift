// The OpenBLAS kernel family is chosen from the CPU's instruction set extensions, never from its
// model name (which OpenBLAS fails to recognize on CPUs newer than itself), and OpenBLAS is
// checked to run what was asked of it.

import Testing

@testable import MIND
@testable import MindJIT

@Suite struct BLASKernelTests {
  static let avx2: Set<String> = ["sse2", "sse4.2", "avx", "avx2", "fma", "f16c"]
  static let avx512 = avx2.union(["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"])

  @Test func selectionFollowsFeaturesAndVendor() {
    // An AVX-512 Intel CPU of any model name (the Xeon VM OpenBLAS took for a Prescott).
    #expect(BLAS.preferredCoreType(features: Self.avx512, vendor: "GenuineIntel") == "SkylakeX")
    // Zen 4: AVX-512 in two 256-bit halves, where the AVX2 kernels measured faster.
    #expect(BLAS.preferredCoreType(features: Self.avx512, vendor: "AuthenticAMD") == "Haswell")
    #expect(BLAS.preferredCoreType(features: Self.avx2, vendor: "GenuineIntel") == "Haswell")
    #expect(BLAS.preferredCoreType(features: Self.avx2, vendor: "AuthenticAMD") == "Haswell")
    #expect(BLAS.preferredCoreType(features: Self.avx2, vendor: "") == "Haswell")
    // AVX-512 F alone (no BW/VL) is not SkylakeX's instruction set.
    #expect(BLAS.preferredCoreType(features: Self.avx2.union(["avx512f"]), vendor: "GenuineIntel") == "Haswell")
    #expect(BLAS.preferredCoreType(features: ["sse2", "sse4.2", "avx"], vendor: "GenuineIntel") == nil)
    #expect(BLAS.preferredCoreType(features: Self.avx2.subtracting(["fma"]), vendor: "GenuineIntel") == nil)
  }

  @Test func hostDetectionReadsFeaturesAndVendor() {
    let features = BLAS.hostFeatures()
    #expect(features.contains("sse2"))
    #expect(!features.contains(where: { $0.hasPrefix("+") || $0.hasPrefix("-") }))
    #expect(["GenuineIntel", "AuthenticAMD", ""].contains(BLAS.hostVendor()))
  }

  @Test func openBLASRunsTheRequestedKernels() throws {
    // A product large enough for OpenBLAS loads it.
    let session = try Session(
      source: "fn f(a: Tensor<f32, 64, 64>) -> Tensor<f32, 64, 64> { a @ a }", cacheDirectory: nil)
    let ones = Tensor([Float](repeating: 1, count: 64 * 64), shape: [64, 64])
    #expect(try session.function("f")(ones)[0].floats.allSatisfy { $0 == 64 })
    let kernel = try #require(BLAS.loadedKernel)
    #expect(kernel.running != "unknown")
    if let requested = kernel.requested {
      #expect(requested.lowercased() == kernel.running.lowercased(), "\(kernel.description)")
    }
    #expect(Engine.versionReport().contains("OpenBLAS kernels: \(kernel.running)"))
  }
}
