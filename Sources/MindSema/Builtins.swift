// The built-in functions of LANGUAGE.md. Each is typed and checked here and expands into MIR
// primitives (Ops.swift); composite functions (softmax, gelu, layer_norm, cross_entropy, conv2d,
// ...) are written in terms of the primitives, so that lowering and differentiation only ever
// see the primitive set.

import MindFrontend
import MindIR

/// The elaborated arguments of one built-in call, with typed accessors that report E2xxx errors
/// at the argument's location.
struct BuiltinArguments {
  let name: String
  let e: Elaborator
  let positional: [(value: SemaValue, span: SourceSpan)]
  let keywords: [String: (value: SemaValue, span: SourceSpan)]
  let span: SourceSpan

  var b: Builder { e.builder }

  func expect(_ counts: ClosedRange<Int>, keywords allowed: [String] = []) throws {
    guard counts.contains(positional.count) else {
      let expected =
        counts.lowerBound == counts.upperBound ? "\(counts.lowerBound)" : "\(counts.lowerBound) to \(counts.upperBound)"
      throw Diagnostic(
        "E2007",
        "`\(name)` takes \(expected) argument\(counts.upperBound == 1 ? "" : "s") but \(positional.count) \(positional.count == 1 ? "was" : "were") given",
        at: span)
    }
    for (key, value) in keywords where !allowed.contains(key) {
      throw Diagnostic(
        "E2008",
        "`\(name)` has no keyword argument `\(key)`\(allowed.isEmpty ? "" : " (it takes \(allowed.map { "`\($0)`" }.joined(separator: ", ")))")",
        at: value.span)
    }
  }

  func tensor(_ i: Int, as dtype: DType? = nil) throws -> Value {
    try e.materialize(positional[i].value, as: dtype, span: positional[i].span)
  }

  /// A floating-point argument; an integer literal (a number or an array of them) is weakly
  /// typed and becomes f32 here (`exp(1)`, `sqrt([4, 9])`), as in JAX; an integer tensor is E2005.
  func float(_ i: Int) throws -> Value {
    var v = try tensor(i, as: nil)
    if !v.type.dtype.isFloat && e.isWeakLiteral(positional[i].value) { v = try tensor(i, as: .f32) }
    guard v.type.dtype.isFloat else {
      throw Diagnostic(
        "E2005", "`\(name)` expects a floating-point tensor, found \(describe(v.type))", at: positional[i].span)
    }
    return v
  }

  func constantInt(_ value: SemaValue, _ span: SourceSpan, what: String) throws -> Int {
    guard let v = e.constantInteger(value) else {
      throw Diagnostic("E2019", "\(what) of `\(name)` must be an integer constant", at: span)
    }
    return v
  }

  func keywordInt(_ key: String) throws -> Int? {
    guard let k = keywords[key] else { return nil }
    return try constantInt(k.value, k.span, what: "`\(key)`")
  }

  /// `dtype=`: one of the dtypes the built-in can make.
  func keywordDType(allowed: [DType] = DType.allCases) throws -> DType? {
    guard let k = keywords["dtype"] else { return nil }
    guard case .dtype(let d) = k.value, allowed.contains(d) else {
      throw Diagnostic(
        "E2019", "`dtype` of `\(name)` must be one of \(allowed.map(\.sourceName).joined(separator: ", "))",
        at: k.span)
    }
    return d
  }

  func keywordBool(_ key: String) throws -> Bool? {
    guard let k = keywords[key] else { return nil }
    if case .tensor(let v) = k.value, v.type == TensorType(.bool), let op = v.definingOp,
      case .constant(let d) = op.kind
    {
      return d.element(0) != 0
    }
    throw Diagnostic("E2019", "`\(key)` of `\(name)` must be `true` or `false`", at: k.span)
  }

  func keywordFloat(_ key: String) throws -> Double? {
    guard let k = keywords[key] else { return nil }
    if case .literal(let v, _) = k.value { return v }
    throw Diagnostic("E2019", "`\(key)` of `\(name)` must be a number", at: k.span)
  }

