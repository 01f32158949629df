// TCP: a listener that accepts connections, and a connection that reads into its loop's one
// read buffer and writes through a queue with a byte limit (a peer that does not read is closed, never
// allowed to grow the server's memory).

import CLibUV

public protocol TCPConnectionDelegate: AnyObject {
    func connection(_ c: TCPConnection, received bytes: UnsafeRawBufferPointer)
    /// The connection is closed (by either side); `error` is nil for an orderly end.
    func connectionClosed(_ c: TCPConnection, error: UVError?)
}

public final class TCPConnection: UVHandle<uv_tcp_t> {
    public weak var delegate: TCPConnectionDelegate?
    /// Bytes handed to libuv and not yet written.
    public private(set) var queuedBytes = 0
    public let queuedBytesMax: Int
    /// Closed, or closing: nothing more is written or read.
    public var isClosed: Bool { closeRequested }
    public private(set) var bytesRead = 0
    public private(set) var bytesWritten = 0
    var closeError: UVError?
    /// Sent, if the socket can take it at once, when the write queue overflows (the reason
    /// for the disconnection, in the protocol's words). The queue itself is full by then, so
    /// this bypasses it with a non-blocking write and is best effort.
    public var lastWordsOnOverflow: [UInt8]?
    /// The loop's shared read buffer (`UVLoop.tcpReadBuffer`); the loop outlives its connections.
    let loop: UVLoop
    var onConnect: ((UVError?) -> Void)?

    init(loop: UVLoop, queuedBytesMax: Int) throws(UVError) {
        self.loop = loop
        self.queuedBytesMax = queuedBytesMax
        try super.init("uv_tcp_init") { uv_tcp_init(loop.raw, $0) }
        retainAsData()
    }

    /// Connects to `address`; `completion` runs on the loop when connected or failed.
    public static func connect(loop: UVLoop, to address: SocketAddress, queuedBytesMax: Int = 1 << 20,
                               completion: @escaping (TCPConnection, UVError?) -> Void) throws(UVError) -> TCPConnection {
        let c = try TCPConnection(loop: loop, queuedBytesMax: queuedBytesMax)
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        c.onConnect = { [unowned c] error in completion(c, error) }
        let rc = address.withSockaddr { uv_tcp_connect(request, c.raw, $0) { req, status in
            let c = owner(handle(req!.pointee.handle!), as: TCPConnection.self)
            req!.deallocate()
            let callback = c.onConnect
            c.onConnect = nil
            if status < 0 {
                callback?(UVError(code: status, operation: "connect"))
            } else {
                uv_tcp_nodelay(c.raw, 1)
                c.startReading()
                callback?(nil)
            }
        } }
        if rc < 0 {
            request.deallocate()
            c.close()
            throw UVError(code: rc, operation: "uv_tcp_connect to \(address)")
        }
        return c
    }

    func startReading() {
        uv_read_start(stream(raw), { h, _, buf in
            let c = owner(h, as: TCPConnection.self)
            let shared = c.loop.tcpReadBuffer
            buf!.pointee = uv_buf_init(shared.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(shared.count))
        }, { s, nread, _ in
            let c = owner(handle(s!), as: TCPConnection.self)
            c.didRead(nread)
        })
    }

    func didRead(_ nread: Int) {
        if nread > 0 {
            bytesRead += nread
            // The delegate must not keep the buffer: the next read on any connection reuses it.
            delegate?.connection(self, received: UnsafeRawBufferPointer(rebasing: loop.tcpReadBuffer[0..<nread]))
        } else if nread < 0 {
            close(error: nread == Int(UV_EOF.rawValue) ? nil : UVError(code: Int32(nread), operation: "read"))
        }
    }

