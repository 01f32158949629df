// An IPv4 or IPv6 address and port, as a value: hashable, printable, convertible to and
// from the `sockaddr` libuv takes and gives.

import CLibUV

public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The raw `sockaddr_in` or `sockaddr_in6` bytes.
    let bytes: [UInt8]

    /// Parses a numeric host ("127.0.0.1", "::1") and a port.
    public init(host: String, port: UInt16) throws(UVError) {
        if host.contains(":") {
            var a = sockaddr_in6()
            try uvCheck(uv_ip6_addr(host, Int32(port), &a), "parse IPv6 address '\(host)'")
            bytes = withUnsafeBytes(of: &a) { Array($0) }
        } else {
            var a = sockaddr_in()
            try uvCheck(uv_ip4_addr(host, Int32(port), &a), "parse IPv4 address '\(host)'")
            bytes = withUnsafeBytes(of: &a) { Array($0) }
        }
    }

    /// Copies an address libuv handed over; nil for a family other than IPv4 and IPv6.
    init?(_ p: UnsafePointer<sockaddr>) {
        switch Int32(p.pointee.sa_family) {
        case AF_INET: bytes = Array(UnsafeRawBufferPointer(start: p, count: MemoryLayout<sockaddr_in>.size))
        case AF_INET6: bytes = Array(UnsafeRawBufferPointer(start: p, count: MemoryLayout<sockaddr_in6>.size))
        default: return nil
        }
    }

    /// Reads an address with a libuv getter (`uv_tcp_getsockname` and the like); nil when
    /// the call fails or the family is neither IPv4 nor IPv6.
    static func read(_ getter: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<Int32>) -> Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                getter(a, &length) == 0 ? SocketAddress(UnsafePointer(a)) : nil
            }
        }
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>) -> R) -> R {
        bytes.withUnsafeBytes { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self)) }
    }

    var isIPv6: Bool { bytes.count == MemoryLayout<sockaddr_in6>.size }

    public var port: UInt16 {
        // sin_port and sin6_port are both at offset 2, in network byte order.
        UInt16(bytes[2]) << 8 | UInt16(bytes[3])
    }

    public var host: String {
        var buffer = [CChar](repeating: 0, count: 64)
        bytes.withUnsafeBytes { raw in
            if isIPv6 {
                _ = uv_ip6_name(raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self), &buffer, buffer.count)
            } else {
                _ = uv_ip4_name(raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self), &buffer, buffer.count)
            }
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
