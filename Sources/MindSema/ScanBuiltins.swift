// Scans: cumsum and cumprod along `axis=` (the flattened tensor without it, as NumPy), built from
// the primitive ops as a Hillis–Steele scan: log2(n) steps, each combining the running result with
// itself shifted by 1, 2, 4, ... positions along the axis (the identity shifted in). Every step is
// one vector loop, the derivative is that of the slices, concatenations and products (exact with
// zeros in cumprod, which a quotient rule is not), and the sums are pairwise, so rounding grows
// with log n rather than n.

import MindFrontend
import MindIR

enum Scans {
  static func call(_ name: String, _ args: BuiltinArguments) throws -> SemaValue? {
    guard name == "cumsum" || name == "cumprod" else { return nil }
    let b = args.b
    try args.expect(1...1, keywords: ["axis"])
    var x = try args.tensor(0)
    guard x.type.dtype != .bool else {
      throw Diagnostic("E2005", "`\(name)` expects a numeric tensor, found bool", at: args.positional[0].span)
    }
    var axis = 0
    if let k = args.keywords["axis"] {
      guard x.type.rank > 0 else { throw Diagnostic("E3004", "`\(name)` along an axis of a scalar", at: k.span) }
      axis = try args.normalizeAxis(
        try args.constantInt(k.value, k.span, what: "`axis`"), rank: x.type.rank, span: k.span)
    } else {
      x = b.reshape(x, [x.type.isConcrete ? .known(x.type.elementCount) : .unknown])
    }
    // With a symbolic extent (a generic definition being checked), the result's type is x's.
    guard let n = x.type.shape[axis].value else { return .tensor(x) }
    let (combine, identity): (BinaryOp, Double) = name == "cumsum" ? (.add, 0) : (.mul, 1)
    var result = x
    var shift = 1
    while shift < n {
      var headShape = x.type.shape
      headShape[axis] = .known(shift)
      var tailShape = x.type.shape
      tailShape[axis] = .known(n - shift)
      let ones = [Int](repeating: 1, count: x.type.rank)
      let tail = b.value(
        .slice(starts: [Int](repeating: 0, count: x.type.rank), strides: ones), [result],
        type: TensorType(x.type.dtype, tailShape))
      let shifted = b.value(.concat(axis: axis), [b.splat(identity, like: TensorType(x.type.dtype, headShape)), tail])
      result = b.binary(combine, result, shifted)
      shift *= 2
    }
    return .tensor(result)
  }
}
