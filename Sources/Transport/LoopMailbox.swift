// The one way into a loop from another thread: a queue of tasks and a stop flag behind a lock,
// delivered by waking the loop with its async handle (libuv's one thread-safe call; wake-ups
// coalesce, so one wake may deliver many tasks).
//
// Invariants:
// 1. The tasks run on the loop's thread, in the order they were posted, once each.
// 2. After `close`, a post or a wake from another thread never touches the async handle (its
//    memory is freed once closed); the task is dropped, and callers that wait use a timeout.

import Foundation

public final class LoopMailbox: @unchecked Sendable {
    private let lock = NSLock()
    private var tasks: [() -> Void] = []
    private var stopRequested = false
    private var open = false
    private var wake: UVAsync?

    /// `deliver` runs on the loop's thread when woken, with the tasks posted since and whether
    /// a stop was asked for.
    public init(loop: UVLoop, deliver: @escaping (_ tasks: [() -> Void], _ stop: Bool) -> Void) throws(UVError) {
        let wake = try UVAsync(loop: loop) { }
        self.wake = wake
        open = true
        wake.onWake = { [unowned self] in
            let (tasks, stop) = self.lock.withLock { () -> ([() -> Void], Bool) in
                defer { self.tasks.removeAll() }
                return (self.tasks, self.stopRequested)
            }
            deliver(tasks, stop)
        }
    }

    /// Queues a task for the loop's thread and wakes it. Safe from any thread, also after close.
    public func post(_ task: @escaping () -> Void) {
        lock.withLock {
            guard open else { return }
            tasks.append(task)
            wake?.send()
        }
    }

    /// Wakes the loop with nothing new posted (another party has news: the store's writer).
    public func wakeUp() { lock.withLock { if open { wake?.send() } } }

    /// Asks the loop to stop; the next delivery says so. Safe from any thread.
    public func requestStop() {
        lock.withLock {
            stopRequested = true
            if open { wake?.send() }
        }
    }

    /// Closes the async handle. On the loop's thread, once.
    public func close() {
        lock.withLock { open = false }
        wake?.close()
        wake = nil
    }
}
