// Linear algebra, as jax.numpy.linalg has it, batched over leading axes: solve, inv, det and
// slogdet, on the solve and slogdet ops (LU by LAPACK, MindCodegen/LinearAlgebraLowering.swift;
// their derivative rules are in MindAD/DerivativeRules.swift). A singular matrix gives inf or NaN
// from solve and inv, and det 0 (slogdet: sign 0, log|det| -inf).

import MindFrontend
import MindIR

enum LinearAlgebra {
  static func call(_ name: String, _ args: BuiltinArguments) throws -> SemaValue? {
    guard ["solve", "inv", "det", "slogdet"].contains(name) else { return nil }
    let b = args.b
    try args.expect(name == "solve" ? 2...2 : 1...1)
    let a = try args.float(0)
    guard a.type.rank >= 2 else {
      throw Diagnostic(
        "E3002", "`\(name)` needs matrices [..., n, n], found \(describe(a.type))", at: args.positional[0].span)
    }
    let n = a.type.shape[a.type.rank - 1]
    guard a.type.shape[a.type.rank - 2] == n else {
      throw Diagnostic(
        "E3003", "`\(name)` needs square matrices, found \(describe(a.type))", at: args.positional[0].span)
    }
    switch name {
    case "solve":
      let given = try args.float(1)
      var rhs = given
      guard rhs.type.dtype == a.type.dtype else {
        throw Diagnostic(
          "E2004", "mismatched dtypes \(a.type.dtype.sourceName) and \(rhs.type.dtype.sourceName)", at: args.span)
      }
      // b [..., n] is a vector per matrix.
      let vector = rhs.type.rank == a.type.rank - 1
      if vector { rhs = b.reshape(rhs, rhs.type.shape + [.known(1)]) }
      guard rhs.type.rank == a.type.rank, Array(rhs.type.shape.dropLast()) == Array(a.type.shape.dropLast()) else {
        throw Diagnostic(
          "E3003",
          "`solve` of \(describe(a.type)) needs b [..., \(n), k] or [..., \(n)], found \(describe(given.type))",
          at: args.positional[1].span)
      }
      let x = b.value(.solve, [a, rhs])
      return .tensor(vector ? b.reshape(x, Array(x.type.shape.dropLast())) : x)
    case "inv":
      let eye = b.constant(
        .dense((0..<((n.value ?? 0) * (n.value ?? 0))).map { $0 / n.value! == $0 % n.value! ? 1 : 0 }),
        TensorType(a.type.dtype, [n, n]))
      return .tensor(b.value(.solve, [a, b.broadcast(eye, to: a.type.shape)]))
    default:
      let op = b.create(.slogdet, [a])
      let (sign, logAbs) = (op.results[0], op.results[1])
      if name == "slogdet" { return .tuple([.tensor(sign), .tensor(logAbs)]) }
      return .tensor(b.binary(.mul, sign, b.unary(.exp, logAbs)))
    }
  }
}
