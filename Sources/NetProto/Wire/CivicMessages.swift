// The suggestion box and the inbox on the wire (PROTOCOL.md, sections 4.1, 4.2, 7.14 and
// 7.15): a suggestion as filed, its summary in a list, its whole text with the city's answer;
// an inbox message's summary and the message whole. A list carries summaries only (titles, at
// most 10), and a text travels alone, so that the largest of each fits one frame.

public enum CivicWire {
    public static let titleBytesMax = 300
    public static let textBytesMax = 3_000
    public static let trackingBytesMax = 32
    public static let pageMax = 10
    /// Categories 0 to 8: transport, housing, welfare, environment, safety, culture, economy,
    /// administration, other.
    public static let categoryMax: UInt8 = 8
    /// States 0 to 3: received, in review, answered, closed.
    public static let stateMax: UInt8 = 3
    /// Inbox kinds 0 to 4: suggestion answered, suggestion closed, report outcome, sanction, operator.
    public static let inboxKindMax: UInt8 = 4
}

/// Which suggestions `listSuggestions` asks for.
public enum SuggestionScope: UInt8, Sendable, Hashable {
    case mine = 0
    /// Received and in review, oldest first (answerers only).
    case queue = 1
    /// Answered ones whose citizens consented, the latest answer first (anyone).
    case answered = 2
}

/// What `handleSuggestion` does.
public enum SuggestionAction: UInt8, Sendable, Hashable {
    case take = 0, answer = 1, close = 2
}

public struct SuggestionFiling: Hashable, Sendable {
    public var category: UInt8
    public var publicConsent: Bool
    /// Empty when it is about no space in particular.
    public var space: String
    public var title: String
    public var body: String

    public init(category: UInt8, publicConsent: Bool, space: String, title: String, body: String) {
        self.category = category
        self.publicConsent = publicConsent
        self.space = space
        self.title = title
        self.body = body
    }

    func encode(_ w: inout ByteWriter) {
        w.u8(category)
        w.u8(publicConsent ? 1 : 0)
        w.string8(space)
        w.string16(title)
        w.string16(body)
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> SuggestionFiling {
        let category = try r.u8()
        guard category <= CivicWire.categoryMax else { throw .invalid(field: "suggestion.category", reason: "\(category) is not 0 to \(CivicWire.categoryMax)") }
        let consent = try r.flag("suggestion.consent")
        let space = try r.string8("suggestion.space", maximum: WireProtocol.spaceIDBytesMax)
        let title = try r.string16("suggestion.title", maximum: CivicWire.titleBytesMax)
        return SuggestionFiling(category: category, publicConsent: consent, space: space, title: title,
                                body: try r.string16("suggestion.body", maximum: CivicWire.textBytesMax))
    }
}

public struct SuggestionSummary: Hashable, Sendable {
    public var id: UInt64
    public var trackingNumber: String
    public var category: UInt8
    /// 0 received, 1 in review, 2 answered, 3 closed.
    public var state: UInt8
    public var filedAtMillis: UInt64
    public var title: String

    public init(id: UInt64, trackingNumber: String, category: UInt8, state: UInt8, filedAtMillis: UInt64, title: String) {
        self.id = id
        self.trackingNumber = trackingNumber
        self.category = category
        self.state = state
        self.filedAtMillis = filedAtMillis
        self.title = title
    }

    func encode(_ w: inout ByteWriter) {
        w.u64(id)
        w.string8(trackingNumber)
        w.u8(category)
        w.u8(state)
        w.u64(filedAtMillis)
        w.string16(title)
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> SuggestionSummary {
        let id = try r.u64()
        guard id != 0 else { throw .invalid(field: "suggestion.id", reason: "0 is never a suggestion id") }
        let tracking = try r.string8("suggestion.trackingNumber", maximum: CivicWire.trackingBytesMax)
        let category = try r.u8()
        guard category <= CivicWire.categoryMax else { throw .invalid(field: "suggestion.category", reason: "\(category) is not 0 to \(CivicWire.categoryMax)") }
        let state = try r.u8()
        guard state <= CivicWire.stateMax else { throw .invalid(field: "suggestion.state", reason: "\(state) is not 0 to \(CivicWire.stateMax)") }
        let filed = try r.u64()
        return SuggestionSummary(id: id, trackingNumber: tracking, category: category, state: state, filedAtMillis: filed,
                                 title: try r.string16("suggestion.title", maximum: CivicWire.titleBytesMax))
    }
}

/// A suggestion whole: its summary, the rest as filed, and the city's answer or closing reason.
public struct SuggestionText: Hashable, Sendable {
    public var summary: SuggestionSummary
    public var space: String
    public var publicConsent: Bool
    public var body: String
    /// Empty until answered or closed.
    public var response: String
    /// 0 until answered or closed.
    public var respondedAtMillis: UInt64

