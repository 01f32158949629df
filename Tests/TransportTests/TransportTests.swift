// The libuv transport over real loopback sockets, one loop stepped by the test itself.

import CLibUV
import Testing
import NetProto
@testable import Transport

final class Recorder: TCPConnectionDelegate {
    var received: [UInt8] = []
    var closed = false
    var closeError: UVError?
    var echo = false

    func connection(_ c: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        received += bytes
        if echo { c.write(Array(bytes)) }
    }

    func connectionClosed(_ c: TCPConnection, error: UVError?) {
        closed = true
        closeError = error
    }
}

/// Steps `loop` until `done()` or about `seconds` pass (bounded in time and count).
func spin(_ loop: UVLoop, seconds: Double = 5, until done: () -> Bool) {
    let deadline = uv_hrtime() + UInt64(seconds * 1e9)
    var rounds = 0
    while !done() && uv_hrtime() < deadline && rounds < 1_000_000 {
        loop.runOnce()
        rounds += 1
    }
}

@Suite(.serialized) struct TransportTests {
    @Test func tcpEchoesOverLoopback() throws {
        let loop = try UVLoop()
        let serverSide = Recorder()
        serverSide.echo = true
        var accepted: [TCPConnection] = []
        let listener = try TCPListener(loop: loop, address: SocketAddress(host: "127.0.0.1", port: 0)) { c in
            c.delegate = serverSide
            accepted.append(c)
        }
        let address = try #require(listener.localAddress)
        #expect(address.port != 0)
        let clientSide = Recorder()
        var connected = false
        let client = try TCPConnection.connect(loop: loop, to: address) { c, error in
            #expect(error == nil)
            connected = true
            c.delegate = clientSide
        }
        spin(loop) { connected }
        let message = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(client.write(message))
        spin(loop) { clientSide.received.count >= message.count }
        #expect(clientSide.received == message)
        #expect(accepted.count == 1)
        #expect(accepted[0].peer?.host == "127.0.0.1")
        client.close()
        spin(loop) { serverSide.closed }
        #expect(serverSide.closed && serverSide.closeError == nil, "an orderly close reaches the other side as end of stream")
        listener.close()
        loop.closeAll()
    }

    @Test func aPeerThatDoesNotReadIsClosedAtTheQueueLimit() throws {
        let loop = try UVLoop()
        var serverConnection: TCPConnection?
        let serverSide = Recorder()
        let listener = try TCPListener(loop: loop, address: SocketAddress(host: "127.0.0.1", port: 0), queuedBytesMax: 64 * 1_024) { c in
            c.delegate = serverSide
            serverConnection = c
        }
        // The client connects but never reads: stop its reading as soon as it connects.
        var connected = false
        let client = try TCPConnection.connect(loop: loop, to: try #require(listener.localAddress)) { c, _ in
            uv_read_stop(stream(c.raw))
            connected = true
        }
        spin(loop) { connected && serverConnection != nil }
        let server = try #require(serverConnection)
        var writes = 0
        // Bounded: at most 10,000 writes of 16 KiB (160 MiB) before the queue must have filled.
        while server.write([UInt8](repeating: 1, count: 16_384)) && writes < 10_000 {
            writes += 1
            loop.runOnce()
        }
        #expect(writes < 10_000, "the write queue never filled")
        spin(loop) { serverSide.closed }
        #expect(serverSide.closed)
        #expect(serverSide.closeError?.description.contains("write queue") == true)
        #expect(server.queuedBytes <= 64 * 1_024)
        client.close()
        listener.close()
        loop.closeAll()
    }

    @Test func udpDatagramsTravelBothWays() throws {
        let loop = try UVLoop()
        var serverGot: [([UInt8], SocketAddress)] = []
        let server = try UDPSocket(loop: loop, address: SocketAddress(host: "127.0.0.1", port: 0)) { bytes, from in
            serverGot.append((Array(bytes), from))
        }
        var clientGot: [[UInt8]] = []
        let client = try UDPSocket(loop: loop, address: SocketAddress(host: "127.0.0.1", port: 0)) { bytes, _ in clientGot.append(Array(bytes)) }
        let serverAddress = try #require(server.localAddress)
        let packet = Packet.bindRequest(sessionID: 42).encode()
        #expect(client.send(packet, to: serverAddress))
        spin(loop) { !serverGot.isEmpty }
        #expect(serverGot.first?.0 == packet)
        let from = try #require(serverGot.first?.1)
        #expect(from == client.localAddress)
        #expect(server.send(Packet.challenge(sessionID: 42, nonce: 7).encode(), to: from))
        spin(loop) { !clientGot.isEmpty }
        #expect(try Packet.decode(clientGot[0]) == .challenge(sessionID: 42, nonce: 7))
        server.close()
        client.close()
        loop.closeAll()
    }

