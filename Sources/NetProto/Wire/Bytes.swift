// Little-endian byte and bit codecs, bounds-checked: reading past the end, or a value out
// of its declared range, throws a `WireError`; nothing here traps on input.

/// Why bytes could not be decoded. Every decoder in NetProto throws only these.
public enum WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The input ended before the message did.
    case truncated(needed: Int, available: Int)
    /// Bytes left over after a complete message.
    case trailingBytes(Int)
    /// A field's value is outside what the protocol allows.
    case invalid(field: String, reason: String)
    /// A message or packet type this version does not define.
    case unknownType(UInt8)
    /// A frame or packet longer than the protocol's maximum.
    case tooLarge(length: Int, maximum: Int)

    public var description: String {
        switch self {
        case .truncated(let needed, let available): return "truncated: needed \(needed) more bytes, \(available) available"
        case .trailingBytes(let n): return "\(n) bytes after the end of the message"
        case .invalid(let field, let reason): return "\(field): \(reason)"
        case .unknownType(let t): return "unknown type 0x\(String(t, radix: 16))"
        case .tooLarge(let length, let maximum): return "\(length) bytes, more than the maximum of \(maximum)"
        }
    }
}

public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { for i in 0..<2 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    public mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    public mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    public mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    public mutating func i16(_ v: Int16) { u16(UInt16(bitPattern: v)) }
    public mutating func raw(_ v: [UInt8]) { bytes.append(contentsOf: v) }

    /// LEB128: seven bits a byte, least significant first, the high bit set on every byte but
    /// the last (1 to 10 bytes). Not used on the wire; recordings use it (docs/RECORDING.md).
    public mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A signed value as a varint of its zigzag form (0, -1, 1, -2 ... as 0, 1, 2, 3 ...).
    public mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    /// A string as its UTF-8 length in one byte, then the bytes. Callers check the limit first.
    public mutating func string8(_ s: String) {
        let utf8 = Array(s.utf8)
        precondition(utf8.count <= 255, "string8 longer than 255 bytes")
        u8(UInt8(utf8.count))
        raw(utf8)
    }

    /// A string as its UTF-8 length in two bytes, then the bytes.
    public mutating func string16(_ s: String) {
        let utf8 = Array(s.utf8)
        precondition(utf8.count <= 65_535, "string16 longer than 65,535 bytes")
        u16(UInt16(utf8.count))
        raw(utf8)
    }
}

public struct ByteReader: Sendable {
    let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    mutating func take(_ n: Int) throws(WireError) -> ArraySlice<UInt8> {
        guard n <= remaining else { throw .truncated(needed: n, available: remaining) }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    func little<T: FixedWidthInteger>(_ slice: ArraySlice<UInt8>, as: T.Type) -> T {
        var v: T = 0
        for (i, b) in slice.enumerated() { v |= T(truncatingIfNeeded: b) << (8 * i) }
        return v
    }

    public mutating func u8() throws(WireError) -> UInt8 { try take(1).first! }
    /// A byte that must be 0 or 1, as a Bool; any other value is refused, naming `field`.
    public mutating func flag(_ field: String) throws(WireError) -> Bool {
        let v = try u8()
        guard v <= 1 else { throw .invalid(field: field, reason: "\(v) is not 0 or 1") }
        return v == 1
    }
    public mutating func u16() throws(WireError) -> UInt16 { little(try take(2), as: UInt16.self) }
    public mutating func u32() throws(WireError) -> UInt32 { little(try take(4), as: UInt32.self) }
    public mutating func u64() throws(WireError) -> UInt64 { little(try take(8), as: UInt64.self) }
    public mutating func i32() throws(WireError) -> Int32 { Int32(bitPattern: try u32()) }
    public mutating func i16() throws(WireError) -> Int16 { Int16(bitPattern: try u16()) }
    public mutating func raw(_ n: Int) throws(WireError) -> [UInt8] { Array(try take(n)) }

    /// A LEB128 varint (see `ByteWriter.varint`); more than 10 bytes, or bits beyond 64, are invalid.
    public mutating func varint(_ field: String) throws(WireError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw .truncated(needed: 1, available: 0) }
            let b = bytes[offset]
            offset += 1
            if shift == 63 && b > 1 { throw .invalid(field: field, reason: "varint longer than 64 bits") }
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    /// A varint no larger than `maximum`, as an Int.
    public mutating func varint(_ field: String, maximum: Int) throws(WireError) -> Int {
        let v = try varint(field)
        guard v <= UInt64(maximum) else { throw .invalid(field: field, reason: "\(v), more than \(maximum)") }
        return Int(v)
    }

    public mutating func zigzag(_ field: String) throws(WireError) -> Int64 {
        let u = try varint(field)
        return Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1)
    }

