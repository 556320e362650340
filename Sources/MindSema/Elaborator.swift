// The elaborator is sema and IRGen in one walk over the AST: it resolves names, gives every
// expression its dtype and shape, reports E2xxx/E3xxx errors, and emits MIR as it goes.
//
// It runs in two modes over the same code:
//  1. Definition checking: each function is elaborated once with its parameters' symbolic
//     shapes (`Tensor<f32, N>` has extent `N`); errors that hold for every extent are reported
//     at the definition. The MIR produced is discarded.
//  2. Specialization: a function is elaborated with the concrete types of one call; the result
//     is a monomorphic MIR function (`@loss__f32x3__f32x3`), memoized per (function, types).
//     Callees are specialized on demand, so a module holds exactly what its entry reaches.
//
// Sema and IRGen share one walk (a deviation from DESIGN.md's separate stages) so that type
// rules cannot drift between checking and code generation.

import MindAD
import MindFrontend
import MindIR

public final class Elaborator {
  let program: ModuleAST
  /// The program's files, by which `load` and `save` resolve relative paths.
  public var sources: SourceManager?
  public let module = Module()
  let values = ValueFactory()
  var functions: [String: FunctionDecl] = [:]
  var structs: [String: StructDecl] = [:]
  var constants: [String: Expr] = [:]
  var specializations: [String: Specialization] = [:]
  var inProgress: Set<String> = []

  /// The builder of the region being elaborated.
  var builder: Builder
  /// Derives VJP functions for the transforms (MindAD).
  public private(set) lazy var differentiator: Differentiator = {
    let differentiator = Differentiator(module: module)
    differentiator.customVJP = { [unowned self] function in try self.customVJP(function) }
    return differentiator
  }()
  /// Builds batched functions (vmap) for the transforms, after differentiation (MindIR).
  public private(set) lazy var batcher = Batcher(module: module)
  /// MIR functions with a `@custom_grad`: the source declaration and the arguments' shapes.
  var customGradients: [String: (decl: FunctionDecl, arguments: [SemaValue], result: SemaValue?)] = [:]
  var uniqueCounter = 0
  /// True while checking a definition with symbolic shapes.
  var symbolic = false
  /// Constants written as array literals of numbers, with their elements as written: like a
  /// number literal, such an array takes the dtype its context asks for (a declared type, a
  /// parameter, `cast`, the other operand), exactly, and is f32 (or i64) otherwise.
  var weakArrays: [Value: (elements: [Double], isFloat: Bool)] = [:]
  /// While a definition is checked with symbolic shapes: integer values that stand for extents
  /// (a dimension name `H` is an i64 placeholder for `.symbol("H")`; `shape(x)` is x's extents;
  /// `S * D` an extent not known yet), so that `zeros([H])` has shape [H]. In a specialization a
  /// dimension name is its integer, and nothing is recorded here.
  var extentsOf: [Value: [Dim]] = [:]

  struct Specialization {
    let function: Function
    let resultTemplate: SemaValue?
  }

  public init(program: ModuleAST) {
    self.program = program
    builder = Builder(values: values, block: MindIR.Block(arguments: []))
  }

