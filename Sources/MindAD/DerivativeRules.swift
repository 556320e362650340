// The derivative-rule table: for every MIR op, how the adjoint of its results flows back to its
// operands (a vector-Jacobian product), written with MIR ops. Every op a rule emits has a rule
// of its own (or carries no gradient by definition), so the table is closed under
// differentiation and derivatives of derivatives work to any depth; `DerivativeRulesTests`
// enumerates the emitted ops to prove it.
//
// Elementwise ops take their rule from their record (UnaryOps.swift, BinaryOps.swift).
// Conventions (LANGUAGE.md): relu'(0) = 0 (it is max(x, 0)); ties of max/min send half the
// adjoint to each side; abs'(0) = 0; comparisons, sign, floor, ceil, round, argmax, casts to
// integers, integer and bool values carry no gradient. Control flow and calls are handled by
// `ReverseMode`, which has the regions and callees at hand.

import MindIR

public enum DerivativeRules {
  /// How an op takes part in differentiation.
  public enum Class: Equatable {
    /// Has a rule in `pullback`.
    case rule
    /// Carries no gradient by definition (its adjoint contribution is zero).
    case noGradient
    /// Region ops and calls: differentiated structurally by ReverseMode.
    case structural
  }

  public static func classify(_ kind: OpKind) -> Class {
    switch kind {
    case .unary(let u):
      return u.record.tangent == nil ? .noGradient : .rule
    case .binary(let b):
      return b.record.pullback == nil ? .noGradient : .rule
    case .compare, .argReduce, .argsort, .iota, .random, .empty, .constant, .print, .assert, .load, .save:
      return .noGradient
    case .select, .cast, .broadcast, .reduce, .reshape, .transpose, .matmul, .solve, .slogdet, .triangularSolve,
      .cholesky, .eigh, .qr, .slice, .unslice,
      .dynamicSlice,
      .dynamicUpdateSlice, .concat, .gather, .scatterAdd:
      return .rule
    case .call, .ifOp, .forOp, .whileOp, .yield, .returnOp: return .structural
    }
  }

