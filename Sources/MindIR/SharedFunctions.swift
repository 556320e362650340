// Which calls stay calls. A function that does a lot of work and is called from several places
// (a transformer block applied eight times) is compiled once and called, instead of being copied
// into every caller: the program LLVM compiles is then about as large as the source, not as
// large as its unrolled computation. Its derivative is split into a forward and a backward
// function (SplitCalls in MindAD), so that keeping the call costs no recomputation. Everything
// else is inlined, so small functions still fuse with their surroundings.
//
// Takes verified MIR (declared VJP functions count as calls of the function they differentiate).
// Guarantees nothing about the MIR; the answer is a set of function names, never a root.

public enum SharedFunctions {
  /// A function is worth calling rather than copying from this many produced elements on
  /// (one 256×256 matrix): the call then costs nothing next to its work.
  public static let minimumWork = 1 << 16

  /// The functions reachable from `roots` that are called at two or more sites and produce at
  /// least `minimumWork` elements per call (counting what their callees produce).
  public static func find(in module: Module, roots: [String]) -> Set<String> {
    let reachable = module.reachable(from: roots)
    var sites: [String: Int] = [:]
    for function in module.functions where reachable.contains(function.name) {
      for callee in Inline.callees(function.body) { sites[callee, default: 0] += 1 }
    }
    var memo: [String: Int] = [:]
    return Set(
      sites.filter { name, count in
        count >= 2 && !roots.contains(name) && produced(by: name, in: module, memo: &memo) >= minimumWork
      }.keys)
  }

  /// Elements produced by one call of `name`: its ops' results, its callees' work; a declared
  /// VJP function does about twice the work of the function it differentiates.
  static func produced(by name: String, in module: Module, memo: inout [String: Int]) -> Int {
    if let known = memo[name] { return known }
    memo[name] = 0  // no recursion in MIR; this only guards against a malformed module
    guard let function = module.function(named: name) else { return 0 }
    var total = 0
    if let original = function.derivativeOf {
      total = 2 * produced(by: original, in: module, memo: &memo)
    }
    func visit(_ block: Block) {
      for op in block.operations {
        for result in op.results { total = total &+ result.type.elementCount }
        if case .call(let callee) = op.kind { total = total &+ produced(by: callee, in: module, memo: &memo) }
        op.regions.forEach(visit)
      }
    }
    visit(function.body)
    memo[name] = total
    return total
  }
}
