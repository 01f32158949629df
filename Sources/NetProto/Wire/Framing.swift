// TCP framing: each frame is its body's length as a little-endian u16, then the body
// (a type byte and the payload). A body is 1 to `WireProtocol.frameBodyBytesMax` bytes.

public enum Framing {
    public static func frame(_ body: [UInt8]) -> [UInt8] {
        precondition(!body.isEmpty && body.count <= WireProtocol.frameBodyBytesMax, "frame body of \(body.count) bytes")
        var out: [UInt8] = [UInt8(truncatingIfNeeded: body.count), UInt8(truncatingIfNeeded: body.count >> 8)]
        out.reserveCapacity(2 + body.count)
        out += body
        return out
    }
}

/// Reassembles frames from a TCP byte stream. Holds at most one partial frame plus what the
/// last read brought; a declared length over the maximum is an error at once, before any of
/// that body is buffered.
public struct FrameDecoder: Sendable {
    var buffer: [UInt8] = []
    var start = 0

    public init() {}

    public mutating func append(_ bytes: some Collection<UInt8>) {
        // Drop consumed bytes before growing, so the buffer never keeps more than it must.
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame body, or nil until more bytes arrive.
    public mutating func next() throws(WireError) -> [UInt8]? {
        guard buffer.count - start >= 2 else { return nil }
        let length = Int(buffer[start]) | Int(buffer[start + 1]) << 8
        guard length > 0 else { throw .invalid(field: "frame.length", reason: "zero-length frame") }
        guard length <= WireProtocol.frameBodyBytesMax else { throw .tooLarge(length: length, maximum: WireProtocol.frameBodyBytesMax) }
        guard buffer.count - start >= 2 + length else { return nil }
        let body = Array(buffer[(start + 2)..<(start + 2 + length)])
        start += 2 + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return body
    }

    /// Bytes received but not yet part of a complete frame.
    public var pendingBytes: Int { buffer.count - start }
}
