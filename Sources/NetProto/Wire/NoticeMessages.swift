// The city's notice board on the wire (PROTOCOL.md, sections 4.1, 4.2 and 7.13): a notice's
// summary (what a list, a push and a notice's text share), the draft an editor posts, and
// their limits. A page holds at most 10 summaries and a notice's text travels alone, so that
// the largest of either fits one frame: 10 summaries of two 300-byte titles make a frame of
// 6,310 bytes, and a notice with two 3,000-byte bodies one of 6,639 (a test says so).

public enum NoticeWire {
    public static let titleBytesMax = 300
    public static let bodyBytesMax = 3_000
    public static let targetSpacesMax = 32
    /// Summaries in one `noticeList`.
    public static let pageMax = 10
    /// Categories: 0 event, 1 service update, 2 maintenance, 3 safety.
    public static let categoryMax: UInt8 = 3
}

/// What a list, a push and a notice's text say of a notice.
public struct NoticeSummary: Hashable, Sendable {
    public var id: UInt64
    /// 0 event, 1 service update, 2 maintenance, 3 safety.
    public var category: UInt8
    public var pinned: Bool
    /// Read by this account (always false for a guest).
    public var read: Bool
    /// Shown in every space, not only named ones.
    public var cityWide: Bool
    public var startsAtMillis: UInt64
    public var endsAtMillis: UInt64
    /// Either may be empty (never both): a client shows the other.
    public var titleKo: String
    public var titleEn: String

    public init(id: UInt64, category: UInt8, pinned: Bool, read: Bool, cityWide: Bool, startsAtMillis: UInt64, endsAtMillis: UInt64,
                titleKo: String, titleEn: String) {
        self.id = id
        self.category = category
        self.pinned = pinned
        self.read = read
        self.cityWide = cityWide
        self.startsAtMillis = startsAtMillis
        self.endsAtMillis = endsAtMillis
        self.titleKo = titleKo
        self.titleEn = titleEn
    }

    func encode(_ w: inout ByteWriter) {
        w.u64(id)
        w.u8(category)
        w.u8((pinned ? 1 : 0) | (read ? 2 : 0) | (cityWide ? 4 : 0))
        w.u64(startsAtMillis)
        w.u64(endsAtMillis)
        w.string16(titleKo)
        w.string16(titleEn)
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> NoticeSummary {
        let id = try r.u64()
        guard id != 0 else { throw .invalid(field: "notice.id", reason: "0 is never a notice id") }
        let category = try Self.category(&r)
        let flags = try r.u8()
        guard flags <= 7 else { throw .invalid(field: "notice.flags", reason: "\(flags) has bits other than 1, 2 and 4") }
        let starts = try r.u64(), ends = try r.u64()
        let ko = try r.string16("notice.titleKo", maximum: NoticeWire.titleBytesMax)
        let en = try r.string16("notice.titleEn", maximum: NoticeWire.titleBytesMax)
        return NoticeSummary(id: id, category: category, pinned: flags & 1 != 0, read: flags & 2 != 0, cityWide: flags & 4 != 0,
                             startsAtMillis: starts, endsAtMillis: ends, titleKo: ko, titleEn: en)
    }

    static func category(_ r: inout ByteReader) throws(WireError) -> UInt8 {
        let c = try r.u8()
        guard c <= NoticeWire.categoryMax else { throw .invalid(field: "notice.category", reason: "\(c) is not 0 to \(NoticeWire.categoryMax)") }
        return c
    }
}

/// A notice as an editor writes it (`postNotice`). The server checks the rest (PROTOCOL.md 7.13).
public struct NoticeDraftBody: Hashable, Sendable {
    public var category: UInt8
    public var pinned: Bool
    /// Unix milliseconds; 0 for now.
    public var startsAtMillis: UInt64
    public var endsAtMillis: UInt64
    /// Empty for the whole city.
    public var spaces: [String]
    public var titleKo: String
    public var titleEn: String
    public var bodyKo: String
    public var bodyEn: String

    public init(category: UInt8, pinned: Bool, startsAtMillis: UInt64, endsAtMillis: UInt64, spaces: [String], titleKo: String, titleEn: String,
                bodyKo: String, bodyEn: String) {
        self.category = category
        self.pinned = pinned
        self.startsAtMillis = startsAtMillis
        self.endsAtMillis = endsAtMillis
        self.spaces = spaces
        self.titleKo = titleKo
        self.titleEn = titleEn
        self.bodyKo = bodyKo
        self.bodyEn = bodyEn
    }

    func encode(_ w: inout ByteWriter) {
        precondition(spaces.count <= NoticeWire.targetSpacesMax)
        w.u8(category)
        w.u8(pinned ? 1 : 0)
        w.u64(startsAtMillis)
        w.u64(endsAtMillis)
        w.u8(UInt8(spaces.count))
        for s in spaces { w.string8(s) }
        w.string16(titleKo)
        w.string16(titleEn)
        w.string16(bodyKo)
        w.string16(bodyEn)
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> NoticeDraftBody {
        let category = try NoticeSummary.category(&r)
        let pinned = try r.flag("notice.pinned")
        let starts = try r.u64(), ends = try r.u64()
        let count = Int(try r.u8())
        guard count <= NoticeWire.targetSpacesMax else { throw .invalid(field: "notice.spaces", reason: "\(count); at most \(NoticeWire.targetSpacesMax)") }
        var spaces: [String] = []
        for _ in 0..<count { spaces.append(try r.string8("notice.space", maximum: WireProtocol.spaceIDBytesMax)) }
        let titleKo = try r.string16("notice.titleKo", maximum: NoticeWire.titleBytesMax)
        let titleEn = try r.string16("notice.titleEn", maximum: NoticeWire.titleBytesMax)
        let bodyKo = try r.string16("notice.bodyKo", maximum: NoticeWire.bodyBytesMax)
        let bodyEn = try r.string16("notice.bodyEn", maximum: NoticeWire.bodyBytesMax)
        return NoticeDraftBody(category: category, pinned: pinned, startsAtMillis: starts, endsAtMillis: ends, spaces: spaces,
                               titleKo: titleKo, titleEn: titleEn, bodyKo: bodyKo, bodyEn: bodyEn)
    }
}
