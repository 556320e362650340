// `mind build`: functions and their transforms, specialized at given shapes, compiled into one
// object file with a C header (the ABI is described in MindCodegen/CExports.swift).
//
// An export is written `[cname=]callee(types)`: the callee is MIND source (`loss`,
// `grad(loss)`, `value_and_grad(loss, wrt=(0, 1))`), the types are `f32`, `f32[64,784]`,
// `i64[64]`, ...; the C name defaults to `mind_` and the callee's letters and digits.
// Extents are fixed when building: the C functions take buffers of exactly those extents.

import Foundation
import MindCodegen
import MindFrontend
import MindIR
import MindJIT
import MindRuntime

public struct BuildProduct {
  public let object: [UInt8]
  public let header: String
  public let exportedNames: [String]
}

extension Engine {
  public func build(program: Program, exports: [String], stem: String) throws -> BuildProduct {
    guard !exports.isEmpty else {
      throw DiagnosticList([Diagnostic("E7002", "nothing to build: give at least one --export", at: .unknown)])
    }
    let guardName = "MIND_" + Program.cIdentifier(stem).uppercased() + "_H"
    let messageFunction = "mind_\(Program.cIdentifier(stem))_error_message"
    let (module, functions, specs) = try program.exportedModule(
      exports, ownNames: [guardName, messageFunction, "mind_status", "MIND_STATUS_DEFINED"])
    let cExports = zip(zip(functions, specs), exports).map { pair, text in
      CExport(cName: pair.1, function: pair.0, spec: text)
    }
    let file = try ObjectFile(module, name: stem, target: target, level: optimizationLevel, inProcess: false) {
      lowering in
      let messages = lowering.sites.map { site in
        "\(program.sources.describe(site.location)): error[\(site.code)]: \(site.message)"
      }
      return lowering.addCExports(
        cExports, errorMessages: messages, messageFunction: messageFunction, headerGuard: guardName)
    }
    return BuildProduct(object: file.bytes, header: file.extra, exportedNames: cExports.map(\.cName))
  }
}

extension Program {
  /// The ASCII letters and digits of `text`, other runs of characters as one `_`.
  static func cIdentifier(_ text: String) -> String {
    var out = ""
    for c in text {
      if c.isASCII && (c.isLetter || c.isNumber) {
        out.append(c)
      } else if !out.hasSuffix("_") {
        out.append("_")
      }
    }
    while out.hasSuffix("_") { out.removeLast() }
    return out
  }

