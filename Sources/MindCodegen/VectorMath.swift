// Vector math kernels: exp, expm1, log, log1p and (f32) sin, cos and tanh as LLVM IR on registers of any width,
// so elementwise loops that use them stay vectorized (`llvm.exp` and `llvm.log` on vectors become
// one libm call per lane). The same code serves the scalar tail, so every element of a tensor is
// computed the same way.
//
// - exp: x = n·ln2 + r with n = rint(x / ln2) and |r| <= ln2/2 (ln2 split in a high part exact
//   in n·ln2 and a low part); e^r by a polynomial (Cephes' minimax for f32, the Taylor series
//   to degree 13 for f64); times 2^n built in the exponent bits, in two halves so that results
//   down to the smallest subnormal and up to the largest finite number are exact scalings.
//   Beyond the range: +inf and 0; NaN stays NaN. expm1 shares the reduction and the polynomial
//   for e^r - 1 (see expm1).
// - log: x = m·2^e with m in [√½, √2) (subnormals scaled first); log m = 2·atanh(s) with
//   s = (m - 1)/(m + 1), |s| <= 0.172, by its odd series (arranged as in fdlibm); plus e·ln2
//   (high and low parts).
//   log 0 = -inf, log of a negative number or NaN is NaN, log inf = inf. log1p corrects log of
//   the rounded 1 + x by its rounding error (see log1p).
// - logistic: 1/(1 + e^-|x|) or e^-|x|/(1 + e^-|x|) by x's sign.
// - sin, cos (f32): Cephes' reduction to |r| <= π/4 and polynomials (see sinOrCos).
// - tanh (f32): Cephes' odd polynomial below |x| = 0.625, else 1 - 2/(e^(2|x|) + 1) with x's
//   sign. f64 tanh calls libm per element (see ElementwiseLowering.needsLibraryCall).
//
// Accuracy against glibc's libm (VectorMathTests): exp, log and log1p within 1 ulp, expm1 within 2
// (f32 and f64); tanh and sigmoid within 2 ulps (f32).

import CLLVM
import MindIR

struct VectorMath {
  let ir: IRBuilder
  let dtype: DType
  let width: Int

  private var b: LLVMBuilderRef { ir.ref }
  private var isF32: Bool { dtype == .f32 }
  /// The integer type of the same width as the float, and the float's mantissa bits and bias.
  private var bitsType: LLVMTypeRef { ir.type(isF32 ? .i32 : .i64, width: width) }
  private var mantissaBits: Int { isF32 ? 23 : 52 }
  private var bias: Int { isF32 ? 127 : 1023 }

  private func c(_ v: Double) -> LLVMValueRef { ir.constant(v, dtype, width: width) }
  private func int(_ v: Int) -> LLVMValueRef { ir.constant(Double(v), isF32 ? .i32 : .i64, width: width) }
  private func add(_ x: LLVMValueRef, _ y: LLVMValueRef) -> LLVMValueRef { LLVMBuildFAdd(b, x, y, "")! }
  private func sub(_ x: LLVMValueRef, _ y: LLVMValueRef) -> LLVMValueRef { LLVMBuildFSub(b, x, y, "")! }
  private func mul(_ x: LLVMValueRef, _ y: LLVMValueRef) -> LLVMValueRef { LLVMBuildFMul(b, x, y, "")! }
  private func fma(_ x: LLVMValueRef, _ y: LLVMValueRef, _ z: LLVMValueRef) -> LLVMValueRef {
    ir.intrinsic("llvm.fma", [x, y, z])
  }
  private func select(_ condition: LLVMValueRef, _ x: LLVMValueRef, _ y: LLVMValueRef) -> LLVMValueRef {
    LLVMBuildSelect(b, condition, x, y, "")!
  }
  private func compare(_ predicate: LLVMRealPredicate, _ x: LLVMValueRef, _ y: LLVMValueRef) -> LLVMValueRef {
    LLVMBuildFCmp(b, predicate, x, y, "")!
  }

  /// Σ coefficients[i]·x^i by Horner's rule (coefficients from the constant term up).
  private func polynomial(_ x: LLVMValueRef, _ coefficients: [Double]) -> LLVMValueRef {
    var result = c(coefficients.last!)
    for coefficient in coefficients.dropLast().reversed() { result = fma(result, x, c(coefficient)) }
    return result
  }

  /// 2^n for an integer-valued float n with |n| <= 2·bias, as the product of two powers of two.
  private func scale(_ y: LLVMValueRef, byPowerOfTwo n: LLVMValueRef) -> LLVMValueRef {
    let k = LLVMBuildFPToSI(b, n, bitsType, "")!
    let half = LLVMBuildAShr(b, k, int(1), "")!
    let rest = LLVMBuildSub(b, k, half, "")!
    let power = { (e: LLVMValueRef) -> LLVMValueRef in
      let bits = LLVMBuildShl(
        self.b, LLVMBuildAdd(self.b, e, self.int(self.bias), "")!, self.int(self.mantissaBits), "")!
      return LLVMBuildBitCast(self.b, bits, self.ir.type(self.dtype, width: self.width), "")!
    }
    return mul(mul(y, power(half)), power(rest))
  }

