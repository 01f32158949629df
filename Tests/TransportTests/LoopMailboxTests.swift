import Foundation
import Testing
@testable import Transport

/// What the tasks saw, shared between the poster's thread and the loop's (the mailbox orders them).
final class MailboxRecord: @unchecked Sendable {
    var ran: [Int] = []
    var stopped = false
    var offLoop = false
    let loopThread = pthread_self()
}

/// The loop's mailbox: tasks from other threads run on the loop in order, once each; a stop is
/// delivered; after close, posts and wakes from other threads touch nothing.
@Suite(.serialized) struct LoopMailboxTests {
    @Test func tasksFromAnotherThreadRunOnTheLoopInOrderThenTheStop() throws {
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let record = MailboxRecord()
        let mailbox = try LoopMailbox(loop: loop) { tasks, stop in
            for task in tasks { task() }
            if stop { record.stopped = true }
        }
        defer { mailbox.close() }
        Thread {
            for i in 0..<100 {
                mailbox.post {
                    record.ran.append(i)
                    if pthread_equal(pthread_self(), record.loopThread) == 0 { record.offLoop = true }
                }
            }
            mailbox.requestStop()
        }.start()
        spin(loop, seconds: 5) { record.stopped && record.ran.count == 100 }
        #expect(record.ran == Array(0..<100), "in order, once each")
        #expect(record.stopped && !record.offLoop)
    }

    @Test func afterCloseAPostIsDroppedAndTouchesNothing() throws {
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let record = MailboxRecord()
        let mailbox = try LoopMailbox(loop: loop) { tasks, _ in for task in tasks { task() } }
        mailbox.close()
        loop.runOnce()
        let done = DispatchSemaphore(value: 0)
        Thread {
            mailbox.post { record.ran.append(1) }
            mailbox.wakeUp()
            mailbox.requestStop()
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 5) == .success)
        loop.runOnce()
        #expect(record.ran.isEmpty)
    }
}
