// Movement commands and the input body, shared by UDP and TCP (PROTOCOL.md, section 6.1),
// and the round-trip time they carry.
// docs/PROTOCOL.md is the specification; this file must say the same, byte for byte.
// Encoding is canonical: each value has exactly one encoding, so a decoder may re-encode
// what it decoded and compare. Decoders check every length and range before using it, and
// throw `WireError` on anything else.

/// One movement command inside an input.
public enum WireCommand: Hashable, Sendable {
    case stop
    /// Heading as a binary angle (65,536 per turn, 0 east, counter-clockwise); pace 1 walk, 2 run.
    case go(heading: UInt16, pace: UInt8)
    /// A target in centimetres on the current floor; pace 1 walk, 2 run.
    case walkTo(x: Int32, y: Int32, pace: UInt8)

    func encode(_ w: inout ByteWriter) {
        switch self {
        case .stop: w.u8(0)
        case .go(let heading, let pace):
            w.u8(1)
            w.u16(heading)
            w.u8(pace)
        case .walkTo(let x, let y, let pace):
            w.u8(2)
            w.i32(x)
            w.i32(y)
            w.u8(pace)
        }
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> WireCommand {
        switch try r.u8() {
        case 0: return .stop
        case 1:
            let heading = try r.u16()
            return .go(heading: heading, pace: try pace(&r))
        case 2:
            let x = try r.i32(), y = try r.i32()
            return .walkTo(x: x, y: y, pace: try pace(&r))
        case let k: throw .invalid(field: "command.kind", reason: "\(k) is not 0 (stop), 1 (go) or 2 (walk to)")
        }
    }

    static func pace(_ r: inout ByteReader) throws(WireError) -> UInt8 {
        let p = try r.u8()
        guard p == 1 || p == 2 else { throw .invalid(field: "command.pace", reason: "\(p) is not 1 (walk) or 2 (run)") }
        return p
    }
}

/// The body of an input, sent over UDP (or over TCP by a client without UDP).
public struct InputBody: Hashable, Sendable {
    /// The newest snapshot tick the client holds (0 before the first).
    public var ackTick: UInt32
    /// The client's clock in milliseconds (mod 65,536), echoed in snapshots for its RTT.
    public var clientTimeMillis: UInt16
    /// The `serverTimeMillis` of the newest snapshot, and how long the client held it, for
    /// the server's RTT.
    public var echoServerTimeMillis: UInt16
    public var holdMillis: UInt16
    /// The sequence number of the first command; commands are newest first, so command i
    /// has sequence `sequence - i`. Resending the last few lets one packet cover losses.
    public var sequence: UInt32
    public var commands: [WireCommand]

    public init(ackTick: UInt32, clientTimeMillis: UInt16, echoServerTimeMillis: UInt16, holdMillis: UInt16, sequence: UInt32, commands: [WireCommand]) {
        self.ackTick = ackTick
        self.clientTimeMillis = clientTimeMillis
        self.echoServerTimeMillis = echoServerTimeMillis
        self.holdMillis = holdMillis
        self.sequence = sequence
        self.commands = commands
    }

    func encode(_ w: inout ByteWriter) {
        precondition((1...WireProtocol.commandsPerInputMax).contains(commands.count))
        w.u32(ackTick)
        w.u16(clientTimeMillis)
        w.u16(echoServerTimeMillis)
        w.u16(holdMillis)
        w.u32(sequence)
        w.u8(UInt8(commands.count))
        for c in commands { c.encode(&w) }
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> InputBody {
        let ack = try r.u32(), time = try r.u16(), echo = try r.u16(), hold = try r.u16(), sequence = try r.u32()
        let count = Int(try r.u8())
        guard (1...WireProtocol.commandsPerInputMax).contains(count) else {
            throw .invalid(field: "input.count", reason: "\(count) commands; 1 to \(WireProtocol.commandsPerInputMax) allowed")
        }
        guard UInt32(count - 1) <= sequence else { throw .invalid(field: "input.sequence", reason: "\(sequence) is lower than the number of older commands") }
        var commands: [WireCommand] = []
        for _ in 0..<count { commands.append(try WireCommand.decode(&r)) }
        return InputBody(ackTick: ack, clientTimeMillis: time, echoServerTimeMillis: echo, holdMillis: hold, sequence: sequence, commands: commands)
    }
}

/// A round-trip time from 16-bit millisecond clocks: `now - echoed - held`, mod 65,536.
/// Loops cache their clocks, so the result can come out a few milliseconds below zero; that
/// is a round trip under the clocks' resolution and counts as 0. Nil when the result is
/// beyond 30 s (a stale or corrupt echo).
public func roundTripMillis(now: UInt16, echoed: UInt16, held: UInt16) -> UInt16? {
    let raw = Int16(bitPattern: now &- echoed &- held)
    if raw < 0 { return raw > -1_000 ? 0 : nil }
    return raw <= 30_000 ? UInt16(raw) : nil
}