  /// Above `expHigh` e^x overflows; below `expLow` it underflows to zero.
  private var expHigh: Double { isF32 ? 88.72283935546875 : 709.782712893384 }
  private var expLow: Double { isF32 ? -103.972084045410 : -745.1332191019412 }

  /// x = n·ln2 + r with n = rint(x / ln2) and |r| <= ln2/2, for x in [expLow, expHigh]; r = x
  /// exactly when n = 0.
  private func reducedByLn2(_ x: LLVMValueRef) -> (n: LLVMValueRef, r: LLVMValueRef) {
    let (ln2High, ln2Low) =
      isF32 ? (0.693359375, -2.12194440e-4) : (0.693147180369123816490, 1.90821492927058770002e-10)
    let n = ir.intrinsic("llvm.rint", [mul(x, c(1.4426950408889634))])
    return (n, fma(n, c(-ln2Low), fma(n, c(-ln2High), x)))
  }

  /// e^r - 1 for |r| <= ln2/2, as r + r²·P(r) (Cephes' minimax P for f32, the Taylor series to
  /// degree 14 for f64), with full relative accuracy down to r = 0.
  private func expm1Reduced(_ r: LLVMValueRef) -> LLVMValueRef {
    if isF32 {
      let p = polynomial(
        r, [5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.9875691500e-4])
      return fma(mul(p, r), r, r)
    }
    var factorials = [1.0, 1.0]
    for k in 2...14 { factorials.append(factorials[k - 1] * Double(k)) }
    return fma(mul(r, r), polynomial(r, factorials.dropFirst(2).map { 1 / $0 }), r)
  }

  func exp(_ x: LLVMValueRef) -> LLVMValueRef {
    let clamped = ir.intrinsic("llvm.minnum", [ir.intrinsic("llvm.maxnum", [x, c(expLow)]), c(expHigh)])
    let (n, r) = reducedByLn2(clamped)
    var result = scale(add(expm1Reduced(r), c(1)), byPowerOfTwo: n)
    result = select(compare(LLVMRealOGT, x, c(expHigh)), c(.infinity), result)
    result = select(compare(LLVMRealOLT, x, c(expLow)), c(0), result)
    return select(compare(LLVMRealUNO, x, x), x, result)
  }

  /// e^x - 1 = 2^n·(e^r - 1) + (2^n - 1), one rounding by a fused multiply-add; 2^n - 1 is exact
  /// for n >= -(mantissa bits + 1), below which the result is -1. Where 2^n - 1 is no longer exact
  /// (n beyond the mantissa), the -1 does not matter and the result is e^x, scaled as exp does.
  func expm1(_ x: LLVMValueRef) -> LLVMValueRef {
    let low = -Double(mantissaBits + 1) * 0.6931471805599453
    let clamped = ir.intrinsic("llvm.minnum", [ir.intrinsic("llvm.maxnum", [x, c(low)]), c(expHigh)])
    let (n, r) = reducedByLn2(clamped)
    let p = expm1Reduced(r)
    let moderate = compare(LLVMRealOLE, n, c(Double(mantissaBits + 1)))
    let t = scale(c(1), byPowerOfTwo: select(moderate, n, c(0)))
    var result = select(moderate, fma(t, p, sub(t, c(1))), scale(add(p, c(1)), byPowerOfTwo: n))
    result = select(compare(LLVMRealOGT, x, c(expHigh)), c(.infinity), result)
    result = select(compare(LLVMRealOLT, x, c(low)), c(-1), result)
    // ±0 keeps its sign (and so does a subnormal read as zero); NaN stays NaN.
    result = select(compare(LLVMRealOEQ, x, c(0)), ir.intrinsic("llvm.copysign", [c(0), x]), result)
    return select(compare(LLVMRealUNO, x, x), x, result)
  }

