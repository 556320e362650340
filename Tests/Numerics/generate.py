#!/usr/bin/env python3
"""Generates the built-in numerics test: `builtins.mind` prints one labelled line per case,
and `builtins.expected` holds the same lines computed independently with NumPy.

Run from the repository root after changing the cases: python3 Tests/Numerics/generate.py
The Swift test (NumericsTests) compares every number of every line with a relative tolerance.
"""
import math
import os
import numpy as np

f32 = np.float32
A = np.array([[0.5, -1.2, 2.0], [3.1, 0.0, -0.7]], dtype=f32)
B = np.array([[1.5, 0.3, -2.0], [0.4, 1.0, 2.5]], dtype=f32)
P = np.array([[0.5, 1.2, 2.0], [3.1, 0.1, 0.7]], dtype=f32)
v = np.array([0.2, -0.4, 1.3], dtype=f32)
c = np.array([[2.0], [3.0]], dtype=f32)
H = np.array([[2.5, -0.5], [1.5, 3.5], [-2.5, 0.5]], dtype=f32)
T = np.arange(24, dtype=f32).reshape(2, 3, 4) / f32(10)
X = (np.arange(2 * 4 * 4 * 2, dtype=f32).reshape(2, 4, 4, 2) % f32(7)) / f32(3) - f32(1)
W = (np.arange(3 * 3 * 2 * 3, dtype=f32).reshape(3, 3, 2, 3) % f32(5)) / f32(4) - f32(0.5)
X8 = (np.arange(3 * 4 * 8, dtype=f32).reshape(1, 3, 4, 8) % f32(7)) / f32(3) - f32(1)
W8 = (np.arange(2 * 2 * 8 * 2, dtype=f32).reshape(2, 2, 8, 2) % f32(5)) / f32(4) - f32(0.5)
labels = np.array([2, 0], dtype=np.int64)
S = np.array([[4.0, 1.0, 2.0], [1.0, 3.0, 0.5], [2.0, 0.5, 5.0]], dtype=f32)
M = "(reshape(arange(1600.0), [40, 40]) % 17.0) / 16.0"
Mv = (np.arange(1600, dtype=f32).reshape(40, 40) % f32(17)) / f32(16)

def lit(a):
    return np.array2string(np.asarray(a), separator=", ", threshold=10**6, floatmode="unique").replace("\n", "")

PRELUDE = f"""    let A = {lit(A)};
    let B = {lit(B)};
    let P = {lit(P)};
    let v = {lit(v)};
    let c = {lit(c)};
    let H = {lit(H)};
    let T = reshape(arange(24.0), [2, 3, 4]) / 10.0;
    let X = (reshape(arange(64.0), [2, 4, 4, 2]) % 7.0) / 3.0 - 1.0;
    let W = (reshape(arange(54.0), [3, 3, 2, 3]) % 5.0) / 4.0 - 0.5;
    let X8 = (reshape(arange(96.0), [1, 3, 4, 8]) % 7.0) / 3.0 - 1.0;
    let W8 = (reshape(arange(64.0), [2, 2, 8, 2]) % 5.0) / 4.0 - 0.5;
    let labels = [2, 0];
    let S = {lit(S)};
"""

def gelu(x):
    x = x.astype(np.float64)
    return 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))

def residual_loop(m):
    z = m
    for _ in range(2):
        z = z + np.tanh(z @ m * f32(0.1)) @ (m * f32(0.1))
    return z.sum(0)

def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)

def log_softmax(x, axis=-1):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))

def logsumexp(x, axis=None, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    r = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return r if keepdims else (np.squeeze(r, axis=axis) if axis is not None else r.reshape(()))

def layer_norm(x, axis=-1, eps=1e-5):
    m = x.mean(axis=axis, keepdims=True)
    var = ((x - m) ** 2).mean(axis=axis, keepdims=True)
    return (x - m) / np.sqrt(var + eps)

def conv2d(x, w, strides=(1, 1), padding="valid"):
    n, h, wd, ch = x.shape
    kh, kw, _, f = w.shape
    if padding == "same":
        oh, ow = -(-h // strides[0]), -(-wd // strides[1])
        ph = max((oh - 1) * strides[0] + kh - h, 0)
        pw = max((ow - 1) * strides[1] + kw - wd, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - kh) // strides[0] + 1, (wd - kw) // strides[1] + 1
    out = np.zeros((n, oh, ow, f), dtype=np.float64)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw, :]
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2]))
    return out

