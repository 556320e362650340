// Vector math kernels as LLVM IR on registers of any width, so elementwise loops that use them
// stay vectorized (`llvm.exp` and `llvm.log` on vectors become one libm call per lane). The same
// code serves the scalar tail, so every element of a tensor is computed the same way. This file
// has the helpers and the exponential and logarithm family; VectorMathTrigonometry.swift,
// VectorMathHyperbolic.swift and VectorMathErrorFunction.swift build on them. Polynomials without
// a named source are fits from scripts/fit_polynomials.py.
//
// - exp: x = n·ln2 + r with n = rint(x / ln2) and |r| <= ln2/2 (ln2 split in a high part exact
//   in n·ln2 and a low part); e^r - 1 by a polynomial (Cephes' minimax for f32, the Taylor
//   series to degree 14 for f64), plus 1; times 2^n built in the exponent bits, in two halves so
//   that results down to the smallest subnormal and up to the largest finite number are exact
//   scalings. Beyond the range: +inf and 0; NaN stays NaN. exp2 reduces by 1 instead of ln2, and
//   expm1 shares the reduction and the polynomial (see expm1).
// - log: x = m·2^e with m in [√½, √2) (subnormals scaled first); log m = 2·atanh(s) with
//   s = (m - 1)/(m + 1), |s| <= 0.172, by its odd series (arranged as in fdlibm); plus e·ln2
//   (high and low parts).
//   log 0 = -inf, log of a negative number or NaN is NaN, log inf = inf. log1p corrects log of
//   the rounded 1 + x by its rounding error (see log1p).
// - logistic: 1/(1 + e^-|x|) or e^-|x|/(1 + e^-|x|) by x's sign.
//
// Accuracy against glibc's libm (VectorMathTests, which lists every kernel's measured bound):
// exp, exp2, log and log1p within 1 ulp, expm1 within 2 (f32 and f64).

import CLLVM
import MindIR

struct VectorMath {
  let ir: IRBuilder
  let dtype: DType
  let width: Int

  var b: LLVMBuilderRef { ir.ref }
  var isF32: Bool { dtype == .f32 }
  /// The integer type of the same width as the float, and the float's mantissa bits and bias.
  var bitsType: LLVMTypeRef { ir.type(isF32 ? .i32 : .i64, width: width) }
  var mantissaBits: Int { isF32 ? 23 : 52 }
  var bias: Int { isF32 ? 127 : 1023 }

  func c(_ v: Double) -> LLVMValueRef { ir.constant(v, dtype, width: width) }
  func int(_ v: Int) -> LLVMValueRef { ir.constant(Double(v), isF32 ? .i32 : .i64, width: width) }
  func add(_ x: LLVMValueRef, _ y: LLVMValueRef) -> LLVMValueRef { LLVMBuildFAdd(b, x, y, "")! }
  func sub(_ x: LLVMValueRef, _ y: LLVMValueRef) -> LLVMValueRef { LLVMBuildFSub(b, x, y, "")! }
  func mul(_ x: LLVMValueRef, _ y: LLVMValueRef) -> LLVMValueRef { LLVMBuildFMul(b, x, y, "")! }
  func fma(_ x: LLVMValueRef, _ y: LLVMValueRef, _ z: LLVMValueRef) -> LLVMValueRef {
    ir.intrinsic("llvm.fma", [x, y, z])
  }
  func div(_ x: LLVMValueRef, _ y: LLVMValueRef) -> LLVMValueRef { LLVMBuildFDiv(b, x, y, "")! }
  func abs(_ x: LLVMValueRef) -> LLVMValueRef { ir.intrinsic("llvm.fabs", [x]) }
  func sqrt(_ x: LLVMValueRef) -> LLVMValueRef { ir.intrinsic("llvm.sqrt", [x]) }
  /// |x| with the sign of `sign`.
  func copysign(_ x: LLVMValueRef, _ sign: LLVMValueRef) -> LLVMValueRef { ir.intrinsic("llvm.copysign", [x, sign]) }
  func select(_ condition: LLVMValueRef, _ x: LLVMValueRef, _ y: LLVMValueRef) -> LLVMValueRef {
    LLVMBuildSelect(b, condition, x, y, "")!
  }
  func compare(_ predicate: LLVMRealPredicate, _ x: LLVMValueRef, _ y: LLVMValueRef) -> LLVMValueRef {
    LLVMBuildFCmp(b, predicate, x, y, "")!
  }

