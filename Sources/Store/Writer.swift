// The store's one writer: a thread of its own that drains a bounded queue of writes and
// commits each drain as one transaction (group commit), so that the loop thread never waits
// for the disk and a burst of writes costs one fsync, not one each.
//
//   loop thread                         writer thread
//   submit(write, ticket) ──queue──▶    take everything queued (at most batchMax)
//   submit(read:, ticket)                BEGIN IMMEDIATE; apply each write; COMMIT (one fsync)
//     (false when full: the caller       on failure: each write again in its own transaction,
//      decides, per kind of write)       so one bad write cannot take the others down;
//                                         then each read, in a read transaction of its own
//   takeCompleted() ◀──completed──       append a completion per ticket, call onCompleted()
//                                         (the server wakes its loop with uv_async_send)
//
// The transactions go to a backend (Backend.swift): the SQLite file, or PostgreSQL. When the
// backend cannot be reached (`StoreUnavailable`: a lost connection), the batch is kept and
// tried again after a pause that doubles up to `unavailableBackoffMaxMillis`; meanwhile
// `submit` keeps queueing up to `queueMax` and then refuses, and nothing is acknowledged.
//
// Invariants:
// 1. The queue never holds more than `queueMax` writes; `submit` refuses past it, at once.
// 2. A completion is published only after the transaction that holds its write committed
//    (or definitively failed): an id handed to a client is on disk.
// 3. Writes commit in the order they were submitted. A read is answered after every write
//    submitted before it committed (it may also see writes submitted after it, in its group).
// 4. `stop` commits everything submitted before it, then ends the thread (or gives up at its
//    deadline while the backend is unreachable, and says so).

import Foundation
import GRDB

public final class StoreWriter: @unchecked Sendable {
    public struct Completion: Sendable {
        /// The caller's number for the write (never 0).
        public let ticket: UInt64
        public let result: Result<StoreOutcome, StoreError>
    }

    /// Figures for operators; read with `figures()`.
    public struct Figures: Sendable {
        /// Writes and reads taken into the queue; `committed` and `failed` count writes, `reads`
        /// the reads answered (or failed).
        public var submitted = 0
        public var reads = 0
        public var refusedFull = 0
        public var committed = 0
        public var failed = 0
        public var transactions = 0
        public var queueDepth = 0
        public var queueDepthMax = 0
        /// Whether the backend is unreachable now, and how many times it has been so far.
        public var unavailable = false
        public var unavailablePeriods = 0
        /// Time of the last transactions (submit of its oldest write to commit), microseconds, newest last.
        public var commitMicros: [UInt32] = []
    }

    public let backend: any StoreBackend
    public let queueMax: Int
    public let batchMax: Int
    /// The server run whose writes these are (audit rows carry it); nil for none.
    public let origin: Int64?
    let onCompleted: @Sendable () -> Void
    let onProblem: @Sendable (String) -> Void
    let condition = NSCondition()
    // Guarded by `condition`.
    var queue: [Item] = []
    var completed: [Completion] = []
    var stopping = false
    var finished = false
    /// A batch taken from the queue and not yet published.
    var committing = false
    var figuresState = Figures()
    static let commitSamplesMax = 4_096
    static let unavailableBackoffMaxMillis = 5_000

    /// - Parameters:
    ///   - queueMax: the most writes waiting at once (declared limit; 65,536 by default, about
    ///     a minute of the heaviest usage traffic measured, and a few MB of memory).
    ///   - batchMax: the most writes in one transaction.
    ///   - onCompleted: called on the writer thread after completions were published.
    ///   - onProblem: called on the writer thread with a sentence for the log.
    public init(backend: any StoreBackend, queueMax: Int = 65_536, batchMax: Int = 4_096, origin: Int64? = nil,
                onCompleted: @escaping @Sendable () -> Void, onProblem: @escaping @Sendable (String) -> Void) {
        precondition(queueMax > 0 && batchMax > 0)
        self.origin = origin
        self.backend = backend
        self.queueMax = queueMax
        self.batchMax = batchMax
        self.onCompleted = onCompleted
        self.onProblem = onProblem
        queue.reserveCapacity(min(queueMax, 4_096))
        let thread = Thread { [self] in self.run() }
        thread.name = "seoulworld-store"
        thread.start()
    }

    /// What the queue holds: a write or a read, the caller's ticket, when it was submitted.
    struct Item {
        enum Job { case write(StoreWrite), read(StoreRead) }
        var job: Job
        var ticket: UInt64
        var submittedAt: UInt64
    }

    /// Queues a write; `ticket` (non-zero) asks for a completion. Returns false, at once, when
    /// the queue is full or the writer stopped: the caller answers or counts that itself.
    public func submit(_ write: StoreWrite, ticket: UInt64 = 0) -> Bool {
        enqueue(.write(write), ticket: ticket)
    }