  /// Adjoint contributions to each operand of an op (nil: none), given the op's operands and
  /// results as values of the function being built, the adjoints of its results, and which
  /// operands need one.
  public static func pullback(
    _ op: Operation, operands x: [Value], results y: [Value], adjoints: [Value?], needed: [Bool], _ b: Builder
  ) -> [Value?] {
    var out = [Value?](repeating: nil, count: x.count)
    if op.kind == .qr {
      out[0] = qrAdjoint(q: y[0], r: y[1], adjoints[0], adjoints[1], b)
      return out
    }
    if op.kind == .eigh {
      out[0] = eighAdjoint(values: y[0], vectors: y[1], adjoints[0], adjoints[1], b)
      return out
    }
    if op.kind == .slogdet {
      // d log|det A| = tr(A⁻¹ dA): the adjoint is ḡ A⁻ᵀ (the sign carries none).
      guard let g = adjoints[1] else { return out }
      let inverseTransposed = b.value(.solve, [b.matrixTranspose(x[0]), identity(like: x[0].type, b)])
      out[0] = b.binary(
        .mul, b.value(.broadcast(dims: Array(0..<g.type.rank)), [g], type: x[0].type), inverseTransposed)
      return out
    }
    guard let g = adjoints.first ?? nil else { return out }
    switch op.kind {
    case .unary(let u):
      // The tangent rule is its own transpose (UnaryOps.swift).
      out[0] = u.record.tangent?(b, x[0], y[0], g)
    case .binary(let o):
      if let rule = o.record.pullback { (out[0], out[1]) = rule(b, x[0], x[1], y[0], g, needed) }
    case .select:
      let zero = b.splat(0, like: g.type)
      out = [nil, needed[1] ? b.select(x[0], g, zero) : nil, needed[2] ? b.select(x[0], zero, g) : nil]
    case .cast:
      if x[0].type.dtype.isFloat && g.type.dtype.isFloat { out[0] = b.cast(g, to: x[0].type.dtype) }
    case .broadcast(let dims):
      let summed = (0..<g.type.rank).filter { !dims.contains($0) }
      out[0] = b.reshape(b.reduce(.sum, g, axes: summed), x[0].type.shape)
    case .reduce(let reduction, let axes):
      let kept = (0..<x[0].type.rank).filter { !axes.contains($0) }
      let spread = { (v: Value) in b.value(.broadcast(dims: kept), [v], type: x[0].type) }
      switch reduction {
      case .sum:
        out[0] = spread(g)
      case .prod:
        out[0] = b.binary(.div, spread(b.binary(.mul, g, y[0])), x[0])
      case .max, .min:
        // Ties share the adjoint equally (as JAX does).
        let hits = b.cast(b.compare(.eq, x[0], spread(y[0])), to: g.type.dtype)
        let counts = b.reduce(.sum, hits, axes: axes)
        out[0] = b.binary(.mul, spread(b.binary(.div, g, counts)), hits)
      }
    case .reshape:
      out[0] = b.reshape(g, x[0].type.shape)
    case .transpose(let perm):
      var inverse = [Int](repeating: 0, count: perm.count)
      for (i, p) in perm.enumerated() { inverse[p] = i }
      out[0] = b.value(.transpose(perm: inverse), [g])
    case .matmul:
      if needed[0] { out[0] = b.value(.matmul, [g, b.matrixTranspose(x[1])]) }
      if needed[1] { out[1] = b.value(.matmul, [b.matrixTranspose(x[0]), g]) }
    case .slice(let starts, let strides):
      out[0] = b.value(.unslice(starts: starts, strides: strides), [g], type: x[0].type)
    case .unslice(let starts, let strides):
      out[0] = b.value(.slice(starts: starts, strides: strides), [g], type: x[0].type)
    case .dynamicSlice:
      let zeros = b.splat(0, like: x[0].type)
      out[0] = b.value(.dynamicUpdateSlice, [zeros, g] + Array(x.dropFirst()))
    case .dynamicUpdateSlice:
      let offsets = Array(x.dropFirst(2))
      if needed[0] { out[0] = b.value(.dynamicUpdateSlice, [g, b.splat(0, like: x[1].type)] + offsets) }
      if needed[1] { out[1] = b.value(.dynamicSlice, [g] + offsets, type: x[1].type) }
    case .concat(let axis):
      var offset = 0
      for (i, operand) in x.enumerated() {
        var starts = [Int](repeating: 0, count: operand.type.rank)
        starts[axis] = offset
        if needed[i] {
          out[i] = b.value(
            .slice(starts: starts, strides: [Int](repeating: 1, count: operand.type.rank)), [g], type: operand.type)
        }
        offset += operand.type.shape[axis].value ?? 0
      }
    case .solve:
      // X = A⁻¹B: B̄ = A⁻ᵀX̄, Ā = -B̄Xᵀ.
      let right = b.value(.solve, [b.matrixTranspose(x[0]), g])
      if needed[1] { out[1] = right }
      if needed[0] { out[0] = b.unary(.neg, b.value(.matmul, [right, b.matrixTranspose(y[0])])) }
    case .triangularSolve(let lower, let transposeA):
      // X = op(A)⁻¹B: B̄ = op(A)⁻ᵀX̄; Ā = -B̄Xᵀ (or -XB̄ᵀ for op(A) = Aᵀ) on A's triangle.
      let right = b.value(.triangularSolve(lower: lower, transposeA: !transposeA), [x[0], g])
      if needed[1] { out[1] = right }
      if needed[0] {
        let outer =
          transposeA
          ? b.value(.matmul, [y[0], b.matrixTranspose(right)])
          : b.value(.matmul, [right, b.matrixTranspose(y[0])])
        out[0] = b.unary(.neg, b.binary(.mul, outer, triangle(like: x[0].type, lower: lower, diagonal: 1, b)))
      }
    case .cholesky:
      // Murray (2016): P = Φ(LᵀL̄) (the lower triangle, diagonal halved), S = L⁻ᵀPL⁻¹, and the
      // adjoint of a symmetric A is (S + Sᵀ)/2.
      let l = y[0]
      let phi = b.binary(
        .mul, b.value(.matmul, [b.matrixTranspose(l), g]), triangle(like: l.type, lower: true, diagonal: 0.5, b))
      let left = b.value(.triangularSolve(lower: true, transposeA: true), [l, phi])
      let s = b.matrixTranspose(b.value(.triangularSolve(lower: true, transposeA: true), [l, b.matrixTranspose(left)]))
      out[0] = b.binary(.mul, b.binary(.add, s, b.matrixTranspose(s)), b.splat(0.5, like: s.type))
    case .gather(let axis):
      out[0] = b.value(.scatterAdd(axis: axis), [g, x[1]], type: x[0].type)
    case .scatterAdd(let axis):
      out[0] = b.value(.gather(axis: axis), [g, x[1]], type: x[0].type)
    default:
      break
    }
    return out
  }