    public init(summary: SuggestionSummary, space: String, publicConsent: Bool, body: String, response: String, respondedAtMillis: UInt64) {
        self.summary = summary
        self.space = space
        self.publicConsent = publicConsent
        self.body = body
        self.response = response
        self.respondedAtMillis = respondedAtMillis
    }

    func encode(_ w: inout ByteWriter) {
        summary.encode(&w)
        w.string8(space)
        w.u8(publicConsent ? 1 : 0)
        w.string16(body)
        w.string16(response)
        w.u64(respondedAtMillis)
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> SuggestionText {
        let summary = try SuggestionSummary.decode(&r)
        let space = try r.string8("suggestion.space", maximum: WireProtocol.spaceIDBytesMax)
        let consent = try r.flag("suggestion.consent")
        let body = try r.string16("suggestion.body", maximum: CivicWire.textBytesMax)
        let response = try r.string16("suggestion.response", maximum: CivicWire.textBytesMax)
        return SuggestionText(summary: summary, space: space, publicConsent: consent, body: body, response: response, respondedAtMillis: try r.u64())
    }
}

/// An inbox message; `body` is empty in a list (read it whole with `readInbox`).
public struct InboxEntry: Hashable, Sendable {
    public var id: UInt64
    /// 0 suggestion answered, 1 suggestion closed, 2 report outcome, 3 sanction, 4 operator.
    public var kind: UInt8
    public var read: Bool
    public var createdAtMillis: UInt64
    public var reference: String
    public var title: String
    public var body: String

    public init(id: UInt64, kind: UInt8, read: Bool, createdAtMillis: UInt64, reference: String, title: String, body: String) {
        self.id = id
        self.kind = kind
        self.read = read
        self.createdAtMillis = createdAtMillis
        self.reference = reference
        self.title = title
        self.body = body
    }

    func encode(_ w: inout ByteWriter) {
        w.u64(id)
        w.u8(kind)
        w.u8(read ? 1 : 0)
        w.u64(createdAtMillis)
        w.string8(reference)
        w.string16(title)
        w.string16(body)
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> InboxEntry {
        let id = try r.u64()
        guard id != 0 else { throw .invalid(field: "inbox.id", reason: "0 is never a message id") }
        let kind = try r.u8()
        guard kind <= CivicWire.inboxKindMax else { throw .invalid(field: "inbox.kind", reason: "\(kind) is not 0 to \(CivicWire.inboxKindMax)") }
        let read = try r.flag("inbox.read")
        let created = try r.u64()
        let reference = try r.string8("inbox.reference", maximum: CivicWire.trackingBytesMax)
        let title = try r.string16("inbox.title", maximum: CivicWire.titleBytesMax)
        return InboxEntry(id: id, kind: kind, read: read, createdAtMillis: created, reference: reference, title: title,
                          body: try r.string16("inbox.body", maximum: CivicWire.textBytesMax))
    }
}

/// A point of interest as `pointsOfInterest` lists it: its name in the visitor's language.
public struct PlaceEntry: Hashable, Sendable {
    public var id: String
    /// The world file's kind: info-board, exhibit, counselling-desk, ...
    public var kind: String
    public var floor: UInt8
    /// Centimetres, as in `entered`.
    public var x: Int32
    public var y: Int32
    public var name: String

    public init(id: String, kind: String, floor: UInt8, x: Int32, y: Int32, name: String) {
        self.id = id
        self.kind = kind
        self.floor = floor
        self.x = x
        self.y = y
        self.name = name
    }

