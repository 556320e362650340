// Derivatives of kept calls without recomputation. A shared function (SharedFunctions) stays a
// call, and reverse mode differentiates a call by calling the callee's VJP function, which would
// run the callee's forward code a second time. Instead its VJP is split where reverse mode put
// the boundary between the forward copy and the adjoint code:
//
//     @fwd.f(x1, ..., xn) -> (r1, ..., rm, s1, ..., sk)          forward code; s: residuals
//     @bwd.f(x1, ..., xn, r1, ..., rm, s1, ..., sk, c1, ..., cm) -> (a1, ..., an)   adjoint code
//
// where the residuals are the forward values the adjoint code reads (constants and views are
// recomputed instead, see `Sweeps.residuals`), and each pair `call @f(xs)` … `call @vjp.f(xs, cs)` in one block becomes
// `call @fwd.f(xs)` … `call @bwd.f(xs, rs, ss, cs)`. The backward half takes every parameter
// and result of f; DeadSignatures drops those it does not read, and the adjoints, residuals and
// work no caller needs (the adjoints of weights when only the input's gradient is asked for).
//
// Takes verified MIR after inlining; guarantees verified MIR that computes the same values.

import MindIR

extension Differentiator {
  public static func forwardName(_ name: String) -> String { "fwd." + name }
  public static func backwardName(_ name: String) -> String { "bwd." + name }

  /// Adds the forward and backward halves of `vjp`, the VJP function of `function`.
  func split(_ vjp: Function, of function: Function, _ sweeps: Sweeps) {
    let (forward, adjoint, primal) = (sweeps.forward, sweeps.adjoint, sweeps.primal)
    let parameterCount = function.parameters.count
    let parameters = Array(vjp.parameters.prefix(parameterCount))
    let cotangents = Array(vjp.parameters.dropFirst(parameterCount))
    let (residuals, recomputed) = sweeps.residuals(passed: Set(primal))

    let forwardCloner = Cloner(values: values)
    let forwardBody = Block(arguments: parameters.map { values.make($0.type) })
    for (old, new) in zip(parameters, forwardBody.arguments) { forwardCloner.map(old, to: new) }
    forwardBody.operations = forwardCloner.clone(forward)
    forwardBody.operations.append(
      Operation.make(
        .returnOp, (primal + residuals).map(forwardCloner.lookup), results: [], location: function.location))
    module.add(
      Function(
        name: Self.forwardName(function.name), body: forwardBody,
        resultTypes: (primal + residuals).map(\.type), location: function.location))

    let backwardCloner = Cloner(values: values)
    let backwardBody = Block(arguments: (parameters + primal + residuals + cotangents).map { values.make($0.type) })
    for (old, new) in zip(parameters + primal + residuals + cotangents, backwardBody.arguments)
    where backwardCloner.mapping[old] == nil {
      backwardCloner.map(old, to: new)
    }
    backwardBody.operations = backwardCloner.clone(recomputed)
    backwardBody.operations += backwardCloner.clone(adjoint)
    backwardBody.operations.append(
      Operation.make(
        .returnOp, sweeps.adjoints.map(backwardCloner.lookup), results: [], location: function.location))
    module.add(
      Function(
        name: Self.backwardName(function.name), body: backwardBody, resultTypes: parameters.map(\.type),
        location: function.location))
  }
}

/// A derived VJP function's body, cut where reverse mode put the boundary: the forward copy of
/// the function's body, the adjoint code, and what it returns (primal results, then adjoints).
struct Sweeps {
  let forward: [Operation]
  let adjoint: [Operation]
  let primal: [Value]
  let adjoints: [Value]

  init(_ vjp: Function, primalCount: Int, forwardCount: Int) {
    let operations = vjp.body.operations
    forward = Array(operations.prefix(forwardCount))
    adjoint = Array(operations[forwardCount..<(operations.count - 1)])
    primal = Array(operations.last!.operands.prefix(primalCount))
    adjoints = Array(operations.last!.operands.dropFirst(primalCount))
  }

