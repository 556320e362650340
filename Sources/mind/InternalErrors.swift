// A broken invariant of the compiler ends `mind` with a coded message, never a bare signal: a
// Swift trap (SIGILL, SIGTRAP), a bad access (SIGSEGV, SIGBUS) or an arithmetic fault (SIGFPE)
// prints `error[E7999]: internal compiler error` with the file being compiled and a request to
// report it, and exits with status 70 (EX_SOFTWARE). A signal handler may only write, so the
// message is formatted when the file is loaded.

#if canImport(Glibc)
  import Glibc
#endif

enum InternalErrors {
  /// The message for each signal number, formatted in advance.
  nonisolated(unsafe) static var messages: [[UInt8]] = []

  static let signals = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE]

  /// Reports internal errors as happening while compiling (or running) `file`.
  static func install(compiling file: String) {
    messages = (0..<32).map { signal in
      Array(
        """
        error[E7999]: internal compiler error (signal \(signal)) while compiling or running `\(file)`
        note: this is a bug in mind, not in the program; please report it with the program

        """.utf8)
    }
    var action = sigaction()
    action.__sigaction_handler.sa_handler = handler
    sigemptyset(&action.sa_mask)
    action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)
    for signal in signals { sigaction(signal, &action, nil) }
  }

  static let handler: @convention(c) (Int32) -> Void = { signal in
    if signal >= 0 && Int(signal) < InternalErrors.messages.count {
      InternalErrors.messages[Int(signal)].withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count) }
    }
    _exit(70)
  }
}
