// A MIND program on its way through the front half of the pipeline: source → tokens → AST →
// checked definitions → specialized MIR. Errors are collected as diagnostics and thrown
// together as a `DiagnosticList`.

import MindAD
import MindFrontend
import MindIR
import MindSema

public final class Program {
  public let sources: SourceManager
  public let ast: ModuleAST
  let elaborator: Elaborator
  public let fileIndex: Int
  public var timings = StageTimings()

  /// Parses and checks a program; throws `DiagnosticList` when it has errors.
  public convenience init(source: String, name: String) throws {
    let (ast, fileIndex, sources, elaborator, timings) = try onLargeStack {
      try Program.frontEnd(source: source, name: name)
    }
    self.init(ast: ast, fileIndex: fileIndex, sources: sources, elaborator: elaborator, timings: timings)
  }

  init(ast: ModuleAST, fileIndex: Int, sources: SourceManager, elaborator: Elaborator, timings: StageTimings) {
    self.ast = ast
    self.fileIndex = fileIndex
    self.sources = sources
    self.elaborator = elaborator
    self.timings = timings
  }

  static func frontEnd(source: String, name: String) throws -> (ModuleAST, Int, SourceManager, Elaborator, StageTimings)
  {
    let sources = SourceManager()
    var timings = StageTimings()
    let file = SourceFile(name: name, text: source)
    let fileIndex = sources.add(file)
    var parser = Parser(source: file, fileIndex: fileIndex)
    var (ast, parseTime) = measure { parser.parseModule() }
    timings.record("parse", parseTime)
    if !parser.diagnostics.isEmpty { throw DiagnosticList(parser.diagnostics, sources: sources) }
    let imported = try measureThrowing { () throws -> Void in
      do {
        try FileImports.resolve(&ast, mainFile: name, sources: sources)
      } catch var list as DiagnosticList {
        list.sources = sources
        throw list
      }
    }
    timings.record("imports", imported.1)
    let elaborator = Elaborator(program: ast)
    elaborator.sources = sources
    let (diagnostics, semaTime) = measure { elaborator.checkDefinitions() }
    timings.record("sema", semaTime)
    if !diagnostics.isEmpty { throw DiagnosticList(diagnostics, sources: sources) }
    return (ast, fileIndex, sources, elaborator, timings)
  }

  public convenience init(path: String) throws {
    guard let text = readFile(path) else {
      throw DiagnosticList([Diagnostic("E7001", "cannot read `\(path)`", at: .unknown)])
    }
    try self.init(source: text, name: path)
  }

  /// Specializes the entry function (and everything it calls) into MIR, derives the VJP
  /// functions the transforms need, verifies it and, unless `optimize` is false, inlines
  /// calls and simplifies it (`optimize`).
  public func mir(entry: String = "main", optimize: Bool = true) throws -> (Module, Function) {
    let (module, function) = try specialize(entry: entry)
    try finish(module, entry: function, optimize: optimize)
    return (module, function)
  }

  /// The specialized program before differentiation: what the object cache key is made of
  /// (VJP functions are declared, not derived).
  public func specialize(entry: String = "main") throws -> (Module, Function) {
    try onLargeStack {
      let (function, time) = try measureThrowing { () throws -> Function in
        do {
          return try self.elaborator.specialize(entry: entry, at: SourceSpan(file: self.fileIndex, start: 0, end: 0))
        } catch let diagnostic as Diagnostic {
          throw DiagnosticList([diagnostic])
        }
      }
      self.timings.record("specialize", time)
      return (self.elaborator.module, function)
    }
  }

  /// Differentiation, verification, inlining and simplification of a specialized module.
  public func finish(_ module: Module, entry: Function, optimize: Bool) throws {
    try onLargeStack {
      let (_, adTime) = try measureThrowing { try self.differentiate(roots: [entry.name]) }
      if adTime > 0 { self.timings.record("ad", adTime) }
      try Self.verified(module)
      guard optimize else { return }
      let (_, simplifyTime) = measure { self.optimize(module, roots: [entry.name]) }
      self.timings.record("inline+simplify", simplifyTime)
      try Self.verified(module)
    }
  }

