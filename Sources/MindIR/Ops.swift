// The MIR operation set. Every op is defined here once: its attributes (the enum payload), its
// printed name, and whether it has side effects. Ops are tensor-level and static-shaped; IRGen
// makes broadcasting explicit, so elementwise binary ops always see operands of one shape.
// The set is small on purpose: composite built-ins (softmax, gelu, layer_norm, ...) expand into
// these ops, so that each op needs exactly one lowering and one derivative rule.

/// The unary elementwise ops; each one's facts are its record (UnaryOps.swift).
public enum UnaryOp: String, Sendable, CaseIterable {
  case neg, abs, sign, exp, exp2, expm1, log, log1p, sqrt, sin, cos, tan, asin, acos, atan
  case tanh, sinh, cosh, asinh, acosh, atanh, erf, erfc, floor, ceil, round, not, logistic
  /// The identity, through which no derivative flows.
  case stopGradient = "stop_gradient"
}

public enum BinaryOp: String, Sendable, CaseIterable {
  case add, sub, mul, div, rem, pow, max, min, and, or
}

public enum CompareOp: String, Sendable, CaseIterable {
  case eq, ne, lt, gt, le, ge
}

public enum ReduceOp: String, Sendable, CaseIterable {
  case sum, prod, max, min
}

/// Elements of a dense constant, stored as Doubles (exact for every MIR dtype up to 2^53).
public enum ConstantData: Hashable, Sendable {
  case splat(Double)
  case dense([Double])

  public func element(_ i: Int) -> Double {
    switch self {
    case .splat(let v): return v
    case .dense(let values): return values[i]
    }
  }
}

/// A piece of a `print` line: literal text, or the next operand.
public enum PrintPiece: Hashable, Sendable {
  case text(String)
  case operand
}

public enum OpKind: Hashable, Sendable {
  case constant(ConstantData)
  case unary(UnaryOp)
  case binary(BinaryOp)
  case compare(CompareOp)
  /// `select %cond, %a, %b` (all one shape).
  case select
  case cast
  /// Result axis `dims[i]` takes operand axis `i`; other result axes repeat.
  case broadcast(dims: [Int])
  /// Reduces the listed axes away.
  case reduce(ReduceOp, axes: [Int])
  /// Index of the largest (or smallest) element along `axis`, which is removed; i64 result.
  case argReduce(max: Bool, axis: Int)
  /// The permutation that sorts each row along the last axis (i64, the operand's shape): stable,
  /// ascending with NaN last, or descending with NaN first.
  case argsort(descending: Bool)
  /// `solve %a, %b`: X with A X = B, A [..., n, n] and B [..., n, k] with equal leading axes, by
  /// LU factorization with partial pivoting (LAPACK); a singular A gives inf or NaN, as JAX.
  case solve
  /// `slogdet %a`: the sign and the log of the absolute value of det A, A [..., n, n], two
  /// results of shape [...] (sign 0 and -inf for a singular A, as NumPy).
  case slogdet
  /// `triangular_solve %a, %b`: X with op(A) X = B for A [..., n, n] lower (or upper)
  /// triangular, op(A) = A or Aᵀ, B [..., n, k] (LAPACK); only A's triangle is read.
  case triangularSolve(lower: Bool, transposeA: Bool)
  /// `cholesky %a`: the lower triangular L with A = L Lᵀ for symmetric positive definite A
  /// [..., n, n] (LAPACK; only A's lower triangle is read); NaN where A is not positive definite.
  case cholesky
  /// `eigh %a`: the eigenvalues of symmetric A [..., n, n] in ascending order ([..., n]) and the
  /// eigenvectors as the columns of [..., n, n] (LAPACK; only A's lower triangle is read).
  case eigh
  /// `qr %a`: the reduced QR factorization of A [..., m, n] with m >= n: Q [..., m, n] with
  /// orthonormal columns and upper triangular R [..., n, n] (LAPACK's Householder QR).
  case qr
  case reshape
  case transpose(perm: [Int])
  /// `[..., M, K] x [..., K, N] -> [..., M, N]` with equal batch dimensions.
  case matmul
  case slice(starts: [Int], strides: [Int])
  /// The transpose of `slice`: a tensor of the result type, zero except at the positions the
  /// slice reads, which hold the operand (the adjoint of `slice`).
  case unslice(starts: [Int], strides: [Int])
  /// `dynamic_slice %x, %i0, %i1, ...`: a window of the result's shape at runtime offsets
  /// (negative offsets count from the end), bounds-checked.
  case dynamicSlice
  /// `dynamic_update_slice %x, %update, %i0, ...`: `x` with a window replaced.
  case dynamicUpdateSlice
  case concat(axis: Int)
  /// `gather %x, %indices` along `axis`: result shape = x.shape[..<axis] + indices.shape +
  /// x.shape[axis+1...]; indices bounds-checked.
  case gather(axis: Int)
  /// `scatter_add %updates, %indices` along `axis`: zeros of the result type with `updates` added
  /// at the gathered positions (the adjoint of `gather`; repeated indices accumulate).
  case scatterAdd(axis: Int)
  /// `iota` along an axis of the result shape (0, 1, 2, ...).
  case iota(axis: Int)
  /// Deterministic pseudo-random numbers, normal or uniform in [0, 1).
  case random(normal: Bool, seed: UInt64)
  /// A tensor whose elements are unspecified until written (MLIR's `tensor.empty`): the start of
  /// a buffer that a loop fills, such as differentiation's checkpoint tapes. Lowering allocates
  /// and writes nothing.
  case empty
  case call(callee: String)
  /// `if %c` with regions `then` and `else`; results yielded by each.
  case ifOp
  /// `for %lo, %hi, %carried...` with one region whose arguments are the induction variable and
  /// the carried values; it yields the next carried values.
  case forOp
  /// `while %carried...`: region 0 computes the condition (yields one i1), region 1 the body
  /// (yields the next carried values). Both take the carried values as arguments.
  case whileOp
  case yield
  case returnOp
  case print([PrintPiece])
  /// `io.load {path, names}`: the tensors a file holds (by name in a container, "" for an
  /// `.npy`), read at run time into results of the types compiled in (a file of other types is a
  /// runtime error at the op).
  case load(path: String, names: [String])
  /// `io.save {path, names} %x...`: writes the operands to a file, whole or not at all (the
  /// format by the path: `.npy`, `.safetensors`, a folder ending in `/`).
  case save(path: String, names: [String])
  /// Fails at runtime with the error code and message when the operand is false (E6011 for a
  /// user's `assert`, E6006 for an integer remainder by zero).
  case assert(code: String, message: String)