  /// A list of integer constants: an array literal, `shape(x)`, or one integer.
  func intList(_ value: SemaValue, _ span: SourceSpan, what: String) throws -> [Int] {
    if let single = e.constantInteger(value) { return [single] }
    if case .tensor(let v) = value, v.type.rank == 1, v.type.dtype.isInteger || v.type.shape == [.known(0)],
      let op = v.definingOp, case .constant(let data) = op.kind
    {
      let list = (0..<v.type.elementCount).compactMap { Int(exactly: data.element($0)) }
      if list.count == v.type.elementCount { return list }
    }
    if case .tuple(let parts) = value { return try parts.map { try constantInt($0, span, what: what) } }
    throw Diagnostic("E2019", "\(what) of `\(name)` must be a list of integer constants like [2, 3]", at: span)
  }

  /// A shape: a list of integer constants, in a shape-polymorphic function also of its dimension
  /// names and arithmetic on them (`[B, S * D]`, `shape(x)`), which are integers in a
  /// specialization and stand for their extents while the definition is checked.
  func extents(_ value: SemaValue, _ span: SourceSpan, what: String) throws -> [Dim] {
    if let dims = e.standsForExtents(value) { return dims }
    if case .tuple(let parts) = value, parts.contains(where: { e.standsForExtents($0) != nil }) {
      return try parts.map { try extent($0, span, what: what) }
    }
    return try intList(value, span, what: what).map(Dim.known)
  }

  /// One extent: an integer constant, or a value standing for one (see `extents`).
  func extent(_ value: SemaValue, _ span: SourceSpan, what: String) throws -> Dim {
    if let dims = e.standsForExtents(value), dims.count == 1 { return dims[0] }
    return .known(try constantInt(value, span, what: what))
  }

  func normalizeAxis(_ axis: Int, rank: Int, span: SourceSpan) throws -> Int {
    guard axis >= -rank && axis < rank else {
      throw Diagnostic("E3004", "axis \(axis) is out of range for a tensor of rank \(rank)", at: span)
    }
    return axis < 0 ? axis + rank : axis
  }

  /// The `axes=[...]` / `axis=k` of a reduction, normalized; all axes when absent or empty.
  func reductionAxes(rank: Int) throws -> [Int] {
    if let k = keywords["axes"] {
      let list = try intList(k.value, k.span, what: "`axes`")
      if list.isEmpty { return Array(0..<rank) }
      let axes = try list.map { try normalizeAxis($0, rank: rank, span: k.span) }
      guard Set(axes).count == axes.count else { throw Diagnostic("E3005", "repeated axis in `axes`", at: k.span) }
      return axes.sorted()
    }
    if let k = keywords["axis"] {
      return [try normalizeAxis(try constantInt(k.value, k.span, what: "`axis`"), rank: rank, span: k.span)]
    }
    return Array(0..<rank)
  }
}

enum Builtins {
  /// The unary ops a program calls by name, from their records.
  static let elementwise: [String: UnaryOp] = Dictionary(
    uniqueKeysWithValues: UnaryOp.allCases.compactMap { op in op.record.builtinName.map { ($0, op) } })
  static let composite: Set<String> = [
    "log2", "log10", "atan2", "hypot", "logaddexp", "norm", "cumsum", "cumprod", "sort", "argsort", "topk", "solve",
    "triangular_solve", "cholesky", "eigh", "qr", "inv", "det", "slogdet", "rsqrt",
    "relu", "softplus", "gelu",
    "square", "pow", "max", "min", "where", "cast", "clip", "sum",
    "mean", "prod", "logsumexp", "argmax", "argmin", "softmax", "log_softmax", "layer_norm", "one_hot",
    "cross_entropy", "matmul", "dot", "outer", "transpose", "conv2d", "reshape", "broadcast", "expand_dims",
    "squeeze", "flatten", "concat", "stack", "shape", "size", "gather", "dynamic_slice", "dynamic_update_slice",
    "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "eye", "arange",
    "linspace", "randn", "rand", "print", "assert", "load", "save",
  ]
  static let transforms: Set<String> = [
    "grad", "value_and_grad", "vjp", "jvp", "hessian", "checkpoint", "vmap", "jacrev", "jacfwd", "jacobian",
  ]

