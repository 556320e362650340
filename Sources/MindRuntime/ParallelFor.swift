// Large elementwise loops of compiled code run on several threads: codegen outlines the loop
// into a function `body(context, begin, end)` and calls `mind_parallel_for`, which splits
// [0, count) into one contiguous chunk per thread (chunk starts are multiples of `step`, so that
// vector loops stay aligned) and runs them on a pool of worker threads and the caller.
//
// The number of threads is `MIND_NUM_THREADS`, else `OMP_NUM_THREADS`, else the number of CPUs
// the process may run on (its affinity mask: `taskset -c 0` means one thread). With one thread
// the body runs directly on the caller. Workers are created on first use; between loops they
// spin for a while (a sleeping worker takes longer to wake than a 1e6-element loop lasts on a
// VM), then sleep on a condition variable.

import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

public enum ParallelFor {
  public typealias Body = @convention(c) (UnsafeMutableRawPointer?, Int64, Int64) -> Void
  public typealias Run = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int64, Int64) -> Void

  /// How many threads run a parallel loop (at least 1).
  public static let threadCount: Int = {
    for name in ["MIND_NUM_THREADS", "OMP_NUM_THREADS"] {
      if let text = getenv(name), let n = Int(String(cString: text)), n > 0 { return n }
    }
    return max(allowedCPUCount() ?? 1, 1)
  }()

  /// The CPUs in the process's affinity mask (`Cpus_allowed` of /proc/self/status, a hex mask).
  static func allowedCPUCount() -> Int? {
    guard let file = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(file) }
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    defer { free(line) }
    while getline(&line, &capacity, file) > 0, let line {
      let text = String(cString: line)
      guard text.hasPrefix("Cpus_allowed:") else { continue }
      return text.dropFirst("Cpus_allowed:".count).reduce(0) { count, digit in
        count + (digit.hexDigitValue?.nonzeroBitCount ?? 0)
      }
    }
    return nil
  }

  static let run: Run = { body, context, count, step in
    guard let body else { return }
    let function = unsafeBitCast(body, to: Body.self)
    let threads = min(threadCount, Int(max(count / max(step, 1), 1)))
    guard threads > 1 else {
      function(context, 0, count)
      return
    }
    pool.run(function, context, count: Int(count), step: Int(max(step, 1)), threads: threads)
  }

  static let pool = WorkerPool(workers: threadCount - 1)
}

/// Threads that wait for chunks of a loop. One loop runs at a time (a lock serializes callers).
final class WorkerPool: @unchecked Sendable {
  // Heap-allocated, so that their addresses never change.
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let caller = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  // The current loop, read by workers under `mutex` (`generation` also while spinning).
  private let generation = Atomic<Int>(0)
  private var sleeping = 0
  private var body: ParallelFor.Body?
  private var context: UnsafeMutableRawPointer?
  private var bounds: [(Int64, Int64)] = []
  private var nextChunk = 0
  private var pending = 0
  private let workers: Int
  private var started = false

  init(workers: Int) {
    self.workers = workers
    pthread_mutex_init(mutex, nil)
    pthread_mutex_init(caller, nil)
    pthread_cond_init(wake, nil)
    pthread_cond_init(done, nil)
  }

  /// Runs `body` over [0, count) in `threads` chunks; returns when all have finished.
  func run(
    _ body: ParallelFor.Body, _ context: UnsafeMutableRawPointer?, count: Int, step: Int, threads: Int
  ) {
    pthread_mutex_lock(caller)
    defer { pthread_mutex_unlock(caller) }
    pthread_mutex_lock(mutex)
    if !started {
      started = true
      for _ in 0..<workers { startWorker() }
    }
    // Chunk boundaries: multiples of `step`, the last chunk takes the rest.
    let steps = count / step
    bounds = (0..<threads).map { i in
      let begin = Int64(steps * i / threads * step)
      let end = i == threads - 1 ? Int64(count) : Int64(steps * (i + 1) / threads * step)
      return (begin, end)
    }
    self.body = body
    self.context = context
    nextChunk = 1
    pending = threads - 1
    generation.add(1, ordering: .releasing)
    if sleeping > 0 { pthread_cond_broadcast(wake) }
    pthread_mutex_unlock(mutex)
    // The caller runs the first chunk, then any chunk no worker has taken yet.
    body(context, bounds[0].0, bounds[0].1)
    while let chunk = takeChunk() {
      body(context, chunk.0, chunk.1)
      finishChunk()
    }
    pthread_mutex_lock(mutex)
    while pending > 0 { pthread_cond_wait(done, mutex) }
    pthread_mutex_unlock(mutex)
  }

  private func takeChunk() -> (Int64, Int64)? {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    guard nextChunk < bounds.count else { return nil }
    nextChunk += 1
    return bounds[nextChunk - 1]
  }

  private func finishChunk() {
    pthread_mutex_lock(mutex)
    pending -= 1
    if pending == 0 { pthread_cond_signal(done) }
    pthread_mutex_unlock(mutex)
  }

  private func startWorker() {
    var thread = pthread_t()
    let pool = Unmanaged.passUnretained(self).toOpaque()
    _ = pthread_create(
      &thread, nil,
      { argument in
        Unmanaged<WorkerPool>.fromOpaque(argument!).takeUnretainedValue().work()
        return nil
      }, pool)
    pthread_detach(thread)
  }

  /// Spin iterations before a worker sleeps (about 100 µs).
  private static let spins = 50_000

  private func work() {
    var seen = 0
    while true {
      var spun = 0
      while generation.load(ordering: .acquiring) == seen && spun < Self.spins { spun += 1 }
      pthread_mutex_lock(mutex)
      while generation.load(ordering: .relaxed) == seen {
        sleeping += 1
        pthread_cond_wait(wake, mutex)
        sleeping -= 1
      }
      seen = generation.load(ordering: .relaxed)
      pthread_mutex_unlock(mutex)
      while let chunk = takeChunk(), let body {
        body(context, chunk.0, chunk.1)
        finishChunk()
      }
    }
  }
}
