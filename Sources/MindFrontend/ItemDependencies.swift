// The top-level items a set of names reaches: the functions and constants their bodies name,
// transitively, including the functions named by attributes (`@custom_grad(g)`), printed as
// ASTs. Compiled code depends on nothing else of the source (besides the types it is
// specialized to), so this text is what the object cache key covers: a change to any reached
// body, rule or attribute changes the key, and a change elsewhere (or to a comment) does not.
// Struct declarations are always included: the walk follows names in expressions, not in
// type annotations.

public enum ItemDependencies {
  /// The items reached from `roots`, in the module's order.
  public static func reached(from roots: [String], in module: ModuleAST) -> [Item] {
    var byName: [String: [Int]] = [:]
    for (index, item) in module.items.enumerated() {
      if let name = name(of: item) { byName[name, default: []].append(index) }
    }
    var reached = Set(module.items.indices.filter { if case .structure = module.items[$0] { true } else { false } })
    var pending = roots
    var seen = Set(roots)
    while let name = pending.popLast() {
      for index in byName[name] ?? [] where reached.insert(index).inserted {
        visitNames(module.items[index]) { if seen.insert($0).inserted { pending.append($0) } }
      }
    }
    return module.items.indices.filter(reached.contains).map { module.items[$0] }
  }

  /// The printed ASTs of the items reached from `roots`.
  public static func text(reachedFrom roots: [String], in module: ModuleAST) -> String {
    ASTPrinter.print(ModuleAST(items: reached(from: roots, in: module), file: module.file))
  }

  static func name(of item: Item) -> String? {
    switch item {
    case .function(let decl): decl.name
    case .structure(let decl): decl.name
    case .constant(let name, _, _): name
    case .import: nil
    }
  }

  static func visitNames(_ item: Item, _ visit: (String) -> Void) {
    switch item {
    case .function(let decl): ASTWalker.visitNames(decl, visit)
    case .constant(_, _, let value): ASTWalker.visitNames(value, visit)
    case .structure, .import: break
    }
  }
}
