// Reading a recording: every block's frame and checksum checked in order, up to the first
// that fails. What comes before it is the intact prefix, and replays; what is wrong with the
// failing block is kept as `damage`, in words (which block, at which byte, what is wrong).

import Foundation
import NetProto
import WorldCore

public struct RecordingFile: Sendable {
    public struct Block: Sendable {
        public var index: Int
        public var kind: BlockKind
        /// Where the block starts in the file.
        public var offset: Int
        public var payload: Range<Int>
        /// For ticks blocks: the ticks it holds. For a keyframe: its tick, count 0.
        public var firstTick: UInt64
        public var tickCount: Int
    }

    public let path: String
    public let bytes: [UInt8]
    public let header: RecordingHeader
    /// Every intact block after the header, in file order.
    public let blocks: [Block]
    /// The end block, if the file was closed in good order.
    public let end: RecordingEnd?
    /// What stopped the reading before the end of the file, if anything did.
    public let damage: String?

    /// The ticks the intact blocks cover, from the first keyframe's tick + 1.
    public var firstTick: UInt64 { (blocks.first { $0.kind == .keyframe }?.firstTick ?? 0) + 1 }
    public var lastTick: UInt64 {
        guard let b = blocks.last(where: { $0.kind == .ticks || $0.kind == .keyframe }) else { return 0 }
        return b.kind == .ticks ? b.firstTick + UInt64(b.tickCount) - 1 : b.firstTick
    }
    public var keyframes: [Block] { blocks.filter { $0.kind == .keyframe } }

    public func payload(_ b: Block) -> [UInt8] { Array(bytes[b.payload]) }

    /// Reads and checks the file at `path`. Throws only when not even the header and the first
    /// keyframe are intact (nothing could replay); later damage is reported in `damage`.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecordingError("\(path): cannot read the file (does it exist, and may this user read it?)")
        }
        try self.init(bytes: [UInt8](data), path: path)
    }

    public init(bytes: [UInt8], path: String = "(memory)") throws {
        self.path = path
        self.bytes = bytes
        var offset = 0
        var index = 0
        var header: RecordingHeader?
        var blocks: [Block] = []
        var end: RecordingEnd?
        var damage: String?
        var nextTick: UInt64?

        scan: while offset < bytes.count {
            let at = "block \(index) at byte \(offset)"
            if end != nil {
                damage = "\(at): \(bytes.count - offset) bytes after the end block"
                break
            }
            guard bytes.count - offset >= RecordingFormat.blockHeaderBytes else {
                damage = "\(at): only \(bytes.count - offset) of the \(RecordingFormat.blockHeaderBytes) bytes of a block header: the file was cut short (a crash, kill -9 or a full disk?)"
                break
            }
            var frame = ByteReader(Array(bytes[offset..<offset + RecordingFormat.blockHeaderBytes]))
            guard try frame.raw(4) == RecordingFormat.blockMagic else {
                damage = "\(at): no block magic \"SWRB\" (found \(hex(bytes[offset..<offset + 4]))): the file is corrupt here"
                break
            }
            let rawKind = try frame.u8()
            guard let kind = BlockKind(rawValue: rawKind) else {
                damage = "\(at): unknown block kind \(rawKind)"
                break
            }
            _ = try frame.raw(3)
            let length = Int(try frame.u32())
            guard length <= RecordingFormat.payloadBytesMax else {
                damage = "\(at) (\(kind)): declares \(length) payload bytes, more than the format allows"
                break
            }
            let start = offset + RecordingFormat.blockHeaderBytes
            guard bytes.count - start >= length else {
                damage = "\(at) (\(kind)): declares \(length) payload bytes, only \(bytes.count - start) remain: the file was cut short (a crash, kill -9 or a full disk?)"
                break
            }
            var crc = CRC32C()
            crc.update(bytes[offset..<offset + 12])
            crc.update(bytes[start..<start + length])
            let stored = try frame.u32()
            guard crc.value == stored else {
                damage = "\(at) (\(kind), \(length) bytes): checksum mismatch (stored 0x\(String(stored, radix: 16)), computed 0x\(String(crc.value, radix: 16))): the block is corrupt"
                break
            }
            // Header and end blocks are decoded whole; of the others only the tick numbers at
            // their start are read here (the replay decodes them when it reaches them).
            let payload = Array(bytes[start..<start + (kind == .header || kind == .end ? length : min(length, 32))])
            var block = Block(index: index, kind: kind, offset: offset, payload: start..<start + length, firstTick: 0, tickCount: 0)
            do {
                switch (kind, index) {
                case (.header, 0):
                    header = try RecordingHeader.decode(payload)
                case (_, 0):
                    throw RecordingError("the first block is a \(kind) block, not the header: this is not the start of a recording")
                case (.header, _):
                    throw RecordingError("a second header block")
                case (.keyframe, _):
                    var r = ByteReader(payload)
                    block.firstTick = try r.u64()
                    if let expected = nextTick, block.firstTick != expected - 1 {
                        throw RecordingError("keyframe of tick \(block.firstTick), but the ticks before it end at \(expected - 1)")
                    }
                    nextTick = block.firstTick + 1
                case (.ticks, _):
                    guard let expected = nextTick else { throw RecordingError("ticks before the first keyframe") }
                    var r = ByteReader(payload)
                    block.firstTick = try r.u64()
                    block.tickCount = try r.varint("ticks.count", maximum: length)
                    guard block.firstTick == expected else {
                        throw RecordingError("ticks from \(block.firstTick), but the blocks before end at \(expected - 1)")
                    }
                    nextTick = expected + UInt64(block.tickCount)
                case (.end, _):
                    end = try RecordingEnd.decode(payload)
                }
            } catch {
                if index == 0 { throw RecordingError("\(path): \(at): the header cannot be read: \(error)") }
                damage = "\(at) (\(kind)): \(error)"
                break scan
            }
            if kind != .header { blocks.append(block) }
            offset = start + length
            index += 1
        }
        guard let header else { throw RecordingError("\(path): empty file: not even a header block") }
        guard blocks.first?.kind == .keyframe else {
            throw RecordingError("\(path): no intact keyframe after the header, so nothing replays" + (damage.map { " (\($0))" } ?? ""))
        }
        self.header = header
        self.blocks = blocks
        self.end = end
        self.damage = damage
    }
}

func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
}
