// The live map's frame: where every avatar of one space stands, six bytes each, sent to the
// page several times a second (as base64 in a server-sent event). 5,000 avatars make 30 kB
// (40 kB as base64). The layout, all little-endian (docs/ADMIN.md):
//
//   u8  version (1)
//   u8  floors in the space
//   u16 reserved (0)
//   u32 sequence of the view it was cut from
//   u32 avatars (n)
//   i32 the space's minimum x, centimetres
//   i32 the space's minimum y, centimetres
//   n × { u16 x, u16 y: decimetres from the minimum; u8 floor index; u8 role code }
//
// Positions beyond 6,553.5 m from the minimum are clamped (no world file is that large).

import WorldServer

public enum PositionFrame {
    public static let version: UInt8 = 1
    public static let headerBytes = 20
    public static let bytesPerAvatar = 6

    public static func encode(_ dots: AvatarDots, floors: Int, sequence: UInt64, minX: Int32, minY: Int32) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerBytes + dots.count * bytesPerAvatar)
        out.append(version)
        out.append(UInt8(clamping: floors))
        out.append(contentsOf: [0, 0])
        append32(UInt32(truncatingIfNeeded: sequence), to: &out)
        append32(UInt32(dots.count), to: &out)
        append32(UInt32(bitPattern: minX), to: &out)
        append32(UInt32(bitPattern: minY), to: &out)
        for i in 0..<dots.count {
            append16(decimetres(dots.x[i], from: minX), to: &out)
            append16(decimetres(dots.y[i], from: minY), to: &out)
            out.append(dots.floor[i])
            out.append(dots.role[i])
        }
        assert(out.count == headerBytes + dots.count * bytesPerAvatar)
        return out
    }

    /// Centimetres as decimetres from `origin`, clamped into 0...65535 (overflow-safe).
    static func decimetres(_ cm: Int32, from origin: Int32) -> UInt16 {
        let d = (Int64(cm) - Int64(origin)) / 10
        return UInt16(clamping: max(0, d))
    }

    static func append16(_ v: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(v & 0xFF))
        out.append(UInt8(v >> 8))
    }

    static func append32(_ v: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    /// Reads a frame back (for tests and tools): nil when it is not a whole frame of this version.
    public static func decode(_ bytes: [UInt8]) -> (sequence: UInt32, floors: Int, points: [(x: Int32, y: Int32, floor: UInt8, role: UInt8)])? {
        guard bytes.count >= headerBytes, bytes[0] == version else { return nil }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << UInt32($1 * 8) } }
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
        let n = Int(u32(8))
        guard bytes.count == headerBytes + n * bytesPerAvatar else { return nil }
        let minX = Int32(bitPattern: u32(12)), minY = Int32(bitPattern: u32(16))
        var points: [(x: Int32, y: Int32, floor: UInt8, role: UInt8)] = []
        points.reserveCapacity(n)
        for i in 0..<n {
            let at = headerBytes + i * bytesPerAvatar
            points.append((minX + Int32(u16(at)) * 10, minY + Int32(u16(at + 2)) * 10, bytes[at + 4], bytes[at + 5]))
        }
        return (u32(4), Int(bytes[1]), points)
    }
}
