// UDP: one socket that receives datagrams into a fixed buffer and sends without queueing
// (`uv_udp_try_send`: a datagram the kernel cannot take now is dropped and counted, which is
// what a realtime channel wants).

import CLibUV

public final class UDPSocket: Closable {
    let raw: UnsafeMutablePointer<uv_udp_t>
    var onReceive: (UnsafeRawBufferPointer, SocketAddress) -> Void
    let readBuffer: UnsafeMutableRawBufferPointer
    public private(set) var sendFailures = 0
    public private(set) var truncatedReceives = 0
    public private(set) var bytesReceived = 0
    public private(set) var bytesSent = 0

    static let readBufferBytes = 2_048 // above the protocol's 1,200-byte packets

    public init(loop: UVLoop, address: SocketAddress, onReceive: @escaping (UnsafeRawBufferPointer, SocketAddress) -> Void) throws(UVError) {
        raw = .allocate(capacity: 1)
        readBuffer = .allocate(byteCount: Self.readBufferBytes, alignment: 16)
        self.onReceive = onReceive
        do { try uvCheck(uv_udp_init(loop.raw, raw), "uv_udp_init") } catch {
            raw.deallocate()
            readBuffer.deallocate()
            throw error
        }
        raw.pointee.data = Unmanaged.passRetained(self as AnyObject).toOpaque()
        do {
            try uvCheck(address.withSockaddr { uv_udp_bind(raw, $0, 0) }, "bind UDP \(address)")
            try uvCheck(uv_udp_recv_start(raw, { h, _, buf in
                let s = owner(h, as: UDPSocket.self)
                buf!.pointee = uv_buf_init(s.readBuffer.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(s.readBuffer.count))
            }, { h, nread, _, addr, flags in
                owner(handle(h!), as: UDPSocket.self).didReceive(nread, addr, flags)
            }), "start receiving on UDP \(address)")
        } catch {
            close()
            throw error
        }
    }

    func didReceive(_ nread: Int, _ addr: UnsafePointer<sockaddr>?, _ flags: UInt32) {
        guard nread > 0, let addr, let from = SocketAddress(addr) else { return }
        if flags & UInt32(UV_UDP_PARTIAL.rawValue) != 0 {
            truncatedReceives += 1
            return
        }
        bytesReceived += nread
        onReceive(UnsafeRawBufferPointer(rebasing: readBuffer[0..<nread]), from)
    }

    /// Sends one datagram now, or drops it (counted) if the kernel cannot take it.
    @discardableResult
    public func send(_ bytes: [UInt8], to address: SocketAddress) -> Bool {
        var copy = bytes
        let rc = copy.withUnsafeMutableBytes { raw in
            var buffer = uv_buf_init(raw.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(raw.count))
            return address.withSockaddr { uv_udp_try_send(self.raw, &buffer, 1, $0) }
        }
        if rc < 0 {
            sendFailures += 1
            return false
        }
        bytesSent += bytes.count
        return true
    }

    public var localAddress: SocketAddress? {
        SocketAddress.read { uv_udp_getsockname(raw, $0, $1) }
    }

    /// Set by the first `close` (or by libuv's close callback, after `UVLoop.closeAll`): the
    /// handle's memory is freed once closed, so a second `close` must not read it.
    var closeRequested = false
    public func close() {
        guard !closeRequested else { return }
        closeRequested = true
        if uv_is_closing(handle(raw)) == 0 { closeAny(handle(raw)) }
    }
    func handleClosed() {
        closeRequested = true
        onReceive = { _, _ in }
        raw.deallocate()
        readBuffer.deallocate()
    }
}
