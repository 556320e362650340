// What a call of one specialization through the C interface needs, worked out once per
// specialization: the argument types to check C arrays against in place, and where the
// results go. The results of a call live in one block of memory that `mind_results_free`
// releases, so a repeated call makes no tensors or result objects, and one allocation for its
// results (besides the runtime context of the run). A block (offsets from
// its 64-byte aligned start):
//
//     0        the HostMemory to release
//     64       the mind_result array
//     ...      the extents of every result, then their names (NUL-terminated)
//     ...      each result's elements, 64-byte aligned

import CMindABI
import MIND
import MindRuntime

/// mind.h's dtype code of an element type (the order of MIND_F32 ... MIND_BOOL).
func dtypeCode(_ type: ElementType) -> Int32 { Int32(ElementType.allCases.firstIndex(of: type)!) }

final class CallFrame {
  let specialization: Specialization
  /// The dtype codes of the parameters.
  let parameterCodes: [Int32]
  /// Where each result's name, extents and elements are in a block.
  let leaves: [(name: Int, extents: Int, data: Int, dtype: Int32, rank: Int32)]
  /// The extents and names, copied into every block after the mind_result array.
  let fixed: [UInt8]
  static let resultsOffset = 64
  let size: Int

  init(_ specialization: Specialization) {
    self.specialization = specialization
    parameterCodes = specialization.parameters.map { dtypeCode($0.elementType) }
    let results = specialization.results
    let names = specialization.resultLayout.leafNames()
    var fixed: [UInt8] = []
    var at = Self.resultsOffset + results.count * MemoryLayout<mind_result>.stride
    var extents: [Int] = []
    for result in results {
      extents.append(at)
      for extent in result.shape { withUnsafeBytes(of: Int64(extent)) { fixed += $0 } }
      at += result.shape.count * 8
    }
    var nameOffsets: [Int] = []
    for name in names {
      nameOffsets.append(at)
      fixed += Array(name.utf8) + [0]
      at += name.utf8.count + 1
    }
    var leaves: [(Int, Int, Int, Int32, Int32)] = []
    for (i, result) in results.enumerated() {
      at = (at + 63) & ~63
      leaves.append((nameOffsets[i], extents[i], at, dtypeCode(result.elementType), Int32(result.shape.count)))
      at += result.byteCount
    }
    self.leaves = leaves
    self.fixed = fixed
    size = at
  }

  /// Whether the arrays are exactly the arguments this specialization takes, contiguous (so that
  /// they are read in place).
  func accepts(_ arrays: UnsafeBufferPointer<mind_array>) -> Bool {
    let parameters = specialization.parameters
    guard arrays.count == parameters.count else { return false }
    for (i, array) in arrays.enumerated() {
      let shape = parameters[i].shape
      guard array.data != nil, array.dtype == parameterCodes[i], Int(array.rank) == shape.count else { return false }
      if !shape.isEmpty {
        guard let extents = array.extents else { return false }
        for axis in shape.indices where extents[axis] != Int64(shape[axis]) { return false }
      }
      if let strides = array.strides, !isContiguous(shape, strides, elementSize: parameters[i].elementType.byteSize) {
        return false
      }
    }
    return true
  }

  /// Runs the specialization on the arguments' bytes; returns the results in a new block.
  func call(_ argument: (Int) -> UnsafeRawPointer) throws -> UnsafeMutablePointer<mind_result> {
    let memory = HostMemory(bytes: size)
    let start = memory.pointer
    start.storeBytes(of: memory, as: HostMemory.self)
    let fixedStart = Self.resultsOffset + leaves.count * MemoryLayout<mind_result>.stride
    fixed.withUnsafeBytes { start.advanced(by: fixedStart).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    let results = start.advanced(by: Self.resultsOffset).bindMemory(to: mind_result.self, capacity: leaves.count)
    for (i, leaf) in leaves.enumerated() {
      results[i] = mind_result(
        name: UnsafePointer(start.advanced(by: leaf.name).assumingMemoryBound(to: CChar.self)),
        data: start.advanced(by: leaf.data), dtype: leaf.dtype, rank: leaf.rank,
        extents: UnsafePointer(start.advanced(by: leaf.extents).assumingMemoryBound(to: Int64.self)), owner: start)
    }
    let count = specialization.parameters.count
    do {
      try withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: count + leaves.count) { table in
        for i in 0..<count { table[i] = UnsafeMutableRawPointer(mutating: argument(i)) }
        for i in leaves.indices { table[count + i] = results[i].data }
        try specialization.run(table.baseAddress!)
      }
    } catch {
      memory.release()
      throw error
    }
    return results
  }

  /// Releases the block of results that `call` returned.
  static func release(_ results: UnsafeMutablePointer<mind_result>) {
    let start = UnsafeMutableRawPointer(results) - resultsOffset
    start.load(as: HostMemory.self).release()
  }
}

/// Whether byte strides describe the row-major layout of `shape` (axes of extent 1 may have
/// any stride).
func isContiguous(_ shape: [Int], _ strides: UnsafePointer<Int64>, elementSize: Int) -> Bool {
  var expected = elementSize
  for axis in shape.indices.reversed() {
    if shape[axis] > 1 && Int(strides[axis]) != expected { return false }
    expected *= shape[axis]
  }
  return true
}
