// Linear algebra, as jax.numpy.linalg and jax.scipy.linalg have it, batched over leading axes:
// solve, inv, det and slogdet on the solve and slogdet ops (LU), cholesky, eigh (eigenvalues
// ascending and eigenvectors as columns, of a symmetric matrix), qr (reduced: Q [..., m, k] and
// R [..., k, n] with k = min(m, n)), and
// triangular_solve(a, b, lower=true, transpose_a=false), all by LAPACK
// (MindCodegen/LinearAlgebraLowering.swift; the derivative rules are in
// MindAD/DerivativeRules.swift). A singular matrix gives inf or NaN from solve, inv and
// triangular_solve, and det 0 (slogdet: sign 0, log|det| -inf); cholesky of a matrix that is not
// positive definite is NaN, as JAX.

import MindFrontend
import MindIR

enum LinearAlgebra {
  static func call(_ name: String, _ args: BuiltinArguments) throws -> SemaValue? {
    guard ["solve", "triangular_solve", "cholesky", "eigh", "qr", "inv", "det", "slogdet"].contains(name) else {
      return nil
    }
    let b = args.b
    let takesTwo = name == "solve" || name == "triangular_solve"
    try args.expect(takesTwo ? 2...2 : 1...1, keywords: name == "triangular_solve" ? ["lower", "transpose_a"] : [])
    let a = try args.float(0)
    guard a.type.rank >= 2 else {
      throw Diagnostic(
        "E3002", "`\(name)` needs matrices [..., n, n], found \(describe(a.type))", at: args.positional[0].span)
    }
    let n = a.type.shape[a.type.rank - 1]
    if name == "qr" {
      if let rows = a.type.shape[a.type.rank - 2].value, let columns = n.value, rows < columns {
        return wideQR(b, a, rows: rows, columns: columns)
      }
      let op = b.create(.qr, [a])
      return .tuple([.tensor(op.results[0]), .tensor(op.results[1])])
    }
    guard a.type.shape[a.type.rank - 2] == n else {
      throw Diagnostic(
        "E3003", "`\(name)` needs square matrices, found \(describe(a.type))", at: args.positional[0].span)
    }
    switch name {
    case "solve", "triangular_solve":
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
          "`\(name)` of \(describe(a.type)) needs b [..., \(n), k] or [..., \(n)], found \(describe(given.type))",
          at: args.positional[1].span)
      }
      let kind: OpKind =
        name == "solve"
        ? .solve
        : .triangularSolve(
          lower: try args.keywordBool("lower") ?? true, transposeA: try args.keywordBool("transpose_a") ?? false)
      let x = b.value(kind, [a, rhs])
      return .tensor(vector ? b.reshape(x, Array(x.type.shape.dropLast())) : x)
    case "cholesky":
      return .tensor(b.value(.cholesky, [a]))
    case "eigh":
      let op = b.create(.eigh, [a])
      return .tuple([.tensor(op.results[0]), .tensor(op.results[1])])
    case "inv":
      let eye = n.value.map { b.identity($0, a.type.dtype) } ?? b.constant(.splat(0), TensorType(a.type.dtype, [n, n]))
      return .tensor(b.value(.solve, [a, b.broadcast(eye, to: a.type.shape)]))
    default:
      let op = b.create(.slogdet, [a])
      let (sign, logAbs) = (op.results[0], op.results[1])
      if name == "slogdet" { return .tuple([.tensor(sign), .tensor(logAbs)]) }
      return .tensor(b.binary(.mul, sign, b.unary(.exp, logAbs)))
    }
  }

  /// qr of wide matrices [..., m, n], m < n: with X the first m columns and Y the rest, X = Q U
  /// (square) gives A = Q [U | Qᵀ Y], NumPy's reduced result (Q [..., m, m], R [..., m, n]) and
  /// LAPACK's (whose Householder steps see only X). Built from ops with derivative rules, so it
  /// differentiates to any order (JAX does not differentiate a wide qr).
  static func wideQR(_ b: Builder, _ a: Value, rows: Int, columns: Int) -> SemaValue {
    let rank = a.type.rank
    func columnsOf(_ start: Int, _ count: Int) -> Value {
      var shape = a.type.shape
      shape[rank - 1] = .known(count)
      return b.value(
        .slice(starts: Array(repeating: 0, count: rank - 1) + [start], strides: Array(repeating: 1, count: rank)), [a],
        type: TensorType(a.type.dtype, shape))
    }
    let op = b.create(.qr, [columnsOf(0, rows)])
    let (q, u) = (op.results[0], op.results[1])
    let rest = b.value(.matmul, [b.matrixTranspose(q), columnsOf(rows, columns - rows)])
    return .tuple([.tensor(q), .tensor(b.value(.concat(axis: rank - 1), [u, rest]))])
  }
}