    /// Queues a read, answered in the writer's order (see the file's invariant 3); false as
    /// for a write. While the backend is unreachable a read is answered at once with a failure
    /// (it could only be answered after the writes waiting ahead of it).
    public func submit(read: StoreRead, ticket: UInt64) -> Bool {
        precondition(ticket != 0, "a read is for an answer: it needs a ticket")
        condition.lock()
        let down = figuresState.unavailable && !stopping
        if down {
            figuresState.submitted += 1
            figuresState.reads += 1
            completed.append(Completion(ticket: ticket, result: .failure(Self.readRefused(read, "the database cannot be reached"))))
        }
        condition.unlock()
        if down {
            onCompleted()
            return true
        }
        return enqueue(.read(read), ticket: ticket)
    }

    static func readRefused(_ r: StoreRead, _ why: String) -> StoreError {
        StoreError("the \(r.kind) read waits behind writes that cannot be stored: \(why)")
    }

    private func enqueue(_ job: Item.Job, ticket: UInt64) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, queue.count < queueMax else {
            figuresState.refusedFull += 1
            return false
        }
        queue.append(Item(job: job, ticket: ticket, submittedAt: DispatchTime.now().uptimeNanoseconds))
        figuresState.submitted += 1
        figuresState.queueDepthMax = max(figuresState.queueDepthMax, queue.count)
        if queue.count == 1 { condition.broadcast() } // the writer, and not only a waitUntilIdle
        return true
    }

    /// Moves the published completions into `into` (the loop thread calls this when woken).
    public func takeCompleted(into out: inout [Completion]) {
        condition.lock()
        out.append(contentsOf: completed)
        completed.removeAll(keepingCapacity: true)
        condition.unlock()
    }

    public func figures() -> Figures {
        condition.lock()
        defer { condition.unlock() }
        var f = figuresState
        f.queueDepth = queue.count
        return f
    }

    /// Waits until everything submitted so far is committed and its completions published (at
    /// most `secondsMax`): a virtual-time driver's step ends here, so that what a step wrote is
    /// answered in that step. Returns false if the writer was still busy at the deadline.
    @discardableResult
    public func waitUntilIdle(secondsMax: Double = 30) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(secondsMax)
        while !queue.isEmpty || committing {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    /// Commits everything queued, then ends the thread; waits for it (at most `secondsMax`).
    /// Returns false if the writer had not finished by then.
    @discardableResult
    public func stop(secondsMax: Double = 30) -> Bool {
        condition.lock()
        stopping = true
        condition.broadcast()
        let deadline = Date().addingTimeInterval(secondsMax)
        while !finished {
            if !condition.wait(until: deadline) { break }
        }
        let done = finished
        condition.unlock()
        return done
    }

    // MARK: The writer thread

    func run() {
        var batch: [Item] = []
        batch.reserveCapacity(batchMax)
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            committing = true
            if queue.count <= batchMax {
                swap(&batch, &queue) // the common case: take the whole queue without copying it
            } else {
                batch.append(contentsOf: queue[0..<batchMax])
                queue.removeFirst(batchMax)
            }
            condition.unlock()

            guard let results = commitWhenReachable(&batch) else {
                // Stopping while the backend is unreachable: what is left is not stored.
                condition.lock()
                let lost = batch.count + queue.count
                queue.removeAll()
                committing = false
                finished = true
                condition.broadcast()
                condition.unlock()
                onProblem("stopped while \(backend.name) was unreachable: \(lost) writes were not stored (none of them was acknowledged)")
                return
            }
            let now = DispatchTime.now().uptimeNanoseconds
            condition.lock()
            var published = false
            var ok = 0, bad = 0, reads = 0
            for (item, result) in zip(batch, results) {
                if case .read = item.job {
                    reads += 1
                } else if case .success = result { ok += 1 } else { bad += 1 }
                if item.ticket != 0 {
                    completed.append(Completion(ticket: item.ticket, result: result))
                    published = true
                }
            }
            figuresState.committed += ok
            figuresState.failed += bad
            figuresState.reads += reads
            // A batch of reads alone is no transaction, and its time is no commit's.
            if ok + bad > 0 {
                figuresState.transactions += 1
                let micros = UInt32(clamping: (now &- batch[0].submittedAt) / 1_000)
                figuresState.commitMicros.append(micros)
                if figuresState.commitMicros.count > Self.commitSamplesMax {
                    figuresState.commitMicros.removeFirst(figuresState.commitMicros.count - Self.commitSamplesMax)
                }
            }
            condition.unlock()
            if published { onCompleted() }
            condition.lock()
            committing = false
            condition.broadcast()
            condition.unlock()
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// Commits the batch, waiting out an unreachable backend (with a doubling pause); nil when
    /// asked to stop meanwhile. The batch's reads are not kept waiting: once the backend is
    /// found unreachable they are answered with a failure at once and taken out of the batch
    /// (a read cannot be answered before the writes submitted ahead of it commit, and its asker,
    /// a sign-in or the audit poll, would rather hear now than wait out the outage).
    func commitWhenReachable(_ batch: inout [Item]) -> [Result<StoreOutcome, StoreError>]? {
        var pauseMillis = 100
        var lastTry = false
        while true {
            do {
                let results = try commit(batch)
                condition.lock()
                let wasDown = figuresState.unavailable
                figuresState.unavailable = false
                condition.unlock()
                if wasDown { onProblem("\(backend.name) is reachable again; the writes kept meanwhile are being stored") }
                return results
            } catch let down {
                if lastTry { return nil }
                condition.lock()
                let first = !figuresState.unavailable
                if first {
                    figuresState.unavailable = true
                    figuresState.unavailablePeriods += 1
                }
                condition.unlock()
                failReads(&batch, because: down)
                if first {
                    onProblem("\(backend.name) cannot be reached (\(down)); keeping \(batch.count) writes and trying again, new writes queue up to \(queueMax)")
                }
                condition.lock()
                let deadline = Date().addingTimeInterval(Double(pauseMillis) / 1_000)
                while !stopping, condition.wait(until: deadline) {}
                lastTry = stopping // asked to stop: one more try, then give up
                condition.unlock()
                pauseMillis = min(pauseMillis * 2, Self.unavailableBackoffMaxMillis)
            }
        }
    }

    /// Answers the reads of the batch and of the queue with a failure and takes them out (the
    /// backend was just found unreachable; reads submitted from now on fail in `submit`).
    private func failReads(_ batch: inout [Item], because down: StoreUnavailable) {
        var failed: [Completion] = []
        func fail(_ item: Item) -> Bool {
            guard case .read(let r) = item.job else { return false }
            failed.append(Completion(ticket: item.ticket, result: .failure(Self.readRefused(r, down.description))))
            return true
        }
        batch.removeAll(where: fail)
        condition.lock()
        queue.removeAll(where: fail)
        completed.append(contentsOf: failed)
        figuresState.reads += failed.count
        condition.unlock()
        if !failed.isEmpty { onCompleted() }
    }

    /// The batch's writes in one transaction (`commitWrites`), then its reads, each in its
    /// own read transaction. Throws `StoreUnavailable` only from the writes, before anything
    /// committed: a read that finds the backend gone fails by itself (its asker tries again),
    /// since trying the batch again would store its writes twice.
    func commit(_ batch: [Item]) throws(StoreUnavailable) -> [Result<StoreOutcome, StoreError>] {
        var results = [Result<StoreOutcome, StoreError>](repeating: .success(.none), count: batch.count)
        var writes: [StoreWrite] = [], at: [Int] = []
        for (i, item) in batch.enumerated() {
            if case .write(let w) = item.job {
                writes.append(w)
                at.append(i)
            }
        }
        if !writes.isEmpty {
            for (i, result) in zip(at, try commitWrites(writes)) { results[i] = result }
        }
        for (i, item) in batch.enumerated() {
            guard case .read(let r) = item.job else { continue }
            do {
                results[i] = .success(try backend.read(r))
            } catch {
                results[i] = .failure(StoreError("the \(r.kind) read from \(backend.name) failed: \(error)"))
            }
        }
        return results
    }

    /// One transaction for all the writes; if it fails, each write alone, so that only the
    /// writes that fail by themselves are reported failed. Throws `StoreUnavailable` when the
    /// backend cannot be reached (nothing was committed).
    func commitWrites(_ writes: [StoreWrite]) throws(StoreUnavailable) -> [Result<StoreOutcome, StoreError>] {
        do {
            return try backend.transaction(writes, origin: origin).map { .success($0) }
        } catch let down as StoreUnavailable {
            throw down
        } catch {
            onProblem("a group of \(writes.count) writes failed (\(error)); retrying each alone")
        }
        var failures = 0
        var results: [Result<StoreOutcome, StoreError>] = []
        for write in writes {
            do {
                results.append(.success(try backend.transaction([write], origin: origin)[0]))
            } catch let down as StoreUnavailable {
                throw down
            } catch {
                failures += 1
                if failures <= 10 { onProblem("a \(write.kind) write failed and is lost: \(error)") }
                results.append(.failure(StoreError("the record could not be stored: \(error)")))
            }
        }
        if failures > 10 { onProblem("\(failures - 10) more writes of that group failed") }
        return results
    }
}
