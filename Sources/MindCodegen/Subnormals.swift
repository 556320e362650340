// Subnormal floating-point numbers are flushed to zero in generated code by default, as XLA
// does: on x86-64 an operation with a subnormal input or result otherwise takes a microcode
// assist of about a hundred cycles (a deep tanh network with small weights ran 22× slower than
// with normal activations). Every function that compiled code exposes (each MIR function, and
// each outlined parallel loop body, which runs on the runtime's worker threads) sets the MXCSR
// bits FTZ (results) and DAZ (inputs) on entry and restores the caller's MXCSR on exit, so host
// code never sees the mode; LLVM is told the same (`denormal-fp-math`), so that constant folding
// agrees with the hardware. OpenBLAS's own worker threads keep their mode.
//
// `TargetMachine.flushesSubnormals == false` (`--ieee-subnormals`, the Swift API's
// `flushesSubnormals: false`) keeps IEEE 754 gradual underflow; it is part of the cache key.
// Such code clears both bits on entry rather than leaving the mode as it finds it: worker
// threads inherit the mode of the thread that started them, which may have been running
// flushing code of another session.

import CLLVM
import MindJIT

extension IRBuilder {
  /// MXCSR: flush to zero (bit 15) and denormals are zero (bit 6).
  static let flushBits = 0x8040

  /// At the current position: saves MXCSR and sets (`flush`) or clears FTZ and DAZ. Returns the
  /// saved word's slot, for `restoreFloatingPointMode`. Tells LLVM the mode of a flushing function.
  func setSubnormalMode(flush: Bool, in function: LLVMValueRef) -> LLVMValueRef {
    if flush {
      for kind in ["denormal-fp-math", "denormal-fp-math-f32"] {
        let value = "preserve-sign,preserve-sign"
        let attribute = LLVMCreateStringAttribute(
          context, kind, UInt32(kind.utf8.count), value, UInt32(value.utf8.count))
        LLVMAddAttributeAtIndex(function, LLVMAttributeIndex(truncatingIfNeeded: LLVMAttributeFunctionIndex), attribute)
      }
    }
    let saved = LLVMBuildAlloca(ref, i32, "mxcsr.saved")!
    let mode = LLVMBuildAlloca(ref, i32, "mxcsr")!
    call(declare("llvm.x86.sse.stmxcsr", void, [ptr]), [saved])
    let word = LLVMBuildLoad2(ref, i32, saved, "")!
    let updated =
      flush
      ? LLVMBuildOr(ref, word, int(Self.flushBits, i32), "")! : LLVMBuildAnd(ref, word, int(~Self.flushBits, i32), "")!
    LLVMBuildStore(ref, updated, mode)
    call(declare("llvm.x86.sse.ldmxcsr", void, [ptr]), [mode])
    return saved
  }

  /// At the current position: the MXCSR saved by `flushSubnormals`.
  func restoreFloatingPointMode(_ saved: LLVMValueRef) {
    call(declare("llvm.x86.sse.ldmxcsr", void, [ptr]), [saved])
  }
}

extension ModuleLowering {
  /// Whether generated functions set the subnormal mode (x86-64 only: the mode is MXCSR's).
  var setsSubnormalMode: Bool { target.triple.hasPrefix("x86_64") }

  /// At the start of a generated function: its subnormal mode, and the caller's to restore.
  func enterSubnormalMode(_ function: LLVMValueRef) -> LLVMValueRef? {
    setsSubnormalMode ? ir.setSubnormalMode(flush: target.flushesSubnormals, in: function) : nil
  }
}
