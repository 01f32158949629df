// Tax Square's bodies on the wire (PROTOCOL.md, sections 4.1, 4.2 and 7.12): the fields of a
// calculation asked for, the working that answers it, and the FAQ bot's answer. The fields are
// named text, not a layout per tax, so that a tax gaining a field changes the tables and the
// parser, not these bytes; the server checks each field and names a bad one in its error.

public enum TaxWire {
    public static let fieldsMax = 12
    public static let fieldNameBytesMax = 32
    public static let fieldValueBytesMax = 64
    public static let questionBytesMax = 1_000
    public static let linesMax = 32
    public static let paymentsMax = 8
    public static let notesMax = 16
    public static let sourcesMax = 16
    /// Each label, article, note and source.
    public static let textBytesMax = 1_000
    /// An answer's text in each language.
    public static let answerBytesMax = 2_000
    public static let idBytesMax = 64
    public static let dateBytes = 10
}

public struct TaxField: Hashable, Sendable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A text in Korean and English.
public struct TaxNote: Hashable, Sendable {
    public var ko: String
    public var en: String
    public init(ko: String, en: String) {
        self.ko = ko
        self.en = en
    }
}

public struct TaxWorkingBody: Hashable, Sendable {
    public struct Line: Hashable, Sendable {
        public var id: String
        public var label: TaxNote
        public var base: UInt64?
        /// Empty when the line has no rate.
        public var rate: String
        public var beforeCut: UInt64?
        /// Negative for a reduction.
        public var amount: Int64
        public var article: String
        public init(id: String, label: TaxNote, base: UInt64?, rate: String, beforeCut: UInt64?, amount: Int64, article: String) {
            self.id = id
            self.label = label
            self.base = base
            self.rate = rate
            self.beforeCut = beforeCut
            self.amount = amount
            self.article = article
        }
    }

    public struct Payment: Hashable, Sendable {
        public var id: String
        public var label: TaxNote
        public var amount: UInt64
        public init(id: String, label: TaxNote, amount: UInt64) {
            self.id = id
            self.label = label
            self.amount = amount
        }
    }

    /// 0 car, 1 property, 2 acquisition.
    public var tax: UInt8
    public var date: String
    public var tableFrom: String
    public var tableChecked: String
    public var total: UInt64
    public var lines: [Line]
    public var payments: [Payment]
    public var options: [Payment]
    public var notIncluded: [TaxNote]
    public var warnings: [TaxNote]

    public init(tax: UInt8, date: String, tableFrom: String, tableChecked: String, total: UInt64, lines: [Line], payments: [Payment],
                options: [Payment], notIncluded: [TaxNote], warnings: [TaxNote]) {
        self.tax = tax
        self.date = date
        self.tableFrom = tableFrom
        self.tableChecked = tableChecked
        self.total = total
        self.lines = lines
        self.payments = payments
        self.options = options
        self.notIncluded = notIncluded
        self.warnings = warnings
    }

