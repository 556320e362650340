// Expressions: names, literals, operators with NumPy broadcasting, indexing and slicing,
// fields, struct literals, closures and calls.

import MindFrontend
import MindIR

extension Elaborator {
  func elaborate(_ expr: Expr, _ scope: Scope) throws -> SemaValue {
    builder.location = expr.span
    switch expr.kind {
    case .integer(let v): return .literal(try exactInteger(v, expr.span), isFloat: false)
    case .float(let v): return .literal(v, isFloat: true)
    case .bool(let b): return .tensor(builder.scalar(b ? 1 : 0, .bool))
    case .string(let s): return .string(s)
    case .name(let name): return try lookup(name, expr.span, scope)
    case .array(let elements): return try elaborateArray(expr, elements, scope)
    case .tuple(let elements): return .tuple(try elements.map { try elaborate($0, scope) })
    case .unary(let op, let operandExpr):
      let operand = try elaborate(operandExpr, scope)
      builder.location = expr.span
      switch (op, operand) {
      case (.negate, .literal(let v, let isFloat)): return .literal(-v, isFloat: isFloat)
      case (.negate, _):
        let v = try materialize(operand, span: operandExpr.span)
        guard v.type.dtype != .bool else {
          throw Diagnostic("E2005", "cannot negate a bool tensor (use `!`)", at: expr.span)
        }
        return .tensor(builder.unary(.neg, v))
      case (.not, _):
        let v = try materialize(operand, as: .bool, span: operandExpr.span)
        guard v.type.dtype == .bool else {
          throw Diagnostic("E2005", "`!` needs a bool operand, found \(describe(v.type))", at: expr.span)
        }
        return .tensor(builder.unary(.not, v))
      }
    case .binary(let op, let lhsExpr, let rhsExpr):
      let lhs = try elaborate(lhsExpr, scope)
      let rhs = try elaborate(rhsExpr, scope)
      builder.location = expr.span
      return try elaborateBinary(op, lhs, rhs, lhsSpan: lhsExpr.span, rhsSpan: rhsExpr.span, span: expr.span)
    case .call(let calleeExpr, let typeArguments, let arguments):
      return try elaborateCall(calleeExpr, typeArguments, arguments, span: expr.span, scope)
    case .index(let baseExpr, let items):
      return try elaborateIndex(try elaborate(baseExpr, scope), baseExpr.span, items, span: expr.span, scope)
    case .field(let baseExpr, let name):
      let base = try elaborate(baseExpr, scope)
      switch base {
      case .structure(let decl, let fields):
        guard let i = decl.fields.firstIndex(where: { $0.name == name }) else {
          throw Diagnostic(
            "E2016",
            "struct `\(decl.name)` has no field `\(name)` (fields: \(decl.fields.map(\.name).joined(separator: ", ")))",
            at: expr.span)
        }
        return fields[i]
      case .tuple(let elements):
        guard let i = Int(name), i >= 0, i < elements.count else {
          throw Diagnostic("E2016", "tuple of \(elements.count) elements has no field `\(name)`", at: expr.span)
        }
        return elements[i]
      case .tensor(let v) where ["T", "shape", "size", "ndim"].contains(name):
        // NumPy's attributes: `x.T` reverses the axes; `x.ndim` is the rank.
        if name == "ndim" { return .literal(Double(v.type.rank), isFloat: false) }
        return try Builtins.dispatch(
          name == "T" ? "transpose" : name, self, typeArguments: [], positional: [(base, baseExpr.span)],
          keywords: [:], span: expr.span)
      default:
        throw Diagnostic(
          "E2016",
          "\(base.typeDescription) has no field `\(name)`\(base.isTensor ? " (a tensor has `T`, `shape`, `size` and `ndim`)" : "")",
          at: expr.span)
      }
    case .if(let condition, let thenBlock, let elseBlock):
      return try elaborateIf(condition, thenBlock, elseBlock, scope, span: expr.span) ?? .tuple([])
    case .block(let block):
      return try elaborateBlock(block, scope) ?? .tuple([])
    case .closure(let parameters, let body):
      return .function(
        .closure(Closure(parameters: parameters, body: body, captured: scope.snapshot(), span: expr.span)))
    case .structLiteral(let name, let fields):
      guard let decl = structs[name] else {
        throw Diagnostic("E2002", "unknown struct `\(name)`", at: expr.span)
      }
      var bindings: [String: Dim] = [:]
      var values: [SemaValue] = []
      for declared in decl.fields {
        guard let given = fields.first(where: { $0.name == declared.name }) else {
          throw Diagnostic("E2017", "struct literal `\(name)` is missing field `\(declared.name)`", at: expr.span)
        }
        let value = try elaborate(given.value, scope)
        values.append(
          try conform(
            value, to: declared.type, bindings: &bindings, span: given.value.span, what: "field `\(declared.name)`"))
      }
      if let extra = fields.first(where: { f in !decl.fields.contains { $0.name == f.name } }) {
        throw Diagnostic("E2017", "struct `\(name)` has no field `\(extra.name)`", at: extra.span)
      }
      return .structure(decl, values)
    }
  }

