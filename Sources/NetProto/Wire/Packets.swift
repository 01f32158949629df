// The UDP packets (PROTOCOL.md, section 5).
// docs/PROTOCOL.md is the specification; this file must say the same, byte for byte.
// Encoding is canonical: each value has exactly one encoding, so a decoder may re-encode
// what it decoded and compare. Decoders check every length and range before using it, and
// throw `WireError` on anything else.

public enum Packet: Hashable, Sendable {
    /// Client to server: "bind this address to my session". Padded with zeros to
    /// `bindRequestBytes`, so that the challenge it earns is smaller than itself.
    case bindRequest(sessionID: UInt64)
    case challenge(sessionID: UInt64, nonce: UInt64)
    case challengeResponse(sessionID: UInt64, nonce: UInt64, mac: [UInt8])
    case bound(sessionID: UInt64)
    case input(sessionID: UInt64, InputBody)
    case snapshot([UInt8])

    public var type: UInt8 {
        switch self {
        case .bindRequest: return 0x81
        case .challenge: return 0x82
        case .challengeResponse: return 0x83
        case .bound: return 0x84
        case .input: return 0x85
        case .snapshot: return 0x86
        }
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u32(WireProtocol.id)
        w.u8(type)
        switch self {
        case .bindRequest(let session):
            w.u64(session)
            w.raw([UInt8](repeating: 0, count: WireProtocol.bindRequestBytes - 13))
        case .challenge(let session, let nonce):
            w.u64(session)
            w.u64(nonce)
        case .challengeResponse(let session, let nonce, let mac):
            precondition(mac.count == WireProtocol.macBytes)
            w.u64(session)
            w.u64(nonce)
            w.raw(mac)
        case .bound(let session): w.u64(session)
        case .input(let session, let body):
            w.u64(session)
            body.encode(&w)
        case .snapshot(let body): w.raw(body)
        }
        precondition(w.bytes.count <= WireProtocol.packetBytesMax, "packet over the maximum size")
        return w.bytes
    }

    /// Writes `Packet.snapshot(body).encode()` into `out` without building the packet (the
    /// server's send path: straight into the socket's batch); returns the bytes written.
    public static func writeSnapshot(_ body: [UInt8], into out: UnsafeMutableRawBufferPointer) -> Int {
        body.withUnsafeBytes { writeSnapshot($0, into: out) }
    }

    /// `writeSnapshot` from bytes held elsewhere (a snapshot worker's output).
    public static func writeSnapshot(_ body: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        let count = 5 + body.count
        precondition(count <= WireProtocol.packetBytesMax && count <= out.count, "packet over the maximum size")
        out.storeBytes(of: WireProtocol.id.littleEndian, toByteOffset: 0, as: UInt32.self)
        out[4] = 0x86
        if body.count > 0 { out.baseAddress!.advanced(by: 5).copyMemory(from: body.baseAddress!, byteCount: body.count) }
        return count
    }

    /// The checks that come before any copy of a datagram (PROTOCOL.md, section 9): its size,
    /// the protocol id and a known type, read in place. `decode` makes them again, and the rest.
    public static func passesFirstChecks(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard raw.count >= 5, raw.count <= WireProtocol.packetBytesMax else { return false }
        guard raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self) == WireProtocol.id.littleEndian else { return false }
        return (0x81...0x86).contains(raw[4])
    }

    /// A snapshot datagram's body after only the first checks (size, protocol id, type), for a
    /// receiver that decodes it at once with `SnapshotCodec.decode`, which makes every check
    /// `validateStructure` makes and those against the baseline besides: the body is read once,
    /// not twice (reading it twice was a tenth of a bot's CPU). Nil for any other packet.
    public static func snapshotBody(_ raw: UnsafeRawBufferPointer) -> [UInt8]? {
        guard passesFirstChecks(raw), raw[4] == 0x86 else { return nil }
        return Array(raw[5...])
    }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> Packet {
        guard bytes.count <= WireProtocol.packetBytesMax else { throw .tooLarge(length: bytes.count, maximum: WireProtocol.packetBytesMax) }
        var r = ByteReader(bytes)
        let id = try r.u32()
        guard id == WireProtocol.id else { throw .invalid(field: "protocolID", reason: "0x\(String(id, radix: 16)) is not SeoulWorld's") }
        let type = try r.u8()
        let packet: Packet
        switch type {
        case 0x81:
            let session = try r.u64()
            let padding = try r.raw(WireProtocol.bindRequestBytes - 13)
            guard padding.allSatisfy({ $0 == 0 }) else { throw .invalid(field: "padding", reason: "not zero") }
            packet = .bindRequest(sessionID: session)
        case 0x82:
            let session = try r.u64()
            packet = .challenge(sessionID: session, nonce: try r.u64())
        case 0x83:
            let session = try r.u64(), nonce = try r.u64()
            packet = .challengeResponse(sessionID: session, nonce: nonce, mac: try r.raw(WireProtocol.macBytes))
        case 0x84: packet = .bound(sessionID: try r.u64())
        case 0x85:
            let session = try r.u64()
            packet = .input(sessionID: session, try InputBody.decode(&r))
        case 0x86:
            let rest = try r.raw(r.remaining)
            try SnapshotCodec.validateStructure(rest)
            packet = .snapshot(rest)
        default: throw .unknownType(type)
        }
        try r.finish()
        return packet
    }
}
