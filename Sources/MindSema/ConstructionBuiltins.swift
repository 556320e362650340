// Construction built-ins: zeros ones full eye arange linspace randn rand (NumPy semantics,
// `dtype=` as NumPy's; `randn`/`rand` are deterministic per seed on every machine, f32 or f64).

import MindFrontend
import MindIR

enum Construction {
  static func call(_ name: String, _ args: BuiltinArguments) throws -> SemaValue? {
    let b = args.b
    func shapeArgument(_ i: Int) throws -> [Int] {
      let shape = try args.intList(args.positional[i].value, args.positional[i].span, what: "the shape")
      guard shape.allSatisfy({ $0 >= 0 }) else {
        throw Diagnostic("E3007", "extents must be non-negative, found \(shape)", at: args.positional[i].span)
      }
      return shape
    }
    let floats: [DType] = [.f32, .f64]
    switch name {
    case "zeros", "ones":
      try args.expect(1...1, keywords: ["dtype"])
      let dtype = try args.keywordDType() ?? .f32
      return .tensor(b.constant(.splat(name == "ones" ? 1 : 0), TensorType(dtype, known: try shapeArgument(0))))
    case "full":
      try args.expect(2...2, keywords: ["dtype"])
      let shape = try shapeArgument(0)
      let dtype = try args.keywordDType()
      switch args.positional[1].value {
      case .literal(let v, let isFloat):
        let scalar = try args.e.materialize(.literal(v, isFloat: isFloat), as: dtype, span: args.positional[1].span)
        return .tensor(b.constant(.splat(v), TensorType(scalar.type.dtype, known: shape)))
      default:
        var v = try args.tensor(1)
        guard v.type.isScalar else {
          throw Diagnostic("E2004", "the fill value of `full` must be a scalar", at: args.positional[1].span)
        }
        if let dtype { v = b.cast(v, to: dtype) }
        return .tensor(b.broadcast(v, to: shape.map { .known($0) }))
      }
    case "eye":
      try args.expect(1...1, keywords: ["dtype"])
      let dtype = try args.keywordDType() ?? .f32
      let n = try args.constantInt(args.positional[0].value, args.positional[0].span, what: "the size")
      guard n >= 0 && n <= 1 << 12 else {
        throw Diagnostic("E3007", "`eye` needs a size between 0 and 4096, found \(n)", at: args.span)
      }
      var data = [Double](repeating: 0, count: n * n)
      for i in 0..<n { data[i * n + i] = 1 }
      return .tensor(b.constant(.dense(data), TensorType(dtype, known: [n, n])))
    case "arange":
      try args.expect(1...3, keywords: ["dtype"])
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
      guard step != 0 else { throw Diagnostic("E3007", "`arange` step must not be zero", at: args.span) }
      let steps = ((stop - start) / step).rounded(.up)
      guard steps.isFinite, steps <= Double(1 << 24) else {
        throw Diagnostic("E3007", "`arange` of \(steps) elements is too large (the limit is 2^24)", at: args.span)
      }
      let count = max(0, Int(steps))
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
      let n = try args.constantInt(args.positional[2].value, args.positional[2].span, what: "the count")
      guard n >= 0 && n <= 1 << 24 else { throw Diagnostic("E3007", "bad `linspace` count \(n)", at: args.span) }
      let data = (0..<n).map { i in n == 1 ? start : start + (stop - start) * Double(i) / Double(n - 1) }
      return .tensor(b.constant(.dense(data), TensorType(dtype, known: [n])))
    case "randn", "rand":
      try args.expect(1...1, keywords: ["seed", "dtype"])
      let dtype = try args.keywordDType(allowed: floats) ?? .f32
      let seed = try args.keywordInt("seed") ?? 0
      return .tensor(
        b.value(
          .random(normal: name == "randn", seed: UInt64(bitPattern: Int64(seed))), [],
          type: TensorType(dtype, known: try shapeArgument(0))))
    default:
      return nil
    }
  }
}