  func lookup(_ name: String, _ span: SourceSpan, _ scope: Scope) throws -> SemaValue {
    if let binding = scope.lookup(name) { return binding.value }
    if let decl = functions[name] { return .function(.user(decl)) }
    if let expr = constants[name] {
      guard !inProgress.contains("let " + name) else {
        throw Diagnostic("E2040", "module-level `\(name)` refers to itself", at: span)
      }
      inProgress.insert("let " + name)
      defer { inProgress.remove("let " + name) }
      return try elaborate(expr, Scope(parent: nil))
    }
    if Builtins.isKnown(name) { return .function(.builtin(name)) }
    if name == "None" { return .none }
    if let d = DType(sourceName: name) { return .dtype(d) }
    throw Diagnostic("E2002", "undefined variable `\(name)`", at: span)
  }

  /// Nested array literals of numbers become one dense constant; other arrays stack their
  /// elements (which must agree in shape) along a new leading axis.
  func elaborateArray(_ expr: Expr, _ elements: [Expr], _ scope: Scope) throws -> SemaValue {
    if let (numbers, shape, isFloat) = try literalArray(expr) {
      let constant = builder.constant(.dense(numbers), TensorType(isFloat ? .f32 : .i64, known: shape))
      weakArrays[constant] = (numbers, isFloat)
      return .tensor(constant)
    }
    if elements.isEmpty {
      // `[]` is an empty f32 vector (as in NumPy); `axes=[]` reads it as an empty list.
      let constant = builder.constant(.dense([]), TensorType(.f32, known: [0]))
      weakArrays[constant] = ([], true)
      return .tensor(constant)
    }
    let values = try elements.map { try elaborate($0, scope) }
    // Numbers known only as values (`[H, 2 * H]` in a specialization) are a literal array too.
    let numbers = values.compactMap { value -> (Double, Bool)? in
      if case .literal(let v, let isFloat) = value { return (v, isFloat) }
      return nil
    }
    if numbers.count == values.count {
      let isFloat = numbers.contains { $0.1 }
      let constant = builder.constant(
        .dense(numbers.map(\.0)), TensorType(isFloat ? .f32 : .i64, known: [values.count]))
      weakArrays[constant] = (numbers.map(\.0), isFloat)
      return .tensor(constant)
    }
    // Checking a definition: `[B, S * D]` is a list of extents.
    if values.contains(where: { standsForExtents($0)?.count == 1 }), values.allSatisfy(isScalarExtent) {
      let placeholder = self.values.make(TensorType(.i64, known: [values.count]))
      extentsOf[placeholder] = values.map { constantInteger($0).map(Dim.known) ?? standsForExtents($0)![0] }
      return .tensor(placeholder)
    }
    var dtype: DType?
    for case .tensor(let v) in values { dtype = dtype ?? v.type.dtype }
    let tensors = try zip(values, elements).map { try materialize($0, as: dtype, span: $1.span) }
    builder.location = expr.span
    for (tensor, element) in zip(tensors, elements) where tensor.type != tensors[0].type {
      throw Diagnostic(
        "E3010", "array elements differ: \(describe(tensors[0].type)) and \(describe(tensor.type))", at: element.span)
    }
    let rows = tensors.map { builder.reshape($0, [.known(1)] + $0.type.shape) }
    if rows.count == 1 { return .tensor(rows[0]) }
    return .tensor(builder.value(.concat(axis: 0), rows))
  }