    /// A one-byte-length UTF-8 string of at most `maximum` bytes.
    public mutating func string8(_ field: String, maximum: Int) throws(WireError) -> String {
        let n = Int(try u8())
        return try utf8(field, try take(n), count: n, maximum: maximum)
    }

    /// A two-byte-length UTF-8 string of at most `maximum` bytes.
    public mutating func string16(_ field: String, maximum: Int) throws(WireError) -> String {
        let n = Int(try u16())
        guard n <= maximum else { throw .invalid(field: field, reason: "\(n) bytes, more than \(maximum)") }
        return try utf8(field, try take(n), count: n, maximum: maximum)
    }

    func utf8(_ field: String, _ slice: ArraySlice<UInt8>, count: Int, maximum: Int) throws(WireError) -> String {
        guard count <= maximum else { throw .invalid(field: field, reason: "\(count) bytes, more than \(maximum)") }
        // Decoding must be exact so that re-encoding gives the same bytes: reject invalid UTF-8
        // instead of repairing it.
        guard let s = String(validating: slice, as: UTF8.self) else { throw .invalid(field: field, reason: "not valid UTF-8") }
        return s
    }

    /// Throws unless every byte was read.
    public func finish() throws(WireError) {
        if remaining != 0 { throw .trailingBytes(remaining) }
    }
}

/// Bits written least-significant first into bytes, for snapshots.
/// Where bits are written, least significant first (`BitWriter`, and the encoder's
/// `BitBuffer`): the codec's field writers take either.
public protocol BitSink {
    mutating func write(_ value: UInt64, bits: Int)
    var bitCount: Int { get }
}

extension BitSink {
    public mutating func bool(_ v: Bool) { write(v ? 1 : 0, bits: 1) }

    /// A signed value in `bits` bits, two's complement.
    public mutating func signed(_ v: Int64, bits: Int) {
        write(UInt64(bitPattern: v) & ((1 << UInt64(bits)) - 1), bits: bits)
    }
}

/// Bits into memory the caller owns, four bytes at a time: the snapshot encoder's writer
/// (`BitWriter` appends to an array a byte at a time). Writes the same bytes as `BitWriter`.
public struct BitBuffer: BitSink {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    var byteCount: Int
    var accumulator: UInt64 = 0
    var accumulated = 0
    let startByte: Int

    /// Writes from byte `offset` of `base`, never past `capacity` bytes.
    public init(base: UnsafeMutableRawPointer, capacity: Int, offset: Int) {
        precondition(offset >= 0 && offset <= capacity)
        self.base = base
        self.capacity = capacity
        self.byteCount = offset
        self.startByte = offset
    }

    public var bitCount: Int { (byteCount - startByte) * 8 + accumulated }

    @inline(__always)
    public mutating func write(_ value: UInt64, bits: Int) {
        precondition(bits >= 0 && bits <= 32 && value >> UInt64(bits) == 0, "value does not fit its bits")
        accumulator |= value << UInt64(accumulated)
        accumulated += bits
        if accumulated >= 32 {
            precondition(byteCount + 4 <= capacity, "bit buffer full")
            base.storeBytes(of: UInt32(truncatingIfNeeded: accumulator).littleEndian, toByteOffset: byteCount, as: UInt32.self)
            byteCount += 4
            accumulator >>= 32
            accumulated -= 32
        }
    }