  static func isKnown(_ name: String) -> Bool {
    elementwise[name] != nil || composite.contains(name) || transforms.contains(name)
  }

  static func call(
    _ name: String, _ e: Elaborator, typeArguments: [TypeAnnotation], arguments: [CallArgument], scope: Scope,
    span: SourceSpan
  ) throws -> SemaValue {
    if name == "concat" || name == "stack" {
      return try concatenate(name, e, arguments, scope: scope, span: span)
    }
    var positional: [(SemaValue, SourceSpan)] = []
    var keywords: [String: (SemaValue, SourceSpan)] = [:]
    for argument in arguments {
      let value = try e.elaborate(argument.value, scope)
      if let label = argument.label {
        guard keywords[label] == nil else {
          throw Diagnostic("E2008", "keyword argument `\(label)` is given twice", at: argument.labelSpan ?? span)
        }
        keywords[label] = (value, argument.value.span)
      } else {
        positional.append((value, argument.value.span))
      }
    }
    return try dispatch(name, e, typeArguments: typeArguments, positional: positional, keywords: keywords, span: span)
  }

  /// Calls a built-in on elaborated arguments (also when it is used as a function value).
  static func dispatch(
    _ name: String, _ e: Elaborator, typeArguments: [TypeAnnotation], positional: [(SemaValue, SourceSpan)],
    keywords: [String: (SemaValue, SourceSpan)], span: SourceSpan
  ) throws -> SemaValue {
    if name == "concat" || name == "stack" {
      throw Diagnostic("E2018", "`\(name)` takes a list literal and cannot be called indirectly", at: span)
    }
    e.builder.location = span
    let args = BuiltinArguments(
      name: name, e: e, positional: positional.map { ($0.0, $0.1) }, keywords: keywords.mapValues { ($0.0, $0.1) },
      span: span)
    if transforms.contains(name) { return try e.makeTransform(name, args) }
    if name == "cast" {
      guard let type = typeArguments.first, case .scalar(let s) = type.type else {
        throw Diagnostic("E2019", "`cast` needs an element type: cast<f32>(x)", at: span)
      }
      try args.expect(1...1)
      return .tensor(e.builder.cast(try args.tensor(0, as: e.dtype(s)), to: e.dtype(s)))
    }
    if let op = elementwise[name] {
      try args.expect(1...1)
      let x = op.record.operands == .floatingPoint ? try args.float(0) : try args.tensor(0, as: nil)
      if x.type.dtype == .bool {
        throw Diagnostic("E2005", "`\(name)` expects a numeric tensor, found bool", at: args.positional[0].span)
      }
      return .tensor(e.builder.unary(op, x))
    }
    if let value = try Files.call(name, args, typeArguments: typeArguments) { return value }
    if let value = try Elementwise.call(name, args) { return value }
    if let value = try Reductions.call(name, args) { return value }
    if let value = try Scans.call(name, args) { return value }
    if let value = try Sorting.call(name, args) { return value }
    if let value = try LinearAlgebra.call(name, args) { return value }
    if let value = try ShapeOps.call(name, args) { return value }
    if let value = try Construction.call(name, args) { return value }
    if let value = try NeuralNetwork.call(name, args) { return value }
    return try Output.call(name, args)
  }