def splitmix(x):
    m = (1 << 64) - 1
    z = (x + 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return z ^ (z >> 31)

def uniform(seed, counter):
    m = (1 << 64) - 1
    return (splitmix(((seed * 0x2545F4914F6CDD1D) & m) ^ counter) >> 11) / float(1 << 53)

def rand(n, seed):
    return np.array([uniform(seed, i) for i in range(n)], dtype=f32)

def randn(n, seed):
    out = []
    for i in range(n):
        u1 = max(uniform(seed, 2 * i), 1e-300)
        u2 = uniform(seed, 2 * i + 1)
        out.append(math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2))
    return np.array(out, dtype=f32)

CASES = [
    # elementwise, with broadcasting
    ("add", "A + v", A + v), ("sub", "A - c", A - c), ("mul", "A * B", A * B), ("div", "A / P", A / P),
    ("rem", "A % 0.75", np.remainder(A, f32(0.75))), ("rem_negative", "A % -0.75", np.remainder(A, f32(-0.75))),
    ("pow", "P ** 1.5", P ** f32(1.5)), ("pow_int", "A ** 3", A ** 3), ("pow_fn", "pow(P, B)", np.power(P, B)),
    ("neg", "-A", -A), ("neg_fn", "neg(A)", -A), ("abs", "abs(A)", np.abs(A)), ("sign", "sign(A)", np.sign(A)),
    ("exp", "exp(A)", np.exp(A)), ("log", "log(P)", np.log(P)), ("log2", "log2(P)", np.log2(P)),
    ("log1p", "log1p(A * 1e-4)", np.log1p(A * f32(1e-4))), ("expm1", "expm1(A * 1e-4)", np.expm1(A * f32(1e-4))),
    ("exp2", "exp2(A)", np.exp2(A)), ("log10", "log10(P)", np.log10(P)),
    ("asin", "asin(A * 0.3)", np.arcsin(A * f32(0.3))), ("acos", "acos(A * 0.3)", np.arccos(A * f32(0.3))),
    ("atan", "atan(A * 3.0)", np.arctan(A * f32(3))), ("sinh", "sinh(A)", np.sinh(A)), ("cosh", "cosh(A)", np.cosh(A)),
    ("asinh", "asinh(A * 3.0)", np.arcsinh(A * f32(3))), ("acosh", "acosh(P + 1.0)", np.arccosh(P + f32(1))),
    ("atanh", "atanh(A * 0.3)", np.arctanh(A * f32(0.3))),
    ("erf", "erf(A)", np.vectorize(math.erf)(A).astype(f32)), ("erfc", "erfc(A * 2.0)", np.vectorize(math.erfc)(A * f32(2)).astype(f32)),
    ("atan2", "atan2(A, B)", np.arctan2(A, B)), ("atan2_zeros", "atan2([0.0, -0.0, 0.0, -0.0], [1.0, 1.0, -1.0, -1.0])",
     np.arctan2(np.array([0.0, -0.0, 0.0, -0.0], dtype=f32), np.array([1.0, 1.0, -1.0, -1.0], dtype=f32))),
    ("hypot", "hypot(A, v)", np.hypot(A, v)), ("hypot_huge", "hypot(3e30, 4e30)", np.hypot(f32(3e30), f32(4e30))),
    ("logaddexp", "logaddexp(A, B * 10.0)", np.logaddexp(A, B * f32(10))),
    ("norm", "norm(A)", np.linalg.norm(A)), ("norm_axis", "norm(T, axis=1)", np.linalg.norm(T, axis=1)),
    ("cumsum", "cumsum(T, axis=2)", np.cumsum(T, axis=2)), ("cumsum_flat", "cumsum(A)", np.cumsum(A)),
    ("cumsum_int", "cumsum([3, 1, 4, 1, 5, 9, 2, 6], axis=0)", np.cumsum([3, 1, 4, 1, 5, 9, 2, 6])),
    ("cumprod", "cumprod(P, axis=0)", np.cumprod(P, axis=0)),
    ("sort", "sort(A)", np.sort(A)), ("sort_axis0", "sort(T, axis=0)", np.sort(T, axis=0)),
    ("sort_descending", "sort(B, descending=true)", -np.sort(-B)),
    ("argsort", "argsort([3.0, 1.0, 2.0, 1.0, 0.0])", np.argsort(np.array([3.0, 1.0, 2.0, 1.0, 0.0]), kind="stable")),
    ("argsort_int", "argsort([[4, 4, 1], [0, 9, 3]], axis=1)", np.argsort(np.array([[4, 4, 1], [0, 9, 3]]), axis=1, kind="stable")),
    ("sort_long", "sort(reshape(arange(300.0) * 7.0 % 300.0, [3, 100]))[1]", np.sort((np.arange(300, dtype=f32) * 7 % 300).reshape(3, 100))[1]),
    ("topk_values", "topk(B, 2).0", -np.sort(-B, axis=-1)[:, :2]), ("topk_indices", "topk(B, 2).1", np.argsort(-B, axis=-1, kind="stable")[:, :2]),
    ("solve", "solve(S, v)", np.linalg.solve(S, v)), ("solve_matrix", "solve(S, H)", np.linalg.solve(S, H)),
    ("solve_batched", "solve(stack([S, S * 2.0]), stack([v, v]))", np.linalg.solve(np.stack([S, S * 2]), np.stack([v, v])[..., None])[..., 0]),
    ("inv", "inv(S)", np.linalg.inv(S)), ("det", "det(S)", np.linalg.det(S)),
    ("det_singular", "det([[1.0, 2.0], [2.0, 4.0]])", 0.0), ("det_permutation", "det([[0.0, 1.0], [1.0, 0.0]])", -1.0),
    ("slogdet", "slogdet(S * -1.0)", np.array(np.linalg.slogdet(S * -1))),
    ("cholesky", "cholesky(S)", np.linalg.cholesky(S)),
    ("cholesky_batched", "cholesky(stack([S, S * 4.0]))", np.linalg.cholesky(np.stack([S, S * 4]))),
    ("triangular_solve", "triangular_solve(cholesky(S), H)", np.linalg.solve(np.linalg.cholesky(S), H)),
    ("triangular_solve_transpose", "triangular_solve(cholesky(S), H, transpose_a=true)", np.linalg.solve(np.linalg.cholesky(S).T, H)),
    ("triangular_solve_upper", "triangular_solve(S, v, lower=false)", np.linalg.solve(np.triu(S), v)),
    ("eigh_values", "eigh(S).0", np.linalg.eigh(S)[0]), ("eigh_vectors", "abs(eigh(S).1)", np.abs(np.linalg.eigh(S)[1])),
    ("eigh_batched", "eigh(stack([S, S * -1.0])).0", np.linalg.eigh(np.stack([S, -S]))[0]),
    ("f64_eigh", "eigh(cast<f64>(S)).0", np.linalg.eigh(S.astype(np.float64))[0]),
    ("qr_q", "abs(qr(H).0)", np.abs(np.linalg.qr(H)[0])), ("qr_r", "abs(qr(H).1)", np.abs(np.linalg.qr(H)[1])),
    ("qr_product", "{ let (q, r) = qr(stack([H, H * 2.0])); q @ r }", np.stack([H, H * 2])),
    ("qr_wide_q", "abs(qr(A).0)", np.abs(np.linalg.qr(A)[0])), ("qr_wide_r", "abs(qr(A).1)", np.abs(np.linalg.qr(A)[1])),
    ("qr_wide_product", "{ let (q, r) = qr(stack([A, A * 2.0])); q @ r }", np.stack([A, A * 2])),
    ("f64_solve", "solve(cast<f64>(S), cast<f64>(v))", np.linalg.solve(S.astype(np.float64), v.astype(np.float64))),
    ("int_literals_to_float", "exp([0, 1]) + sqrt([4, 9]) + mean([1, 2, 4])", np.exp([0.0, 1.0]).astype(f32) + np.sqrt([4.0, 9.0]).astype(f32) + f32(7 / 3)),
    ("f64_atan", "atan(cast<f64>(A))", np.arctan(A.astype(np.float64))),
    ("f64_tanh", "tanh(cast<f64>(A))", np.tanh(A.astype(np.float64))),
    ("f64_erfc", "erfc(cast<f64>(A) * 3.0)", np.vectorize(math.erfc)(A.astype(np.float64) * 3)),
    ("f64_log1p", "log1p(cast<f64>(P) - 1.0)", np.log1p(P.astype(np.float64) - 1)),
    ("f64_expm1", "expm1(cast<f64>(A))", np.expm1(A.astype(np.float64))),
    ("sqrt", "sqrt(P)", np.sqrt(P)), ("rsqrt", "rsqrt(P)", 1 / np.sqrt(P)), ("sin", "sin(A)", np.sin(A)),
    ("cos", "cos(A)", np.cos(A)), ("tan", "tan(A)", np.tan(A)), ("tanh", "tanh(A)", np.tanh(A)),
    ("sigmoid", "sigmoid(A)", 1 / (1 + np.exp(-A))), ("relu", "relu(A)", np.maximum(A, 0)),
    ("softplus", "softplus(A * 10.0)", np.logaddexp(0, A * 10)), ("gelu", "gelu(A)", gelu(A)),
    ("square", "square(A)", A * A), ("floor", "floor(A)", np.floor(A)), ("ceil", "ceil(A)", np.ceil(A)),
    ("round", "round([0.5, 1.5, 2.5, -0.5, -1.7])", np.round(np.array([0.5, 1.5, 2.5, -0.5, -1.7]))),
    ("max2", "max(A, B)", np.maximum(A, B)), ("min2", "min(A, v)", np.minimum(A, v)),
    ("where", "where(A > 0.0, A, B)", np.where(A > 0, A, B)), ("clip", "clip(A, -0.5, 1.0)", np.clip(A, -0.5, 1.0)),
    ("cast_int", "cast<i64>(A * 2.0)", (A * 2).astype(np.int64)), ("cast_bool", "cast<f32>(A != 0.0)", (A != 0).astype(f32)),
    ("f64_exp", "exp(cast<f64>(A))", np.exp(A.astype(np.float64))),
    ("compare", "A >= B", A >= B), ("logic", "(A > 0.0) && (B > 0.0) || !(A < 3.0)", ((A > 0) & (B > 0)) | ~(A < 3)),
    ("int_arith", "[7, -7, 9] % 4 + [1, 2, 3] * 2 - 1", np.remainder(np.array([7, -7, 9]), 4) + np.array([1, 2, 3]) * 2 - 1),
    # reductions
    ("sum", "sum(A)", A.sum()), ("sum_axis", "sum(A, axis=0)", A.sum(axis=0)), ("sum_keep", "sum(T, axes=[0, 2], keepdims=true)", T.sum(axis=(0, 2), keepdims=True)),
    ("mean", "mean(T, axis=-1)", T.mean(axis=-1)), ("prod", "prod(P, axis=1)", P.prod(axis=1)),
    ("max", "max(A)", A.max()), ("max_axis", "max(T, axis=1)", T.max(axis=1)), ("min_axis", "min(A, axes=[1])", A.min(axis=1)),
    ("logsumexp", "logsumexp(A)", logsumexp(A)), ("logsumexp_axis", "logsumexp(T, axis=2)", logsumexp(T, axis=2)),
    ("argmax", "argmax(A)", np.argmax(A)), ("argmax_axis", "argmax(A, axis=1)", np.argmax(A, axis=1)), ("argmin_axis", "argmin(T, axis=0)", np.argmin(T, axis=0)),
    ("sum_empty_axes", "sum(A, axes=[])", A.sum()), ("mean_neg_axis", "mean(A, axis=-2)", A.mean(axis=-2)),
    # neural-network helpers
    ("softmax", "softmax(A)", softmax(A)), ("softmax_axis0", "softmax(A, axis=0)", softmax(A, axis=0)),
    ("log_softmax", "log_softmax(T)", log_softmax(T)), ("layer_norm", "layer_norm(A)", layer_norm(A)),
    ("layer_norm_axis", "layer_norm(T, axis=1, eps=0.001)", layer_norm(T, axis=1, eps=1e-3)),
    ("one_hot", "one_hot(labels, 3)", np.eye(3)[labels]), ("cross_entropy", "cross_entropy(A, labels)", -log_softmax(A)[np.arange(2), labels].mean()),
    ("conv2d_valid", "conv2d(X, W)", conv2d(X, W)), ("conv2d_same_strided", "conv2d(X, W, strides=[2, 1], padding=\"same\")", conv2d(X, W, (2, 1), "same")),
    # 8 channels: one product per tap (fewer channels: one product of the taps side by side)
    ("conv2d_taps", "conv2d(X8, W8, strides=[1, 2], padding=\"same\")", conv2d(X8, W8, (1, 2), "same")),
    # linear algebra
    ("matmul", "A @ H", A @ H), ("matmul_fn", "matmul(H, A)", H @ A), ("matvec", "A @ v", A @ v), ("vecmat", "v @ H", v @ H),
    ("matmul_blas", "(reshape(arange(1500.0), [30, 50]) / 1000.0) @ (reshape(arange(1500.0), [50, 30]) / 1000.0)",
     (np.arange(1500, dtype=f32).reshape(30, 50) / f32(1000)) @ (np.arange(1500, dtype=f32).reshape(50, 30) / f32(1000))),
    ("matmul_blas_batched_f64", "cast<f64>(reshape(arange(4000.0), [2, 20, 100]) / 1000.0) @ cast<f64>(reshape(arange(2500.0), [100, 25]) / 1000.0)",
     (np.arange(4000, dtype=f32).reshape(2, 20, 100) / f32(1000)).astype(np.float64) @ (np.arange(2500, dtype=f32).reshape(100, 25) / f32(1000)).astype(np.float64)),
    # a sum with a BLAS product is one gemm accumulating into the other term: a term read
    # elsewhere (copied), a fused term (computed into the sum), a chain of products (in place);
    # summed over rows (a 40x40 matrix prints abbreviated)
    ("matmul_blas_plus", f"sum({M} + {M} @ ({M} * 0.5), axis=0)", (Mv + Mv @ (Mv * f32(0.5))).sum(0)),
    ("matmul_blas_plus_fused", f"sum(({M} * 3.0 - 1.0) + {M} @ ({M} * 0.25), axis=0)",
     ((Mv * f32(3) - f32(1)) + Mv @ (Mv * f32(0.25))).sum(0)),
    ("matmul_blas_sum_of_products", f"sum({M} @ ({M} + 1.0) + ({M} * 2.0) @ {M} + {M} @ ({M} - 1.0), axis=0)",
     (Mv @ (Mv + f32(1)) + (Mv * f32(2)) @ Mv + Mv @ (Mv - f32(1))).sum(0)),
    ("matmul_blas_residual_loop", f"{{ let mut z = {M}; for i in 0..2 {{ z = z + tanh(z @ {M} * 0.1) @ ({M} * 0.1); }} sum(z, axis=0) }}",
     residual_loop(Mv)),
    ("stop_gradient", "stop_gradient(A) * 2.0", A * f32(2)),
    ("dot", "dot(v, v)", np.dot(v, v)), ("outer", "outer(v, [1.0, 2.0])", np.outer(v, [1.0, 2.0])),
    ("batched_matmul", "T @ transpose(T, perm=[0, 2, 1])", T @ T.transpose(0, 2, 1)), ("broadcast_matmul", "T @ reshape(arange(8.0), [4, 2])", T @ np.arange(8.0).reshape(4, 2)),
    ("transpose", "transpose(T)", T.transpose()), ("transpose_perm", "transpose(T, perm=[1, 0, 2])", T.transpose(1, 0, 2)),
    # shapes
    ("reshape", "reshape(T, [4, -1])", T.reshape(4, -1)), ("broadcast", "broadcast(v, [2, 3])", np.broadcast_to(v, (2, 3))),
    ("expand_dims", "expand_dims(v, axis=1)", v[:, None]), ("squeeze", "squeeze(c)", c.squeeze()), ("flatten", "flatten(A)", A.flatten()),
    ("concat", "concat([A, B], axis=1)", np.concatenate([A, B], axis=1)), ("concat0", "concat([A, B, A])", np.concatenate([A, B, A])),
    ("stack", "stack([v, v * 2.0], axis=1)", np.stack([v, v * 2], axis=1)), ("shape", "shape(T)", np.array(T.shape)),
    ("size", "size(T)", T.size), ("attribute_T", "T.T", T.T), ("attribute_shape", "A.shape", np.array(A.shape)),
    ("attribute_size", "A.size", A.size), ("attribute_ndim", "T.ndim", T.ndim),
    ("new_axis", "A[:, None]", A[:, None]), ("new_axis_front", "v[None]", v[None]), ("ellipsis", "T[..., 1]", T[..., 1]),
    ("ellipsis_new_axis", "T[0, ..., None, 1]", T[0, ..., None, 1]),
    ("dynamic_slice", "dynamic_slice(T, [cast<i64>(sum(v) * 0.0) + 1, 0, 1], [1, 2, 2])", T[1:2, 0:2, 1:3]),
    ("dynamic_slice_negative", "dynamic_slice(A, (0, -2), [2, 2])", A[:, 1:3]),
    ("runtime_window", "{ let i = cast<i64>(sum(v) * 0.0) + 1; T[:, i:i+2] }", T[:, 1:3]),
    ("dynamic_update_slice", "dynamic_update_slice(A, [[9.0, 8.0]], [cast<i64>(sum(v) * 0.0) + 1, 1])",
     np.array([[0.5, -1.2, 2.0], [3.1, 9.0, 8.0]], dtype=f32)), ("gather", "gather(A, [2, 0, -1], axis=1)", A[:, [2, 0, -1]]), ("gather0", "gather(T, [[1, 0], [1, 1]])", T[[[1, 0], [1, 1]]]),
    ("index", "T[1, -1]", T[1, -1]), ("slice", "T[:, 1:, ::2]", T[:, 1:, ::2]), ("slice_negative", "A[-1, :-1]", A[-1, :-1]), ("slice_step", "arange(10)[1:9:3]", np.arange(10)[1:9:3]),
    # construction
    ("zeros", "zeros([2, 2])", np.zeros((2, 2))), ("ones", "ones([3])", np.ones(3)), ("full", "full([2], 1.5)", np.full(2, 1.5)),
    ("eye", "eye(3)", np.eye(3)), ("arange", "arange(2, 11, 3)", np.arange(2, 11, 3)), ("arange_float", "arange(0.0, 1.0, 0.25)", np.arange(0, 1, 0.25)),
    ("linspace", "linspace(-1.0, 1.0, 5)", np.linspace(-1, 1, 5)),
    ("rand", "rand([5], seed=42)", rand(5, 42)), ("randn", "randn([5], seed=7)", randn(5, 7)),
    ("randn_stats", "mean(randn([100000], seed=3))", np.float32(randn(100000, 3).mean())),
]

def fmt(value):
    a = np.asarray(value)
    if a.dtype == bool:
        return lit(a).replace("True", "true").replace("False", "false")
    return lit(a.astype(np.float64))

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "builtins.mind"), "w") as out:
    out.write("// Generated by generate.py: every built-in on fixed inputs, one labelled line each.\n")
    out.write("fn main() {\n" + PRELUDE)
    for name, expr, _ in CASES:
        out.write(f'    print("{name}:", {expr});\n')
    out.write("}\n")
with open(os.path.join(here, "builtins.expected"), "w") as out:
    for name, _, value in CASES:
        out.write(f"{name}: {fmt(value)}\n")
print(f"{len(CASES)} cases")