  /// Identity matrices of a [..., n, n] type.
  static func identity(like type: TensorType, _ b: Builder) -> Value {
    let eye = b.identity(type.shape[type.rank - 1].value ?? 0, type.dtype)
    return b.value(.broadcast(dims: [type.rank - 2, type.rank - 1]), [eye], type: type)
  }

  /// Ones on the lower (or upper) triangle of a [..., n, n] type, `diagonal` on its diagonal,
  /// zeros elsewhere.
  static func triangle(like type: TensorType, lower: Bool, diagonal: Double, _ b: Builder) -> Value {
    let n = type.shape[type.rank - 1].value ?? 0
    let mask = b.constant(
      .dense(
        (0..<(n * n)).map { i in
          let (row, column) = (i / n, i % n)
          return row == column ? diagonal : (lower ? row > column : row < column) ? 1 : 0
        }), TensorType(type.dtype, known: [n, n]))
    return b.value(.broadcast(dims: [type.rank - 2, type.rank - 1]), [mask], type: type)
  }

  /// The adjoint of a symmetric A from those of its eigenvalues w and eigenvectors V (the
  /// columns): V (diag(w̄) + F ∘ (Vᵀ V̄)) Vᵀ with F_ij = 1/(w_j - w_i) off the diagonal and 0 on
  /// it, symmetrized (JAX's rule; equal eigenvalues give inf, as there).
  static func eighAdjoint(values w: Value, vectors v: Value, _ wBar: Value?, _ vBar: Value?, _ b: Builder) -> Value? {
    guard wBar != nil || vBar != nil else { return nil }
    let type = v.type
    let rank = type.rank
    let batch = Array(0..<(rank - 2))
    var inner: Value?
    if let wBar {
      inner = b.binary(.mul, b.value(.broadcast(dims: batch + [rank - 1]), [wBar], type: type), identity(like: type, b))
    }
    if let vBar {
      let rows = b.value(.broadcast(dims: batch + [rank - 1]), [w], type: type)  // w_j at (i, j)
      let columns = b.value(.broadcast(dims: batch + [rank - 2]), [w], type: type)  // w_i at (i, j)
      let offDiagonal = b.binary(.sub, b.splat(1, like: type), identity(like: type, b))
      let differences = b.binary(.add, b.binary(.sub, rows, columns), identity(like: type, b))
      let f = b.binary(.div, offDiagonal, differences)
      let projected = b.binary(.mul, f, b.value(.matmul, [b.matrixTranspose(v), vBar]))
      inner = inner.map { b.binary(.add, $0, projected) } ?? projected
    }
    let full = b.value(.matmul, [b.value(.matmul, [v, inner!]), b.matrixTranspose(v)])
    return b.binary(.mul, b.binary(.add, full, b.matrixTranspose(full)), b.splat(0.5, like: type))
  }

  /// The adjoint of A = QR (m >= n) from those of Q and R: the transpose of the JVP rule JAX
  /// uses (dQ = Q(dΩ - C) + dA R⁻¹, dR = (C - dΩ)R, C = QᵀdA R⁻¹, dΩ = L - Lᵀ, L = tril(C, -1)):
  /// Ā = (Q̄ + QK)R⁻ᵀ with N = QᵀQ̄ - R̄Rᵀ and K = tril(N - Nᵀ, -1) - N.
  static func qrAdjoint(q: Value, r: Value, _ qBar: Value?, _ rBar: Value?, _ b: Builder) -> Value? {
    guard qBar != nil || rBar != nil else { return nil }
    let zerosQ = b.splat(0, like: q.type)
    let gq = qBar ?? zerosQ
    var n = b.value(.matmul, [b.matrixTranspose(q), gq])
    if let rBar { n = b.binary(.sub, n, b.value(.matmul, [rBar, b.matrixTranspose(r)])) }
    let strictlyLower = triangle(like: n.type, lower: true, diagonal: 0, b)
    let k = b.binary(.sub, b.binary(.mul, b.binary(.sub, n, b.matrixTranspose(n)), strictlyLower), n)
    let g = b.binary(.add, gq, b.value(.matmul, [q, k]))
    // G R⁻ᵀ = (R⁻¹ Gᵀ)ᵀ.
    let solved = b.value(.triangularSolve(lower: false, transposeA: false), [r, b.matrixTranspose(g)])
    return b.matrixTranspose(solved)
  }
}
