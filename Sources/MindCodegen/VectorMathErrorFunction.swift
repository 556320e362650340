// The error function kernels (see VectorMath.swift), as fdlibm arranges them: below |x| = 1,
// erf x = x·P(x²); from |x| = 1/2, erfc|x| = e^(-x²)·Q(1/|x|)/|x|, with Q fitted in four pieces
// ([1/2, 1), [1, 2), [2, 4), [4, ∞)); e^(-x²) takes x² as its rounded value plus the exact error
// of that rounding (a fused multiply-add), so that large |x| loses nothing to the square. Then
// erf x = ±(1 - erfc|x|) from |x| = 1, erfc x = 1 - erf x below 1/2, and erfc of a negative x is
// 2 - erfc|x|. Beyond the underflow of erfc (|x| > 10.1 in f32, 27.3 in f64), erfc is 0 and erf ±1.

import CLLVM
import MindIR

extension VectorMath {
  /// erf x = x·P(x²) on x² in [0, 1].
  static let erfSmall = Fit(
    center: 0.5, halfWidth: 0.5,
    f32: [0.965468739, -0.140536097, 0.0198524971, -0.00228541954, 0.000217513542, -1.7669068e-5, 1.23060548e-6],
    f64: [
      0.9654687386698673, -0.14053608902271712, 0.019852496688984219, -0.0022854855611440855, 0.00021751715603563489,
      -1.7537169441280197e-5, 1.2233827638093573e-6, -7.5115692510860903e-8, 4.1157515002658848e-9,
      -2.0352319564835269e-10, 9.2112501874282299e-12, -3.8065912241221398e-13,
    ])

  /// x·e^(x²)·erfc(x) as a function of 1/x, on the four pieces from x = 1/2 up.
  static let scaledErfc = [
    Fit(
      center: 1.5, halfWidth: 0.5,
      f32: [
        0.359522939, -0.0591990234, 0.00828923986, -0.000741480766, -7.28243967e-5, 6.38831102e-5, -2.32220194e-5,
        7.41758297e-6, -1.75770918e-6,
      ],
      f64: [
        0.35952293862040013, -0.059199010672768634, 0.0082892377385077339, -0.00074165009830508112,
        -7.2796062449503852e-5, 6.4490724656715321e-5, -2.3324414427979694e-5, 6.6138815066504494e-6,
        -1.6200880165178168e-6, 3.4729718276600876e-7, -6.2376996195794838e-8, 7.6405897830639465e-9,
        3.6143499484285514e-10, -6.8750515922666649e-10, 3.1283511355247766e-10, -1.032271018260027e-10,
        3.2045758487496851e-11, -1.1801969428547742e-11, 2.8014335032772762e-12,
      ]),
    Fit(
      center: 0.75, halfWidth: 0.25,
      f32: [
        0.46817959, -0.0422702439, 0.0012092921, 0.000629564421, -0.000197378804, 3.68889417e-5, -4.04107458e-6,
        -9.71274257e-8,
      ],
      f64: [
        0.46817959203854039, -0.042270244446368702, 0.0012092420392932265, 0.00062958124597706004,
        -0.00019713177833111702, 3.6805390636069408e-5, -4.4230805061953e-6, 3.4229189346357121e-8,
        1.6981364124490543e-7, -6.190282980361711e-8, 1.504147608385912e-8, -2.7628490704637522e-9,
        3.3553168901791332e-10, 5.5722634953650524e-12, -1.8778131016651729e-11, 7.5758048748624821e-12,
        -2.4579470920665084e-12, 4.9478975617124255e-13,
      ]),
    Fit(
      center: 0.375, halfWidth: 0.125,
      f32: [0.530860349, -0.0189482043, -0.00143812402, 0.00034633135, -2.83954937e-5, -1.36417874e-6, 7.61654686e-7],
      f64: [
        0.53086034931697504, -0.018948191196769487, -0.0014381248079935534, 0.00034622662915240691,
        -2.8389142314310585e-5, -1.1538108984145074e-6, 7.4860509997052573e-7, -1.2191986836057954e-7,
        8.1131029928645113e-9, 1.2687193480500953e-9, -5.1689219022392297e-10, 9.092879014995101e-11,
        -7.8641639531393733e-12, -7.7730721629070563e-13, 5.1473551492180517e-13, -1.0401185200140691e-13,
      ]),
    Fit(
      center: 0.125, halfWidth: 0.125,
      f32: [
        0.55988133, -0.00842482505, -0.00384288402, 0.000343259939, 5.56011991e-5, -1.49003102e-5, -3.39819693e-7,
        5.89044669e-7,
      ],
      f64: [
        0.55988132960704742, -0.0084248251963126803, -0.003842866650410156, 0.00034326472664477574,
        5.5512829721986353e-5, -1.4924206795964915e-5, -1.9212391359338408e-7, 6.2708519186806005e-7,
        -8.4382912333312224e-8, -1.8620242130755977e-8, 8.2041750280791436e-9, -4.3660495367802757e-10,
        -4.6751170352103731e-10, 1.3632655314011253e-10, 6.3703026362642429e-12, -1.2498043437561214e-11,
        1.4339747596748367e-12, 5.3521230879548563e-13,
      ]),
  ]

  /// erf |x| for |x| < 1.
  private func erfBelowOne(_ a: LLVMValueRef) -> LLVMValueRef {
    mul(a, evaluate([(Self.erfSmall, nil)], at: mul(a, a)))
  }

  /// erfc |x| for |x| >= 1/2 (0 beyond its underflow).
  private func erfcFromHalf(_ a: LLVMValueRef) -> LLVMValueRef {
    let pieces = Self.scaledErfc
    let scaled = evaluate(
      [
        (pieces[0], compare(LLVMRealOLT, a, c(1))), (pieces[1], compare(LLVMRealOLT, a, c(2))),
        (pieces[2], compare(LLVMRealOLT, a, c(4))), (pieces[3], nil),
      ], at: div(c(1), a))
    let square = mul(a, a)
    let squareError = fma(a, a, LLVMBuildFNeg(b, square, "")!)
    let gaussian = exp(LLVMBuildFNeg(b, square, "")!)
    let result = div(mul(fma(LLVMBuildFNeg(b, squareError, "")!, gaussian, gaussian), scaled), a)
    return select(compare(LLVMRealOGT, a, c(isF32 ? 10.1 : 27.3)), c(0), result)
  }

  func erf(_ x: LLVMValueRef) -> LLVMValueRef {
    let a = abs(x)
    let below = compare(LLVMRealOLT, a, c(1))
    return copysign(select(below, erfBelowOne(a), sub(c(1), erfcFromHalf(a))), x)
  }

  func erfc(_ x: LLVMValueRef) -> LLVMValueRef {
    let a = abs(x)
    let fromHalf = erfcFromHalf(a)
    let positive = select(
      compare(LLVMRealOLT, a, c(0.5)), sub(c(1), erfBelowOne(a)), fromHalf)
    return select(compare(LLVMRealOLT, x, c(0)), sub(c(2), positive), positive)
  }
}
