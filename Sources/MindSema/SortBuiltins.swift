// Sorting: sort, argsort and topk, from the argsort op (a stable sort of each row along the last
// axis, MindCodegen/SortLowering.swift). Another axis is moved last and back; values are gathered
// by the permutation, so their derivative is the gather's (each output's adjoint goes to the
// element it came from, as in JAX). sort and argsort take `axis=` (default -1) and
// `descending=`; topk(x, k) returns the k largest along the last axis and their indices, largest
// first, ties in index order (jax.lax.top_k).

import MindFrontend
import MindIR

enum Sorting {
  static func call(_ name: String, _ args: BuiltinArguments) throws -> SemaValue? {
    guard ["sort", "argsort", "topk"].contains(name) else { return nil }
    let b = args.b
    try args.expect(name == "topk" ? 2...2 : 1...1, keywords: name == "topk" ? [] : ["axis", "descending"])
    let x = try args.tensor(0)
    guard x.type.dtype != .bool else {
      throw Diagnostic("E2005", "`\(name)` expects a numeric tensor, found bool", at: args.positional[0].span)
    }
    guard x.type.rank > 0 else { throw Diagnostic("E3002", "`\(name)` of a scalar", at: args.span) }
    if name == "topk" {
      let k = try args.constantInt(args.positional[1].value, args.positional[1].span, what: "`k`")
      let n = x.type.shape[x.type.rank - 1]
      guard k >= 0, k <= n.value ?? k else {
        throw Diagnostic("E3003", "`topk` takes k = \(k) of an axis of \(n) elements", at: args.positional[1].span)
      }
      let order = b.value(.argsort(descending: true), [x])
      var starts = [Int](repeating: 0, count: x.type.rank)
      starts[x.type.rank - 1] = 0
      var shape = x.type.shape
      shape[x.type.rank - 1] = .known(k)
      let indices = b.value(
        .slice(starts: starts, strides: [Int](repeating: 1, count: x.type.rank)), [order], type: TensorType(.i64, shape)
      )
      return .tuple([.tensor(takeAlongLastAxis(x, indices, b)), .tensor(indices)])
    }
    let axis = try args.normalizeAxis(try args.keywordInt("axis") ?? -1, rank: x.type.rank, span: args.span)
    let descending = try args.keywordBool("descending") ?? false
    let last = x.type.rank - 1
    let moved = b.moveAxis(x, from: axis, to: last)
    let order = b.value(.argsort(descending: descending), [moved])
    let sorted = name == "sort" ? takeAlongLastAxis(moved, order, b) : order
    return .tensor(b.moveAxis(sorted, from: last, to: axis))
  }

  /// x[..., indices[..., j]] row by row: one gather from the flattened x at row·n + index.
  static func takeAlongLastAxis(_ x: Value, _ indices: Value, _ b: Builder) -> Value {
    let n = x.type.shape[x.type.rank - 1]
    let k = indices.type.shape[indices.type.rank - 1]
    let rows: Dim = x.type.isConcrete ? .known(x.type.elementCount / max(n.value!, 1)) : .unknown
    let flat = b.reshape(x, [x.type.isConcrete ? .known(x.type.elementCount) : .unknown])
    let rowIndices = b.reshape(indices, [rows, k])
    let rowNumbers = b.value(.iota(axis: 0), [], type: TensorType(.i64, [rows, k]))
    let positions = b.binary(
      .add, rowIndices, b.binary(.mul, rowNumbers, b.splat(Double(n.value ?? 0), like: rowNumbers.type)))
    let gathered = b.value(.gather(axis: 0), [flat, positions], type: TensorType(x.type.dtype, [rows, k]))
    return b.reshape(gathered, indices.type.with(dtype: x.type.dtype).shape)
  }
}
