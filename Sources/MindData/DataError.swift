// What goes wrong with a data file, with the diagnostic code `mind` reports it under
// (README, "Error codes"). The message names the file's problem; callers add the path.

public struct DataError: Error, Equatable, Sendable, CustomStringConvertible {
  public enum Kind: String, Sendable {
    /// E7101: the file does not exist or cannot be read.
    case unreadable = "E7101"
    /// E7102: the bytes are not a file of the format it claims (bad magic, malformed or lying
    /// header, truncated data, extra bytes).
    case malformed = "E7102"
    /// E7103: a well-formed file of an element type MIND does not compute with.
    case unsupported = "E7103"
    /// E7104: a tensor of another dtype or shape than the one declared or compiled in.
    case mismatch = "E7104"
    /// E7105: a file without a tensor that is asked for (a struct field), or with one nobody
    /// asked for.
    case missing = "E7105"
    /// E7107: a result file cannot be written.
    case unwritable = "E7107"
  }

  public let kind: Kind
  public let message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var code: String { kind.rawValue }

  /// The same error, its message prefixed with the file it came from.
  public func at(_ path: String) -> DataError { DataError(kind, "`\(path)`: \(message)") }

  public var description: String { "error[\(code)]: \(message)" }
}
