// OpenBLAS, which compiled code calls for large matrix products (`cblas_sgemm`, `cblas_dgemm`).
// It is loaded with dlopen the first time linked code refers to one of its routines (a JIT
// definition generator asks for the name), so programs without large products never pay for
// loading it (about 2.5 ms).
//
// Loading it late also lets us pick its kernels: OpenBLAS reads `OPENBLAS_CORETYPE` when it
// loads. On AMD Zen 4 (LLVM's `znver4`), which executes 512-bit vector instructions as two
// 256-bit halves, OpenBLAS 0.3.21 chooses its AVX-512 (Cooperlake) sgemm kernel, and its AVX2
// (Haswell) kernel is 5-9% faster on the matrix shapes of bench/ (measured single-threaded:
// 101-106 against 105-111 GFLOP/s). A value the user sets is kept.

import CLLVM

#if canImport(Glibc)
  import Glibc
#endif

enum BLAS {
  /// The routines compiled code may call.
  static let routines: Set<String> = ["cblas_sgemm", "cblas_dgemm"]

  /// The kernel family to ask OpenBLAS for on a CPU (by LLVM's host CPU name), if not its own choice.
  static func preferredCoreType(cpuName: String) -> String? {
    cpuName == "znver4" ? "Haswell" : nil
  }

  /// The loaded library's handle (as an integer, which is Sendable), or why it could not be
  /// loaded (once per process, thread-safely).
  private static let library: Result<UInt, LLVMError> = {
    let cpuName = LLVMError.take(LLVMGetHostCPUName())
    if getenv("OPENBLAS_CORETYPE") == nil, let coreType = preferredCoreType(cpuName: cpuName) {
      setenv("OPENBLAS_CORETYPE", coreType, 0)
    }
    guard let handle = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL) else {
      let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
      return .failure(LLVMError("cannot load OpenBLAS (install libopenblas0): \(reason)"))
    }
    return .success(UInt(bitPattern: handle))
  }()

  /// The address of one of `routines`.
  static func address(of routine: String) throws -> UInt64 {
    let handle = UnsafeMutableRawPointer(bitPattern: try library.get())
    guard let symbol = dlsym(handle, routine) else {
      throw LLVMError("OpenBLAS has no routine \(routine)")
    }
    return UInt64(UInt(bitPattern: symbol))
  }
}