  /// An integer literal as the f64 that numeric constants are held in, which holds every
  /// integer up to 2^53 and only some beyond; another would silently lose digits
  /// (9007199254740993 became ...992).
  func exactInteger(_ v: Int64, _ span: SourceSpan) throws -> Double {
    guard let exact = Double(exactly: v) else {
      throw Diagnostic(
        "E1005",
        "integer literal \(v) cannot be represented exactly: constants are held as f64, exact for integers up to 2^53 = 9007199254740992",
        at: span)
    }
    return exact
  }

  func literalArray(_ expr: Expr) throws -> ([Double], [Int], Bool)? {
    switch expr.kind {
    case .integer(let v): return ([try exactInteger(v, expr.span)], [], false)
    case .float(let v): return ([v], [], true)
    case .unary(.negate, let inner):
      guard let (values, shape, isFloat) = try literalArray(inner), shape.isEmpty else { return nil }
      return (values.map { -$0 }, shape, isFloat)
    case .array(let elements):
      guard !elements.isEmpty else { return nil }
      var all: [Double] = []
      var shape: [Int]?
      var isFloat = false
      for element in elements {
        guard let (values, s, f) = try literalArray(element) else { return nil }
        if let shape, shape != s {
          throw Diagnostic(
            "E3010", "ragged array literal: an element has shape \(s), another \(shape)", at: element.span)
        }
        shape = s
        isFloat = isFloat || f
        all += values
      }
      return (all, [elements.count] + shape!, isFloat)
    default: return nil
    }
  }

  /// NumPy broadcasting of two shapes; E3001 names the first incompatible dimension.
  func broadcastShapes(_ a: [Dim], _ b: [Dim], span: SourceSpan) throws -> [Dim] {
    let rank = max(a.count, b.count)
    var out: [Dim] = []
    for axis in 0..<rank {
      let x = axis - (rank - a.count) >= 0 ? a[axis - (rank - a.count)] : .known(1)
      let y = axis - (rank - b.count) >= 0 ? b[axis - (rank - b.count)] : .known(1)
      if x == y {
        out.append(x)
      } else if x == .known(1) {
        out.append(y)
      } else if y == .known(1) {
        out.append(x)
      } else if x == .unknown {
        out.append(y)
      } else if y == .unknown {
        out.append(x)
      } else {
        // A named extent against a number: the definition cannot know they agree.
        let named = [x, y].compactMap { d -> String? in if case .symbol(let s) = d { return s } else { return nil } }
        let hint =
          named.count != 1
          ? ""
          : "; `\(named[0])` is known only when the function is called: write that extent as `\(named[0])` (a dimension name is an integer in the body), or declare it static"
        throw Diagnostic(
          "E3001",
          "shapes \(TensorType(.f32, a).shapeDescription) and \(TensorType(.f32, b).shapeDescription) cannot be broadcast together (dimension \(axis): \(x) vs \(y))\(hint)",
          at: span)
      }
    }
    return out
  }

  /// Materializes operands to one dtype (literals follow the tensor) and broadcasts them.
  func harmonize(_ operands: [(SemaValue, SourceSpan)], span: SourceSpan, dtype forced: DType? = nil) throws -> [Value]
  {
    var dtype = forced
    if dtype == nil {
      for case (.tensor(let v), _) in operands where weakArrays[v] == nil { dtype = dtype ?? v.type.dtype }
    }
    // Only literals: f32 when one of them is a float.
    let isFloatLiteral = { (value: SemaValue) -> Bool in
      switch value {
      case .literal(_, let isFloat): return isFloat
      case .tensor(let v): return self.weakArrays[v]?.isFloat ?? false
      default: return false
      }
    }
    if dtype == nil, operands.contains(where: { isFloatLiteral($0.0) }) { dtype = .f32 }
    let tensors = try operands.map { try materialize($0.0, as: dtype, span: $0.1) }
    for tensor in tensors where tensor.type.dtype != tensors[0].type.dtype {
      throw Diagnostic(
        "E2004",
        "mismatched dtypes \(tensors[0].type.dtype.sourceName) and \(tensor.type.dtype.sourceName); convert one with cast<T>(x)",
        at: span)
    }
    var shape: [Dim] = []
    for tensor in tensors { shape = try broadcastShapes(shape, tensor.type.shape, span: span) }
    builder.location = span
    return tensors.map { builder.broadcast($0, to: shape) }
  }