  /// Σ coefficients[i]·x^i by Horner's rule (coefficients from the constant term up).
  func polynomial(_ x: LLVMValueRef, _ coefficients: [Double]) -> LLVMValueRef {
    var result = c(coefficients.last!)
    for coefficient in coefficients.dropLast().reversed() { result = fma(result, x, c(coefficient)) }
    return result
  }

  /// A polynomial fitted by scripts/fit_polynomials.py: Σ coefficients[i]·u^i with
  /// u = (v - center) / halfWidth in [-1, 1], one coefficient list per dtype.
  struct Fit {
    let center: Double
    let halfWidth: Double
    let f32: [Double]
    let f64: [Double]
  }

  /// Evaluates, in each lane, the first fit whose condition holds there (the last fit has none):
  /// one Horner loop whose coefficients and argument are selected per lane.
  func evaluate(_ pieces: [(fit: Fit, where: LLVMValueRef?)], at v: LLVMValueRef) -> LLVMValueRef {
    let lists = pieces.map { isF32 ? $0.fit.f32 : $0.fit.f64 }
    let terms = lists.map(\.count).max()!
    func choose(_ values: [LLVMValueRef]) -> LLVMValueRef {
      zip(pieces.dropLast(), values).reversed().reduce(values.last!) { chosen, piece in
        select(piece.0.where!, piece.1, chosen)
      }
    }
    let u = choose(pieces.map { fma(v, c(1 / $0.fit.halfWidth), c(-$0.fit.center / $0.fit.halfWidth)) })
    let coefficient = { (i: Int) in choose(lists.map { self.c(i < $0.count ? $0[i] : 0) }) }
    var result = coefficient(terms - 1)
    for i in (0..<terms - 1).reversed() { result = fma(result, u, coefficient(i)) }
    return result
  }

  /// 2^n for an integer-valued float n with |n| <= 2·bias, as the product of two powers of two.
  func scale(_ y: LLVMValueRef, byPowerOfTwo n: LLVMValueRef) -> LLVMValueRef {
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
  var expHigh: Double { isF32 ? 88.72283935546875 : 709.782712893384 }
  var expLow: Double { isF32 ? -103.972084045410 : -745.1332191019412 }

  /// x = n·ln2 + r with n = rint(x / ln2) and |r| <= ln2/2, for x in [expLow, expHigh]; r = x
  /// exactly when n = 0.
  func reducedByLn2(_ x: LLVMValueRef) -> (n: LLVMValueRef, r: LLVMValueRef) {
    let (ln2High, ln2Low) =
      isF32 ? (0.693359375, -2.12194440e-4) : (0.693147180369123816490, 1.90821492927058770002e-10)
    let n = ir.intrinsic("llvm.rint", [mul(x, c(1.4426950408889634))])
    return (n, fma(n, c(-ln2Low), fma(n, c(-ln2High), x)))
  }

  /// e^r - 1 for |r| <= ln2/2, as r + r²·P(r) (Cephes' minimax P for f32, the Taylor series to
  /// degree 14 for f64), with full relative accuracy down to r = 0.
  func expm1Reduced(_ r: LLVMValueRef) -> LLVMValueRef {
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
    return powerOfE(x, n: n, r: r, low: expLow, high: expHigh)
  }

  /// 2^x = 2^n·e^((x - n)·ln2) with n = rint(x) (x - n is exact).
  func exp2(_ x: LLVMValueRef) -> LLVMValueRef {
    let (low, high) = (expLow / 0.6931471805599453, expHigh / 0.6931471805599453)
    let clamped = ir.intrinsic("llvm.minnum", [ir.intrinsic("llvm.maxnum", [x, c(low)]), c(high)])
    let n = ir.intrinsic("llvm.rint", [clamped])
    let f = sub(clamped, n)
    let ln2High = Double(Float(0.6931471805599453))
    let r = fma(f, c(ln2High), mul(f, c(0.6931471805599453 - ln2High)))
    return powerOfE(x, n: n, r: r, low: low, high: high)
  }

  /// 2^n·e^r for the reduction of x, with exp's results beyond [low, high] (+inf, 0) and NaN.
  private func powerOfE(_ x: LLVMValueRef, n: LLVMValueRef, r: LLVMValueRef, low: Double, high: Double)
    -> LLVMValueRef
  {
    var result = scale(add(expm1Reduced(r), c(1)), byPowerOfTwo: n)
    result = select(compare(LLVMRealOGT, x, c(high)), c(.infinity), result)
    result = select(compare(LLVMRealOLT, x, c(low)), c(0), result)
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
}
