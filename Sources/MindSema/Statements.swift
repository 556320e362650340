// Statements and control flow. `if`, `for` and `while` become MIR region ops; the outer
// mutable variables a region assigns are carried through it explicitly (SSA form): they enter
// as region arguments (loops) and leave as the op's results.

import MindFrontend
import MindIR

extension Elaborator {
  func elaborate(_ statement: Stmt, _ scope: Scope) throws {
    builder.location = statement.span
    switch statement.kind {
    case .let(let pattern, let mutable, let type, let valueExpr):
      var value = try elaborateDeclared(valueExpr, type, scope)
      if let type {
        var bindings: [String: Dim] = [:]
        value = try conform(value, to: type, bindings: &bindings, span: valueExpr.span, what: "the value")
      }
      try bind(pattern, value, mutable: mutable, scope: scope)
    case .assign(let target, let op, let valueExpr):
      guard case .name(let name) = target.kind else {
        throw Diagnostic(
          "E2013", "only variables can be assigned (indexed and field assignment are not supported)", at: target.span)
      }
      guard let binding = scope.lookup(name) else {
        throw Diagnostic("E2002", "undefined variable `\(name)`", at: target.span)
      }
      guard binding.mutable else {
        throw Diagnostic(
          "E2014", "cannot assign to `\(name)`: it is not declared with `let mut`", at: target.span,
          notes: [Note("`\(name)` is defined here", at: binding.span)])
      }
      var value = try elaborate(valueExpr, scope)
      let binaryOperators: [AssignOperator: BinaryOperator] = [
        .add: .add, .subtract: .subtract, .multiply: .multiply, .divide: .divide,
      ]
      if let binary = binaryOperators[op] {
        value = try elaborateBinary(
          binary, binding.value, value, lhsSpan: target.span, rhsSpan: valueExpr.span, span: statement.span)
      }
      let old = binding.value
      if case .tensor(let previous) = old, case .tensor(let new) = value, previous.type != new.type {
        throw Diagnostic(
          "E2021",
          "cannot assign a value of type \(describe(new.type)) to `\(name)` of type \(describe(previous.type))",
          at: statement.span)
      }
      if case .tensor(let previous) = old, case .literal = value {
        value = .tensor(try materialize(value, as: previous.type.dtype, span: valueExpr.span))
      }
      binding.value = value
    case .expression(let expr):
      _ = try elaborate(expr, scope)
    case .return:
      throw Diagnostic(
        "E2030",
        "`return` must be the last statement of a function (early returns are not supported; use an `if` expression)",
        at: statement.span)
    case .for(let variable, let variableSpan, let startExpr, let endExpr, let body):
      try elaborateFor(variable, variableSpan, startExpr, endExpr, body, scope)
    case .while(let conditionExpr, let body):
      try elaborateWhile(conditionExpr, body, scope)
    case .function(let decl):
      scope.define(
        decl.name,
        Binding(
          value: .function(.nested(NestedFunction(decl: decl, captured: scope.snapshot()))), mutable: false,
          span: decl.nameSpan))
    }
  }

  /// The value of `let x: T = valueExpr`: a call of the built-in `load` without a type argument
  /// takes `T` as its type (`load` reads the file as that type).
  func elaborateDeclared(_ valueExpr: Expr, _ type: TypeAnnotation?, _ scope: Scope) throws -> SemaValue {
    if let type, case .call(let callee, let typeArguments, let arguments) = valueExpr.kind, typeArguments.isEmpty,
      case .function(.builtin("load"))? = try? elaborate(callee, scope)
    {
      return try elaborateCall(callee, [type], arguments, span: valueExpr.span, scope)
    }
    return try elaborate(valueExpr, scope)
  }