  func log(_ x: LLVMValueRef) -> LLVMValueRef {
    let floatType = ir.type(dtype, width: width)
    // Subnormals: scale into the normal range first (exactly), and remember the exponent.
    let smallestNormal = isF32 ? Double(Float.leastNormalMagnitude) : Double.leastNormalMagnitude
    let subnormal = compare(LLVMRealOLT, x, c(smallestNormal))
    let normal = select(subnormal, mul(x, c(Double(sign: .plus, exponent: mantissaBits, significand: 1))), x)
    let bits = LLVMBuildBitCast(b, normal, bitsType, "")!
    let exponentBits = LLVMBuildSub(b, LLVMBuildLShr(b, bits, int(mantissaBits), "")!, int(bias), "")!
    var e = LLVMBuildSIToFP(b, exponentBits, floatType, "")!
    e = select(subnormal, sub(e, c(Double(mantissaBits))), e)
    // m in [1, 2), then [√½, √2).
    let mantissaMask = (1 << mantissaBits) - 1
    let mBits = LLVMBuildOr(b, LLVMBuildAnd(b, bits, int(mantissaMask), "")!, int(bias << mantissaBits), "")!
    var m = LLVMBuildBitCast(b, mBits, floatType, "")!
    let large = compare(LLVMRealOGT, m, c(2.0.squareRoot()))
    m = select(large, mul(m, c(0.5)), m)
    e = select(large, add(e, c(1)), e)
    // log(1 + f) = f - (f²/2 - s·(f²/2 + R)), s = f/(2 + f), R = Σ_{k≥1} 2 s^2k/(2k + 1)
    // (fdlibm's arrangement: the large terms f and f²/2 are exact or nearly so).
    let f = sub(m, c(1))
    let s = LLVMBuildFDiv(b, f, add(f, c(2)), "")!
    let z = mul(s, s)
    let r = mul(z, polynomial(z, (1...(isF32 ? 4 : 10)).map { 2 / Double(2 * $0 + 1) }))
    let halfSquare = mul(c(0.5), mul(f, f))
    let (ln2High, ln2Low) = (0.693147180369123816490, 1.90821492927058770002e-10)
    let tail = sub(halfSquare, fma(s, add(halfSquare, r), mul(e, c(ln2Low))))
    var result = fma(e, c(ln2High), sub(f, tail))
    result = select(compare(LLVMRealOEQ, x, c(0)), c(-.infinity), result)
    result = select(compare(LLVMRealOEQ, x, c(.infinity)), x, result)
    return select(compare(LLVMRealULT, x, c(0)), c(.nan), result)
  }

  /// log(1 + x) as log u + c/u, where u = 1 + x rounded and c = x - (u - 1) is the rounding error
  /// (exact: u - 1 is exact by Sterbenz's lemma where it matters); log(1 + c/u) = c/u to within
  /// (c/u)²/2, below an ulp. Where c = 0, u is exact and log u is the answer (x = -1: -inf).
  func log1p(_ x: LLVMValueRef) -> LLVMValueRef {
    let u = add(c(1), x)
    let error = sub(x, sub(u, c(1)))
    let logU = log(u)
    var result = select(
      compare(LLVMRealOEQ, error, c(0)), logU, add(logU, LLVMBuildFDiv(b, error, u, "")!))
    result = select(compare(LLVMRealOEQ, x, c(.infinity)), x, result)
    // ±0 keeps its sign (and so does a subnormal read as zero).
    return select(compare(LLVMRealOEQ, x, c(0)), ir.intrinsic("llvm.copysign", [c(0), x]), result)
  }

  /// 1/(1 + e^-x), as e^x/(1 + e^x) for negative x (no overflow, full relative accuracy).
  func logistic(_ x: LLVMValueRef) -> LLVMValueRef {
    let t = exp(LLVMBuildFNeg(b, ir.intrinsic("llvm.fabs", [x]), "")!)
    let denominator = add(c(1), t)
    let negative = compare(LLVMRealOLT, x, c(0))
    return LLVMBuildFDiv(b, select(negative, t, c(1)), denominator, "")!
  }

  /// sin or cos, f32 only. |x| = kπ/2 + r with k the nearest integer (even multiples of π/4,
  /// Cephes' reduction) and r = |x| - k·π/2 by fused multiply-adds with π/4 split in three
  /// floats (72 bits of π); sin r and cos r by Cephes' polynomials on |r| <= π/4, chosen
  /// and signed by k mod 4 (cos x is sin(x + π/2): k + 1). Where a lane has |x| > 8192 the
  /// reduction loses bits, and the whole register takes libm's per-lane calls instead (rare in
  /// practice; inf and NaN give NaN either way).
  func sinOrCos(_ x: LLVMValueRef, cosine: Bool) -> LLVMValueRef {
    let magnitude = ir.intrinsic("llvm.fabs", [x])
    let beyond = compare(LLVMRealUGT, magnitude, c(8192))
    let anyBeyond = width == 1 ? beyond : ir.intrinsic("llvm.vector.reduce.or", [beyond])
    let (fast, slow, join) = (ir.block("sincos.fast"), ir.block("sincos.libm"), ir.block("sincos.join"))
    ir.branch(if: anyBeyond, slow, else: fast)
    ir.position(at: slow)
    let library = ir.intrinsic(cosine ? "llvm.cos" : "llvm.sin", [x])
    ir.branch(join)
    ir.position(at: fast)
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
    ir.branch(join)
    ir.position(at: join)
    return ir.phi(ir.type(dtype, width: width), [(reduced, fastEnd), (library, slow)])
  }

  /// f32 only.
  func tanh(_ x: LLVMValueRef) -> LLVMValueRef {
    let magnitude = ir.intrinsic("llvm.fabs", [x])
    let s = mul(x, x)
    let p = polynomial(
      s, [-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2, 2.06390887954e-2, -5.70498872745e-3])
    let small = fma(mul(p, s), magnitude, magnitude)
    let large = sub(c(1), LLVMBuildFDiv(b, c(2), add(exp(mul(c(2), magnitude)), c(1)), "")!)
    // tanh is odd: x's sign (so that tanh(-0) = -0).
    return ir.intrinsic("llvm.copysign", [select(compare(LLVMRealOLT, magnitude, c(0.625)), small, large), x])
  }
}