  /// Collects the module's items, checks every function at its definition and returns all
  /// errors found (at most one per function, plus duplicate-name errors).
  public func checkDefinitions() -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    for item in program.items {
      switch item {
      case .function(let decl):
        if functions[decl.name] != nil || structs[decl.name] != nil {
          diagnostics.append(Diagnostic("E2011", "`\(decl.name)` is defined twice", at: decl.nameSpan))
        }
        functions[decl.name] = decl
      case .structure(let decl):
        if functions[decl.name] != nil || structs[decl.name] != nil {
          diagnostics.append(Diagnostic("E2011", "`\(decl.name)` is defined twice", at: decl.span))
        }
        structs[decl.name] = decl
        var fieldNames: Set<String> = []
        for field in decl.fields where !fieldNames.insert(field.name).inserted {
          diagnostics.append(
            Diagnostic("E2011", "field `\(field.name)` of `\(decl.name)` is defined twice", at: field.type.span))
        }
      case .constant(let name, let span, let value):
        if constants[name] != nil || functions[name] != nil {
          diagnostics.append(Diagnostic("E2011", "`\(name)` is defined twice", at: span))
        }
        constants[name] = value
      case .import(let path, let span):
        if let diagnostic = checkImport(path, span) { diagnostics.append(diagnostic) }
      }
    }
    for item in program.items {
      guard case .function(let decl) = item else { continue }
      do {
        try checkDefinition(decl)
      } catch let diagnostic as Diagnostic {
        diagnostics.append(diagnostic)
      } catch {
        diagnostics.append(Diagnostic("E2000", "\(error)", at: decl.nameSpan))
      }
    }
    return diagnostics
  }

  func checkImport(_ path: [String], _ span: SourceSpan) -> Diagnostic? {
    let modules = ["core", "math", "tensor", "diff", "io", "nn"]
    guard let first = path.first, modules.contains(first) else {
      return Diagnostic(
        "E2012",
        "cannot find module `\(path.joined(separator: "::"))` (built-in modules: \(modules.joined(separator: ", ")))",
        at: span)
    }
    if path.count == 2 && !Builtins.isKnown(path[1]) {
      return Diagnostic("E2012", "module `\(first)` has no item `\(path[1])`", at: span)
    }
    return nil
  }

  func checkDefinition(_ decl: FunctionDecl) throws {
    symbolic = true
    let savedBuilder = builder
    defer {
      symbolic = false
      builder = savedBuilder
    }
    builder = Builder(values: values, block: MindIR.Block(arguments: []))
    var parameterTypes: [SemaValue] = []
    let repeated = repeatedStructs(decl.parameters.compactMap { $0.type?.type })
    for parameter in decl.parameters {
      parameterTypes.append(try symbolicValue(of: parameter.type!, name: parameter.name, repeated: repeated))
    }
    try checkCustomGradient(decl)
    let result = try elaborateBody(decl, arguments: parameterTypes)
    if decl.attribute("differentiable") != nil {
      try checkDifferentiable(
        builder.block, inputs: parameterTypes.flatMap(leaves), outputs: result.map(leaves) ?? [], name: decl.name,
        reportAt: nil)
    }
  }

  /// E5001 when a value `name` is differentiated through loses its derivative in a conversion
  /// to an integer; reported at the conversion, or at `reportAt` (a grad call) with a note.
  func checkDifferentiable(
    _ block: MindIR.Block, inputs: [Value], outputs: [Value], name: String, reportAt: SourceSpan?
  ) throws {
    guard let op = Differentiability.firstLostDerivative(in: block, inputs: inputs, outputs: outputs) else { return }
    let message =
      "`\(name)` is not differentiable: converting to \(op.result.type.dtype.sourceName) drops the derivative of a value that depends on its inputs (use floor/round to keep a float, or stop differentiating through it)"
    if let reportAt {
      throw Diagnostic("E5001", message, at: reportAt, notes: [Note("the conversion is here", at: op.location)])
    }
    throw Diagnostic("E5001", message, at: op.location)
  }

  /// The struct types that occur more than once in these types (fields of fields included):
  /// `Model { layer1: Layer, layer2: Layer }` holds two Layer values whose extents may differ.
  func repeatedStructs(_ types: [TypeExpr]) -> Set<String> {
    var seen: [String: Int] = [:]
    func visit(_ type: TypeExpr, depth: Int) {
      guard depth < 64 else { return }
      switch type {
      case .scalar, .tensor: return
      case .tuple(let elements): elements.forEach { visit($0, depth: depth + 1) }
      case .named(let name):
        seen[name, default: 0] += 1
        structs[name]?.fields.forEach { visit($0.type.type, depth: depth + 1) }
      }
    }
    types.forEach { visit($0, depth: 0) }
    return Set(seen.filter { $0.value > 1 }.keys)
  }

  /// A placeholder value of a declared type, with symbolic dimensions. The dimension names of a
  /// struct mean one extent per struct value: where a signature holds several values of a
  /// struct type (`repeated`), their extents are left unknown here, for the concrete check of
  /// each call.
  func symbolicValue(of annotation: TypeAnnotation, name: String, repeated: Set<String> = []) throws -> SemaValue {
    switch annotation.type {
    case .scalar(let s): return .tensor(values.make(TensorType(dtype(s))))
    case .tensor(let s, let dims):
      return .tensor(
        values.make(
          TensorType(
            dtype(s),
            dims.map { d in
              switch d {
              case .known(let v): return .known(v)
              case .symbol(let name): return .symbol(name)
              }
            })))
    case .tuple(let elements):
      return .tuple(
        try elements.map {
          try symbolicValue(of: TypeAnnotation(type: $0, span: annotation.span), name: name, repeated: repeated)
        })
    case .named(let structName):
      guard let decl = structs[structName] else {
        throw Diagnostic("E2002", "unknown type `\(structName)`", at: annotation.span)
      }
      let fields = try decl.fields.map { try symbolicValue(of: $0.type, name: name, repeated: repeated) }
      return .structure(decl, repeated.contains(structName) ? fields.map(forgettingSymbols) : fields)
    }
  }

  /// The value with every symbolic extent of its leaves made unknown.
  func forgettingSymbols(_ value: SemaValue) -> SemaValue {
    switch value {
    case .tensor(let v)
    where v.type.shape.contains(where: { if case .symbol = $0 { return true } else { return false } }):
      let shape = v.type.shape.map { d -> Dim in if case .symbol = d { return .unknown } else { return d } }
      return .tensor(values.make(TensorType(v.type.dtype, shape)))
    case .tuple(let elements): return .tuple(elements.map(forgettingSymbols))
    case .structure(let decl, let elements): return .structure(decl, elements.map(forgettingSymbols))
    default: return value
    }
  }

  /// Source names and MIR element types correspond one to one.
  func dtype(_ s: ScalarTypeName) -> DType { DType(sourceName: s.rawValue)! }

  // MARK: - Specialization

  /// Specializes the entry function `name` (no parameters) and returns the MIR function; an
  /// entry that returns values is wrapped in one that prints them, as `print` would.
  public func specialize(entry name: String, at span: SourceSpan) throws -> Function {
    guard let decl = functions[name] else {
      throw Diagnostic("E2002", "there is no function `\(name)` to run", at: span)
    }
    guard decl.parameters.isEmpty else {
      throw Diagnostic("E2007", "entry function `\(name)` must take no parameters", at: decl.nameSpan)
    }
    let (function, result) = try specialize(decl, arguments: [], at: span)
    guard let result, !function.resultTypes.isEmpty else { return function }
    // What the entry returns is printed, as `print` would print it.
    return try makeFunction(function.name + ".printed", parameters: []) { b, _ in
      var leaves = b.create(.call(callee: function.name), [], resultTypes: function.resultTypes).results[...]
      let printed = BuiltinArguments(
        name: "print", e: self, positional: [(rebuild(result, from: &leaves), decl.nameSpan)], keywords: [:],
        span: decl.nameSpan)
      _ = try Output.call("print", printed)
      return []
    }
  }

  /// Specializes a function for argument values whose leaves have concrete types.
  func specialize(_ decl: FunctionDecl, arguments: [SemaValue], at span: SourceSpan) throws -> (Function, SemaValue?) {
    let leafTypes = arguments.flatMap(leaves).map(\.type)
    let key =
      decl.name
      + (leafTypes.isEmpty
        ? ""
        : "__"
          + leafTypes.map { t in
            ([t.dtype.sourceName] + t.extents.map(String.init)).joined(separator: "x")
          }.joined(separator: "__"))
    if let done = specializations[key] { return (done.function, done.resultTemplate) }
    guard !inProgress.contains(key) else {
      throw Diagnostic("E2040", "`\(decl.name)` calls itself; recursive functions are not supported", at: span)
    }
    inProgress.insert(key)
    defer { inProgress.remove(key) }

    let savedBuilder = builder
    defer { builder = savedBuilder }
    let entry = MindIR.Block(arguments: leafTypes.map(values.make))
    builder = Builder(values: values, block: entry)
    builder.location = decl.span
    var parameterLeaves = entry.arguments[...]
    let parameters = arguments.map { argument in
      rebuild(argument, from: &parameterLeaves)
    }
    let result = try elaborateBody(decl, arguments: parameters)
    let resultLeaves = try result.map { try leavesMaterialized($0, span: decl.body.span) } ?? []
    builder.location = decl.body.span
    builder.create(.returnOp, resultLeaves, resultTypes: [])
    let function = Function(name: key, body: entry, resultTypes: resultLeaves.map(\.type), location: decl.nameSpan)
    module.add(function)
    var leafIterator = resultLeaves[...]
    let template = result.map { rebuild($0, from: &leafIterator) }
    specializations[key] = Specialization(function: function, resultTemplate: template)
    if decl.attribute("checkpoint") != nil { differentiator.checkpoint(function.name) }
    if decl.attribute("custom_grad") != nil {
      differentiator.keep.insert(function.name)
      customGradients[function.name] = (decl, arguments, template)
    }
    return (function, template)
  }

  /// Elaborates a function body with parameters bound; returns its value (nil for no value),
  /// checked against the declared return type.
  func elaborateBody(_ decl: FunctionDecl, arguments: [SemaValue]) throws -> SemaValue? {
    let scope = Scope(parent: nil)
    for (parameter, argument) in zip(decl.parameters, arguments) {
      scope.define(parameter.name, Binding(value: argument, mutable: false, span: parameter.span))
    }
    var bindings: [String: Dim] = [:]
    for (parameter, argument) in zip(decl.parameters, arguments) {
      _ = try? conform(argument, to: parameter.type!, bindings: &bindings, span: parameter.span, what: "value")
    }
    // The signature's dimension names are integer values in the body (a parameter of that name wins).
    for (name, extent) in bindings where !name.contains(".") && scope.lookup(name) == nil {
      scope.define(name, Binding(value: extentValue(extent), mutable: false, span: decl.nameSpan))
    }
    let value = try elaborateFunctionBlock(decl.body, scope: scope)
    guard let returnType = decl.returnType else {
      return nil
    }
    guard let value else {
      throw Diagnostic(
        "E2001", "function `\(decl.name)` must return \(returnType.type.spelled) but its body has no value",
        at: decl.body.span)
    }
    let span = decl.body.result?.span ?? decl.body.span
    return try conform(value, to: returnType, bindings: &bindings, span: span, what: "the result of `\(decl.name)`")
  }

  /// A number literal or an array literal of numbers: either takes the dtype its context asks for.
  func isWeakLiteral(_ value: SemaValue) -> Bool {
    switch value {
    case .literal: return true
    case .tensor(let v): return weakArrays[v] != nil
    default: return false
    }
  }

  /// An extent as a value: its integer, or (checking a definition) a placeholder standing for it.
  func extentValue(_ extent: Dim) -> SemaValue {
    if let n = extent.value { return .literal(Double(n), isFloat: false) }
    let placeholder = values.make(TensorType(.i64))
    extentsOf[placeholder] = [extent]
    return .tensor(placeholder)
  }

  /// The extents an integer value stands for while a definition is checked: recorded ones, or
  /// one unknown extent per element of an integer scalar or vector derived from them.
  func standsForExtents(_ value: SemaValue) -> [Dim]? {
    guard symbolic, case .tensor(let v) = value, v.type.dtype.isInteger, v.type.rank <= 1 else { return nil }
    return extentsOf[v]
  }

  /// The function's top-level block: like any block, but `return` may end it.
  func elaborateFunctionBlock(_ block: StatementBlock, scope: Scope) throws -> SemaValue? {
    let inner = Scope(parent: scope)
    for (i, statement) in block.statements.enumerated() {
      if case .return(let value) = statement.kind {
        guard i == block.statements.count - 1, block.result == nil else {
          throw Diagnostic(
            "E2030",
            "`return` must be the last statement of a function (early returns are not supported; use an `if` expression)",
            at: statement.span)
        }
        return try value.map { try elaborate($0, inner) }
      }
      try elaborate(statement, inner)
    }
    return try block.result.map { try elaborate($0, inner) }
  }
}