    /// Writes what is left (the last byte padded with zero bits); returns the bytes written in
    /// all, from the start of `base`.
    public mutating func finish() -> Int {
        while accumulated > 0 {
            precondition(byteCount < capacity, "bit buffer full")
            base.storeBytes(of: UInt8(truncatingIfNeeded: accumulator), toByteOffset: byteCount, as: UInt8.self)
            byteCount += 1
            accumulator >>= 8
            accumulated = max(0, accumulated - 8)
        }
        return byteCount
    }
}

public struct BitWriter: BitSink, Sendable {
    public private(set) var bytes: [UInt8] = []
    var scratch: UInt64 = 0
    var scratchBits = 0
    public private(set) var bitCount = 0

    public init() {}

    public mutating func write(_ value: UInt64, bits: Int) {
        precondition(bits >= 0 && bits <= 32 && (bits == 64 || value >> UInt64(bits) == 0), "value does not fit its bits")
        scratch |= value << UInt64(scratchBits)
        scratchBits += bits
        bitCount += bits
        while scratchBits >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: scratch))
            scratch >>= 8
            scratchBits -= 8
        }
    }

    /// The bytes, with the last one padded with zero bits.
    public func finished() -> [UInt8] {
        var out = bytes
        if scratchBits > 0 { out.append(UInt8(truncatingIfNeeded: scratch)) }
        return out
    }

}

public struct BitReader: Sendable {
    let bytes: [UInt8]
    var bitOffset: Int
    let bitEnd: Int

    public init(_ bytes: [UInt8], byteOffset: Int = 0) {
        self.bytes = bytes
        bitOffset = byteOffset * 8
        bitEnd = bytes.count * 8
    }

    public var remainingBits: Int { bitEnd - bitOffset }

    /// The widest read: one unaligned 8-byte load holds any 57 bits after a bit offset of 0 to 7.
    public static let readBitsMax = 57

    /// The next `bits` bits (least significant first, as `BitWriter` wrote them), read a word
    /// at a time: a bit at a time was a quarter of a bot's CPU (the bots' profile, issue 30).
    @inline(__always)
    public mutating func read(bits: Int) throws(WireError) -> UInt64 {
        precondition(bits >= 0 && bits <= Self.readBitsMax, "at most \(Self.readBitsMax) bits in one read")
        guard bits <= remainingBits else { throw .truncated(needed: (bits - remainingBits + 7) / 8, available: 0) }
        guard bits > 0 else { return 0 }
        let byte = bitOffset >> 3, shift = UInt64(bitOffset & 7)
        let word: UInt64 = bytes.withUnsafeBytes { raw in
            if byte + 8 <= raw.count { return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) }
            // Near the end: only the bytes there are (the bits asked for are within them).
            var w: UInt64 = 0
            for i in 0..<(raw.count - byte) { w |= UInt64(raw[byte + i]) << UInt64(8 * i) }
            return w
        }
        bitOffset += bits
        return (word >> shift) & ((1 << UInt64(bits)) - 1)
    }

    public mutating func bool() throws(WireError) -> Bool { try read(bits: 1) == 1 }

    @inline(__always)
    public mutating func signed(bits: Int) throws(WireError) -> Int64 {
        let raw = try read(bits: bits)
        let sign = UInt64(1) << UInt64(bits - 1)
        return raw & sign == 0 ? Int64(raw) : Int64(raw) - Int64(1 << UInt64(bits))
    }

    /// Throws unless only zero padding bits (fewer than 8) remain.
    public func finish() throws(WireError) {
        guard remainingBits < 8 else { throw .trailingBytes(remainingBits / 8) }
        var probe = self
        if probe.remainingBits > 0, (try? probe.read(bits: probe.remainingBits)) != 0 {
            throw .invalid(field: "padding", reason: "non-zero padding bits")
        }
    }
}