  /// An integer constant or (checking a definition) a value standing for one extent.
  func isScalarExtent(_ value: SemaValue) -> Bool {
    constantInteger(value) != nil || standsForExtents(value)?.count == 1
  }

  /// Checking a definition, `+`, `-` and `*` of extents (at least one only named) stand for an
  /// extent not known until the function is called.
  func arithmeticOnExtents(_ op: BinaryOperator, _ lhs: SemaValue, _ rhs: SemaValue) throws -> SemaValue? {
    guard [.add, .subtract, .multiply].contains(op), isScalarExtent(lhs), isScalarExtent(rhs),
      standsForExtents(lhs) != nil || standsForExtents(rhs) != nil
    else { return nil }
    return extentValue(.unknown)
  }

  func elaborateBinary(
    _ op: BinaryOperator, _ lhs: SemaValue, _ rhs: SemaValue, lhsSpan: SourceSpan, rhsSpan: SourceSpan, span: SourceSpan
  ) throws -> SemaValue {
    if case .literal(let a, let fa) = lhs, case .literal(let b, let fb) = rhs,
      let folded = foldLiterals(op, a, b, isFloat: fa || fb)
    {
      return folded
    }
    if let extent = try arithmeticOnExtents(op, lhs, rhs) { return extent }
    if op == .matmul {
      return try Builtins.matmul(
        self, try materialize(lhs, span: lhsSpan), try materialize(rhs, span: rhsSpan), span: span)
    }
    let operands = try harmonize([(lhs, lhsSpan), (rhs, rhsSpan)], span: span)
    let (a, b) = (operands[0], operands[1])
    let dtype = a.type.dtype
    func requireNumeric() throws {
      guard dtype != .bool else {
        throw Diagnostic("E2005", "`\(op.rawValue)` needs numeric operands, found bool", at: span)
      }
    }
    switch op {
    case .add:
      try requireNumeric()
      return .tensor(builder.binary(.add, a, b))
    case .subtract:
      try requireNumeric()
      return .tensor(builder.binary(.sub, a, b))
    case .multiply:
      try requireNumeric()
      return .tensor(builder.binary(.mul, a, b))
    case .divide:
      try requireNumeric()
      guard dtype.isFloat else {
        throw Diagnostic("E2005", "`/` on integers: convert to a float type first with cast<f32>(x)", at: span)
      }
      return .tensor(builder.binary(.div, a, b))
    case .remainder:
      try requireNumeric()
      if !dtype.isFloat {
        builder.location = span
        builder.check(
          builder.compare(.ne, b, builder.splat(0, like: b.type)), code: "E6006", message: "integer remainder by zero")
      }
      return .tensor(builder.binary(.rem, a, b))
    case .power:
      guard dtype.isFloat else {
        throw Diagnostic("E2005", "`**` needs floating-point operands, found \(dtype.sourceName)", at: span)
      }
      return .tensor(builder.binary(.pow, a, b))
    case .equal: return .tensor(builder.compare(.eq, a, b))
    case .notEqual: return .tensor(builder.compare(.ne, a, b))
    case .less:
      try requireNumeric()
      return .tensor(builder.compare(.lt, a, b))
    case .greater:
      try requireNumeric()
      return .tensor(builder.compare(.gt, a, b))
    case .lessEqual:
      try requireNumeric()
      return .tensor(builder.compare(.le, a, b))
    case .greaterEqual:
      try requireNumeric()
      return .tensor(builder.compare(.ge, a, b))
    case .and, .or:
      guard dtype == .bool else {
        throw Diagnostic("E2005", "`\(op.rawValue)` needs bool operands, found \(dtype.sourceName)", at: span)
      }
      return .tensor(builder.binary(op == .and ? .and : .or, a, b))
    case .matmul: fatalError("handled above")
    }
  }

  func foldLiterals(_ op: BinaryOperator, _ a: Double, _ b: Double, isFloat: Bool) -> SemaValue? {
    func number(_ v: Double) -> SemaValue? {
      // Integer folding stays exact: beyond 2^53 the literals are left to the runtime.
      if !isFloat && !(Swift.abs(v) <= 9.007199254740992e15) { return nil }
      return .literal(isFloat ? v : v.rounded(.towardZero), isFloat: isFloat)
    }
    switch op {
    case .add: return number(a + b)
    case .subtract: return number(a - b)
    case .multiply: return number(a * b)
    case .divide: return isFloat ? number(a / b) : nil
    case .power: return isFloat || b >= 0 ? number(pow(a, b)) : nil
    default: return nil
    }
  }

