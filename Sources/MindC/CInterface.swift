// libmind's C interface (Sources/CMindABI/include/mind.h) over the Swift library: sessions,
// functions of MIND expressions, calls over C arrays, results the caller frees, and the last
// error per thread. Handles are retained Swift objects; a session's lock serializes the calls
// into it (a Session compiles and memoizes specializations and is not itself thread-safe).

import CMindABI
import Foundation
import MIND
import MindData
import MindSema

final class SessionHandle {
  let session: Session
  let lock = NSLock()

  init(_ session: Session) { self.session = session }
}

final class FunctionHandle {
  let owner: SessionHandle
  let function: CompiledFunction
  /// The parameters' JSON, made on first request.
  var parameters: UnsafeMutablePointer<CChar>?
  /// Where the last call's arguments were read from.
  var lastArguments: [UnsafeRawPointer] = []
  /// The specialization called last, ready for the next call with the same types.
  var last: CallFrame?

  init(owner: SessionHandle, function: CompiledFunction) {
    self.owner = owner
    self.function = function
  }

  deinit { free(parameters) }
}

/// The last error of a thread: its located diagnostic and its code, as C strings.
final class LastError: NSObject, @unchecked Sendable {
  let message: UnsafeMutablePointer<CChar>
  let code: UnsafeMutablePointer<CChar>

  init(code: String, message: String) {
    self.message = strdup(message)
    self.code = strdup(code)
  }

  deinit {
    free(message)
    free(code)
  }

  static let key = "mind.last-error"
  static let none = LastError(code: "", message: "")

  static var current: LastError { Thread.current.threadDictionary[key] as? LastError ?? none }

  static func record(_ error: Error) {
    let recorded: LastError
    switch error {
    case let error as MindError: recorded = LastError(code: error.code, message: error.description)
    default: recorded = LastError(code: "E7000", message: "error[E7000]: \(error)\n")
    }
    Thread.current.threadDictionary[key] = recorded
  }

  static func record(_ code: String, _ message: String) {
    record(MindError(code: code, unlocated: message))
  }
}

func string(_ text: UnsafePointer<CChar>?) -> String? { text.map { String(cString: $0) } }

func makeSession(_ cacheDirectory: UnsafePointer<CChar>?, _ flags: Int32, _ make: (String?, Bool) throws -> Session)
  -> OpaquePointer?
{
  let cache = string(cacheDirectory).map { $0.isEmpty ? nil : $0 } ?? ObjectCache.defaultDirectory()
  do {
    let session = try make(cache, flags & Int32(MIND_IEEE_SUBNORMALS) == 0)
    session.tieredCompilation = flags & Int32(MIND_NO_TIERS) == 0
    session.output = { text in FileHandle.standardOutput.write(Data(text.utf8)) }
    return OpaquePointer(Unmanaged.passRetained(SessionHandle(session)).toOpaque())
  } catch {
    LastError.record(error)
    return nil
  }
}

@_cdecl("mind_session_new")
public func mind_session_new(
  _ source: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?, _ cacheDirectory: UnsafePointer<CChar>?,
  _ flags: Int32
) -> OpaquePointer? {
  guard let source = string(source) else {
    LastError.record("E7000", "mind_session_new needs source text")
    return nil
  }
  return makeSession(cacheDirectory, flags) { cache, flushes in
    try Session(
      source: source, name: string(name) ?? "embedded.mind", cacheDirectory: cache, flushesSubnormals: flushes)
  }
}

@_cdecl("mind_session_open")
public func mind_session_open(_ path: UnsafePointer<CChar>?, _ cacheDirectory: UnsafePointer<CChar>?, _ flags: Int32)
  -> OpaquePointer?
{
  guard let path = string(path) else {
    LastError.record("E7001", "mind_session_open needs a path")
    return nil
  }
  return makeSession(cacheDirectory, flags) { cache, flushes in
    try Session(path: path, cacheDirectory: cache, flushesSubnormals: flushes)
  }
}