    /// Queues `bytes` for writing. Returns false, and closes the connection, when the queue
    /// would pass its limit (the peer is not reading).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        guard !isClosed, !bytes.isEmpty else { return false }
        guard queuedBytes + bytes.count <= queuedBytesMax else {
            if var words = lastWordsOnOverflow {
                words.withUnsafeMutableBytes { raw in
                    var buffer = uv_buf_init(raw.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(raw.count))
                    _ = uv_try_write(stream(self.raw), &buffer, 1)
                }
            }
            close(error: UVError(code: Int32(UV_ENOBUFS.rawValue), operation: "write queue over \(queuedBytesMax) bytes"))
            return false
        }
        // The request and its copy of the bytes are one allocation, freed in the callback.
        let request = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<uv_write_t>.stride + bytes.count, alignment: 16)
        let writeRequest = request.bindMemory(to: uv_write_t.self, capacity: 1)
        let payload = request.advanced(by: MemoryLayout<uv_write_t>.stride)
        bytes.withUnsafeBytes { payload.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        var buffer = uv_buf_init(payload.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
        writeRequest.pointee.data = UnsafeMutableRawPointer(bitPattern: bytes.count)
        queuedBytes += bytes.count
        let rc = uv_write(writeRequest, stream(raw), &buffer, 1) { req, status in
            let count = Int(bitPattern: req!.pointee.data)
            let c = owner(handle(req!.pointee.handle!), as: TCPConnection.self)
            UnsafeMutableRawPointer(req!).deallocate()
            c.queuedBytes -= count
            if status >= 0 { c.bytesWritten += count } else if status != Int32(UV_ECANCELED.rawValue) {
                c.close(error: UVError(code: status, operation: "write"))
            }
        }
        if rc < 0 {
            queuedBytes -= bytes.count
            request.deallocate()
            close(error: UVError(code: rc, operation: "uv_write"))
            return false
        }
        return true
    }

    /// Closes the connection for `error`; the delegate hears of it once, from the close callback.
    public func close(error: UVError?) {
        guard !closeRequested else { return }
        closeError = error
        close()
    }

    /// The peer's address, if known.
    public var peer: SocketAddress? {
        SocketAddress.read { uv_tcp_getpeername(raw, $0, $1) }
    }

    override func released() {
        let d = delegate
        delegate = nil
        onConnect?(UVError(code: Int32(UV_ECANCELED.rawValue), operation: "connect"))
        onConnect = nil
        d?.connectionClosed(self, error: closeError)
    }
}

public final class TCPListener: UVHandle<uv_tcp_t> {
    let loop: UVLoop
    var onAccept: (TCPConnection) -> Void
    let queuedBytesMax: Int
    public private(set) var acceptErrors = 0

    /// Listens on `address`; each accepted connection, already reading, is passed to `onAccept`,
    /// which must set its delegate.
    public init(loop: UVLoop, address: SocketAddress, backlog: Int32 = 511, queuedBytesMax: Int = 256 * 1_024,
                onAccept: @escaping (TCPConnection) -> Void) throws(UVError) {
        self.loop = loop
        self.onAccept = onAccept
        self.queuedBytesMax = queuedBytesMax
        try super.init("uv_tcp_init") { uv_tcp_init(loop.raw, $0) }
        retainAsData()
        do {
            try uvCheck(address.withSockaddr { uv_tcp_bind(raw, $0, 0) }, "bind TCP \(address)")
            try uvCheck(uv_listen(stream(raw), backlog) { s, status in owner(handle(s!), as: TCPListener.self).accept(status) }, "listen on TCP \(address)")
        } catch {
            close()
            throw error
        }
    }

    func accept(_ status: Int32) {
        guard status >= 0, let c = try? TCPConnection(loop: loop, queuedBytesMax: queuedBytesMax) else {
            acceptErrors += 1
            return
        }
        guard uv_accept(stream(raw), stream(c.raw)) == 0 else {
            acceptErrors += 1
            c.close()
            return
        }
        uv_tcp_nodelay(c.raw, 1)
        onAccept(c)
        c.startReading()
    }

    /// The bound address (with the port the system chose for port 0).
    public var localAddress: SocketAddress? {
        SocketAddress.read { uv_tcp_getsockname(raw, $0, $1) }
    }

    override func released() { onAccept = { _ in } }
}
