// Trigonometric kernels (see VectorMath.swift): sin and cos (f32), atan, asin and acos.
//
// - sin, cos (f32): Cephes' reduction to |r| <= π/4 and polynomials (see sinOrCos); f64 uses
//   LLVM's intrinsics (libm).
// - atan: Cephes' reduction of |x| to |t| <= tan(π/8) (t = |x|, (|x| - 1)/(|x| + 1) or -1/|x|,
//   adding π/4 or π/2 split in two parts), then atan t = t + t³·P(t²), x's sign.
// - asin x = atan(x / √((1 - x)(1 + x))) and acos x = 2·atan(√((1 - x)/(1 + x))): 1 - x is exact
//   near 1, and atan's relative condition number is at most 1, so the arguments' few roundings
//   add about an ulp. |x| > 1 gives NaN, as libm.

import CLLVM
import MindIR

extension VectorMath {
  /// sin or cos, f32 only. |x| = kπ/2 + r with k the nearest integer (even multiples of π/4,
  /// Cephes' reduction) and r = |x| - k·π/2 by fused multiply-adds with π/4 split in three
  /// floats (72 bits of π); sin r and cos r by Cephes' polynomials on |r| <= π/4, chosen
  /// and signed by k mod 4 (cos x is sin(x + π/2): k + 1). Where a lane has |x| > 8192 the
  /// reduction loses bits, and that lane takes libm's value instead (the register is computed
  /// by libm's per-lane calls then, rare in practice; inf and NaN give NaN either way). The
  /// other lanes keep the polynomial's value, so an element's result never depends on the
  /// elements sharing its register (libm returns a tiny x itself, where the polynomial
  /// flushes a subnormal x to zero under flushing).
  func sinOrCos(_ x: LLVMValueRef, cosine: Bool) -> LLVMValueRef {
    let magnitude = ir.intrinsic("llvm.fabs", [x])
    let beyond = compare(LLVMRealUGT, magnitude, c(8192))
    let anyBeyond = width == 1 ? beyond : ir.intrinsic("llvm.vector.reduce.or", [beyond])
    // j = 2k: the integer part of |x|·4/π rounded up to even.
    let j = LLVMBuildAnd(
      b, LLVMBuildAdd(b, LLVMBuildFPToSI(b, mul(magnitude, c(4 / Double.pi)), bitsType, "")!, int(1), "")!, int(-2), "")!
    let jf = LLVMBuildSIToFP(b, j, ir.type(dtype, width: width), "")!
    // π/4 as three floats; the first step is exact (a multiple of 2^-24 below 1).
    let p1 = Double(Float(Double.pi / 4))
    let p2 = Double(Float(Double.pi / 4 - p1))
    let p3 = Double(Float(Double.pi / 4 - p1 - p2))
    let r = fma(jf, c(-p3), fma(jf, c(-p2), fma(jf, c(-p1), magnitude)))
    let z = mul(r, r)
    let sinR = fma(mul(polynomial(z, [-1.6666654611e-1, 8.3321608736e-3, -1.9515295891e-4]), z), r, r)
    let cosR = fma(
      mul(mul(polynomial(z, [4.166664568298827e-2, -1.388731625493765e-3, 2.443315711809948e-5]), z), z), c(1),
      fma(z, c(-0.5), c(1)))
    var k = LLVMBuildLShr(b, j, int(1), "")!
    if cosine { k = LLVMBuildAdd(b, k, int(1), "")! }
    let odd = LLVMBuildICmp(b, LLVMIntNE, LLVMBuildAnd(b, k, int(1), "")!, int(0), "")!
    var negate = LLVMBuildICmp(b, LLVMIntNE, LLVMBuildAnd(b, k, int(2), "")!, int(0), "")!
    if !cosine {
      // sin is odd: x's sign bit (so that sin(-0) = -0).
      let negative = LLVMBuildICmp(b, LLVMIntSLT, LLVMBuildBitCast(b, x, bitsType, "")!, int(0), "")!
      negate = LLVMBuildXor(b, negate, negative, "")!
    }
    let unsigned = select(odd, cosR, sinR)
    let reduced = select(negate, LLVMBuildFNeg(b, unsigned, "")!, unsigned)
    let fastEnd = ir.currentBlock
    let (slow, join) = (ir.block("sincos.libm"), ir.block("sincos.join"))
    ir.branch(if: anyBeyond, slow, else: join)
    ir.position(at: slow)
    let library = select(beyond, ir.intrinsic(cosine ? "llvm.cos" : "llvm.sin", [x]), reduced)
    let slowEnd = ir.currentBlock
    ir.branch(join)
    ir.position(at: join)
    return ir.phi(ir.type(dtype, width: width), [(reduced, fastEnd), (library, slowEnd)])
  }

  /// atan t = t + t·z·P(z), z = t², on z <= tan²(π/8).
  static let atanTail = Fit(
    center: 0.085786437626904951, halfWidth: 0.085786437626904951,
    f32: [-0.31716182, 0.015247016, -0.000867206127, 5.35578836e-5, -3.49836e-6, 2.34544056e-7],
    f64: [
      -0.31716181942391732, 0.015247015915511865, -0.00086721517853968413, 5.3558515679700361e-5,
      -3.4742616359116135e-6, 2.3286123208507119e-7, -1.5976282092982492e-8, 1.1154924048405332e-9,
      -7.8948188748638384e-11, 5.6493981619635186e-12, -4.1451856000924452e-13, 3.0158720804369646e-14,
    ])

  func atan(_ x: LLVMValueRef) -> LLVMValueRef {
    let a = abs(x)
    let beyond = compare(LLVMRealOGT, a, c(2.414213562373095))  // tan(3π/8)
    let middle = compare(LLVMRealOGT, a, c(0.41421356237309503))  // tan(π/8)
    let t = select(beyond, div(c(-1), a), select(middle, div(sub(a, c(1)), add(a, c(1))), a))
    // π/2 and π/4 in a high part (the dtype's rounding) and the low part it misses.
    let halfPi = (high: isF32 ? Double(Float(Double.pi / 2)) : Double.pi / 2, low: 6.123233995736766e-17)
    let halfPiLow = isF32 ? (Double.pi / 2 - halfPi.high) + halfPi.low : halfPi.low
    let baseHigh = select(beyond, c(halfPi.high), select(middle, c(halfPi.high / 2), c(0)))
    let baseLow = select(beyond, c(halfPiLow), select(middle, c(halfPiLow / 2), c(0)))
    let z = mul(t, t)
    let tail = fma(mul(t, z), evaluate([(Self.atanTail, nil)], at: z), t)
    return copysign(add(baseHigh, add(baseLow, tail)), x)
  }

  func asin(_ x: LLVMValueRef) -> LLVMValueRef {
    atan(div(x, sqrt(mul(sub(c(1), x), add(c(1), x)))))
  }

  func acos(_ x: LLVMValueRef) -> LLVMValueRef {
    mul(c(2), atan(sqrt(div(sub(c(1), x), add(c(1), x)))))
  }
}