  public var name: String {
    switch self {
    case .constant: return "constant"
    case .unary(let op): return op.rawValue
    case .binary(let op): return op.rawValue
    case .compare(let op): return "cmp." + op.rawValue
    case .select: return "select"
    case .cast: return "cast"
    case .broadcast: return "broadcast"
    case .reduce(let op, _): return "reduce." + op.rawValue
    case .argReduce(let isMax, _): return isMax ? "argmax" : "argmin"
    case .argsort(let descending): return descending ? "argsort.descending" : "argsort"
    case .solve: return "solve"
    case .slogdet: return "slogdet"
    case .triangularSolve(let lower, let transposeA):
      return "triangular_solve." + (lower ? "lower" : "upper") + (transposeA ? ".transpose" : "")
    case .cholesky: return "cholesky"
    case .eigh: return "eigh"
    case .qr: return "qr"
    case .reshape: return "reshape"
    case .transpose: return "transpose"
    case .matmul: return "matmul"
    case .slice: return "slice"
    case .unslice: return "unslice"
    case .dynamicSlice: return "dynamic_slice"
    case .dynamicUpdateSlice: return "dynamic_update_slice"
    case .concat: return "concat"
    case .gather: return "gather"
    case .scatterAdd: return "scatter_add"
    case .iota: return "iota"
    case .random(let normal, _): return normal ? "random.normal" : "random.uniform"
    case .empty: return "empty"
    case .call: return "call"
    case .ifOp: return "if"
    case .forOp: return "for"
    case .whileOp: return "while"
    case .yield: return "yield"
    case .returnOp: return "return"
    case .print: return "print"
    case .load: return "io.load"
    case .save: return "io.save"
    case .assert: return "assert"
    }
  }

  /// Ops whose lowering checks something at runtime (and reports the op's location).
  public var canFailAtRuntime: Bool {
    switch self {
    case .dynamicSlice, .dynamicUpdateSlice, .gather, .scatterAdd, .assert, .load, .save: return true
    default: return false
    }
  }

  /// Output a program makes (`print`, `save`): done once where the program does it, never again
  /// when differentiation replays a region.
  public var isOutput: Bool {
    switch self {
    case .print, .save: return true
    default: return false
    }
  }

  /// Ops that must not be removed or merged even when their results are unused.
  public var hasSideEffects: Bool {
    switch self {
    case .print, .assert, .call, .returnOp, .yield, .dynamicSlice, .dynamicUpdateSlice, .gather, .scatterAdd,
      .load, .save:
      return true
    case .ifOp, .forOp, .whileOp:
      return true
    default:
      return false
    }
  }
}
