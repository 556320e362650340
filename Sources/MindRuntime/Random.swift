// Deterministic random numbers for `randn`/`rand`: SplitMix64 over the seed and the element
// index (counter-based, so every machine and every evaluation order gives the same tensor),
// uniform in [0, 1) from the top 53 bits, normal by Box–Muller, computed in f64 and rounded to
// the tensor's dtype.

public enum RandomFill {
  static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  static func uniform(_ seed: UInt64, _ counter: UInt64) -> Double {
    Double(mix(seed &* 0x2545_F491_4F6C_DD1D ^ counter) >> 11) / Double(UInt64(1) << 53)
  }

  /// Fills `data` with uniform numbers in [0, 1) (an f32 that would round to 1 is the largest
  /// below it) or standard normal ones.
  public static func fill<F: BinaryFloatingPoint>(
    _ data: UnsafeMutablePointer<F>, count: Int, seed: UInt64, normal: Bool
  ) {
    for i in 0..<count {
      if normal {
        let u1 = max(uniform(seed, UInt64(2 * i)), 1e-300)
        let u2 = uniform(seed, UInt64(2 * i + 1))
        data[i] = F((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
      } else {
        let rounded = F(uniform(seed, UInt64(i)))
        data[i] = rounded < 1 ? rounded : F(1).nextDown
      }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
