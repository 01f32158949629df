// UDP: one socket that receives datagrams into a fixed buffer and sends without queueing
// (`uv_udp_try_send`: a datagram the kernel cannot take now is dropped and counted, which is
// what a realtime channel wants). A tick's snapshots go out in batches (`queue`, `flush`):
// on Linux one `sendmmsg` system call per `batchMax` datagrams instead of one call each.

import CLibUV
#if canImport(Glibc)
import Glibc
#endif

public final class UDPSocket: UVHandle<uv_udp_t> {
    var onReceive: (UnsafeRawBufferPointer, SocketAddress) -> Void
    let readBuffer: UnsafeMutableRawBufferPointer
    public private(set) var sendFailures = 0
    public private(set) var truncatedReceives = 0
    public private(set) var bytesReceived = 0
    public private(set) var bytesSent = 0

    static let readBufferBytes = 2_048 // above the protocol's 1,200-byte packets

    /// Datagrams per `sendmmsg` call, and the largest datagram a batch takes.
    public static let batchMax = 64
    public static let batchDatagramBytesMax = 2_048
    let batch = SendBatch(count: UDPSocket.batchMax, datagramBytesMax: UDPSocket.batchDatagramBytesMax)

    /// Datagrams one `recvmmsg` call may take when the socket is made with `receiveBatch` > 1
    /// (libuv's limit, UV__MMSG_MAXWIDTH), and the room libuv gives each (UV__UDP_DGRAM_MAXSIZE).
    public static let receiveBatchMax = 20
    static let receiveChunkBytes = 65_536

    /// Binds `address`. `receiveBatch` > 1 (the server's socket) reads with `recvmmsg` (libuv's
    /// UV_UDP_RECVMMSG), up to that many datagrams a system call, into a buffer of 64 KiB per
    /// datagram (memory the kernel only makes resident where datagrams land); 1 (a bot's)
    /// reads one datagram a call into 2 KiB.
    public init(loop: UVLoop, address: SocketAddress, receiveBatch: Int = 1,
                onReceive: @escaping (UnsafeRawBufferPointer, SocketAddress) -> Void) throws(UVError) {
        precondition((1...Self.receiveBatchMax).contains(receiveBatch))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: receiveBatch == 1 ? Self.readBufferBytes : receiveBatch * Self.receiveChunkBytes,
                                                            alignment: 16)
        readBuffer = buffer
        self.onReceive = onReceive
        let flags = receiveBatch > 1 ? UInt32(UV_UDP_RECVMMSG.rawValue) : 0
        do { try super.init("uv_udp_init_ex") { uv_udp_init_ex(loop.raw, $0, flags | UInt32(AF_UNSPEC)) } } catch {
            buffer.deallocate()
            throw error
        }
        retainAsData()
        do {
            try uvCheck(address.withSockaddr { uv_udp_bind(raw, $0, 0) }, "bind UDP \(address)")
            try uvCheck(uv_udp_recv_start(raw, { h, _, buf in
                let s = owner(h, as: UDPSocket.self)
                buf!.pointee = uv_buf_init(s.readBuffer.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(s.readBuffer.count))
            }, { h, nread, buf, addr, flags in
                owner(handle(h!), as: UDPSocket.self).didReceive(nread, buf, addr, flags)
            }), "start receiving on UDP \(address)")
        } catch {
            close()
            throw error
        }
    }

    /// One datagram, or (with recvmmsg) one chunk of a batch, each with its own `buf` inside
    /// `readBuffer`; libuv's last call of a batch (UV_UDP_MMSG_FREE, nothing read) is ignored.
    func didReceive(_ nread: Int, _ buf: UnsafePointer<uv_buf_t>?, _ addr: UnsafePointer<sockaddr>?, _ flags: UInt32) {
        guard nread > 0, let buf, let base = buf.pointee.base, let addr, let from = SocketAddress(addr) else { return }
        if flags & UInt32(UV_UDP_PARTIAL.rawValue) != 0 {
            truncatedReceives += 1
            return
        }
        bytesReceived += nread
        onReceive(UnsafeRawBufferPointer(start: UnsafeRawPointer(base), count: nread), from)
    }

    /// Sends one datagram now, or drops it (counted) if the kernel cannot take it.
    @discardableResult
    public func send(_ bytes: [UInt8], to address: SocketAddress) -> Bool {
        bytes.withUnsafeBytes { send($0, to: address) }
    }

    /// Sends one datagram now, or drops it (counted) if the kernel cannot take it.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress) -> Bool {
        // Closed or closing: dropped. libuv would bind a fresh socket to the closing handle
        // (`uv_udp_try_send` binds an unbound one), and its close then aborts the process on
        // `io_watcher.fd == -1` (a bot whose connection closed while the fleet still sent its
        // inputs; found by 2,000 bots on one core); after the close the handle's memory is gone.
        guard !closeRequested else {
            sendFailures += 1
            return false
        }
        // libuv takes a mutable pointer but only reads the bytes.
        var buffer = uv_buf_init(UnsafeMutableRawPointer(mutating: bytes.baseAddress!).assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
        let rc = address.withSockaddr { uv_udp_try_send(self.raw, &buffer, 1, $0) }
        if rc < 0 {
            sendFailures += 1
            return false
        }
        bytesSent += bytes.count
        return true
    }

    /// What `flush` (and the flushes `queue` makes when the batch is full) sent and dropped.
    public struct BatchResult: Sendable, Equatable {
        public var datagrams = 0
        public var bytes = 0
        public var dropped = 0
    }
    var batchResult = BatchResult()

    /// Queues one datagram for the next `flush`: `write` fills at most `batchDatagramBytesMax`
    /// bytes of the buffer it is given and returns how many it wrote. The batch is sent when
    /// full. Nothing is sent until then or `flush`.
    public func queue(to address: SocketAddress, write: (UnsafeMutableRawBufferPointer) -> Int) {
        if batch.count == batch.capacity { sendBatch() }
        let i = batch.count
        let written = write(batch.datagram(i))
        precondition(written > 0 && written <= batch.datagramBytesMax, "a queued datagram of \(written) bytes")
        batch.set(i, length: written, address: address)
        batch.count += 1
    }

    /// Sends what is queued; returns what was sent and dropped since the last `flush`.
    @discardableResult
    public func flush() -> BatchResult {
        sendBatch()
        defer { batchResult = BatchResult() }
        return batchResult
    }

    func sendBatch() {
        let count = batch.count
        guard count > 0 else { return }
        batch.count = 0
        guard !closeRequested else {
            batchResult.dropped += count
            sendFailures += count
            return
        }
        #if os(Linux)
        var fd: uv_os_fd_t = -1
        guard uv_fileno(handle(raw), &fd) == 0 else {
            batchResult.dropped += count
            sendFailures += count
            return
        }
        var done = 0
        while done < count {
            let sent = Int(seoulworld_sendmmsg(fd, batch.headers + done, UInt32(count - done), Int32(MSG_DONTWAIT)))
            if sent <= 0 {
                // EAGAIN (the kernel's buffer is full) or an error: the rest of the batch is
                // dropped and counted, like a refused `uv_udp_try_send`; a realtime channel
                // does not queue.
                batchResult.dropped += count - done
                sendFailures += count - done
                break
            }
            for k in done..<(done + sent) {
                let n = Int(batch.headers[k].msg_len)
                batchResult.bytes += n
                bytesSent += n
            }
            done += sent
        }
        batchResult.datagrams += done
        #else
        for k in 0..<count {
            let bytes = UnsafeRawBufferPointer(rebasing: batch.datagram(k)[0..<batch.length(k)])
            if send(bytes, to: batch.address(k)) {
                batchResult.datagrams += 1
                batchResult.bytes += bytes.count
            } else {
                batchResult.dropped += 1
            }
        }
        #endif
    }

    public var localAddress: SocketAddress? {
        SocketAddress.read { uv_udp_getsockname(raw, $0, $1) }
    }

    override func released() {
        onReceive = { _, _ in }
        readBuffer.deallocate()
    }
}

