// LLVM's C API reports failures as `LLVMErrorRef` (which must be consumed) or as C strings
// (which must be freed). Both become this Swift error.

import CLLVM

public struct LLVMError: Error, CustomStringConvertible {
  public let message: String
  public var description: String { message }

  public init(_ message: String) { self.message = message }

  /// Consumes an `LLVMErrorRef`, throwing when it holds an error.
  static func check(_ error: LLVMErrorRef?, _ context: String) throws {
    guard let error else { return }
    let raw = LLVMGetErrorMessage(error)
    let message = raw.map { String(cString: $0) } ?? "unknown error"
    if let raw { LLVMDisposeErrorMessage(raw) }
    throw LLVMError("\(context): \(message)")
  }

  /// Takes ownership of an LLVM-allocated message and frees it.
  static func take(_ raw: UnsafeMutablePointer<CChar>?) -> String {
    guard let raw else { return "" }
    defer { LLVMDisposeMessage(raw) }
    return String(cString: raw)
  }
}