  static func concatenate(_ name: String, _ e: Elaborator, _ arguments: [CallArgument], scope: Scope, span: SourceSpan)
    throws -> SemaValue
  {
    guard let first = arguments.first, first.label == nil, case .array(let elements) = first.value.kind,
      !elements.isEmpty
    else {
      throw Diagnostic("E2019", "`\(name)` takes a list of tensors: \(name)([a, b], axis=0)", at: span)
    }
    var axis = 0
    for argument in arguments.dropFirst() {
      guard argument.label == "axis", let k = e.constantInteger(try e.elaborate(argument.value, scope)) else {
        throw Diagnostic("E2008", "`\(name)` takes only a list and `axis=`", at: argument.value.span)
      }
      axis = k
    }
    let values = try elements.map { try e.elaborate($0, scope) }
    var dtype: DType?
    for case .tensor(let v) in values { dtype = dtype ?? v.type.dtype }
    var tensors = try zip(values, elements).map { try e.materialize($0, as: dtype, span: $1.span) }
    e.builder.location = span
    let rank = tensors[0].type.rank + (name == "stack" ? 1 : 0)
    guard axis >= -rank && axis < rank else {
      throw Diagnostic("E3004", "axis \(axis) is out of range for rank \(rank)", at: span)
    }
    if axis < 0 { axis += rank }
    for (t, element) in zip(tensors, elements) {
      let sameOtherDims =
        t.type.rank == tensors[0].type.rank
        && (0..<t.type.rank).allSatisfy { d in
          (name == "concat" && d == axis) || t.type.shape[d] == tensors[0].type.shape[d] || t.type.shape[d] == .unknown
            || tensors[0].type.shape[d] == .unknown
        }
      guard t.type.dtype == tensors[0].type.dtype, sameOtherDims else {
        throw Diagnostic(
          "E3001", "`\(name)` operands differ: \(describe(tensors[0].type)) and \(describe(t.type))", at: element.span)
      }
    }
    if name == "stack" {
      tensors = tensors.map { t in
        var shape = t.type.shape
        shape.insert(.known(1), at: axis)
        return e.builder.reshape(t, shape)
      }
    }
    if tensors.count == 1 { return .tensor(tensors[0]) }
    return .tensor(e.builder.value(.concat(axis: axis), tensors))
  }

  /// NumPy `matmul`: 1-D operands are promoted and the added axis removed; batch dimensions
  /// broadcast.
  static func matmul(_ e: Elaborator, _ a: Value, _ b: Value, span: SourceSpan) throws -> SemaValue {
    let builder = e.builder
    guard a.type.rank >= 1, b.type.rank >= 1 else {
      throw Diagnostic(
        "E3002", "matmul needs operands of rank 1 or more, found \(describe(a.type)) and \(describe(b.type))", at: span)
    }
    guard a.type.dtype == b.type.dtype, a.type.dtype.isFloat else {
      throw Diagnostic(
        "E2005",
        "matmul needs two floating-point operands of one dtype, found \(a.type.dtype.sourceName) and \(b.type.dtype.sourceName)",
        at: span)
    }
    let aVector = a.type.rank == 1
    let bVector = b.type.rank == 1
    let a2 = aVector ? builder.reshape(a, [.known(1)] + a.type.shape) : a
    let b2 = bVector ? builder.reshape(b, b.type.shape + [.known(1)]) : b
    let k1 = a2.type.shape[a2.type.rank - 1]
    let k2 = b2.type.shape[b2.type.rank - 2]
    if k1 != k2 && k1 != .unknown && k2 != .unknown {
      throw Diagnostic(
        "E3003", "matmul contraction mismatch: \(describe(a.type)) @ \(describe(b.type)) (\(k1) vs \(k2))", at: span)
    }
    let batch = try e.broadcastShapes(Array(a2.type.shape.dropLast(2)), Array(b2.type.shape.dropLast(2)), span: span)
    let m = a2.type.shape[a2.type.rank - 2]
    let n = b2.type.shape[b2.type.rank - 1]
    let lhs = builder.broadcast(a2, to: batch + [m, k1])
    let rhs = builder.broadcast(b2, to: batch + [k1 == .unknown ? k2 : k1, n])
    let product: Value
    if e.symbolic && (k1 == .unknown || k2 == .unknown) {
      product = builder.values.make(TensorType(a.type.dtype, batch + [m, n]))
    } else {
      product = builder.value(.matmul, [lhs, builder.reshape(rhs, batch + [k1, n])])
    }
    var shape = batch
    if !aVector { shape.append(m) }
    if !bVector { shape.append(n) }
    return .tensor(builder.reshape(product, shape))
  }
}
