// Row fusion: consecutive top-level ops that work row by row on the same [R, C] rows run in one
// loop over the rows, each op doing its part of a row before the next op starts on it. The
// statistics of a row (a max, a sum, a mean) and the elementwise passes that read them then meet
// the row while it is still in the core's cache, where op-by-op lowering makes one pass over
// memory per op: the softmax gradient's max, sum, adjoint sum and result are four passes over a
// 4096x1024 input op by op, one as a row group. A full-size value read only inside its group
// (exp in softmax, the centred input in layer_norm) is kept in a scratch row of C elements
// instead of a buffer of R·C: it never reaches memory.
//
// Takes the function's top-level block after fusion, broadcast-view, gemm and buffer-reuse
// planning. A group starts at a reduction over trailing axes (R result elements, each over a
// contiguous run of C) and takes the ops after it while each is
// - a stored elementwise op of R·C elements ("full": row o is elements o·C ..< (o+1)·C) or of R
//   ("row": element o),
// - a reduction over trailing axes from R·C elements to R, or
// - a reshape of a member (the same elements), or an op that emits nothing where it stands (a
//   constant, a fused value or a broadcast view, computed by its readers),
// and every member it reads, through fused values and broadcast views, is read at the same row:
// a full member at the reader's own element, a row member at element o (directly from a row
// reader, or through a broadcast view repeating each element C times). Anything else ends the
// group; a group of fewer than two members that emit code is dropped.
//
// Guarantees: each member's elements are computed after those they read (row o of every member
// comes after row o of the members before it, and all rows of values outside the group are
// computed before the loop); a buffer freed inside the group is reused only after it (the
// rows of a later member would overwrite rows an earlier one has not read yet); results read
// after the group are whole when it ends.

import CLLVM
import MindIR

/// A run of top-level ops lowered as one loop over rows.
struct RowGroup {
  let rows: Int
  /// C: the elements of a full member per row.
  let run: Int
  /// Top-level positions of the group's first and last op.
  let first: Int
  let last: Int
  /// The members that emit code in the row loop, in order, and the shape of each member (or
  /// reshape of one).
  let members: [Operation]
  let shapes: [Value: RowGroup.Shape]

  enum Shape { case full, row }
}

extension FunctionLowering {
  /// Rows with more elements than this leave the core's first-level cache between ops (and
  /// their scratch rows the stack): they are not grouped.
  static let rowGroupBytes = 32 * 1024
  /// The scratch rows of one group together (on the stack of each thread running the group).
  static let scratchBytes = 256 * 1024

  /// Finds the row groups of the function's top-level block.
  func planRowGroups(_ body: Block) {
    let ops = body.operations
    let positions = Dictionary(uniqueKeysWithValues: ops.enumerated().map { (ObjectIdentifier($1), $0) })
    var index = 0
    while index < ops.count {
      if let group = rowGroup(startingAt: index, in: ops, positions: positions) {
        rowGroups[group.first] = group
        for member in group.members { rowGrouped.insert(ObjectIdentifier(member)) }
        index = group.last + 1
      } else {
        index += 1
      }
    }
    for group in rowGroups.values {
      var scratchBytes = 0
      for member in group.members where group.shapes[member.result] == .full && keepsRowLocal(member.result, group) {
        let bytes = group.run * member.result.type.dtype.byteSize
        guard scratchBytes + bytes <= Self.scratchBytes else { break }
        scratchBytes += bytes
        rowLocal.insert(member.result)
      }
    }
  }

