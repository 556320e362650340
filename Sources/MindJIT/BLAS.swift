// OpenBLAS, which compiled code calls for large matrix products (`cblas_sgemm`, `cblas_dgemm`)
// and LU factorizations (LAPACK's `?getrf_` and `?getrs_`, for solve and slogdet).
// It is loaded with dlopen the first time linked code refers to one of its routines (a JIT
// definition generator asks for the name), so programs without large products never pay for
// loading it (about 2.5 ms).
//
// Loading it late also lets us pick its kernels: OpenBLAS reads `OPENBLAS_CORETYPE` when it
// loads, and otherwise chooses by CPU model, which fails on CPUs newer than the library: Debian's
// OpenBLAS 0.3.21 takes an AVX-512 Intel Xeon VM ("Intel(R) Xeon(R) Processor") for a Prescott
// and runs SSE3 kernels there (28 against 128 GFLOP/s on a 1024³ product with SkylakeX). So the
// kernel family is chosen from the instruction set extensions the CPU reports, never its name:
//   - AVX-512 F, BW and VL on Intel: SkylakeX;
//   - AVX-512 on AMD (Zen 4, which executes 512-bit instructions as two 256-bit halves): Haswell,
//     the AVX2 kernel, 5-9% faster there than the AVX-512 kernels on the shapes of bench/
//     (measured single-threaded: 101-106 against 105-111 GFLOP/s);
//   - AVX2 and FMA: Haswell;
//   - anything else: OpenBLAS's own choice.
// A value the user sets is kept. After loading, OpenBLAS is asked which kernels it runs
// (`openblas_get_corename`), and `mind --version` and `--time` say so.
//
// In-process code also sets OpenBLAS's thread count before each product (`mind_blas_threads`):
// one thread below `threadedWork` multiply-adds, else the count OpenBLAS started with.

import CLLVM
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

public enum BLAS {
  /// The routines compiled code may call; `mind_blas_threads` is ours (`setThreads`).
  static let routines: Set<String> = [
    "cblas_sgemm", "cblas_dgemm", "mind_blas_threads", "sgetrf_", "dgetrf_", "sgetrs_", "dgetrs_", "strtrs_",
    "dtrtrs_", "spotrf_", "dpotrf_", "ssyev_", "dsyev_", "sgeqrf_", "dgeqrf_",
    "sorgqr_", "dorgqr_",
  ]

  /// Products of fewer multiply-adds than this run on one OpenBLAS thread. OpenBLAS threads a
  /// gemm from 2^18 multiply-adds, but waking its threads costs more than they save until a few
  /// million: an RNN's 32×128×128 steps took 11.9 ms per gradient on two threads, 7.4 on one.
  public static let threadedWork = 1 << 22

  /// OpenBLAS's thread count when mind first changed it, and the count in force.
  private static let threads = Mutex<(initial: Int32, current: Int32)?>(nil)

  /// `mind_blas_threads(single)`: one OpenBLAS thread for the next product when `single` is
  /// nonzero, else the count OpenBLAS started with; OpenBLAS is called only on a change.
  private static let setThreads: @convention(c) (Int32) -> Void = { single in
    guard let (get, set) = threadControls else { return }
    threads.withLock { state in
      let known =
        state
        ?? {
          let n = get()
          return (n, n)
        }()
      let wanted = single != 0 ? 1 : known.initial
      if wanted != known.current { set(wanted) }
      state = (known.initial, wanted)
    }
  }

  /// `openblas_get_num_threads` and `openblas_set_num_threads`, once OpenBLAS is loaded.
  private static let threadControls: (@convention(c) () -> Int32, @convention(c) (Int32) -> Void)? = {
    guard let handle = try? library.get().handle,
      let get = dlsym(UnsafeMutableRawPointer(bitPattern: handle), "openblas_get_num_threads"),
      let set = dlsym(UnsafeMutableRawPointer(bitPattern: handle), "openblas_set_num_threads")
    else { return nil }
    return (
      unsafeBitCast(get, to: (@convention(c) () -> Int32).self),
      unsafeBitCast(set, to: (@convention(c) (Int32) -> Void).self)
    )
  }()