/// The memory of one batch of datagrams, allocated once: the bytes, and on Linux the
/// `mmsghdr`, `iovec` and address of each, pointing into it.
final class SendBatch {
    let capacity: Int
    let datagramBytesMax: Int
    var count = 0
    let bytes: UnsafeMutableRawBufferPointer
    #if os(Linux)
    let headers: UnsafeMutablePointer<seoulworld_mmsghdr>
    let vectors: UnsafeMutablePointer<iovec>
    let addresses: UnsafeMutablePointer<sockaddr_storage>
    #else
    var lengths: [Int]
    var targets: [SocketAddress?]
    #endif

    init(count: Int, datagramBytesMax: Int) {
        capacity = count
        self.datagramBytesMax = datagramBytesMax
        bytes = .allocate(byteCount: count * datagramBytesMax, alignment: 16)
        #if os(Linux)
        headers = .allocate(capacity: count)
        vectors = .allocate(capacity: count)
        addresses = .allocate(capacity: count)
        for i in 0..<count {
            vectors[i] = iovec(iov_base: bytes.baseAddress! + i * datagramBytesMax, iov_len: 0)
            addresses[i] = sockaddr_storage()
            headers[i] = seoulworld_mmsghdr(
                msg_hdr: msghdr(msg_name: UnsafeMutableRawPointer(addresses + i), msg_namelen: 0, msg_iov: vectors + i, msg_iovlen: 1,
                                msg_control: nil, msg_controllen: 0, msg_flags: 0),
                msg_len: 0)
        }
        #else
        lengths = Array(repeating: 0, count: count)
        targets = Array(repeating: nil, count: count)
        #endif
    }

    deinit {
        bytes.deallocate()
        #if os(Linux)
        headers.deallocate()
        vectors.deallocate()
        addresses.deallocate()
        #endif
    }

    func datagram(_ i: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: bytes[(i * datagramBytesMax)..<((i + 1) * datagramBytesMax)])
    }

    func set(_ i: Int, length: Int, address: SocketAddress) {
        #if os(Linux)
        vectors[i].iov_len = length
        address.bytes.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(addresses + i).copyMemory(from: raw.baseAddress!, byteCount: raw.count)
        }
        headers[i].msg_hdr.msg_namelen = socklen_t(address.bytes.count)
        headers[i].msg_len = 0
        #else
        lengths[i] = length
        targets[i] = address
        #endif
    }

    #if !os(Linux)
    func length(_ i: Int) -> Int { lengths[i] }
    func address(_ i: Int) -> SocketAddress { targets[i]! }
    #endif
}
