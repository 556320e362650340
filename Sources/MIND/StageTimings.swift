// Wall-clock time per pipeline stage, for `--time`.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public struct StageTimings: Sendable {
  public private(set) var stages: [(name: String, seconds: Double)] = []

  public init() {}

  public mutating func record(_ name: String, _ seconds: Double) { stages.append((name, seconds)) }

  public mutating func merge(_ other: StageTimings) { stages += other.stages }

  public var report: String {
    let total = stages.map(\.seconds).reduce(0, +)
    var lines = stages.map { stage in
      "  " + stage.name.padding(12) + formatMilliseconds(stage.seconds)
    }
    lines.append("  " + "total".padding(12) + formatMilliseconds(total))
    return "time:\n" + lines.joined(separator: "\n")
  }
}

func formatMilliseconds(_ seconds: Double) -> String {
  let ms = seconds * 1000
  let rounded = (ms * 100).rounded() / 100
  return "\(rounded) ms"
}

extension String {
  func padding(_ width: Int) -> String {
    count >= width ? self + " " : self + String(repeating: " ", count: width - count)
  }
}

func now() -> Double {
  var spec = timespec()
  clock_gettime(CLOCK_MONOTONIC, &spec)
  return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
}

func measure<T>(_ body: () -> T) -> (T, Double) {
  let start = now()
  let result = body()
  return (result, now() - start)
}

/// The result of `body` and the seconds it took.
public func measureThrowing<T>(_ body: () throws -> T) throws -> (T, Double) {
  let start = now()
  let result = try body()
  return (result, now() - start)
}

/// The contents of a file as UTF-8 text, or nil when it cannot be read.
public func readFile(_ path: String) -> String? { readBytes(path).map { String(decoding: $0, as: UTF8.self) } }

/// The bytes of a file (also a pipe, such as /dev/stdin), or nil when it cannot be read.
public func readBytes(_ path: String) -> [UInt8]? {
  guard let handle = fopen(path, "rb") else { return nil }
  defer { fclose(handle) }
  var bytes: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = fread(&chunk, 1, chunk.count, handle)
    if n <= 0 { break }
    bytes += chunk[0..<n]
  }
  if ferror(handle) != 0 { return nil }
  return bytes
}