  private func rowGroup(startingAt start: Int, in ops: [Operation], positions: [ObjectIdentifier: Int]) -> RowGroup? {
    guard let (rows, run) = rowReduction(ops[start]), rows > 1, run >= lowering.target.f32VectorWidth,
      run * ops[start].operands[0].type.dtype.byteSize <= Self.rowGroupBytes
    else { return nil }
    var shapes: [Value: RowGroup.Shape] = [ops[start].result: .row]
    var members = [ops[start]]
    var last = start
    func shape(_ value: Value) -> RowGroup.Shape? {
      let count = value.type.elementCount
      return count == rows * run ? .full : count == rows ? .row : nil
    }
    /// Whether a reader of `shape` reads `value` only at its own row.
    func readsOwnRow(_ value: Value, as readerShape: RowGroup.Shape) -> Bool {
      if value.type.isScalar { return true }
      if let memberShape = shapes[value] { return memberShape == readerShape }
      if fused.contains(value), let op = value.definingOp {
        return op.operands.allSatisfy { readsOwnRow($0, as: readerShape) }
      }
      if let view = broadcastViews[value] {
        if readerShape == .full && view.repeats == run && !view.wraps { return readsOwnRow(view.operand, as: .row) }
        return !touchesMember(view.operand)
      }
      return !isComputedAtReaders(value)
    }
    func touchesMember(_ value: Value) -> Bool {
      if shapes[value] != nil { return true }
      if fused.contains(value), let op = value.definingOp { return op.operands.contains(where: touchesMember) }
      if let view = broadcastViews[value] { return touchesMember(view.operand) }
      return isComputedAtReaders(value)
    }
    for index in (start + 1)..<ops.count {
      let op = ops[index]
      if case .constant = op.kind {
      } else if op.results.count == 1, isComputedAtReaders(op.result), !op.result.type.isScalar {
        // Computed by its readers, whose reads are checked.
      } else if case .reshape = op.kind, shapes[op.operands[0]] != nil, let s = shape(op.result) {
        shapes[op.result] = s
      } else if let (r, c) = rowReduction(op), r == rows, c == run, readsOwnRow(op.operands[0], as: .full) {
        shapes[op.result] = .row
        members.append(op)
      } else if Self.isElementwise(op.kind), !op.result.type.isScalar, accumulations[op.result] == nil,
        let s = shape(op.result), op.operands.allSatisfy({ readsOwnRow($0, as: s) })
      {
        shapes[op.result] = s
        members.append(op)
      } else {
        break
      }
      last = index
    }
    // A value fusion recomputes in each of its readers is computed once per row instead when
    // they are all computed in the group (and then kept in a scratch row).
    let span = start...last
    for index in span {
      let op = ops[index]
      guard op.results.count == 1, fused.contains(op.result), (uses[op.result]?.count ?? 0) > 1,
        let lastRead = bufferReuse.lastRead[op.result], lastRead <= last, let s = shape(op.result)
      else { continue }
      fused.remove(op.result)
      shapes[op.result] = s
      members.insert(op, at: members.firstIndex { positions[ObjectIdentifier($0)]! > index } ?? members.endIndex)
    }
    guard members.count >= 2 else { return nil }
    return RowGroup(rows: rows, run: run, first: start, last: last, members: members, shapes: shapes)
  }

  /// (R, C) of a reduction over trailing axes to a tensor of R elements, each over C.
  private func rowReduction(_ op: Operation) -> (rows: Int, run: Int)? {
    guard case .reduce(_, let axes) = op.kind, !op.result.type.isScalar, let x = op.operands.first,
      axes == Array((x.type.rank - axes.count)..<x.type.rank), x.type.dtype != .bool
    else { return nil }
    return (op.result.type.elementCount, axes.map { x.type.extents[$0] }.reduce(1, *))
  }

  /// Whether a full member lives in a scratch row: nothing after its group reads it (through
  /// fused values or views either), it is not returned, and no reshape refers to its buffer.
  private func keepsRowLocal(_ value: Value, _ group: RowGroup) -> Bool {
    guard let last = bufferReuse.lastRead[value], last <= group.last, preassigned[value] == nil else { return false }
    return !(uses[value] ?? []).contains { if case .reshape = $0.kind { return true } else { return false } }
  }