@_cdecl("mind_session_free")
public func mind_session_free(_ session: OpaquePointer?) {
  guard let session else { return }
  // The optimized tiers still being built are stored in the cache when they finish.
  sessionHandle(session).session.waitForOptimizedCode()
  Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer(session)).release()
}

@_cdecl("mind_function_new")
public func mind_function_new(_ session: OpaquePointer?, _ expression: UnsafePointer<CChar>?) -> OpaquePointer? {
  guard let session, let expression = string(expression) else {
    LastError.record("E7000", "mind_function_new needs a session and an expression")
    return nil
  }
  let owner = sessionHandle(session)
  do {
    let function = try owner.lock.withLock { try owner.session.function(expression) }
    return OpaquePointer(Unmanaged.passRetained(FunctionHandle(owner: owner, function: function)).toOpaque())
  } catch {
    LastError.record(error)
    return nil
  }
}

@_cdecl("mind_function_free")
public func mind_function_free(_ function: OpaquePointer?) {
  guard let function else { return }
  Unmanaged<FunctionHandle>.fromOpaque(UnsafeRawPointer(function)).release()
}

func json(_ layout: ValueLayout) -> Any {
  switch layout {
  case .tensor(let declared):
    var element: String?
    switch declared {
    case .scalar(let s)?, .tensor(let s, _)?: element = s.rawValue
    default: element = nil
    }
    return ["tensor": declared.map(\.spelled) as Any? ?? NSNull(), "dtype": element as Any? ?? NSNull()]
  case .tuple(let elements): return ["tuple": elements.map(json)]
  case .structure(let name, let fields):
    return ["struct": name, "fields": fields.map { ["name": $0.name, "layout": json($0.layout)] }]
  }
}

@_cdecl("mind_function_parameters")
public func mind_function_parameters(_ function: OpaquePointer?) -> UnsafePointer<CChar>? {
  guard let function else { return nil }
  let handle = Unmanaged<FunctionHandle>.fromOpaque(UnsafeRawPointer(function)).takeUnretainedValue()
  return handle.owner.lock.withLock {
    if let done = handle.parameters { return UnsafePointer(done) }
    do {
      let layouts = try handle.function.parameterLayouts().map { ["name": $0.name, "layout": json($0.layout)] }
      let data = try JSONSerialization.data(withJSONObject: layouts)
      handle.parameters = strdup(String(decoding: data, as: UTF8.self))
      return UnsafePointer(handle.parameters)
    } catch {
      LastError.record(error)
      return nil
    }
  }
}

/// The tensor a C array describes: borrowed when C-contiguous, else gathered once into
/// row-major storage of its own.
func tensor(_ array: mind_array, index: Int) throws -> Tensor {
  let types = ElementType.allCases
  guard array.dtype >= 0, Int(array.dtype) < types.count else {
    throw MindError(
      code: "E7103",
      unlocated: "argument \(index) has dtype code \(array.dtype) (mind takes 0-4: f32, f64, i32, i64, bool)")
  }
  guard array.rank >= 0, array.rank <= 64, array.rank == 0 || array.extents != nil,
    (0..<Int(array.rank)).allSatisfy({ array.extents![$0] >= 0 })
  else { throw MindError(code: "E3006", unlocated: "argument \(index) has a negative rank or extent") }
  let type = types[Int(array.dtype)]
  let shape = (0..<Int(array.rank)).map { Int(array.extents![$0]) }
  let size = type.byteSize
  // The element count and byte size, checked against overflow as a file's are.
  guard let checked = try? ArrayType(DataType(rawValue: type.rawValue)!, shape) else {
    throw MindError(code: "E6009", unlocated: "argument \(index) has more elements than fit in memory")
  }
  guard let data = array.data else {
    guard checked.count == 0 else { throw MindError(code: "E7000", unlocated: "argument \(index) has no data") }
    return Tensor(unsafeUninitialized: type, shape: shape) { _ in }
  }
  guard let strides = array.strides, !isContiguous(shape, strides, elementSize: size) else {
    return Tensor(unsafeBorrowing: data, elementType: type, shape: shape)
  }
  let byteStrides = (0..<shape.count).map { Int(strides[$0]) }
  return Tensor(unsafeUninitialized: type, shape: shape) { destination in
    StridedCopy.gather(data, strides: byteStrides, shape: shape, elementSize: size, into: destination.baseAddress!)
  }
}