    func encode(_ w: inout ByteWriter) {
        precondition(lines.count <= TaxWire.linesMax && payments.count <= TaxWire.paymentsMax && options.count <= TaxWire.paymentsMax
                     && notIncluded.count <= TaxWire.notesMax && warnings.count <= TaxWire.notesMax)
        w.u8(tax)
        w.string8(date)
        w.string8(tableFrom)
        w.string8(tableChecked)
        w.u64(total)
        w.u8(UInt8(lines.count))
        for l in lines {
            w.string8(l.id)
            l.label.encode(&w)
            w.u8((l.base == nil ? 0 : 1) | (l.beforeCut == nil ? 0 : 2))
            if let base = l.base { w.u64(base) }
            w.string8(l.rate)
            if let cut = l.beforeCut { w.u64(cut) }
            w.u64(UInt64(bitPattern: l.amount))
            w.string16(l.article)
        }
        for list in [payments, options] {
            w.u8(UInt8(list.count))
            for p in list {
                w.string8(p.id)
                p.label.encode(&w)
                w.u64(p.amount)
            }
        }
        for list in [notIncluded, warnings] {
            w.u8(UInt8(list.count))
            for n in list { n.encode(&w) }
        }
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> TaxWorkingBody {
        let tax = try r.u8()
        guard tax <= 2 else { throw .invalid(field: "tax", reason: "\(tax) is not 0 (car), 1 (property) or 2 (acquisition)") }
        let date = try r.string8("date", maximum: TaxWire.dateBytes)
        let from = try r.string8("tableFrom", maximum: TaxWire.dateBytes)
        let checked = try r.string8("tableChecked", maximum: TaxWire.dateBytes)
        let total = try r.u64()
        let lineCount = Int(try r.u8())
        guard lineCount <= TaxWire.linesMax else { throw .invalid(field: "lines", reason: "\(lineCount); at most \(TaxWire.linesMax)") }
        var lines: [Line] = []
        for _ in 0..<lineCount {
            let id = try r.string8("line.id", maximum: TaxWire.idBytesMax)
            let label = try TaxNote.decode(&r, "line.label")
            let flags = try r.u8()
            guard flags <= 3 else { throw .invalid(field: "line.flags", reason: "\(flags) has bits other than 1 and 2") }
            let base = flags & 1 == 0 ? nil : try r.u64()
            let rate = try r.string8("line.rate", maximum: TaxWire.idBytesMax)
            let cut = flags & 2 == 0 ? nil : try r.u64()
            let amount = Int64(bitPattern: try r.u64())
            lines.append(Line(id: id, label: label, base: base, rate: rate, beforeCut: cut, amount: amount,
                              article: try r.string16("line.article", maximum: TaxWire.textBytesMax)))
        }
        func payments(_ field: String) throws(WireError) -> [Payment] {
            let n = Int(try r.u8())
            guard n <= TaxWire.paymentsMax else { throw .invalid(field: field, reason: "\(n); at most \(TaxWire.paymentsMax)") }
            var out: [Payment] = []
            for _ in 0..<n {
                let id = try r.string8("\(field).id", maximum: TaxWire.idBytesMax)
                let label = try TaxNote.decode(&r, "\(field).label")
                out.append(Payment(id: id, label: label, amount: try r.u64()))
            }
            return out
        }
        func notes(_ field: String) throws(WireError) -> [TaxNote] {
            let n = Int(try r.u8())
            guard n <= TaxWire.notesMax else { throw .invalid(field: field, reason: "\(n); at most \(TaxWire.notesMax)") }
            var out: [TaxNote] = []
            for _ in 0..<n { out.append(try TaxNote.decode(&r, field)) }
            return out
        }
        let pay = try payments("payments"), options = try payments("options")
        let notIncluded = try notes("notIncluded"), warnings = try notes("warnings")
        return TaxWorkingBody(tax: tax, date: date, tableFrom: from, tableChecked: checked, total: total, lines: lines, payments: pay,
                              options: options, notIncluded: notIncluded, warnings: warnings)
    }
}

extension TaxNote {
    func encode(_ w: inout ByteWriter) {
        w.string16(ko)
        w.string16(en)
    }

    static func decode(_ r: inout ByteReader, _ field: String, maximum: Int = TaxWire.textBytesMax) throws(WireError) -> TaxNote {
        let ko = try r.string16("\(field).ko", maximum: maximum)
        return TaxNote(ko: ko, en: try r.string16("\(field).en", maximum: maximum))
    }
}

public struct TaxAnswerBody: Hashable, Sendable {
    public enum Kind: UInt8, Hashable, Sendable {
        case answered = 0
        /// Nothing in the FAQ answers it: `desk` is the counselling desk to queue at.
        case doesNotKnow = 1
        /// A national tax, which the city does not collect.
        case nationalTax = 2
    }

    public var kind: Kind
    /// The FAQ entry; empty unless answered.
    public var entry: String
    /// The match's score in thousandths (0 to 1,000).
    public var score: UInt16
    public var text: TaxNote
    public var sources: [String]
    /// The desk to queue at for a person's answer; empty when answered.
    public var desk: String

    public init(kind: Kind, entry: String, score: UInt16, text: TaxNote, sources: [String], desk: String) {
        self.kind = kind
        self.entry = entry
        self.score = score
        self.text = text
        self.sources = sources
        self.desk = desk
    }

    func encode(_ w: inout ByteWriter) {
        precondition(sources.count <= TaxWire.sourcesMax && score <= 1_000)
        w.u8(kind.rawValue)
        w.string8(entry)
        w.u16(score)
        text.encode(&w)
        w.u8(UInt8(sources.count))
        for s in sources { w.string16(s) }
        w.string8(desk)
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> TaxAnswerBody {
        let raw = try r.u8()
        guard let kind = Kind(rawValue: raw) else { throw .invalid(field: "answer.kind", reason: "\(raw) is not 0 to 2") }
        let entry = try r.string8("answer.entry", maximum: TaxWire.idBytesMax)
        let score = try r.u16()
        guard score <= 1_000 else { throw .invalid(field: "answer.score", reason: "\(score), more than 1,000") }
        let text = try TaxNote.decode(&r, "answer.text", maximum: TaxWire.answerBytesMax)
        let n = Int(try r.u8())
        guard n <= TaxWire.sourcesMax else { throw .invalid(field: "answer.sources", reason: "\(n); at most \(TaxWire.sourcesMax)") }
        var sources: [String] = []
        for _ in 0..<n { sources.append(try r.string16("answer.source", maximum: TaxWire.textBytesMax)) }
        return TaxAnswerBody(kind: kind, entry: entry, score: score, text: text, sources: sources,
                             desk: try r.string8("answer.desk", maximum: TaxWire.idBytesMax))
    }
}