  /// The OpenBLAS kernel family for a CPU with these LLVM feature names (`avx512f`, `fma`, ...)
  /// and CPUID vendor string, or nil to let OpenBLAS choose.
  public static func preferredCoreType(features: Set<String>, vendor: String) -> String? {
    let avx512 = features.isSuperset(of: ["avx512f", "avx512bw", "avx512vl"])
    let avx2 = features.isSuperset(of: ["avx2", "fma"])
    if avx512 && vendor != "AuthenticAMD" { return "SkylakeX" }
    if avx2 { return "Haswell" }
    return nil
  }

  /// The features LLVM detects on this CPU (the `+name` entries of its feature string).
  static func hostFeatures() -> Set<String> {
    let text = LLVMError.take(LLVMGetHostCPUFeatures())
    return Set(text.split(separator: ",").filter { $0.hasPrefix("+") }.map { String($0.dropFirst()) })
  }

  /// The CPUID vendor (`GenuineIntel`, `AuthenticAMD`) from /proc/cpuinfo, or "" if unknown.
  static func hostVendor() -> String {
    guard let handle = fopen("/proc/cpuinfo", "r") else { return "" }
    defer { fclose(handle) }
    var line = [CChar](repeating: 0, count: 512)
    while fgets(&line, Int32(line.count), handle) != nil {
      let text = String(cString: line)
      if text.hasPrefix("vendor_id"), let colon = text.firstIndex(of: ":") {
        return String(text[text.index(after: colon)...].filter { !$0.isWhitespace })
      }
    }
    return ""
  }

  /// What was asked of OpenBLAS and what it runs.
  public struct Kernel: Sendable {
    /// The `OPENBLAS_CORETYPE` in force: the user's, mind's choice, or nil.
    public let requested: String?
    public let requestedByUser: Bool
    /// `openblas_get_corename()` after loading.
    public let running: String

    public var description: String {
      let origin =
        requested.map { requestedByUser ? "OPENBLAS_CORETYPE=\($0) set by the user" : "chosen from CPU features" }
        ?? "OpenBLAS's own choice"
      var text = "OpenBLAS kernels: \(running) (\(origin))"
      if let requested, requested.lowercased() != running.lowercased() {
        text += "; OpenBLAS did not accept \(requested)"
      }
      return text
    }
  }

  /// The loaded library's handle (as an integer, which is Sendable) and its kernels, or why it
  /// could not be loaded (once per process, thread-safely).
  private static let library: Result<(handle: UInt, kernel: Kernel), LLVMError> = {
    let byUser = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
    let chosen = byUser == nil ? preferredCoreType(features: hostFeatures(), vendor: hostVendor()) : nil
    if let chosen { setenv("OPENBLAS_CORETYPE", chosen, 0) }
    guard let handle = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL) else {
      let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
      return .failure(LLVMError("cannot load OpenBLAS (install libopenblas0): \(reason)"))
    }
    typealias CoreName = @convention(c) () -> UnsafePointer<CChar>?
    let running =
      dlsym(handle, "openblas_get_corename").flatMap { unsafeBitCast($0, to: CoreName.self)() }.map {
        String(cString: $0)
      } ?? "unknown"
    let kernel = Kernel(requested: byUser ?? chosen, requestedByUser: byUser != nil, running: running)
    return .success((UInt(bitPattern: handle), kernel))
  }()

  /// Loads OpenBLAS if it is not loaded yet and tells which kernels it runs.
  public static func kernel() throws -> Kernel { try library.get().kernel }

  /// Whether OpenBLAS (loaded to ask) defines a symbol of this name: a C program linked with it
  /// cannot define its own.
  public static func defines(_ symbol: String) -> Bool {
    guard let handle = try? library.get().handle else { return false }
    return dlsym(UnsafeMutableRawPointer(bitPattern: handle), symbol) != nil
  }

  /// The kernels, if linked code has loaded OpenBLAS already (nil otherwise; never loads it).
  public static var loadedKernel: Kernel? {
    loaded.withLock { $0 } ? try? library.get().kernel : nil
  }

  private static let loaded = Mutex(false)

  /// The address of one of `routines`.
  static func address(of routine: String) throws -> UInt64 {
    let handle = UnsafeMutableRawPointer(bitPattern: try library.get().handle)
    loaded.withLock { $0 = true }
    if routine == "mind_blas_threads" { return UInt64(UInt(bitPattern: unsafeBitCast(setThreads, to: Int.self))) }
    guard let symbol = dlsym(handle, routine) else {
      throw LLVMError("OpenBLAS has no routine \(routine)")
    }
    return UInt64(UInt(bitPattern: symbol))
  }
}