@_cdecl("mind_call")
public func mind_call(
  _ function: OpaquePointer?, _ arguments: UnsafePointer<mind_array>?, _ argumentCount: Int64,
  _ results: UnsafeMutablePointer<UnsafeMutablePointer<mind_result>?>?, _ count: UnsafeMutablePointer<Int64>?
) -> Int32 {
  guard let function, let results, let count, argumentCount >= 0, argumentCount == 0 || arguments != nil else {
    LastError.record("E7000", "mind_call needs a function, its arguments and places for the results")
    return 1
  }
  let handle = Unmanaged<FunctionHandle>.fromOpaque(UnsafeRawPointer(function)).takeUnretainedValue()
  let arrays = UnsafeBufferPointer(start: arguments, count: Int(argumentCount))
  do {
    let (block, resultCount) = try handle.owner.lock.withLock {
      handle.lastArguments.removeAll(keepingCapacity: true)
      if let frame = handle.last, frame.accepts(arrays) {
        for array in arrays { handle.lastArguments.append(array.data!) }
        return (try frame.call { arrays[$0].data! }, frame.leaves.count)
      }
      // A first call, other types or strided arrays: tensors (strided ones gathered), and the
      // specialization for their types.
      let tensors = try arrays.indices.map { try tensor(arrays[$0], index: $0) }
      for tensor in tensors { handle.lastArguments.append(tensor.unsafeData) }
      let frame = CallFrame(try handle.function.specialization(for: tensors))
      handle.last = frame
      return (try withExtendedLifetime(tensors) { try frame.call { tensors[$0].unsafeData } }, frame.leaves.count)
    }
    results.pointee = block
    count.pointee = Int64(resultCount)
    return 0
  } catch {
    LastError.record(error)
    return 1
  }
}

@_cdecl("mind_results_free")
public func mind_results_free(_ results: UnsafeMutablePointer<mind_result>?, _ count: Int64) {
  guard let results else { return }
  CallFrame.release(results)
}

@_cdecl("mind_last_error")
public func mind_last_error() -> UnsafePointer<CChar> { UnsafePointer(LastError.current.message) }

@_cdecl("mind_last_error_code")
public func mind_last_error_code() -> UnsafePointer<CChar> { UnsafePointer(LastError.current.code) }

@_cdecl("mind_function_last_argument")
public func mind_function_last_argument(_ function: OpaquePointer?, _ index: Int64) -> UnsafeRawPointer? {
  guard let function else { return nil }
  let handle = Unmanaged<FunctionHandle>.fromOpaque(UnsafeRawPointer(function)).takeUnretainedValue()
  return handle.owner.lock.withLock {
    index >= 0 && index < handle.lastArguments.count ? handle.lastArguments[Int(index)] : nil
  }
}

func sessionHandle(_ session: OpaquePointer) -> SessionHandle {
  Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer(session)).takeUnretainedValue()
}

@_cdecl("mind_session_cache_hits")
public func mind_session_cache_hits(_ session: OpaquePointer?) -> Int64 {
  guard let session else { return 0 }
  let handle = sessionHandle(session)
  return handle.lock.withLock { Int64(handle.session.cacheHits) }
}

@_cdecl("mind_session_compilations")
public func mind_session_compilations(_ session: OpaquePointer?) -> Int64 {
  guard let session else { return 0 }
  let handle = sessionHandle(session)
  return handle.lock.withLock { Int64(handle.session.compilations) }
}
