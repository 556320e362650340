// Large elementwise loops on several threads (Sources/MindCodegen/ParallelLoops.swift and
// Sources/MindRuntime/ParallelFor.swift): the runtime covers every element exactly once for any
// count and thread count, and compiled programs compute the same numbers with 1 and 3 threads.

import Foundation
import Testing

@testable import MindRuntime

@Suite struct ParallelLoopsTests {
  @Test(arguments: [1, 63, 64, 1000, 100_003]) func everyElementExactlyOnce(count: Int) {
    let counts = UnsafeMutablePointer<Int32>.allocate(capacity: count)
    defer { counts.deallocate() }
    counts.initialize(repeating: 0, count: count)
    let body: ParallelFor.Body = { context, begin, end in
      let counts = context!.assumingMemoryBound(to: Int32.self)
      for i in Int(begin)..<Int(end) { counts[i] += 1 }
    }
    for threads in 1...4 {
      let chunks = min(threads, max(count / 64, 1))
      if chunks > 1 {
        ParallelFor.pool.run(body, UnsafeMutableRawPointer(counts), count: count, step: 64, threads: chunks)
      } else {
        body(UnsafeMutableRawPointer(counts), 0, Int64(count))
      }
      #expect((0..<count).allSatisfy { counts[$0] == Int32(threads) })
    }
  }

  /// A fused chain over 1,000,003 elements (not a multiple of any vector width or chunk step)
  /// reading a buffer, a runtime scalar and a splat, written in place over a dying operand.
  static let program = """
    fn main() {
        let x = arange(0.0, 1000003.0, 1.0) * 0.000001;
        let k = sum(x) / 1000003.0;
        let y = exp(0.0 - x) * k + x * 2.0;
        let z = y * 0.5;
        print(sum(z), z[0], z[1000002]);
    }
    """

  @Test func programsComputeTheSameOnOneAndThreeThreads() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mind-parallel-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("parallel.mind").path
    try Self.program.write(toFile: path, atomically: true, encoding: .utf8)
    let ir = try Tools.shell("\(Tools.mind) ir \(path) --stage llvm")
    #expect(ir.output.contains("call void @mind_parallel_for"))
    let n = 1_000_003
    let k = (0..<n).reduce(0.0) { $0 + Double($1) * 1e-6 } / Double(n)
    let z = { (i: Int) in (Foundation.exp(-Double(i) * 1e-6) * k + Double(i) * 2e-6) * 0.5 }
    let expected = [(0..<n).reduce(0.0) { $0 + z($1) }, z(0), z(n - 1)]
    for threads in [1, 3] {
      let result = try Tools.shell("MIND_NUM_THREADS=\(threads) \(Tools.mind) jit \(path) --no-cache")
      #expect(result.status == 0, "\(result.error)")
      #expect(close(numbers(in: result.output), expected, relative: 1e-4), "\(threads) threads: \(result.output)")
    }
  }
}
