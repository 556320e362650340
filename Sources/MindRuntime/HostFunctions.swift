// The C-callable functions compiled code calls, and their addresses for the JIT's absolute
// symbols. Those that print or report take the RuntimeContext pointer first.

public enum HostFunctions {
  public typealias PrintText = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int64) -> Void
  public typealias PrintTensor =
    @convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?, Int32, Int64, UnsafePointer<Int64>?) -> Void
  public typealias PrintEnd = @convention(c) (UnsafeMutableRawPointer?) -> Void
  public typealias ReportError = @convention(c) (UnsafeMutableRawPointer?, Int64, Int64, Int64) -> Void
  public typealias RandomFillFunction = @convention(c) (UnsafeMutableRawPointer?, Int64, UInt64, Int32, Int32) -> Void
  public typealias TakeBlock = @convention(c) (Int64) -> UnsafeMutableRawPointer?
  public typealias GiveBlock = @convention(c) (UnsafeMutableRawPointer?, Int64) -> Void

  static let printText: PrintText = { context, text, length in
    guard let runtime = RuntimeContext.from(context), let text else { return }
    let bytes = UnsafeRawBufferPointer(start: text, count: Int(length))
    runtime.line += String(decoding: bytes, as: UTF8.self)
  }

  static let printTensor: PrintTensor = { context, data, kind, rank, extents in
    guard let runtime = RuntimeContext.from(context), let data, let kind = ElementKind(rawValue: kind) else { return }
    if rank == 0 {
      runtime.line += Formatting.element(data, kind, 0)
    } else {
      let shape = (0..<Int(rank)).map { Int(extents![$0]) }
      runtime.line += Formatting.tensor(data, kind, extents: shape)
    }
  }

  static let printEnd: PrintEnd = { context in
    guard let runtime = RuntimeContext.from(context) else { return }
    runtime.output(runtime.line + "\n")
    runtime.line = ""
  }

  static let reportError: ReportError = { context, site, a, b in
    RuntimeContext.from(context)?.report(site: Int(site), a, b)
  }

  /// Fills f32 elements, or f64 ones when `double` is nonzero.
  static let randomFill: RandomFillFunction = { data, count, seed, normal, double in
    guard let data else { return }
    if double != 0 {
      RandomFill.fill(data.assumingMemoryBound(to: Double.self), count: Int(count), seed: seed, normal: normal != 0)
    } else {
      RandomFill.fill(data.assumingMemoryBound(to: Float.self), count: Int(count), seed: seed, normal: normal != 0)
    }
  }

  /// A block of at least `bytes` for a call's buffers (null if memory is exhausted).
  static let takeBlock: TakeBlock = { bytes in LargeBlocks.take(bytes: Int(bytes), .populated)?.pointer }

  /// Returns the block `takeBlock` gave for the same `bytes`.
  static let giveBlock: GiveBlock = { pointer, bytes in
    guard let pointer else { return }
    LargeBlocks.give(pointer, bytes: Int(bytes), .populated)
  }

  /// Name and address of every host function, for `JIT.defineAbsoluteSymbols`.
  public static var symbols: [(name: String, address: UInt64)] {
    [
      ("mind_print_text", unsafeBitCast(printText, to: UInt64.self)),
      ("mind_print_tensor", unsafeBitCast(printTensor, to: UInt64.self)),
      ("mind_print_end", unsafeBitCast(printEnd, to: UInt64.self)),
      ("mind_report_error", unsafeBitCast(reportError, to: UInt64.self)),
      ("mind_random_fill", unsafeBitCast(randomFill, to: UInt64.self)),
      ("mind_parallel_for", unsafeBitCast(ParallelFor.run, to: UInt64.self)),
      ("mind_take_block", unsafeBitCast(takeBlock, to: UInt64.self)),
      ("mind_give_block", unsafeBitCast(giveBlock, to: UInt64.self)),
      ("mind_load_tensor", unsafeBitCast(FileFunctions.loadTensor, to: UInt64.self)),
      ("mind_save_tensor", unsafeBitCast(FileFunctions.saveTensor, to: UInt64.self)),
    ]
  }
}
