// Construction built-ins: zeros ones full zeros_like ones_like full_like eye arange linspace
// randn rand (NumPy semantics,
// `dtype=` as NumPy's; `randn`/`rand` are deterministic per seed on every machine, f32 or f64).

import MindFrontend
import MindIR

enum Construction {
  static func call(_ name: String, _ args: BuiltinArguments) throws -> SemaValue? {
    let b = args.b
    func shapeArgument(_ i: Int) throws -> [Dim] {
      let shape = try args.extents(args.positional[i].value, args.positional[i].span, what: "the shape")
      guard shape.allSatisfy({ ($0.value ?? 0) >= 0 }) else {
        throw Diagnostic(
          "E3006", "extents must be non-negative, found \(TensorType(.f32, shape).shapeDescription)",
          at: args.positional[i].span)
      }
      return shape
    }
    let floats: [DType] = [.f32, .f64]
    /// A tensor of `shape` filled with the scalar second argument, of `dtype` when given.
    func filled(_ shape: [Dim], dtype: DType?) throws -> Value {
      let fill = args.positional[1]
      if case .literal(let v, let isFloat) = fill.value {
        let scalar = try args.e.materialize(.literal(v, isFloat: isFloat), as: dtype, span: fill.span)
        return b.constant(.splat(v), TensorType(scalar.type.dtype, shape))
      }
      var v = try args.tensor(1)
      guard v.type.isScalar else {
        throw Diagnostic("E2001", "the fill value of `\(name)` must be a scalar", at: fill.span)
      }
      if let dtype { v = b.cast(v, to: dtype) }
      return b.broadcast(v, to: shape)
    }
    switch name {
    case "zeros", "ones":
      try args.expect(1...1, keywords: ["dtype"])
      let dtype = try args.keywordDType() ?? .f32
      return .tensor(b.constant(.splat(name == "ones" ? 1 : 0), TensorType(dtype, try shapeArgument(0))))
    case "full":
      try args.expect(2...2, keywords: ["dtype"])
      return .tensor(try filled(try shapeArgument(0), dtype: try args.keywordDType()))
    case "zeros_like", "ones_like":
      try args.expect(1...1, keywords: ["dtype"])
      let x = try args.tensor(0)
      let dtype = try args.keywordDType() ?? x.type.dtype
      return .tensor(b.constant(.splat(name == "ones_like" ? 1 : 0), TensorType(dtype, x.type.shape)))
    case "full_like":
      try args.expect(2...2, keywords: ["dtype"])
      let x = try args.tensor(0)
      return .tensor(try filled(x.type.shape, dtype: try args.keywordDType() ?? x.type.dtype))
    case "eye":
      try args.expect(1...1, keywords: ["dtype"])
      let dtype = try args.keywordDType() ?? .f32
      let n = try args.extent(args.positional[0].value, args.positional[0].span, what: "the size")
      guard (0...(1 << 12)).contains(n.value ?? 0) else {
        throw Diagnostic("E6009", "`eye` needs a size between 0 and 4096, found \(n)", at: args.span)
      }
      // A size only named (checking a definition): a placeholder of the type.
      guard let size = n.value else { return .tensor(b.constant(.splat(0), TensorType(dtype, [n, n]))) }
      return .tensor(b.identity(size, dtype))
    case "arange":
      try args.expect(1...3, keywords: ["dtype"])
      // arange(n) of an extent only named: n integers.
      if args.positional.count == 1, let n = args.e.standsForExtents(args.positional[0].value), n.count == 1 {
        let dtype = try args.keywordDType(allowed: [.i32, .i64, .f32, .f64]) ?? .i64
        return .tensor(b.constant(.splat(0), TensorType(dtype, n)))
      }
      let numbers = try args.positional.map { p -> (Double, Bool) in
        guard case .literal(let v, let isFloat) = p.value else {
          throw Diagnostic("E2019", "the arguments of `arange` must be number constants", at: p.span)
        }
        return (v, isFloat)
      }
      let isFloat = numbers.contains { $0.1 }
      let dtype =
        try args.keywordDType(allowed: isFloat ? floats : [.i32, .i64, .f32, .f64]) ?? (isFloat ? .f32 : .i64)
      var (start, stop, step) = (0.0, numbers[0].0, 1.0)
      if numbers.count >= 2 { (start, stop) = (numbers[0].0, numbers[1].0) }
      if numbers.count == 3 { step = numbers[2].0 }
      guard step != 0 else { throw Diagnostic("E3012", "`arange` step must not be zero", at: args.span) }
      let steps = ((stop - start) / step).rounded(.up)
      guard steps.isFinite, steps <= Double(1 << 24) else {
        throw Diagnostic("E6009", "`arange` of \(steps) elements is too large (the limit is 2^24)", at: args.span)
      }
      let count = steps > 0 ? Int(steps) : 0
      let data = (0..<count).map { start + Double($0) * step }
      return .tensor(b.constant(.dense(data), TensorType(dtype, known: [count])))
    case "linspace":
      try args.expect(3...3, keywords: ["dtype"])
      let dtype = try args.keywordDType(allowed: floats) ?? .f32
      guard case .literal(let start, _) = args.positional[0].value,
        case .literal(let stop, _) = args.positional[1].value
      else {
        throw Diagnostic("E2019", "the bounds of `linspace` must be number constants", at: args.span)
      }
      let count = try args.extent(args.positional[2].value, args.positional[2].span, what: "the count")
      guard (0...(1 << 24)).contains(count.value ?? 0) else {
        throw Diagnostic("E3006", "bad `linspace` count \(count)", at: args.span)
      }
      // A count only named (checking a definition): a placeholder of the type.
      guard let n = count.value else { return .tensor(b.constant(.splat(0), TensorType(dtype, [count]))) }
      let data = (0..<n).map { i in n == 1 ? start : start + (stop - start) * Double(i) / Double(n - 1) }
      return .tensor(b.constant(.dense(data), TensorType(dtype, known: [n])))
    case "randn", "rand":
      try args.expect(1...1, keywords: ["seed", "dtype"])
      let dtype = try args.keywordDType(allowed: floats) ?? .f32
      let seed = try args.keywordInt("seed") ?? 0
      return .tensor(
        b.value(
          .random(normal: name == "randn", seed: UInt64(bitPattern: Int64(seed))), [],
          type: TensorType(dtype, try shapeArgument(0))))
    default:
      return nil
    }
  }
}