  func bind(_ pattern: Pattern, _ value: SemaValue, mutable: Bool, scope: Scope) throws {
    switch pattern {
    case .wildcard: return
    case .name(let name, let span):
      var stored = value
      if mutable, case .literal = value {
        // A mutable variable needs a dtype now: later assignments must keep it.
        stored = .tensor(try materialize(value, span: span))
      }
      scope.define(name, Binding(value: stored, mutable: mutable, span: span))
    case .tuple(let patterns, let span):
      guard case .tuple(let elements) = value, elements.count == patterns.count else {
        throw Diagnostic("E2015", "cannot destructure \(value.typeDescription) into \(patterns.count) names", at: span)
      }
      for (p, e) in zip(patterns, elements) { try bind(p, e, mutable: mutable, scope: scope) }
    }
  }

  /// The names assigned anywhere in `blocks` (not inside closures or nested functions).
  func assignedNames(_ blocks: [StatementBlock]) -> [String] {
    var names: [String] = []
    func visit(_ block: StatementBlock) {
      for statement in block.statements {
        switch statement.kind {
        case .assign(let target, _, let value):
          if case .name(let name) = target.kind, !names.contains(name) { names.append(name) }
          visit(value)
        case .let(_, _, _, let value): visit(value)
        case .expression(let e): visit(e)
        case .return(let e): if let e { visit(e) }
        case .for(_, _, let s, let e, let body):
          visit(s)
          visit(e)
          visit(body)
        case .while(let c, let body):
          visit(c)
          visit(body)
        case .function: break
        }
      }
      if let result = block.result { visit(result) }
    }
    func visit(_ expr: Expr) {
      switch expr.kind {
      case .if(let c, let t, let e):
        visit(c)
        visit(t)
        if let e { visit(e) }
      case .block(let b): visit(b)
      default: break
      }
    }
    blocks.forEach(visit)
    return names
  }

  /// Outer mutable bindings that a region assigns, with their current values materialized.
  func carriedBindings(_ blocks: [StatementBlock], _ scope: Scope) throws -> [Binding] {
    var carried: [Binding] = []
    for name in assignedNames(blocks) {
      guard let binding = scope.lookup(name), binding.mutable else { continue }
      binding.value = try materializingLiterals(binding.value, span: binding.span)
      _ = try leavesMaterialized(binding.value, span: binding.span)
      carried.append(binding)
    }
    return carried
  }

  /// Runs `body` with the builder moved into `block`.
  func inside<T>(_ block: MindIR.Block, _ body: () throws -> T) rethrows -> T {
    let saved = builder
    let inner = Builder(values: values, block: block)
    inner.location = saved.location
    builder = inner
    defer { builder = saved }
    return try body()
  }

  func checkCarriedTypes(_ carried: [Binding], _ before: [SemaValue], span: SourceSpan) throws -> [Value] {
    var out: [Value] = []
    for (binding, initial) in zip(carried, before) {
      if case .literal = binding.value, case .tensor(let v) = initial {
        binding.value = .tensor(try materialize(binding.value, as: v.type.dtype, span: span))
      }
      binding.value = try materializingLiterals(binding.value, span: span)
      let now = try leavesMaterialized(binding.value, span: span)
      let was = leaves(initial)
      guard now.count == was.count, zip(now, was).allSatisfy({ sameCarriedType($0.type, $1.type) }) else {
        throw Diagnostic(
          "E2021",
          "a variable changes type inside this block: \(was.map { describe($0.type) }) became \(now.map { describe($0.type) })",
          at: span)
      }
      out += now
    }
    return out
  }

  /// Whether a carried value keeps its type; at a definition with symbolic shapes an extent the
  /// checker cannot name (`?`, such as a struct result's extents that no argument binds) matches
  /// any, since every specialization makes it concrete.
  func sameCarriedType(_ a: TensorType, _ b: TensorType) -> Bool {
    guard symbolic else { return a == b }
    return a.dtype == b.dtype && a.rank == b.rank
      && zip(a.shape, b.shape).allSatisfy { $0 == $1 || $0 == .unknown || $1 == .unknown }
  }