  func pow(_ a: Double, _ b: Double) -> Double {
    if b == b.rounded(), Swift.abs(b) < 64 {
      var result = 1.0
      for _ in 0..<Int(Swift.abs(b)) { result *= a }
      return b < 0 ? 1 / result : result
    }
    return Double.nan
  }

  /// A compile-time integer, if `value` is one.
  func constantInteger(_ value: SemaValue) -> Int? {
    switch value {
    case .literal(let v, false): return Int(exactly: v)
    case .tensor(let v):
      guard v.type.isScalar, v.type.dtype.isInteger, let op = v.definingOp, case .constant(let data) = op.kind else {
        return nil
      }
      return Int(exactly: data.element(0))
    default: return nil
    }
  }

  func elaborateIndex(_ base: SemaValue, _ baseSpan: SourceSpan, _ items: [IndexItem], span: SourceSpan, _ scope: Scope)
    throws -> SemaValue
  {
    if case .tuple(let elements) = base, items.count == 1, case .single(let e) = items[0] {
      guard let i = constantInteger(try elaborate(e, scope)), i >= -elements.count, i < elements.count else {
        throw Diagnostic("E3011", "a tuple index must be a constant in range", at: e.span)
      }
      return elements[(i + elements.count) % elements.count]
    }
    let x = try materialize(base, span: baseSpan)
    let (items, newAxes) = try expandingNewAxesAndEllipsis(items, rank: x.type.rank, scope)
    guard items.count <= x.type.rank else {
      throw Diagnostic("E3002", "too many indices: \(items.count) for a tensor of rank \(x.type.rank)", at: span)
    }
    var starts: [Int] = []
    var strides: [Int] = []
    var sliceShape: [Dim] = []
    var dynamic: [(axis: Int, index: Value, size: Int)] = []
    var removed: Set<Int> = []
    for axis in 0..<x.type.rank {
      let extentDim = x.type.shape[axis]
      let extent = extentDim.value
      guard axis < items.count else {
        starts.append(0)
        strides.append(1)
        sliceShape.append(extentDim)
        continue
      }
      switch items[axis] {
      case .single(let e):
        let index = try elaborate(e, scope)
        removed.insert(axis)
        if let constant = constantInteger(index) {
          if let extent {
            guard constant >= -extent && constant < extent else {
              throw Diagnostic(
                "E6001", "index \(constant) is out of bounds for axis \(axis) with size \(extent)", at: e.span)
            }
            starts.append(constant < 0 ? constant + extent : constant)
          } else {
            starts.append(max(constant, 0))
          }
          strides.append(1)
          sliceShape.append(.known(1))
        } else {
          let value = try materialize(index, as: .i64, span: e.span)
          guard value.type.isScalar, value.type.dtype.isInteger else {
            throw Diagnostic("E2001", "an index must be an integer scalar, found \(describe(value.type))", at: e.span)
          }
          builder.location = span
          dynamic.append((axis, builder.cast(value, to: .i64), 1))
          starts.append(0)
          strides.append(1)
          sliceShape.append(extentDim)
        }
      case .ellipsis:
        continue  // replaced by whole-axis slices above
      case .slice(let startExpr, let endExpr, let stepExpr, let sliceSpan):
        if let startExpr, let size = runtimeWindow(startExpr, endExpr, stepExpr),
          case let startValue = try elaborate(startExpr, scope), constantInteger(startValue) == nil
        {
          // `x[i:i+3]`: a window of constant size at a start known at run time.
          let start = try materialize(startValue, as: .i64, span: startExpr.span)
          guard start.type.isScalar, start.type.dtype.isInteger, size >= 0, extent.map({ size <= $0 }) ?? true else {
            throw Diagnostic(
              "E3011", "a slice `start:start+\(size)` needs an integer start and a size within the axis",
              at: sliceSpan)
          }
          builder.location = span
          dynamic.append((axis, builder.cast(start, to: .i64), size))
          starts.append(0)
          strides.append(1)
          sliceShape.append(extentDim)
          continue
        }
        func bound(_ e: Expr?) throws -> Int? {
          guard let e else { return nil }
          guard let v = constantInteger(try elaborate(e, scope)) else {
            throw Diagnostic(
              "E3011", "slice bounds must be integer constants (a window at a start known at run time is `x[i:i+k]`)",
              at: e.span)
          }
          return v
        }
        let step = try bound(stepExpr) ?? 1
        guard step > 0 else { throw Diagnostic("E3011", "slice step must be positive", at: sliceSpan) }
        guard let extent else {
          starts.append(0)
          strides.append(step)
          sliceShape.append(startExpr == nil && endExpr == nil && step == 1 ? extentDim : .unknown)
          continue
        }
        func clamp(_ v: Int) -> Int { v < 0 ? max(v + extent, 0) : min(v, extent) }
        let lo = clamp(try bound(startExpr) ?? 0)
        let hi = clamp(try bound(endExpr) ?? extent)
        starts.append(lo)
        strides.append(step)
        // ceil((hi - lo) / step), written so that no step overflows it.
        sliceShape.append(.known(hi > lo ? (hi - lo - 1) / step + 1 : 0))
      }
    }
    builder.location = span
    var result = x
    if sliceShape != x.type.shape || starts.contains(where: { $0 != 0 }) {
      result = builder.value(.slice(starts: starts, strides: strides), [x], type: TensorType(x.type.dtype, sliceShape))
    }
    if !dynamic.isEmpty {
      var offsets: [Value] = []
      var windowShape = result.type.shape
      for axis in 0..<x.type.rank {
        if let d = dynamic.first(where: { $0.axis == axis }) {
          offsets.append(d.index)
          windowShape[axis] = .known(d.size)
        } else {
          offsets.append(builder.scalar(0, .i64))
        }
      }
      result = builder.value(.dynamicSlice, [result] + offsets, type: TensorType(x.type.dtype, windowShape))
    }
    var finalShape = result.type.shape.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    for position in newAxes { finalShape.insert(.known(1), at: position) }
    return .tensor(builder.reshape(result, finalShape))
  }

