// `import name;` of a sibling file: `name.mind` in the importing file's folder is parsed and
// its items join the module (transitively; each file once). Imports of the built-in modules
// (core, math, tensor, diff, io, nn) stay for the checker.

import MindFrontend

enum FileImports {
  static let builtinModules: Set<String> = ["core", "math", "tensor", "diff", "io", "nn"]

  static func resolve(_ module: inout ModuleAST, mainFile: String, sources: SourceManager) throws {
    var loaded: Set<String> = [normalized(mainFile)]
    var diagnostics: [Diagnostic] = []
    var pending = [(items: module.items, path: mainFile)]
    var items: [Item] = []
    var first = true
    while !pending.isEmpty {
      let (fileItems, path) = pending.removeFirst()
      for item in fileItems {
        guard case .import(let importPath, let span) = item, let head = importPath.first, !builtinModules.contains(head)
        else {
          // Items of an imported file come after the main file's; its `main` is not imported.
          if !first, case .function(let decl) = item, decl.name == "main" { continue }
          items.append(item)
          continue
        }
        let target = folder(of: path) + importPath.joined(separator: "/") + ".mind"
        if loaded.contains(normalized(target)) { continue }
        loaded.insert(normalized(target))
        guard let text = readFile(target) else {
          diagnostics.append(
            Diagnostic(
              "E2012",
              "cannot find module `\(importPath.joined(separator: "::"))`: it is not a built-in module (\(builtinModules.sorted().joined(separator: ", "))) and there is no file `\(target)`",
              at: span))
          continue
        }
        let file = SourceFile(name: target, text: text)
        let index = sources.add(file)
        var parser = Parser(source: file, fileIndex: index)
        let parsed = parser.parseModule()
        diagnostics += parser.diagnostics
        pending.append((parsed.items, target))
      }
      first = false
    }
    if !diagnostics.isEmpty { throw DiagnosticList(diagnostics) }
    module.items = items
  }

  static func folder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    return String(path[...slash])
  }

  static func normalized(_ path: String) -> String {
    path.hasPrefix("./") ? String(path.dropFirst(2)) : path
  }
}