  func elaborateIf(
    _ conditionExpr: Expr, _ thenBlock: StatementBlock, _ elseBlock: StatementBlock?, _ scope: Scope, span: SourceSpan
  ) throws -> SemaValue? {
    let condition = try materialize(try elaborate(conditionExpr, scope), span: conditionExpr.span)
    guard condition.type == TensorType(.bool) else {
      throw Diagnostic(
        "E2001", "an `if` condition must be a bool scalar, found \(describe(condition.type))", at: conditionExpr.span)
    }
    let carried = try carriedBindings([thenBlock] + (elseBlock.map { [$0] } ?? []), scope)
    let initial = carried.map(\.value)
    let thenRegion = MindIR.Block(arguments: [])
    let elseRegion = MindIR.Block(arguments: [])
    var branchValues: [SemaValue?] = []
    var branchCarried: [[Value]] = []
    for (region, block) in [(thenRegion, thenBlock as StatementBlock?), (elseRegion, elseBlock)] {
      try inside(region) {
        let value = try block.map { try elaborateBlock($0, scope) } ?? nil
        branchValues.append(value)
        branchCarried.append(try checkCarriedTypes(carried, initial, span: block?.span ?? span))
      }
      for (binding, value) in zip(carried, initial) { binding.value = value }
    }
    // The if's own value exists only when both branches have one.
    var template: SemaValue?
    var thenLeaves: [Value] = []
    var elseLeaves: [Value] = []
    if elseBlock != nil, let a = branchValues[0], let b = branchValues[1] {
      let (t, la, lb) = try unify(a, b, thenRegion, elseRegion, span: span)
      template = t
      thenLeaves = la
      elseLeaves = lb
    }
    inside(thenRegion) { builder.create(.yield, thenLeaves + branchCarried[0], resultTypes: []) }
    inside(elseRegion) { builder.create(.yield, elseLeaves + branchCarried[1], resultTypes: []) }
    builder.location = span
    let op = builder.create(
      .ifOp, [condition], resultTypes: (thenLeaves + branchCarried[0]).map(\.type), regions: [thenRegion, elseRegion])
    var results = op.results[...]
    let value = template.map { rebuild($0, from: &results) }
    for (binding, initialValue) in zip(carried, initial) { binding.value = rebuild(initialValue, from: &results) }
    return value
  }

  /// Gives two branch values one type: literals take the other side's dtype.
  func unify(_ a: SemaValue, _ b: SemaValue, _ ra: MindIR.Block, _ rb: MindIR.Block, span: SourceSpan) throws -> (
    SemaValue, [Value], [Value]
  ) {
    func unifyParts(_ xs: [SemaValue], _ ys: [SemaValue]) throws -> ([SemaValue], [Value], [Value]) {
      var parts: [SemaValue] = []
      var la: [Value] = []
      var lb: [Value] = []
      for (x, y) in zip(xs, ys) {
        let (t, p, q) = try unify(x, y, ra, rb, span: span)
        parts.append(t)
        la += p
        lb += q
      }
      return (parts, la, lb)
    }
    switch (a, b) {
    case (.tuple(let xs), .tuple(let ys)) where xs.count == ys.count:
      let (parts, la, lb) = try unifyParts(xs, ys)
      return (.tuple(parts), la, lb)
    case (.structure(let d1, let xs), .structure(let d2, let ys)) where d1.name == d2.name:
      let (parts, la, lb) = try unifyParts(xs, ys)
      return (.structure(d1, parts), la, lb)
    default:
      var dtype: DType?
      if case .tensor(let v) = a { dtype = v.type.dtype }
      if case .tensor(let v) = b { dtype = v.type.dtype }
      if dtype == nil, case .literal(_, true) = a { dtype = .f32 }
      if dtype == nil, case .literal(_, true) = b { dtype = .f32 }
      let x = try inside(ra) { try materialize(a, as: dtype, span: span) }
      let y = try inside(rb) { try materialize(b, as: dtype, span: span) }
      guard x.type == y.type else {
        throw Diagnostic(
          "E2001", "the branches of this `if` have different types: \(describe(x.type)) and \(describe(y.type))",
          at: span)
      }
      return (.tensor(x), [x], [y])
    }
  }