    /// A datagram sent on a closed socket is dropped and counted: before, libuv bound a fresh
    /// socket to the closing handle and aborted the process when the close finished.
    @Test func sendingOnAClosedSocketDropsInsteadOfAborting() throws {
        let loop = try UVLoop()
        let client = try UDPSocket(loop: loop, address: SocketAddress(host: "127.0.0.1", port: 0)) { _, _ in }
        let to = try SocketAddress(host: "127.0.0.1", port: 9)
        client.close()
        #expect(!client.send([1, 2, 3], to: to))
        client.queue(to: to) { buffer in
            buffer[0] = 7
            return 1
        }
        #expect(client.flush() == UDPSocket.BatchResult(datagrams: 0, bytes: 0, dropped: 1))
        spin(loop) { client.closeCompleted }
        #expect(!client.send([1, 2, 3], to: to) && client.sendFailures == 3)
        loop.closeAll()
    }

    @Test func batchedDatagramsArriveWholeInOrderToEachAddress() throws {
        // More than two batches (64 each), to two receivers, of different lengths; nothing
        // leaves before the flush or the batch filling up. One receiver reads with recvmmsg
        // (the server's way), the other one datagram a call (a bot's).
        let loop = try UVLoop()
        var got: [[[UInt8]]] = [[], []]
        var senders: [SocketAddress] = []
        let receivers = try (0..<2).map { r in
            try UDPSocket(loop: loop, address: SocketAddress(host: "127.0.0.1", port: 0), receiveBatch: r == 0 ? UDPSocket.receiveBatchMax : 1) { bytes, from in
                got[r].append(Array(bytes))
                senders.append(from)
            }
        }
        let sender = try UDPSocket(loop: loop, address: SocketAddress(host: "127.0.0.1", port: 0)) { _, _ in }
        let addresses = try receivers.map { try #require($0.localAddress) }
        var expected: [[[UInt8]]] = [[], []]
        let total = 2 * UDPSocket.batchMax + 22
        for i in 0..<total {
            let body = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 1 + (i * 37) % 1_100)
            expected[i % 2].append(Packet.snapshot(body).encode())
            sender.queue(to: addresses[i % 2]) { Packet.writeSnapshot(body, into: $0) }
        }
        loop.runOnce()
        // Two full batches left as they filled; the last 22 wait for the flush.
        #expect(got[0].count + got[1].count <= 2 * UDPSocket.batchMax)
        let result = sender.flush()
        #expect(result.datagrams == total && result.dropped == 0)
        #expect(result.bytes == expected.joined().reduce(0) { $0 + $1.count })
        spin(loop) { got[0].count + got[1].count == total }
        #expect(got == expected)
        #expect(Set(senders) == [try #require(sender.localAddress)])
        #expect(sender.flush() == UDPSocket.BatchResult())
        for r in receivers { r.close() }
        sender.close()
        loop.closeAll()
    }