  /// Derives the VJP functions `roots` need (in the program's module) and builds the batched
  /// functions the transforms declared (Batching), each once what it reaches has a body (a VJP
  /// of a function calling a batched one, a batched VJP), then rewrites each pair of calls of a
  /// shared function and of its VJP into calls of its two halves (SplitCalls).
  func differentiate(roots: [String]) throws {
    let differentiator = elaborator.differentiator
    do {
      var progress = true
      while progress {
        progress = try differentiator.derivePending(roots: roots)
        progress = elaborator.batcher.derivePending() || progress
      }
    } catch let diagnostic as Diagnostic {
      throw DiagnosticList([diagnostic])
    }
    SplitCalls.run(elaborator.module, shared: differentiator.shared)
  }

  /// After `differentiate`: inlines every call but those of shared and checkpointed functions
  /// (and their derivatives), simplifies, and removes what no caller reads across the calls
  /// that remain.
  func optimize(_ module: Module, roots: [String]) {
    Inline.run(module, roots: roots, keep: elaborator.differentiator.keptCalls)
    Simplify.run(module)
    if AccumulatedProducts.run(module) { Simplify.run(module) }
    DeadSignatures.run(module, roots: Set(roots))
    Inline.removeUnreachable(module, roots: roots)
  }

  static func verified(_ module: Module) throws {
    do {
      try Verifier.verify(module)
    } catch {
      throw DiagnosticList([error])
    }
  }

  /// Renders diagnostics with source snippets.
  public func render(_ diagnostics: [Diagnostic]) -> String {
    DiagnosticRenderer(sources: sources).render(diagnostics)
  }
}

extension Program {
  public var astText: String { ASTPrinter.print(ast) }

  public func printMIR(_ function: Function) -> String { Printer.print(function, elide: true) }

  /// Whether a MIR function was made by differentiation (a VJP function or a transform's
  /// wrapper).
  public func isDerivative(_ name: String) -> Bool {
    [
      "vjp.", "fwd.", "bwd.", "grad", "value_and_grad", "jvp.", "transpose.", "hessian.", "pullback.", "checkpoint.",
      "vmap.",
    ]
    .contains {
      name.hasPrefix($0)
    }
  }

  /// For each derived VJP function: the forward values its adjoint code reads (what the
  /// forward sweep keeps), in bytes (plus the largest saving of a checkpointed callee's
  /// recomputation, which happens inside the backward sweep).
  public var savedValues: [(function: String, bytes: Int, types: [TensorType])] {
    let differentiator = elaborator.differentiator
    return differentiator.savedBytes.keys.sorted().map { name in
      (name, differentiator.savedBytes[name] ?? 0, differentiator.savedValues[name] ?? [])
    }
  }

  /// For each derived VJP function, how the backward sweep of each of its loops runs: from a
  /// tape of every iteration, or from checkpoints (trip count known only at run time, or a tape
  /// of every iteration over the limit).
  public var loopSweeps: [(function: String, location: SourceSpan, sweep: LoopSweep)] {
    let differentiator = elaborator.differentiator
    return differentiator.loopSweeps.keys.sorted().flatMap { name in
      (differentiator.loopSweeps[name] ?? []).map { (name, $0.location, $0.sweep) }
    }
  }

  /// One line per differentiated loop: where it is, in which VJP function, and how its backward
  /// sweep runs.
  public var loopSweepReport: [String] {
    loopSweeps.map { "loop at \(sources.describe($0.location)) in @\($0.function): \($0.sweep.description)" }
  }

  /// The printed source items `roots` reach (functions, constants, custom gradient rules,
  /// structs): with the specialized MIR, what the object cache key covers.
  public func reachedItems(from roots: [String]) -> String {
    ItemDependencies.text(reachedFrom: roots, in: ast)
  }

  public func hasFunction(_ name: String) -> Bool { function(named: name) != nil }

  /// Whether the function `name` has parameters (an entry that takes data).
  public func takesParameters(_ name: String) -> Bool { !(function(named: name)?.parameters.isEmpty ?? true) }

  func function(named name: String) -> FunctionDecl? {
    for case .function(let decl) in ast.items where decl.name == name { return decl }
    return nil
  }
}
