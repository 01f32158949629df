// The real server on virtual time, as SwiftNIO's EmbeddedEventLoop runs a channel: its
// sessions, ticks, timers and store writes, driven by a test (or the whole-server simulation)
// that moves the clock. A 60-second rule is tested in the milliseconds the work takes.
//
// What is real: the server's every line above the sockets, the connection state machines,
// the store (its writer thread commits to SQLite; each step waits for it, so that what a
// step wrote is answered in that step). What is not: the sockets, replaced by in-memory
// byte channels (`VirtualConnection`) that deliver in order and whole, and UDP, absent (a
// virtual client takes its snapshots over TCP, as a client behind a UDP-blocking firewall
// does).
//
// One step (`advance`) at a time, in this order, so that one seed gives one run:
//   1. the clock moves to the next due timer (or the target, if sooner);
//   2. the bytes each client wrote since the last step are handed to its session, clients
//      in the order they connected; then the closes either side made are delivered;
//   3. the due timers run in LoopTimers.Name order (the tick first);
//   4. the store's writer is waited for, and its completions answered; the loop's mailbox
//      (tasks from other threads) is run once.
//
// Invariants:
// 1. Only the thread that calls the driver touches the server (it is the loop thread).
// 2. Virtual time never goes back, and every timer due by a step's time has run by its end.

import Foundation
import Logging
import NetProto
import Transport
import WorldFiles

public final class VirtualDriver {
    public let server: Server
    public let clock: VirtualClock
    /// Every open connection, in the order they connected.
    var connections: [VirtualConnection] = []
    public private(set) var stopped = false

    /// A server of `catalog` on virtual time that starts at `wallStartMillis` (Unix ms).
    public init(configuration: ServerConfiguration, catalog: WorldCatalog, logger: Logger, wallStartMillis: Int64) throws {
        clock = VirtualClock(wallStartMillis: wallStartMillis)
        var configuration = configuration
        configuration.virtualTime = clock
        server = try Server(configuration: configuration, catalog: catalog, logger: logger)
        server.start()
    }

    /// The virtual time since the start, in milliseconds.
    public var nowMillis: UInt64 { clock.monotonicNanos / 1_000_000 }

    /// A new client connection; the server admits it at once (or tells it why not and closes).
    public func connect() -> VirtualConnection {
        let c = VirtualConnection(queuedBytesMax: server.configuration.writeQueueBytesMax)
        c.session = server.admit(c)
        connections.append(c)
        return c
    }

    /// Runs the server until `millis` of virtual time have passed, step by step.
    public func advance(millis: UInt64) {
        let target = nowMillis + millis
        repeat {
            let next = min(target, max(nowMillis, server.timers.nextDueMillis ?? target))
            clock.advance(millis: next - nowMillis)
            step()
        } while nowMillis < target && !stopped
    }

    /// One step at the current time (also to hand over what clients wrote without waiting).
    public func step() {
        deliver()
        server.timers.runDue(nowMillis: nowMillis)
        if let records = server.records {
            records.writer.waitUntilIdle()
            server.storeCompleted()
        }
        server.io.loop.runOnce()
        deliver()
    }

    /// Hands each client's written bytes to its session, then delivers the closes.
    func deliver() {
        for c in connections {
            guard let s = c.session, !c.inbound.isEmpty, !c.isClosed else { continue }
            let bytes = c.inbound
            c.inbound.removeAll(keepingCapacity: true)
            bytes.withUnsafeBytes { s.received($0) }
        }
        var open: [VirtualConnection] = []
        for c in connections {
            if c.isClosed || c.closedByClient {
                c.closed = true
                if let s = c.session { server.sessionClosed(s, error: nil) }
                c.session = nil
            } else {
                open.append(c)
            }
        }
        connections = open
    }

    /// Shuts the server down as SIGTERM would, runs its last moments on virtual time, and closes
    /// the store. The server cannot be used after.
    public func stop() {
        guard !stopped else { return }
        server.beginShutdown(reason: "the virtual run ended")
        advance(millis: 1_000)
        deliver()
        stopped = true
        server.finish()
    }
}

/// An in-memory client connection: the server's end is a `ByteChannel`, the client's end is
/// `write`, `read` and `hangUp`. Bytes are delivered whole and in order, at the driver's steps.
public final class VirtualConnection: ByteChannel {
    /// Bytes the client wrote, not yet handed to the server.
    var inbound: [UInt8] = []
    /// Bytes the server wrote, not yet read by the client.
    var outbound: [UInt8] = []
    let queuedBytesMax: Int
    var session: Session?
    /// The server closed it (or its queue overflowed); the client may still read what was sent.
    public private(set) var isClosed = false
    var closedByClient = false
    /// The server has heard of the close.
    public internal(set) var closed = false

    init(queuedBytesMax: Int) { self.queuedBytesMax = queuedBytesMax }

    // The server's end.

    public func write(_ bytes: [UInt8]) -> Bool {
        guard !isClosed, !bytes.isEmpty else { return false }
        // As TCP's write queue: a client that does not read is closed, not buffered for ever.
        guard outbound.count + bytes.count <= queuedBytesMax else {
            isClosed = true
            return false
        }
        outbound.append(contentsOf: bytes)
        return true
    }

    public func close() { isClosed = true }

    // The client's end.

    /// Sends bytes to the server (handed over at the next step).
    public func send(_ bytes: [UInt8]) {
        guard !isClosed, !closedByClient else { return }
        inbound.append(contentsOf: bytes)
    }

    /// Takes what the server sent since the last read.
    public func read() -> [UInt8] {
        defer { outbound.removeAll(keepingCapacity: true) }
        return outbound
    }

    /// The client goes away (the server hears of it at the next step).
    public func hangUp() { closedByClient = true }

    /// The session's id on the server, while it has one.
    public var sessionID: UInt64? { session?.id }
}