  /// Lowers a row group: buffers first (in the ops' order, as op-by-op lowering would choose
  /// them, but none freed inside the group), then the loop over rows (over chunks of rows on
  /// the runtime's threads when the group is large), then the buffers freed.
  func lowerRowGroup(_ group: RowGroup, _ ops: [Operation]) throws {
    for index in group.first...group.last {
      let op = ops[index]
      bufferReuse.position = index
      if !rowGrouped.contains(ObjectIdentifier(op)) {
        try lower(op)
      } else if !rowLocal.contains(op.result) {
        values[op.result] = Self.isElementwise(op.kind) ? elementwiseDestination(op) : buffer(for: op.result)
      }
    }
    if runsInParallel(group.rows * group.run) {
      let reads = group.members.flatMap { $0.operands + [$0.result] }
      parallelFor(count: group.rows, step: 1, reads: reads, registers: []) { begin, end, _ in
        lowerRows(group, from: begin, to: end)
      }
    } else {
      lowerRows(group, from: ir.int(0), to: ir.int(group.rows))
    }
    for index in group.first...group.last { recycleBuffers(after: index, ops[index]) }
  }

  /// The loop over rows begin ..< end of a group, with its scratch rows.
  private func lowerRows(_ group: RowGroup, from begin: LLVMValueRef, to end: LLVMValueRef) {
    let run = group.run
    for member in group.members where rowLocal.contains(member.result) {
      let dtype = member.result.type.dtype
      let row = LLVMBuildAlloca(allocationBuilder, LLVMArrayType2(ir.memoryType(dtype), UInt64(run)), "row")!
      LLVMSetAlignment(row, 64)
      rowLocalBuffers[member.result] = row
    }
    ir.loop(begin, end) { row in
      let start = LLVMBuildMul(ir.ref, row, ir.int(run), "")!
      rowStart = start
      for op in group.members {
        let dtype = op.result.type.dtype
        if case .reduce(let reduction, _) = op.kind {
          ir.store(dtype, reduceRange(op.operands[0], reduction, from: start, count: run), values[op.result]!, row)
        } else if group.shapes[op.result] == .row {
          ir.store(
            dtype, elementwise(op, op.operands.map { element($0, row, width: 1) }, width: 1), values[op.result]!, row)
        } else {
          let (destination, offset) = rowLocalBuffers[op.result].map { ($0, ir.int(0)) } ?? (values[op.result]!, start)
          storeRow(dtype, run: run, width: elementwiseWidth(op)) { i, width in
            let at = LLVMBuildAdd(ir.ref, start, i, "")!
            let value = elementwise(op, op.operands.map { element($0, at, width: width) }, width: width)
            ir.store(dtype, value, destination, LLVMBuildAdd(ir.ref, offset, i, "")!, width: width)
          }
        }
      }
    }
    rowStart = nil
    for member in group.members { rowLocalBuffers[member.result] = nil }
  }

  /// `body(i, width)` for the elements 0 ..< run of a row: vectors of `width`, then the tail.
  private func storeRow(_ dtype: DType, run: Int, width: Int, _ body: (LLVMValueRef, Int) -> Void) {
    let vectorEnd = width > 1 ? run - run % width : 0
    if vectorEnd > 0 { ir.loop(ir.int(0), ir.int(vectorEnd), step: width) { body($0, width) } }
    if vectorEnd < run { ir.loop(ir.int(vectorEnd), ir.int(run)) { body($0, 1) } }
  }

  /// Elements of a row-local value in the current row's scratch.
  func rowLocalElement(_ value: Value, _ pointer: LLVMValueRef, _ index: LLVMValueRef, width: Int) -> LLVMValueRef {
    guard let rowStart else { preconditionFailure("row-local %\(value.id) read outside its row group") }
    return ir.load(value.type.dtype, pointer, LLVMBuildSub(ir.ref, index, rowStart, "")!, width: width)
  }
}