  func elaborateBlock(_ block: StatementBlock, _ scope: Scope) throws -> SemaValue? {
    let inner = Scope(parent: scope)
    for statement in block.statements { try elaborate(statement, inner) }
    return try block.result.map { try elaborate($0, inner) }
  }

  func loopBound(_ expr: Expr, _ scope: Scope) throws -> Value {
    let value = try materialize(try elaborate(expr, scope), as: .i64, span: expr.span)
    guard value.type.isScalar, value.type.dtype.isInteger else {
      throw Diagnostic("E2001", "a loop bound must be an integer scalar, found \(describe(value.type))", at: expr.span)
    }
    return builder.cast(value, to: .i64)
  }

  func elaborateFor(
    _ variable: String, _ variableSpan: SourceSpan, _ startExpr: Expr, _ endExpr: Expr, _ body: StatementBlock,
    _ scope: Scope
  ) throws {
    let lower = try loopBound(startExpr, scope)
    let upper = try loopBound(endExpr, scope)
    let carried = try carriedBindings([body], scope)
    let initial = carried.map(\.value)
    let initialLeaves = initial.flatMap(leaves)
    let region = MindIR.Block(arguments: ([TensorType(.i64)] + initialLeaves.map(\.type)).map(values.make))
    try inside(region) {
      var arguments = region.arguments.dropFirst()
      for (binding, value) in zip(carried, initial) { binding.value = rebuild(value, from: &arguments) }
      let loopScope = Scope(parent: scope)
      loopScope.define(variable, Binding(value: .tensor(region.arguments[0]), mutable: false, span: variableSpan))
      _ = try elaborateBlock(body, loopScope)
      let next = try checkCarriedTypes(carried, initial, span: body.span)
      builder.create(.yield, next, resultTypes: [])
    }
    builder.location = variableSpan
    let op = builder.create(
      .forOp, [lower, upper] + initialLeaves, resultTypes: initialLeaves.map(\.type), regions: [region])
    var results = op.results[...]
    for (binding, value) in zip(carried, initial) { binding.value = rebuild(value, from: &results) }
  }

  func elaborateWhile(_ conditionExpr: Expr, _ body: StatementBlock, _ scope: Scope) throws {
    let carried = try carriedBindings([body], scope)
    let initial = carried.map(\.value)
    let initialLeaves = initial.flatMap(leaves)
    let conditionRegion = MindIR.Block(arguments: initialLeaves.map(\.type).map(values.make))
    let bodyRegion = MindIR.Block(arguments: initialLeaves.map(\.type).map(values.make))
    try inside(conditionRegion) {
      var arguments = conditionRegion.arguments[...]
      for (binding, value) in zip(carried, initial) { binding.value = rebuild(value, from: &arguments) }
      let condition = try materialize(try elaborate(conditionExpr, scope), span: conditionExpr.span)
      guard condition.type == TensorType(.bool) else {
        throw Diagnostic(
          "E2001", "a `while` condition must be a bool scalar, found \(describe(condition.type))",
          at: conditionExpr.span)
      }
      builder.create(.yield, [condition], resultTypes: [])
    }
    try inside(bodyRegion) {
      var arguments = bodyRegion.arguments[...]
      for (binding, value) in zip(carried, initial) { binding.value = rebuild(value, from: &arguments) }
      _ = try elaborateBlock(body, Scope(parent: scope))
      builder.create(.yield, try checkCarriedTypes(carried, initial, span: body.span), resultTypes: [])
    }
    builder.location = conditionExpr.span
    let op = builder.create(
      .whileOp, initialLeaves, resultTypes: initialLeaves.map(\.type), regions: [conditionRegion, bodyRegion])
    var results = op.results[...]
    for (binding, value) in zip(carried, initial) { binding.value = rebuild(value, from: &results) }
  }
}