    @Test func aPeerHangingUpCannotKillTheProcess() throws {
        // Found by the load benchmark: 500 bots closing at once made the server's writes raise
        // SIGPIPE, whose default action ends the process (exit status 141).
        let loop = try UVLoop()
        let previous = signal(SIGPIPE, SIG_IGN)
        // Handlers are C function pointers: compare their addresses.
        #expect(unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self),
                "creating a loop must have set SIGPIPE to be ignored")
        loop.closeAll()
    }

    @Test func addressesParseAndPrint() throws {
        #expect(try SocketAddress(host: "127.0.0.1", port: 7777).description == "127.0.0.1:7777")
        #expect(try SocketAddress(host: "::1", port: 80).description == "[::1]:80")
        #expect(throws: UVError.self) { _ = try SocketAddress(host: "not-an-address", port: 1) }
    }

    /// A handle closed twice, or closed after `closeAll` closed it, is left alone (reading its
    /// freed memory again once aborted the test process in uv_close). Closing twice, or after `closeAll`, leaves every handle closed once: its close callback
    /// ran (closeCompleted), and the reference its `data` held was let go exactly once, so the owner
    /// is freed when the test drops it (a weak reference goes nil). A second release would
    /// crash here (and address sanitizer, `make sanitize`, reports a freed handle read again).
    @Test func closingTwiceOrAfterCloseAllIsHarmless() throws {
        for _ in 0..<50 {
            weak var weakEarly: UVTimer?, weakTimer: UVTimer?, weakSignal: UVSignal?, weakWake: UVAsync?
            weak var weakUDP: UDPSocket?, weakListener: TCPListener?
            try {
                let loop = try UVLoop()
                let early = try UVTimer(loop: loop) {}
                early.start(afterMillis: 1_000, repeatMillis: 0)
                early.close()
                early.close()
                #expect(!early.closeCompleted, "the close callback runs on the loop's next turn, not inside close()")
                let timer = try UVTimer(loop: loop) {}
                timer.start(afterMillis: 1_000, repeatMillis: 1_000)
                let signal = try UVSignal(loop: loop, signal: SIGTERM) { _ in }
                let wake = try UVAsync(loop: loop) {}
                let udp = try UDPSocket(loop: loop, address: try SocketAddress(host: "127.0.0.1", port: 0)) { _, _ in }
                let listener = try TCPListener(loop: loop, address: try SocketAddress(host: "127.0.0.1", port: 0), queuedBytesMax: 1_024) { _ in }
                (weakEarly, weakTimer, weakSignal, weakWake, weakUDP, weakListener) = (early, timer, signal, wake, udp, listener)
                loop.closeAll()
                let closed = [early.closeCompleted, timer.closeCompleted, signal.closeCompleted, wake.closeCompleted, udp.closeCompleted, listener.closeCompleted]
                #expect(closed == [true, true, true, true, true, true], "closeAll closes every handle: \(closed)")
                // Allocations after the close reuse the freed memory, as a server's next work would;
                // zeroed, they read to libuv as a handle not closing, so a close that touched one
                // would go into uv_close on it and abort the process.
                let sizes = [MemoryLayout<uv_timer_t>.size, MemoryLayout<uv_signal_t>.size, MemoryLayout<uv_async_t>.size,
                             MemoryLayout<uv_udp_t>.size, MemoryLayout<uv_tcp_t>.size]
                let filler = (0..<16).flatMap { _ in sizes.map { size in
                    let p = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
                    p.initializeMemory(as: UInt8.self, repeating: 0, count: size)
                    return p
                } }
                timer.close()
                timer.close()
                signal.close()
                wake.close()
                udp.close()
                listener.close()
                // A close after closeAll must not have written into the freed (now reused) memory.
                for (i, p) in filler.enumerated() {
                    let bytes = UnsafeRawBufferPointer(start: p, count: sizes[i % sizes.count])
                    #expect(bytes.allSatisfy { $0 == 0 }, "a closed handle's memory was written after it was freed")
                }
                for p in filler { p.deallocate() }
            }()
            let alive = [weakEarly != nil, weakTimer != nil, weakSignal != nil, weakWake != nil, weakUDP != nil, weakListener != nil]
            #expect(alive == [false, false, false, false, false, false], "every owner freed once closed and dropped: \(alive)")
        }
    }

    @Test func timersFireAndAsyncWakesFromAnotherThread() throws {
        let loop = try UVLoop()
        var fired = 0
        let timer = try UVTimer(loop: loop) { fired += 1 }
        timer.start(afterMillis: 1, repeatMillis: 1)
        spin(loop) { fired >= 3 }
        #expect(fired >= 3)
        timer.close()
        var woken = false
        let async = try UVAsync(loop: loop) { woken = true }
        let sender = async
        let thread = Thread { sender.send() }
        thread.start()
        spin(loop) { woken }
        #expect(woken)
        async.close()
        loop.closeAll()
    }
}

import Foundation