  /// Parses `[cname=]callee(types)`; the C name must be one `ExportNames` accepts.
  func parseExport(_ text: String, ownNames: Set<String>) throws -> (callee: Expr, types: [TensorType], cName: String) {
    func fail(_ message: String) -> DiagnosticList {
      DiagnosticList([
        Diagnostic("E7003", "bad --export `\(text)`: \(message)", at: .unknown)
      ])
    }
    // The text is copied into the header's comments: a line break would start a line of C.
    if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
      throw fail("it contains a control character (a line break, say)")
    }
    var spec = Substring(text)
    var cName: String?
    if let equals = spec.firstIndex(of: "="), let open = spec.firstIndex(of: "("), equals < open {
      cName = spec[..<equals].trimmingCharacters(in: .whitespaces)
      spec = spec[spec.index(after: equals)...]
    }
    let trimmed = spec.trimmingCharacters(in: .whitespaces)
    guard trimmed.hasSuffix(")") else {
      throw fail("expected `callee(types)`, e.g. 'grad(loss)(f32[64,784], f32[64,10])'")
    }
    var depth = 0
    var open: String.Index?
    var index = trimmed.index(before: trimmed.endIndex)
    while true {
      if trimmed[index] == ")" { depth += 1 }
      if trimmed[index] == "(" {
        depth -= 1
        if depth == 0 {
          open = index
          break
        }
      }
      if index == trimmed.startIndex { break }
      index = trimmed.index(before: index)
    }
    guard let open, open > trimmed.startIndex else { throw fail("expected `callee(types)`") }
    let calleeText = String(trimmed[..<open])
    let typesText = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
    var types: [TensorType] = []
    for part in Self.splitTopLevel(String(typesText)) where !part.isEmpty {
      types.append(
        try Self.parseExportType(part) ?? { throw fail("`\(part)` is not a type like f32 or f32[64,784]") }())
    }
    let file = SourceFile(name: "--export \(text)", text: calleeText)
    let index2 = sources.add(file)
    var parser = Parser(source: file, fileIndex: index2)
    let callee: Expr
    do {
      callee = try parser.parseExpression()
    } catch let diagnostic as Diagnostic {
      throw DiagnosticList([diagnostic])
    }
    let name = cName ?? "mind_" + Self.cIdentifier(calleeText)
    if let problem = ExportNames.problem(with: name, ownSymbols: ownNames) {
      throw fail("`\(name)` cannot name an exported C function: it \(problem)")
    }
    return (callee, types, name)
  }

  static func splitTopLevel(_ text: String) -> [String] {
    var parts: [String] = []
    var current = ""
    var depth = 0
    for c in text {
      if c == "[" { depth += 1 }
      if c == "]" { depth -= 1 }
      if c == "," && depth == 0 {
        parts.append(current.trimmingCharacters(in: .whitespaces))
        current = ""
      } else {
        current.append(c)
      }
    }
    parts.append(current.trimmingCharacters(in: .whitespaces))
    return parts
  }

  static func parseExportType(_ text: String) -> TensorType? {
    let name = String(text.prefix { $0.isLetter || $0.isNumber })
    guard let dtype = DType(sourceName: name) else { return nil }
    let rest = text.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
    if rest.isEmpty { return TensorType(dtype) }
    guard rest.hasPrefix("["), rest.hasSuffix("]") else { return nil }
    let extents = rest.dropFirst().dropLast().split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard extents.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
    return TensorType(dtype, known: extents.map { $0! })
  }

  /// The MIR of the exports: specialized, differentiated, inlined and simplified, with random
  /// tensors computed at build time (so the object needs no host functions for them).
  func exportedModule(_ specs: [String], ownNames: Set<String>) throws -> (Module, [Function], [String]) {
    var names: [String] = []
    var functions: [Function] = []
    try onLargeStack {
      for spec in specs {
        let (callee, types, cName) = try self.parseExport(spec, ownNames: ownNames)
        guard !names.contains(cName) else {
          throw DiagnosticList([
            Diagnostic("E7003", "two exports are named `\(cName)`; name one with `name=...`", at: .unknown)
          ])
        }
        do {
          functions.append(
            try self.elaborator.specializeExport(callee: callee, argumentTypes: types, name: "export." + cName).0)
        } catch let diagnostic as Diagnostic {
          throw DiagnosticList([diagnostic])
        }
        names.append(cName)
      }
      try self.differentiate(roots: functions.map(\.name))
    }
    let module = elaborator.module
    try Self.verified(module)
    optimize(module, roots: functions.map(\.name))
    try Self.precomputeRandomTensors(module)
    Simplify.run(module)
    try Self.verified(module)
    if let op = Self.firstHostOperation(module) {
      let name: String
      switch op.kind {
      case .load: name = "load"
      case .save: name = "save"
      default: name = "print"
      }
      throw DiagnosticList([
        Diagnostic(
          "E7010", "`\(name)` cannot be used in an exported function (the object file has no output or files)",
          at: op.location)
      ])
    }
    return (module, functions, names)
  }

  /// The first `print`, `io.load` or `io.save`: ops that need the host of `mind jit`.
  static func firstHostOperation(_ module: Module) -> MindIR.Operation? {
    func search(_ block: Block) -> MindIR.Operation? {
      for op in block.operations {
        switch op.kind {
        case .print, .load, .save: return op
        default: break
        }
        for region in op.regions { if let found = search(region) { return found } }
      }
      return nil
    }
    for function in module.functions { if let found = search(function.body) { return found } }
    return nil
  }

  static func precomputeRandomTensors(_ module: Module) throws {
    func visit(_ block: Block) throws {
      for op in block.operations {
        op.regions.forEach { try? visit($0) }
        guard case .random(let normal, let seed) = op.kind else { continue }
        let count = op.result.type.elementCount
        guard count <= 1 << 22 else {
          throw DiagnosticList([
            Diagnostic(
              "E7011", "a random tensor of \(count) elements is too large to build into an object file", at: op.location
            )
          ])
        }
        func filled<F: BinaryFloatingPoint>(_: F.Type) -> [Double] {
          var values = [F](repeating: 0, count: max(count, 1))
          values.withUnsafeMutableBufferPointer {
            RandomFill.fill($0.baseAddress!, count: count, seed: seed, normal: normal)
          }
          return values.prefix(max(count, 1)).map { Double($0) }
        }
        let values = op.result.type.dtype == .f64 ? filled(Double.self) : filled(Float.self)
        op.kind = .constant(op.result.type.isScalar ? .splat(values[0]) : .dense(Array(values.prefix(count))))
      }
    }
    for function in module.functions { try visit(function.body) }
  }
}
