// Elementwise ops (unary, binary, compare, select, cast): one loop over the flat buffer in
// explicit LLVM vectors of the CPU's width (`<16 x float>` with AVX-512), then a scalar tail.
// Producers fused into this op (FunctionLowering.planFusion) are computed in the same loop.
// A unary op is computed as its record says (UnaryOps.swift): an LLVM intrinsic, a kernel here or
// in VectorMath.swift (both vector code), or a libm call per element, which uses the scalar loop
// only.
// Semantics follow NumPy: `%` takes the divisor's sign, `round` is round-half-to-even, and
// `max`/`min` propagate NaN. Casts from floats to integers saturate (NaN is 0), as in Rust;
// casts between integers wrap, as in NumPy and Rust.

import CLLVM
import MindIR

extension FunctionLowering {
  func lowerElementwise(_ op: Operation) {
    let result = op.result
    if result.type.isScalar {
      values[result] = elementwise(op, op.operands.map { scalar($0) }, width: 1)
      return
    }
    let destination = elementwiseDestination(op)
    values[result] = destination
    storeElements(of: result.type, into: destination, width: elementwiseWidth(op), reads: op.operands) { i, width in
      self.elementwise(op, op.operands.map { self.element($0, i, width: width) }, width: width)
    }
  }

  /// Where a stored elementwise op writes: the caller's result buffer, the buffer of an operand
  /// of its size that dies at the op (in place), or a buffer of its own.
  func elementwiseDestination(_ op: Operation) -> LLVMValueRef {
    let result = op.result
    let inPlace = op.operands.lazy.filter { $0.type.byteCount == result.type.byteCount && !$0.type.isScalar }
      .compactMap { self.bufferDyingHere($0, bytes: result.type.byteCount) }.first
    return preassigned[result] ?? inPlace ?? buffer(for: result)
  }

  /// The vector width of an elementwise op's loop: the CPU's for its operands' dtype, or 1 when
  /// it (or what is fused into it) calls libm per element.
  func elementwiseWidth(_ op: Operation) -> Int {
    let scalarOnly = needsLibraryCall(op) || op.operands.contains(where: needsLibraryCall)
    let dtype =
      op.operands[0].type.dtype == .bool && op.operands.count > 1
      ? op.operands[1].type.dtype : op.operands[0].type.dtype
    return scalarOnly ? 1 : lowering.vectorWidth(dtype)
  }

  /// Stores `compute(i, width)` (elements i..<i+width) for every element of a tensor type: a
  /// vector loop of `width` lanes, then a scalar tail. `reads` are the values whose elements
  /// `compute` reads; when given, a large loop runs on several threads (ParallelLoops.swift).
  func storeElements(
    of type: TensorType, into destination: LLVMValueRef, width: Int, reads: [Value] = [],
    _ compute: (LLVMValueRef, Int) -> LLVMValueRef
  ) {
    if !reads.isEmpty && runsInParallel(type.elementCount) {
      parallelStoreElements(of: type, into: destination, width: width, reads: reads, compute)
      return
    }
    storeRange(type.dtype, into: destination, width: width, from: ir.int(0), to: ir.int(type.elementCount), compute)
  }

  /// Stores `compute` for the elements [begin, end): a vector loop, then a scalar tail.
  func storeRange(
    _ dtype: DType, into destination: LLVMValueRef, width: Int, from begin: LLVMValueRef, to end: LLVMValueRef,
    _ compute: (LLVMValueRef, Int) -> LLVMValueRef
  ) {
    var vectorEnd = begin
    if width > 1 {
      let vectors = LLVMBuildSDiv(ir.ref, LLVMBuildSub(ir.ref, end, begin, ""), ir.int(width), "")!
      vectorEnd = LLVMBuildAdd(ir.ref, begin, LLVMBuildMul(ir.ref, vectors, ir.int(width), ""), "")!
      ir.loop(begin, vectorEnd, step: width) { i in
        ir.store(dtype, compute(i, width), destination, i, width: width)
      }
    }
    ir.loop(vectorEnd, end) { i in ir.store(dtype, compute(i, 1), destination, i) }
  }

  /// Ops computed by a libm call per element, as their records say (UnaryOps.swift).
  func needsLibraryCall(_ op: Operation) -> Bool {
    guard case .unary(let u) = op.kind, case .libm = u.record.lowering(op.operands[0].type.dtype) else { return false }
    return true
  }