    func encode(_ w: inout ByteWriter) {
        w.string8(id)
        w.string8(kind)
        w.u8(floor)
        w.i32(x)
        w.i32(y)
        w.string16(name)
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> PlaceEntry {
        let id = try r.string8("place.id", maximum: WireProtocol.spaceIDBytesMax)
        let kind = try r.string8("place.kind", maximum: PlaceWire.kindBytesMax)
        let floor = try r.u8()
        let x = try r.i32(), y = try r.i32()
        return PlaceEntry(id: id, kind: kind, floor: floor, x: x, y: y, name: try r.string16("place.name", maximum: PlaceWire.nameBytesMax))
    }
}

public enum PlaceWire {
    /// A language tag as a client sends it (BCP 47; the server reads its first subtag).
    public static let languageBytesMax = 35
    public static let kindBytesMax = 32
    /// A point of interest's name in one language (world files are checked against it).
    public static let nameBytesMax = 120
    /// Its text in one language (world files are checked against it).
    public static let textBytesMax = 1_000
    /// Points of interest in one `pointsOfInterest` message; a space with more sends several.
    public static let perMessageMax = 32
}

/// The Angel Guide and the ethics code on the wire (PROTOCOL.md 7.17).
public enum GuideWire {
    public static let versionBytesMax = 32
    public static let titleBytesMax = 120
    public static let textBytesMax = 1_000
    public static let sectionsMax = 32
}

/// 0 the ethics code, 1 the tutorial (the Angel Guide).
public enum GuidePart: UInt8, Sendable, Hashable {
    case ethics = 0, tutorial = 1
}

public struct GuideText: Hashable, Sendable {
    public struct Section: Hashable, Sendable {
        public var id: String
        public var title: String
        public var text: String
        /// A tutorial step this account has done (always false in the ethics code and for guests).
        public var done: Bool
        public init(id: String, title: String, text: String, done: Bool) {
            self.id = id
            self.title = title
            self.text = text
            self.done = done
        }
    }

    public var part: GuidePart
    public var version: String
    /// "ko" or "en": the language the titles and texts are in.
    public var language: String
    /// For the ethics code: whether this account accepted this version (false for a guest).
    public var accepted: Bool
    public var title: String
    public var sections: [Section]

    public init(part: GuidePart, version: String, language: String, accepted: Bool, title: String, sections: [Section]) {
        self.part = part
        self.version = version
        self.language = language
        self.accepted = accepted
        self.title = title
        self.sections = sections
    }

    func encode(_ w: inout ByteWriter) {
        precondition(sections.count <= GuideWire.sectionsMax)
        w.u8(part.rawValue)
        w.string8(version)
        w.string8(language)
        w.u8(accepted ? 1 : 0)
        w.string16(title)
        w.u8(UInt8(sections.count))
        for s in sections {
            w.string8(s.id)
            w.string16(s.title)
            w.string16(s.text)
            w.u8(s.done ? 1 : 0)
        }
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> GuideText {
        let raw = try r.u8()
        guard let part = GuidePart(rawValue: raw) else { throw .invalid(field: "guide.part", reason: "\(raw) is not 0 (ethics code) or 1 (tutorial)") }
        let version = try r.string8("guide.version", maximum: GuideWire.versionBytesMax)
        let language = try r.string8("guide.language", maximum: PlaceWire.languageBytesMax)
        let accepted = try r.flag("guide.accepted")
        let title = try r.string16("guide.title", maximum: GuideWire.titleBytesMax)
        let count = Int(try r.u8())
        guard count <= GuideWire.sectionsMax else { throw .invalid(field: "guide.sections", reason: "\(count); at most \(GuideWire.sectionsMax)") }
        var sections: [Section] = []
        for _ in 0..<count {
            let id = try r.string8("section.id", maximum: WireProtocol.spaceIDBytesMax)
            let title = try r.string16("section.title", maximum: GuideWire.titleBytesMax)
            let text = try r.string16("section.text", maximum: GuideWire.textBytesMax)
            let done = try r.flag("section.done")
            sections.append(Section(id: id, title: title, text: text, done: done))
        }
        return GuideText(part: part, version: version, language: language, accepted: accepted, title: title, sections: sections)
    }
}
