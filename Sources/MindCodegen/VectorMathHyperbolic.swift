// Hyperbolic kernels (see VectorMath.swift): tanh, sinh, cosh and their inverses, from exp,
// expm1, log, log1p and sqrt, arranged so that no step cancels.
//
// - tanh: f32 by Cephes' odd polynomial below |x| = 0.625, else 1 - 2/(e^(2|x|) + 1); f64 as
//   u/(u + 2) with u = expm1(2|x|), 1 beyond |x| = 22; x's sign.
// - sinh: (u + u/(u + 1))/2 with u = expm1(|x|); cosh: (e + 1/e)/2 with e = e^|x|; where e^|x|
//   would overflow but the result does not, h·h/2 with h = e^(|x|/2). x's sign for sinh.
// - asinh: log1p(|x| + x²/(1 + √(1 + x²))), or log|x| + ln2 where 1/x² is below the precision;
//   acosh: log1p(t + √(2t + t²)) with t = x - 1 (exact near 1), or log x + ln2; NaN below 1;
//   atanh: log1p(2|x|/(1 - |x|))/2, x's sign (±1: ±inf; beyond: NaN).

import CLLVM
import MindIR

extension VectorMath {
  func tanh(_ x: LLVMValueRef) -> LLVMValueRef {
    let magnitude = abs(x)
    if !isF32 {
      let u = expm1(mul(c(2), magnitude))
      return copysign(select(compare(LLVMRealOGT, magnitude, c(22)), c(1), div(u, add(u, c(2)))), x)
    }
    let s = mul(x, x)
    let p = polynomial(
      s, [-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2, 2.06390887954e-2, -5.70498872745e-3])
    let small = fma(mul(p, s), magnitude, magnitude)
    let large = sub(c(1), LLVMBuildFDiv(b, c(2), add(exp(mul(c(2), magnitude)), c(1)), "")!)
    // tanh is odd: x's sign (so that tanh(-0) = -0).
    return ir.intrinsic("llvm.copysign", [select(compare(LLVMRealOLT, magnitude, c(0.625)), small, large), x])
  }

  /// Where e^|x| overflows but e^|x|/2 does not: (h/2)·h with h = e^(|x|/2).
  private func halfExp(_ magnitude: LLVMValueRef) -> LLVMValueRef {
    let h = exp(mul(c(0.5), magnitude))
    return mul(mul(c(0.5), h), h)
  }

  func sinh(_ x: LLVMValueRef) -> LLVMValueRef {
    let a = abs(x)
    let u = expm1(a)
    let moderate = mul(c(0.5), add(u, div(u, add(u, c(1)))))
    return copysign(select(compare(LLVMRealOGT, a, c(expHigh - 1)), halfExp(a), moderate), x)
  }

  func cosh(_ x: LLVMValueRef) -> LLVMValueRef {
    let a = abs(x)
    let e = exp(a)
    let moderate = fma(c(0.5), e, div(c(0.5), e))
    return select(compare(LLVMRealOGT, a, c(expHigh - 1)), halfExp(a), moderate)
  }

  /// Beyond this, √(1 + x²) = |x| to the precision, and asinh x = log 2|x|.
  private var hyperbolicLarge: Double { isF32 ? 8192 : 134_217_728 }

  func asinh(_ x: LLVMValueRef) -> LLVMValueRef {
    let a = abs(x)
    let square = mul(a, a)
    let moderate = log1p(add(a, div(square, add(c(1), sqrt(add(c(1), square))))))
    let large = add(log(a), c(0.6931471805599453))
    return copysign(select(compare(LLVMRealOGT, a, c(hyperbolicLarge)), large, moderate), x)
  }

  func acosh(_ x: LLVMValueRef) -> LLVMValueRef {
    let t = sub(x, c(1))
    let moderate = log1p(add(t, sqrt(fma(t, t, mul(c(2), t)))))
    let large = add(log(x), c(0.6931471805599453))
    let result = select(compare(LLVMRealOGT, x, c(hyperbolicLarge)), large, moderate)
    return select(compare(LLVMRealOLT, x, c(1)), c(.nan), result)
  }

  func atanh(_ x: LLVMValueRef) -> LLVMValueRef {
    let a = abs(x)
    return copysign(mul(c(0.5), log1p(div(mul(c(2), a), sub(c(1), a)))), x)
  }
}
