// Linear algebra and shape built-ins: matmul dot outer transpose reshape broadcast expand_dims
// squeeze flatten shape size gather.

import MindFrontend
import MindIR

enum ShapeOps {
  static func call(_ name: String, _ args: BuiltinArguments) throws -> SemaValue? {
    let b = args.b
    let e = args.e
    switch name {
    case "matmul", "dot":
      try args.expect(2...2)
      let x = try args.tensor(0)
      let y = try args.tensor(1)
      if name == "dot", x.type.rank != 1 || y.type.rank != 1, x.type.rank > 0 && y.type.rank > 0 {
        return try Builtins.matmul(e, x, y, span: args.span)
      }
      if name == "dot", x.type.rank == 0 || y.type.rank == 0 {
        return try e.elaborateBinary(
          .multiply, .tensor(x), .tensor(y), lhsSpan: args.positional[0].span, rhsSpan: args.positional[1].span,
          span: args.span)
      }
      return try Builtins.matmul(e, x, y, span: args.span)
    case "outer":
      try args.expect(2...2)
      let x = try args.tensor(0)
      let y = try args.tensor(1)
      let column = b.reshape(x, [x.type.isConcrete ? .known(x.type.elementCount) : .unknown, .known(1)])
      let row = b.reshape(y, [.known(1), y.type.isConcrete ? .known(y.type.elementCount) : .unknown])
      return try e.elaborateBinary(
        .multiply, .tensor(column), .tensor(row), lhsSpan: args.positional[0].span, rhsSpan: args.positional[1].span,
        span: args.span)
    case "transpose":
      try args.expect(1...1, keywords: ["perm"])
      let x = try args.tensor(0)
      var perm = Array((0..<x.type.rank).reversed())
      if let k = args.keywords["perm"] {
        perm = try args.intList(k.value, k.span, what: "`perm`").map {
          try args.normalizeAxis($0, rank: x.type.rank, span: k.span)
        }
        guard perm.sorted() == Array(0..<x.type.rank) else {
          throw Diagnostic("E3008", "`perm` must be a permutation of 0..<\(x.type.rank), found \(perm)", at: k.span)
        }
      }
      if perm == Array(0..<x.type.rank) { return .tensor(x) }
      return .tensor(b.value(.transpose(perm: perm), [x]))
    case "reshape":
      try args.expect(2...2)
      let x = try args.tensor(0)
      let requested = try args.extents(args.positional[1].value, args.positional[1].span, what: "the shape")
      let known = requested.compactMap(\.value)
      guard known.count == requested.count else {
        // Checking a definition with extents only named: the target as written, -1 unknown.
        return .tensor(b.reshape(x, requested.map { $0 == .known(-1) ? .unknown : $0 }))
      }
      return .tensor(b.reshape(x, try reshapeTarget(x.type, known, span: args.span)))
    case "flatten":
      try args.expect(1...1)
      let x = try args.tensor(0)
      return .tensor(b.reshape(x, [x.type.isConcrete ? .known(x.type.elementCount) : .unknown]))
    case "broadcast":
      try args.expect(2...2)
      let x = try args.tensor(0)
      let shape = try args.extents(args.positional[1].value, args.positional[1].span, what: "the shape")
      let merged = try e.broadcastShapes(x.type.shape, shape, span: args.span)
      guard
        merged == shape || x.type.shape.contains(.unknown)
          || x.type.shape.contains(where: { if case .symbol = $0 { return true } else { return false } })
      else {
        throw Diagnostic(
          "E3001", "cannot broadcast \(x.type.shapeDescription) to \(TensorType(.f32, shape).shapeDescription)",
          at: args.span)
      }
      return .tensor(b.broadcast(x, to: shape))
    case "expand_dims":
      try args.expect(1...2, keywords: ["axis"])
      let x = try args.tensor(0)
      let raw =
        args.positional.count == 2
        ? try args.constantInt(args.positional[1].value, args.positional[1].span, what: "the axis")
        : try args.keywordInt("axis") ?? 0
      let axis = try args.normalizeAxis(raw, rank: x.type.rank + 1, span: args.span)
      var shape = x.type.shape
      shape.insert(.known(1), at: axis)
      return .tensor(b.reshape(x, shape))
    case "squeeze":
      try args.expect(1...1, keywords: ["axis", "axes"])
      let x = try args.tensor(0)
      var axes = Set(x.type.shape.indices.filter { x.type.shape[$0] == .known(1) })
      if args.keywords["axis"] != nil || args.keywords["axes"] != nil {
        axes = Set(try args.reductionAxes(rank: x.type.rank))
        for axis in axes where x.type.shape[axis] != .known(1) && x.type.shape[axis] != .unknown {
          throw Diagnostic("E3009", "cannot squeeze axis \(axis) of size \(x.type.shape[axis])", at: args.span)
        }
      }
      return .tensor(b.reshape(x, x.type.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)))
    case "shape":
      try args.expect(1...1)
      let x = try args.tensor(0)
      guard x.type.isConcrete else {
        let placeholder = b.values.make(TensorType(.i64, known: [x.type.rank]))
        args.e.extentsOf[placeholder] = x.type.shape
        return .tensor(placeholder)
      }
      return .tensor(b.constant(.dense(x.type.extents.map(Double.init)), TensorType(.i64, known: [x.type.rank])))
    case "size":
      try args.expect(1...1)
      let x = try args.tensor(0)
      guard x.type.isConcrete else { return args.e.extentValue(.unknown) }
      return .tensor(b.scalar(Double(x.type.elementCount), .i64))
    case "gather":
      try args.expect(2...2, keywords: ["axis"])
      let x = try args.tensor(0)
      let indices = try args.tensor(1, as: .i64)
      guard indices.type.dtype.isInteger else {
        throw Diagnostic(
          "E2005", "gather indices must be integers, found \(describe(indices.type))", at: args.positional[1].span)
      }
      guard x.type.rank > 0 else { throw Diagnostic("E3002", "cannot gather from a scalar", at: args.span) }
      let axis = try args.normalizeAxis(try args.keywordInt("axis") ?? 0, rank: x.type.rank, span: args.span)
      return .tensor(b.value(.gather(axis: axis), [x, b.cast(indices, to: .i64)]))
    case "dynamic_slice":
      // JAX's lax.dynamic_slice: the window of constant `sizes` at `starts` that may be known only
      // at run time (negative counting from the end; a window out of bounds is E6001 then).
      try args.expect(3...3)
      let x = try args.tensor(0)
      let starts = try runtimeStarts(args, 1, rank: x.type.rank)
      let sizes = try args.intList(args.positional[2].value, args.positional[2].span, what: "the window sizes")
      guard sizes.count == x.type.rank,
        zip(sizes, x.type.shape).allSatisfy({ size, extent in size >= 0 && extent.value.map { size <= $0 } ?? true })
      else {
        throw Diagnostic(
          "E3011", "a window of sizes \(sizes) does not fit a tensor of shape \(x.type.shapeDescription)",
          at: args.positional[2].span)
      }
      return .tensor(b.value(.dynamicSlice, [x] + starts, type: TensorType(x.type.dtype, known: sizes)))
    case "dynamic_update_slice":
      try args.expect(3...3)
      let x = try args.tensor(0)
      let update = try args.tensor(1, as: x.type.dtype)
      guard update.type.dtype == x.type.dtype, update.type.rank == x.type.rank,
        zip(update.type.shape, x.type.shape).allSatisfy({ size, extent in
          guard let s = size.value, let e = extent.value else { return true }
          return s <= e
        })
      else {
        throw Diagnostic(
          "E3011", "an update of \(describe(update.type)) does not fit a tensor of \(describe(x.type))",
          at: args.positional[1].span)
      }
      let starts = try runtimeStarts(args, 2, rank: x.type.rank)
      return .tensor(b.value(.dynamicUpdateSlice, [x, update] + starts))
    default:
      return nil
    }
  }

  /// A window's start on every axis, as i64 scalars: a tuple of integers or a list `[i, 0]`,
  /// whose elements may be known only at run time.
  static func runtimeStarts(_ args: BuiltinArguments, _ i: Int, rank: Int) throws -> [Value] {
    let (value, span) = args.positional[i]
    let b = args.b
    let starts: [Value]
    if case .tuple(let parts) = value {
      starts = try parts.map { try args.e.materialize($0, as: .i64, span: span) }
    } else {
      let list = try args.e.materialize(value, as: .i64, span: span)
      guard list.type.rank == 1, let count = list.type.shape[0].value else {
        throw Diagnostic("E2019", "the starts of `\(args.name)` must be a list of integers like [i, 0]", at: span)
      }
      starts = (0..<count).map { k in
        let element = b.value(.slice(starts: [k], strides: [1]), [list], type: TensorType(list.type.dtype, known: [1]))
        return b.reshape(element, [])
      }
    }
    guard starts.count == rank, starts.allSatisfy({ $0.type.isScalar && $0.type.dtype.isInteger }) else {
      throw Diagnostic(
        "E2019", "`\(args.name)` needs one integer start per axis of the tensor (\(rank)), found \(starts.count)",
        at: span)
    }
    return starts.map { b.cast($0, to: .i64) }
  }

  /// The shape `reshape(x, requested)` produces; one -1 is inferred (E3007 when counts differ).
  static func reshapeTarget(_ type: TensorType, _ requested: [Int], span: SourceSpan) throws -> [Dim] {
    guard requested.filter({ $0 == -1 }).count <= 1, requested.allSatisfy({ $0 >= -1 }) else {
      throw Diagnostic(
        "E3007", "a reshape target may have one -1 and no other negative extent, found \(requested)", at: span)
    }
    guard type.isConcrete else {
      return requested.map { $0 == -1 ? .unknown : .known($0) }
    }
    let known = TensorType(.f32, known: requested.filter { $0 != -1 }).elementCount
    var target = requested
    if let i = requested.firstIndex(of: -1) {
      guard known > 0, type.elementCount % known == 0 else {
        throw Diagnostic(
          "E3007", "cannot reshape \(type.shapeDescription) (\(type.elementCount) elements) to \(requested)", at: span)
      }
      target[i] = type.elementCount / known
    }
    let count = TensorType(.f32, known: target).elementCount
    guard count == type.elementCount else {
      throw Diagnostic(
        "E3007",
        "cannot reshape \(type.shapeDescription) (\(type.elementCount) elements) to \(requested) (\(count) elements)",
        at: span)
    }
    return target.map { .known($0) }
  }
}
