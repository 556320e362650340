// Buffer assignment from liveness, for the tensors of a function's top-level block (where
// straight-line gradient code lives). Each such value's last read is known at compile time:
// the position of its last reader, where a fused elementwise value, a transpose or broadcast
// that gemm reads in place, or a product accumulated by a later sum (which are all read where
// their own readers are lowered) count at their readers' positions. After the op at that position
// is lowered, the value's buffer returns to a pool, unless another live value still refers to it
// (a reshape, or a sum that took over an addend's buffer); later top-level results take the
// smallest pooled buffer large enough, the most recently freed first, so that backward-sweep
// temporaries reuse a few warm buffers instead of touching fresh memory. An elementwise op or a
// gemm accumulation whose operand dies at it writes its result over that operand (in place). Values inside loop and
// branch bodies, loop-carried state, parameters and the caller's result buffers are never pooled.

import CLLVM
import MindIR

/// Buffers free for reuse, with their sizes in bytes.
struct BufferPool {
  private var free: [(pointer: LLVMValueRef, bytes: Int)] = []

  /// The smallest free buffer of at least `bytes` (the most recently freed among equals).
  mutating func take(bytes: Int) -> LLVMValueRef? {
    var best: Int?
    for (i, candidate) in free.enumerated().reversed() where candidate.bytes >= bytes {
      if best == nil || candidate.bytes < free[best!].bytes { best = i }
    }
    return best.map { free.remove(at: $0).pointer }
  }

  mutating func give(_ pointer: LLVMValueRef, bytes: Int) { free.append((pointer, bytes)) }
}

/// What buffer reuse knows while a function is lowered.
struct BufferReuse {
  /// The ops of the top-level block.
  var topLevel: Set<ObjectIdentifier> = []
  /// Top-level values whose last read is at each top-level position, and the reverse.
  var dyingAfter: [Int: [Value]] = [:]
  var lastRead: [Value: Int] = [:]
  /// The position of the top-level op being lowered.
  var position = 0
  /// Pooled buffers and their sizes.
  var sizes: [LLVMValueRef: Int] = [:]
  /// The live values that refer to each pooled buffer.
  var holders: [LLVMValueRef: Set<Value>] = [:]
  var pool = BufferPool()
}

extension FunctionLowering {
  /// Finds each top-level tensor's last read. Runs after fusion, gemm-view and accumulation
  /// planning, which decide where deferred values are read.
  func planBufferReuse(_ body: Block) {
    var position: [ObjectIdentifier: Int] = [:]
    func mark(_ block: Block, _ index: Int) {
      for op in block.operations {
        position[ObjectIdentifier(op)] = index
        op.regions.forEach { mark($0, index) }
      }
    }
    for (index, op) in body.operations.enumerated() {
      position[ObjectIdentifier(op)] = index
      bufferReuse.topLevel.insert(ObjectIdentifier(op))
      op.regions.forEach { mark($0, index) }
    }
    var effective: [ObjectIdentifier: Int] = [:]
    func readPosition(_ op: Operation) -> Int {
      if let known = effective[ObjectIdentifier(op)] { return known }
      var at = position[ObjectIdentifier(op)]!
      if op.results.count == 1, let result = op.results.first, isComputedAtReaders(result) {
        at = max(at, (uses[result] ?? []).map(readPosition).max() ?? at)
      }
      effective[ObjectIdentifier(op)] = at
      return at
    }
    for (index, op) in body.operations.enumerated() {
      for result in op.results where !result.type.isScalar {
        let last = (uses[result] ?? []).map(readPosition).max() ?? index
        bufferReuse.dyingAfter[last, default: []].append(result)
        bufferReuse.lastRead[result] = last
      }
    }
  }

  /// A buffer from the pool (or a new pooled one) for a result of a top-level op.
  func pooledBuffer(for value: Value) -> LLVMValueRef? {
    guard currentBlock === function.body, let op = value.definingOp,
      bufferReuse.topLevel.contains(ObjectIdentifier(op))
    else { return nil }
    let bytes = max(value.type.byteCount, 1)
    if let reused = bufferReuse.pool.take(bytes: bytes) { return reused }
    let fresh = allocate(value.type)
    bufferReuse.sizes[fresh] = bytes
    return fresh
  }

  /// The buffer of `operand` when the top-level op being lowered may write its result there: the
  /// operand is read for the last time by this op, no other live value refers to its buffer, and
  /// the buffer is large enough. The op must read each element before writing the same element
  /// (elementwise ops), or not read the operand at all while writing (a gemm accumulation).
  func bufferDyingHere(_ operand: Value, bytes: Int) -> LLVMValueRef? {
    guard currentBlock === function.body, bufferReuse.lastRead[operand] == bufferReuse.position,
      let pointer = values[operand], let size = bufferReuse.sizes[pointer], size >= bytes,
      bufferReuse.holders[pointer] == [operand]
    else { return nil }
    return pointer
  }

  /// After the top-level op at `index`: its results hold their buffers, and values read for the
  /// last time there release theirs.
  func recycleBuffers(after index: Int, _ op: Operation) {
    for result in op.results where !result.type.isScalar {
      if let pointer = values[result], bufferReuse.sizes[pointer] != nil {
        bufferReuse.holders[pointer, default: []].insert(result)
      }
    }
    for value in bufferReuse.dyingAfter[index] ?? [] {
      guard let pointer = values[value], let bytes = bufferReuse.sizes[pointer] else { continue }
      bufferReuse.holders[pointer]?.remove(value)
      if bufferReuse.holders[pointer]?.isEmpty ?? true {
        bufferReuse.holders[pointer] = nil
        bufferReuse.pool.give(pointer, bytes: bytes)
      }
    }
  }
}