  /// The element(s) of one elementwise op, on registers of `width` lanes.
  func elementwise(_ op: Operation, _ xs: [LLVMValueRef], width: Int) -> LLVMValueRef {
    let b = ir.ref
    let dtype = op.operands[op.kind == .select ? 1 : 0].type.dtype
    let float = dtype.isFloat
    let c = { (v: Double) in self.ir.constant(v, dtype, width: width) }
    switch op.kind {
    case .unary(let u):
      let x = xs[0]
      switch u.record.lowering(dtype) {
      case .intrinsic(let name): return ir.intrinsic(name, [x])
      case .libm(let name):
        let t = ir.scalarType(dtype)
        return ir.call(ir.declare(name + (dtype == .f32 ? "f" : ""), t, [t]), [x])
      case .kernel: break
      }
      let math = VectorMath(ir: ir, dtype: dtype, width: width)
      switch u {
      case .neg: return float ? LLVMBuildFNeg(b, x, "") : LLVMBuildNeg(b, x, "")
      case .abs: return ir.intrinsic("llvm.abs", [x, ir.constant(0, .bool)], overloads: [LLVMTypeOf(x)])
      case .sign:
        let positive = float ? LLVMBuildFCmp(b, LLVMRealOGT, x, c(0), "") : LLVMBuildICmp(b, LLVMIntSGT, x, c(0), "")
        let negative = float ? LLVMBuildFCmp(b, LLVMRealOLT, x, c(0), "") : LLVMBuildICmp(b, LLVMIntSLT, x, c(0), "")
        return LLVMBuildSelect(b, positive, c(1), LLVMBuildSelect(b, negative, c(-1), x, ""), "")
      case .exp: return math.exp(x)
      case .log: return math.log(x)
      case .exp2: return math.exp2(x)
      case .log1p: return math.log1p(x)
      case .expm1: return math.expm1(x)
      case .sin, .cos: return math.sinOrCos(x, cosine: u == .cos)
      case .asin: return math.asin(x)
      case .acos: return math.acos(x)
      case .atan: return math.atan(x)
      case .tanh: return math.tanh(x)
      case .sinh: return math.sinh(x)
      case .cosh: return math.cosh(x)
      case .asinh: return math.asinh(x)
      case .acosh: return math.acosh(x)
      case .atanh: return math.atanh(x)
      case .erf: return math.erf(x)
      case .erfc: return math.erfc(x)
      case .logistic: return math.logistic(x)
      case .stopGradient: return x
      case .not: return LLVMBuildNot(b, x, "")
      case .sqrt, .tan, .floor, .ceil, .round:
        preconditionFailure("\(u.rawValue) has no kernel: its record names its lowering")
      }
    case .binary(let o):
      let (x, y) = (xs[0], xs[1])
      switch o {
      case .add: return float ? LLVMBuildFAdd(b, x, y, "") : LLVMBuildAdd(b, x, y, "")
      case .sub: return float ? LLVMBuildFSub(b, x, y, "") : LLVMBuildSub(b, x, y, "")
      case .mul: return float ? LLVMBuildFMul(b, x, y, "") : LLVMBuildMul(b, x, y, "")
      case .div: return LLVMBuildFDiv(b, x, y, "")
      case .rem:
        // NumPy: the remainder has the sign of the divisor. An integer divisor of 0 (a runtime
        // error reported before the op, E6006) or -1 (Int.min % -1 overflows `idiv`) divides by
        // 1 instead: the same remainder, 0, and no trap.
        let zeroOrMinusOne = float ? nil : LLVMBuildICmp(b, LLVMIntULE, LLVMBuildAdd(b, y, c(1), ""), c(1), "")
        let r =
          float
          ? LLVMBuildFRem(b, x, y, "")! : LLVMBuildSRem(b, x, LLVMBuildSelect(b, zeroOrMinusOne, c(1), y, ""), "")!
        let nonzero = float ? LLVMBuildFCmp(b, LLVMRealONE, r, c(0), "")! : LLVMBuildICmp(b, LLVMIntNE, r, c(0), "")!
        let rNegative = float ? LLVMBuildFCmp(b, LLVMRealOLT, r, c(0), "")! : LLVMBuildICmp(b, LLVMIntSLT, r, c(0), "")!
        let yNegative = float ? LLVMBuildFCmp(b, LLVMRealOLT, y, c(0), "")! : LLVMBuildICmp(b, LLVMIntSLT, y, c(0), "")!
        let fix = LLVMBuildAnd(b, nonzero, LLVMBuildXor(b, rNegative, yNegative, ""), "")
        let adjusted = float ? LLVMBuildFAdd(b, r, y, "") : LLVMBuildAdd(b, r, y, "")
        let result = LLVMBuildSelect(b, fix, adjusted, r, "")!
        // A zero remainder takes the divisor's sign too (NumPy: -0.0 % 4.0 == 0.0).
        return float ? LLVMBuildSelect(b, nonzero, result, ir.intrinsic("llvm.copysign", [c(0), y]), "") : result
      case .pow: return power(op, x, y, dtype, width: width)
      case .max:
        return float
          ? ir.intrinsic("llvm.maximum", [x, y]) : LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, x, y, ""), x, y, "")
      case .min:
        return float
          ? ir.intrinsic("llvm.minimum", [x, y]) : LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, x, y, ""), x, y, "")
      case .and: return LLVMBuildAnd(b, x, y, "")
      case .or: return LLVMBuildOr(b, x, y, "")
      }
    case .compare(let o):
      let (x, y) = (xs[0], xs[1])
      if float {
        let predicate: LLVMRealPredicate
        switch o {
        case .eq: predicate = LLVMRealOEQ
        case .ne: predicate = LLVMRealUNE
        case .lt: predicate = LLVMRealOLT
        case .gt: predicate = LLVMRealOGT
        case .le: predicate = LLVMRealOLE
        case .ge: predicate = LLVMRealOGE
        }
        return LLVMBuildFCmp(b, predicate, x, y, "")
      }
      let predicate: LLVMIntPredicate
      switch o {
      case .eq: predicate = LLVMIntEQ
      case .ne: predicate = LLVMIntNE
      case .lt: predicate = dtype == .bool ? LLVMIntULT : LLVMIntSLT
      case .gt: predicate = dtype == .bool ? LLVMIntUGT : LLVMIntSGT
      case .le: predicate = dtype == .bool ? LLVMIntULE : LLVMIntSLE
      case .ge: predicate = dtype == .bool ? LLVMIntUGE : LLVMIntSGE
      }
      return LLVMBuildICmp(b, predicate, x, y, "")
    case .select:
      return LLVMBuildSelect(b, xs[0], xs[1], xs[2], "")
    case .cast:
      return cast(xs[0], from: op.operands[0].type.dtype, to: op.result.type.dtype, width: width)
    default:
      preconditionFailure("not elementwise: \(op.kind.name)")
    }
  }

  /// `x ** y`; a constant small integer exponent becomes multiplications.
  func power(_ op: Operation, _ x: LLVMValueRef, _ y: LLVMValueRef, _ dtype: DType, width: Int) -> LLVMValueRef {
    let exponentValue = op.operands[1]
    var exponent: Double?
    if let def = exponentValue.definingOp, case .constant(.splat(let v)) = def.kind { exponent = v }
    if let e = exponent, e == e.rounded(), Swift.abs(e) <= 8 {
      let n = Int(Swift.abs(e))
      var result = ir.constant(1, dtype, width: width)
      if n > 0 {
        var base = x
        var k = n
        var first = true
        while k > 0 {
          if k & 1 == 1 {
            result = first ? base : LLVMBuildFMul(ir.ref, result, base, "")
            first = false
          }
          k >>= 1
          if k > 0 { base = LLVMBuildFMul(ir.ref, base, base, "") }
        }
      }
      return e < 0 ? LLVMBuildFDiv(ir.ref, ir.constant(1, dtype, width: width), result, "") : result
    }
    if let e = exponent, e == 0.5 { return ir.intrinsic("llvm.sqrt", [x]) }
    return ir.intrinsic("llvm.pow", [x, y])
  }

  func cast(_ x: LLVMValueRef, from: DType, to: DType, width: Int) -> LLVMValueRef {
    let b = ir.ref
    let target = ir.type(to, width: width)
    if from == to { return x }
    switch (from.isFloat, to.isFloat, from, to) {
    case (true, true, _, _):
      return from.byteSize < to.byteSize ? LLVMBuildFPExt(b, x, target, "") : LLVMBuildFPTrunc(b, x, target, "")
    case (true, false, _, .bool):
      return LLVMBuildFCmp(b, LLVMRealUNE, x, ir.constant(0, from, width: width), "")
    case (true, false, _, _):
      // Saturating, as Rust's `as`: NaN is 0, values beyond the integer type its extremes
      // (`fptosi` would give poison).
      return ir.intrinsic("llvm.fptosi.sat", [x], overloads: [target, LLVMTypeOf(x)])
    case (false, true, .bool, _):
      return LLVMBuildUIToFP(b, x, target, "")
    case (false, true, _, _):
      return LLVMBuildSIToFP(b, x, target, "")
    case (false, false, .bool, _):
      return LLVMBuildZExt(b, x, target, "")
    case (false, false, _, .bool):
      return LLVMBuildICmp(b, LLVMIntNE, x, ir.constant(0, from, width: width), "")
    default:
      return from.byteSize < to.byteSize ? LLVMBuildSExt(b, x, target, "") : LLVMBuildTrunc(b, x, target, "")
    }
  }
}
