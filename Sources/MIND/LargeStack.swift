// The front half of the compiler recurses over the program's syntax tree. It runs on a thread
// with a large stack, so that deeply nested (but valid) input never overflows the small stacks
// of worker threads. The caller waits for it: nothing runs concurrently.

import Foundation

final class ResultBox<T>: @unchecked Sendable {
  var value: Result<T, Error>?
}

struct UncheckedSendable<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}

func onLargeStack<T>(_ body: @escaping () throws -> T) throws -> T {
  let box = ResultBox<T>()
  let done = DispatchSemaphore(value: 0)
  let work = UncheckedSendable(body)
  let thread = Thread {
    box.value = Result { try work.value() }
    done.signal()
  }
  thread.stackSize = 1 << 28
  thread.start()
  done.wait()
  return try box.value!.get()
}