  /// What the adjoint code (and the adjoints returned) needs from the forward copy: the
  /// residuals, forward values it reads (except `passed` ones), and the constants and views
  /// (reshape, transpose, broadcast: free where gemm reads them, a copy where they are stored)
  /// it recomputes from what they read instead, in forward order.
  func residuals(passed: Set<Value>) -> (residuals: [Value], recomputed: [Operation]) {
    var position: [ObjectIdentifier: Int] = [:]
    for (index, op) in forward.enumerated() { position[ObjectIdentifier(op)] = index }
    var recomputed: [Operation] = []
    var residuals: [Value] = []
    var seen: Set<Value> = []
    func read(_ value: Value) {
      guard let op = value.definingOp, position[ObjectIdentifier(op)] != nil, !passed.contains(value),
        seen.insert(value).inserted
      else { return }
      switch op.kind {
      case .constant, .reshape, .transpose, .broadcast:
        recomputed.append(op)
        op.operands.forEach(read)
      default:
        residuals.append(value)
      }
    }
    func visit(_ op: Operation) {
      op.operands.forEach(read)
      for region in op.regions { region.operations.forEach(visit) }
    }
    adjoint.forEach(visit)
    adjoints.forEach(read)
    return (residuals, recomputed.sorted { position[ObjectIdentifier($0)]! < position[ObjectIdentifier($1)]! })
  }
}

public enum SplitCalls {
  /// Rewrites every pair of calls of a shared function and of its VJP into calls of its halves.
  public static func run(_ module: Module, shared: Set<String>) {
    let splittable = shared.filter {
      module.function(named: Differentiator.forwardName($0)) != nil
        && module.function(named: Differentiator.backwardName($0)) != nil
    }
    guard !splittable.isEmpty else { return }
    let values = ValueFactory(startingAfter: module.largestValueID)
    for function in module.functions {
      rewrite(function.body, module: module, splittable: splittable, values: values)
    }
  }

  static func rewrite(_ block: Block, module: Module, splittable: Set<String>, values: ValueFactory) {
    // Pair each VJP call with an earlier call of the function on the same arguments.
    var open: [String: [Operation]] = [:]
    var pairs: [ObjectIdentifier: Operation] = [:]
    for op in block.operations {
      guard case .call(let callee) = op.kind else { continue }
      if splittable.contains(callee) {
        open[callee, default: []].append(op)
      } else if callee.hasPrefix("vjp."), case let original = String(callee.dropFirst(4)),
        let index = open[original]?.firstIndex(where: { op.operands.starts(with: $0.operands) })
      {
        let forward = open[original]!.remove(at: index)
        pairs[ObjectIdentifier(forward)] = op
        pairs[ObjectIdentifier(op)] = forward
      }
    }
    var replacements: [Value: Value] = [:]
    var halves: [ObjectIdentifier: Operation] = [:]
    var rewritten: [Operation] = []
    for op in block.operations {
      op.operands = op.operands.map { replacements[$0] ?? $0 }
      for region in op.regions { Simplify.substitute(region, replacements) }
      guard case .call(let callee) = op.kind, let partner = pairs[ObjectIdentifier(op)] else {
        rewritten.append(op)
        continue
      }
      if splittable.contains(callee) {
        let half = module.function(named: Differentiator.forwardName(callee))!
        let call = Operation.make(
          .call(callee: half.name), op.operands, resultTypes: half.resultTypes, regions: [], location: op.location,
          values: values)
        for (old, new) in zip(op.results, call.results) { replacements[old] = new }
        halves[ObjectIdentifier(op)] = call
        rewritten.append(call)
      } else {
        let original = String(callee.dropFirst(4))
        let half = module.function(named: Differentiator.backwardName(original))!
        let forward = halves[ObjectIdentifier(partner)]!
        let primalCount = partner.results.count
        let call = Operation.make(
          .call(callee: half.name), forward.operands + forward.results + op.operands.dropFirst(forward.operands.count),
          resultTypes: half.resultTypes, regions: [], location: op.location, values: values)
        for (old, new) in zip(op.results, forward.results.prefix(primalCount) + call.results) {
          replacements[old] = new
        }
        rewritten.append(call)
      }
    }
    block.operations = rewritten
    for op in block.operations {
      for region in op.regions { rewrite(region, module: module, splittable: splittable, values: values) }
    }
  }
}