  /// The size k of a slice written `start:start+k` (or `start:k+start`) with step 1, the same
  /// expression twice, whose start may be known only at run time.
  func runtimeWindow(_ start: Expr, _ end: Expr?, _ step: Expr?) -> Int? {
    let unitStep = step.map { if case .integer(1) = $0.kind { true } else { false } } ?? true
    guard let end, unitStep, case .binary(.add, let a, let b) = end.kind else { return nil }
    let startText = ASTPrinter.print(start)
    if case .integer(let k) = b.kind, ASTPrinter.print(a) == startText { return Int(exactly: k) }
    if case .integer(let k) = a.kind, ASTPrinter.print(b) == startText { return Int(exactly: k) }
    return nil
  }

  /// NumPy's `None` and `...` in an index: the items without them (`...` replaced by as many
  /// whole-axis slices as the other items leave of `rank`), and the result positions where a
  /// `None` inserts an axis of extent 1, in increasing order.
  func expandingNewAxesAndEllipsis(_ items: [IndexItem], rank: Int, _ scope: Scope) throws -> ([IndexItem], [Int]) {
    func isNewAxis(_ item: IndexItem) -> Bool {
      if case .single(let e) = item, case .name("None") = e.kind, scope.lookup("None") == nil { return true }
      return false
    }
    func isEllipsis(_ item: IndexItem) -> Bool {
      if case .ellipsis = item { return true }
      return false
    }
    let ellipses = items.filter(isEllipsis)
    if ellipses.count > 1, case .ellipsis(let span) = ellipses[1] {
      throw Diagnostic("E3011", "an index can have only one `...`", at: span)
    }
    let indexing = items.filter { !isNewAxis($0) && !isEllipsis($0) }.count
    var expanded: [IndexItem] = []
    var newAxes: [Int] = []
    var position = 0
    for item in items {
      if isNewAxis(item) {
        newAxes.append(position)
        position += 1
      } else if case .ellipsis(let span) = item {
        let whole = max(0, rank - indexing)
        expanded += Array(repeating: .slice(start: nil, end: nil, step: nil, span: span), count: whole)
        position += whole
      } else {
        if case .slice = item { position += 1 }
        expanded.append(item)
      }
    }
    return (expanded, newAxes)
  }
}
