// The per-client snapshot work of one tick, shared out among threads (issue 30, item 4).
//
// After the world has stepped, every client's snapshot depends only on the world (read-only
// from then until the next step) and on that client's own feed, so the clients can be built
// in parallel. Each worker owns a fixed share of them (client index modulo the number of
// workers, the same share every tick), its own `SnapshotScratch`, and an output of its own
// into which it copies the bodies it builds (the scratch's body is overwritten by the next
// client). `run` returns when every worker has finished: the tick waits for them.
//
// Invariants:
// 1. During `run`, client i is touched only by worker i % workers, with that worker's
//    scratch and output; nothing else is written.
// 2. A `Built` names bytes of its worker's output that stay as they are until the next `run`.
// 3. With one worker everything runs on the caller's thread, in client order: the same
//    bytes as a loop over the clients with one scratch.

import Dispatch
import NetProto
import WorldCore

public final class SnapshotWork: @unchecked Sendable {
    public static let workersRange = 1...64
    public let workers: Int
    let scratches: [SnapshotScratch]
    let outputs: [Output]

    /// A body one worker built this tick, and what its encoding reported.
    public struct Built {
        let worker: Int32
        let offset: Int32
        let count: Int32
        public let statistics: SnapshotStatistics
    }

    /// One worker's bodies of this tick, back to back.
    public final class Output {
        let worker: Int
        var bytes: [UInt8] = []

        init(worker: Int) { self.worker = worker }

        /// Copies `body` in and says where it is.
        public func keep(_ body: [UInt8], _ statistics: SnapshotStatistics) -> Built {
            let offset = bytes.count
            bytes.append(contentsOf: body)
            return Built(worker: Int32(worker), offset: Int32(offset), count: Int32(body.count), statistics: statistics)
        }
    }

    /// `first`, if given, is worker 0's scratch: the loop's own, which takes the history
    /// arrays that acknowledgements free between ticks (`run` shares them out).
    public init(workers: Int, first: SnapshotScratch? = nil) {
        precondition(Self.workersRange.contains(workers), "workers must be \(Self.workersRange)")
        self.workers = workers
        scratches = (0..<workers).map { $0 == 0 ? first ?? SnapshotScratch() : SnapshotScratch() }
        outputs = (0..<workers).map { Output(worker: $0) }
    }

    /// Calls `body(i, scratch, output)` once for every client index below `clients`, on the
    /// worker that owns i, and returns when all have returned. `body` must touch only client i
    /// and read the world.
    public func run(clients: Int, _ body: (Int, SnapshotScratch, Output) -> Void) {
        for output in outputs { output.bytes.removeAll(keepingCapacity: true) }
        shareSpares(clients: clients)
        if workers == 1 {
            for i in 0..<clients { body(i, scratches[0], outputs[0]) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = Shared(body: body)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var i = w
                while i < clients {
                    shared.body(i, scratches[w], outputs[w])
                    i += workers
                }
            }
        }
    }

    /// Acknowledgements free history arrays into worker 0's scratch (the loop's); each worker
    /// gets its share of them, so that no worker allocates what another holds spare.
    func shareSpares(clients: Int) {
        guard workers > 1 else { return }
        let share = clients / workers + 1
        var w = 1
        var moves = 0
        while scratches[0].spareKnown.count > share, moves < clients {
            if scratches[w].spareKnown.count < share, scratches[w].spareKnown.count < SnapshotScratch.spareKnownMax {
                scratches[w].spareKnown.append(scratches[0].spareKnown.removeLast())
            }
            w = w == workers - 1 ? 1 : w + 1
            moves += 1
        }
    }

    /// Calls `body` with the bytes of a body built by the last `run`.
    public func withBody<R>(of built: Built, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        outputs[Int(built.worker)].bytes.withUnsafeBytes { bytes in
            body(UnsafeRawBufferPointer(rebasing: bytes[Int(built.offset) ..< Int(built.offset + built.count)]))
        }
    }

    /// The bytes of a body built by the last `run`.
    public func body(of built: Built) -> [UInt8] {
        let bytes = outputs[Int(built.worker)].bytes
        return Array(bytes[Int(built.offset) ..< Int(built.offset + built.count)])
    }

    /// The closure handed to the workers: each calls it for its own clients only (invariant 1).
    private struct Shared: @unchecked Sendable {
        let body: (Int, SnapshotScratch, Output) -> Void
    }
}
