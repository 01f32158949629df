// Tax Square's FAQ bot: a question in Korean or English answered from `services/tax/faq.json`
// by retrieval, or "I do not know" with the way to a counsellor. No model, no network: features
// that survive Korean particles and spacing (character bigrams within each Korean word, so
// "자동차세는" and "자동차세" share "자동", "동차", "차세", and its syllables at a low weight),
// English words cut to a rough stem with their character trigrams, all weighted by inverse
// document frequency over the FAQ's own text. An entry scores the better of the best cosine of
// the question with one of its phrasings and the cosine with the entry as a whole (phrasings,
// keywords and answer). A feature the FAQ never uses lowers the score (a question mostly about
// something else). Below `threshold` the bot says it does not know. The features and the
// threshold were chosen on a development set and then measured once on a held-out one written
// afterwards (Tests/ServicesTests/Fixtures/tax/).

import Foundation

public struct TaxFAQ: Sendable {
    public struct Entry: Sendable, Hashable {
        public var id: String
        /// "car", "property", "acquisition" or "general" (answers any question).
        public var topic: String
        public var questions: [String]
        public var keywords: [String]
        public var answer: Bilingual
        public var sources: [String]
    }

    public enum Reply: Sendable, Hashable {
        /// The entry that answers, with its score (0 to 1).
        case answer(Entry, score: Double)
        /// Nothing scored `threshold` or more; `best` is the best score seen.
        case unknown(best: Double)
        /// The question is about a national tax, which the city does not collect.
        case nationalTax(term: String)
    }

    public let entries: [Entry]
    /// The desk a "does not know" sends the citizen to (services/desks/).
    public let desk: String
    public let threshold: Double
    /// Words naming each topic, and the national taxes' names.
    public let topics: [(id: String, terms: [String])]
    public let outside: [String]
    /// The features' weights, chosen on the development set (a grid of 0, 0.2 and 0.4 for
    /// syllables, 0, 0.3 and 0.6 for trigrams, 0, 0.5 and 1 for unseen features, each with its
    /// best threshold from 0.10 to 0.50): a Korean syllable counts this much of a bigram, an
    /// English word's trigram this much of the word, and a feature the FAQ never uses this
    /// share of the rarest feature's weight.
    static let syllableWeight = 0.4
    static let trigramWeight = 0.3
    static let unseenShare = 1.0
    public static let defaultThreshold = 0.26
    public static let questionBytesMax = 1_000

    /// Each feature the FAQ uses, as a number, with its inverse document frequency.
    let ids: [String: Int32]
    let idf: [Double]
    /// The weight of a feature the FAQ never uses: that of one used in no document.
    let unseenWeight: Double
    /// Every vector (each entry's phrasings, then the entry as a whole), as an inverted index:
    /// per feature, the vectors that have it and its weight there.
    let postings: [[(vector: Int32, weight: Double)]]
    /// Per entry, the range of its vectors; the last of the range is the whole entry's.
    let vectorsOfEntry: [Range<Int>]
    let vectorCount: Int
    /// The topics' and the national taxes' terms, ready to find: Korean as scalars without
    /// spaces, English as stemmed words between spaces.
    let topicTerms: [(id: String, terms: [Term])]
    let outsideTerms: [(text: String, term: Term)]

    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(description: String) { self.description = description }
    }

    struct File: Decodable {
        struct E: Decodable { var id: String; var topic: String; var questions: [String]; var keywords: [String]?; var answer: Bilingual; var sources: [String] }
        struct Topic: Decodable { var id: String; var terms: [String] }
        var formatVersion: Int
        var checked: String
        var desk: String
        var topics: [Topic]
        var outside: [String]
        var entries: [E]
    }

    public static func parse(_ data: Data, path: String, threshold: Double = defaultThreshold) throws(LoadError) -> TaxFAQ {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw LoadError(description: "\(path) is not a tax FAQ file: \(TaxTables.describe(error))")
        }
        guard file.formatVersion == 1 else { throw LoadError(description: "\(path): formatVersion \(file.formatVersion) is not 1") }
        var seen = Set<String>()
        for (i, e) in file.entries.enumerated() {
            guard !e.id.isEmpty, seen.insert(e.id).inserted else { throw LoadError(description: "\(path): entries[\(i)].id '\(e.id)' is empty or used twice") }
            guard !e.questions.isEmpty else { throw LoadError(description: "\(path): entries[\(i)] (\(e.id)) has no questions") }
            guard !e.answer.ko.isEmpty, !e.answer.en.isEmpty else { throw LoadError(description: "\(path): entries[\(i)] (\(e.id)) needs an answer in ko and en") }
            guard !e.sources.isEmpty else { throw LoadError(description: "\(path): entries[\(i)] (\(e.id)) names no source") }
        }
        guard !file.entries.isEmpty else { throw LoadError(description: "\(path): no entries") }
        let topicIDs = Set(file.topics.map(\.id)).union(["general"])
        for (i, e) in file.entries.enumerated() where !topicIDs.contains(e.topic) {
            throw LoadError(description: "\(path): entries[\(i)] (\(e.id)): topic '\(e.topic)' is not one of \(topicIDs.sorted().joined(separator: ", "))")
        }
        return TaxFAQ(entries: file.entries.map { Entry(id: $0.id, topic: $0.topic, questions: $0.questions, keywords: $0.keywords ?? [], answer: $0.answer, sources: $0.sources) },
                      desk: file.desk, topics: file.topics.map { ($0.id, $0.terms) }, outside: file.outside, threshold: threshold)
    }

    public init(entries: [Entry], desk: String, topics: [(id: String, terms: [String])] = [], outside: [String] = [],
                threshold: Double = defaultThreshold) {
        self.topics = topics
        // Longest first, so that "양도소득세" is named rather than the "소득세" inside it.
        self.outside = outside.sorted { $0.count > $1.count || ($0.count == $1.count && $0 < $1) }
        self.entries = entries
        self.desk = desk
        self.threshold = threshold
        // Document frequency over every phrasing and every whole entry.
        func whole(_ e: Entry) -> String { (e.questions + e.keywords + [e.answer.ko, e.answer.en]).joined(separator: "\n") }
        var documents: [[String: Double]] = []
        var ranges: [Range<Int>] = []
        for e in entries {
            let first = documents.count
            for q in e.questions { documents.append(Self.features(q)) }
            documents.append(Self.features(whole(e)))
            ranges.append(first..<documents.count)
        }
        var df: [String: Int] = [:]
        for d in documents { for k in d.keys { df[k, default: 0] += 1 } }
        let n = Double(documents.count)
        var ids: [String: Int32] = [:]
        var idf: [Double] = []
        for k in df.keys.sorted() {
            ids[k] = Int32(idf.count)
            idf.append(log((n + 1) / (Double(df[k]!) + 1)) + 1)
        }
        self.ids = ids
        self.idf = idf
        unseenWeight = (log(n + 1) + 1) * Self.unseenShare
        var postings: [[(vector: Int32, weight: Double)]] = Array(repeating: [], count: idf.count)
        for (v, d) in documents.enumerated() {
            for (id, w) in Self.weighted(d, ids: ids, idf: idf, unseen: nil) { postings[Int(id)].append((Int32(v), w)) }
        }
        self.postings = postings
        vectorsOfEntry = ranges
        vectorCount = documents.count
        topicTerms = topics.map { t in (t.id, t.terms.map(Term.init)) }
        outsideTerms = self.outside.map { ($0, Term($0)) }
    }

    /// The best entry for `question`, or `unknown`; ties go to the earlier entry.
    public func reply(_ question: String) -> Reply {
        let mentioned = mentions(question)
        if mentioned.topics.isEmpty, let term = mentioned.outside { return .nationalTax(term: term) }
        let ranked = rank(question, named: mentioned.topics)
        guard let best = ranked.first else { return .unknown(best: 0) }
        return best.score >= threshold ? .answer(entries[best.index], score: best.score) : .unknown(best: best.score)
    }

    /// A term to find in a question.
    struct Term: Sendable {
        /// Korean (or any non-ASCII) term: its scalars without spaces; else nil.
        var scalars: [Unicode.Scalar]?
        /// An English term: its stemmed words, " " between and around.
        var words: String?
        init(_ text: String) {
            if text.unicodeScalars.allSatisfy(\.isASCII) {
                words = " " + text.lowercased().split(separator: " ").map { TaxFAQ.stem(String($0)) }.joined(separator: " ") + " "
            } else {
                scalars = TaxFAQ.fold(text).unicodeScalars.filter { !$0.properties.isWhitespace }
            }
        }
    }

    /// A question as the terms are looked for in it.
    struct Folded {
        var compact: [Unicode.Scalar]
        var english: String
        init(_ question: String) {
            let folded = TaxFAQ.fold(question)
            compact = folded.unicodeScalars.filter { !$0.properties.isWhitespace }
            // English words, stemmed, between spaces: " capital gain tax ".
            var words: [String] = []
            var word = ""
            for scalar in folded.unicodeScalars {
                if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" {
                    word.unicodeScalars.append(scalar)
                } else if !word.isEmpty {
                    words.append(TaxFAQ.stem(word))
                    word = ""
                }
            }
            if !word.isEmpty { words.append(TaxFAQ.stem(word)) }
            english = " " + words.joined(separator: " ") + " "
        }

        func names(_ t: Term) -> Bool {
            if let w = t.words { return english.contains(w) }
            guard let s = t.scalars, !s.isEmpty, s.count <= compact.count else { return false }
            var i = 0
            while i + s.count <= compact.count {
                if compact[i] == s[0] {
                    var j = 1
                    while j < s.count && compact[i + j] == s[j] { j += 1 }
                    if j == s.count { return true }
                }
                i += 1
            }
            return false
        }
    }

    /// The topics a question names, and the first national tax it names.
    public func mentions(_ question: String) -> (topics: Set<String>, outside: String?) {
        let folded = Folded(question)
        let named = Set(topicTerms.filter { $0.terms.contains(where: folded.names) }.map(\.id))
        return (named, outsideTerms.first { folded.names($0.term) }?.text)
    }

    /// Every entry's score, best first; entries of a topic the question does not name are left
    /// out when it names one.
    public func rank(_ question: String) -> [(index: Int, score: Double)] { rank(question, named: mentions(question).topics) }

    func rank(_ question: String, named: Set<String>) -> [(index: Int, score: Double)] {
        let bounded = String(question.utf8.prefix(Self.questionBytesMax)) ?? question
        let q = Self.weighted(Self.features(bounded), ids: ids, idf: idf, unseen: unseenWeight)
        guard !q.isEmpty else { return [] }
        // Every vector's dot product with the question, through the inverted index.
        var dots = [Double](repeating: 0, count: vectorCount)
        for (id, w) in q {
            for p in postings[Int(id)] { dots[Int(p.vector)] += w * p.weight }
        }
        var out: [(Int, Double)] = []
        for (i, range) in vectorsOfEntry.enumerated() where named.isEmpty || entries[i].topic == "general" || named.contains(entries[i].topic) {
            out.append((i, dots[range].max() ?? 0))
        }
        return out.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
    }

    // MARK: Features

    static let englishStopWords: Set<String> = [
        "a", "an", "the", "is", "are", "was", "be", "do", "does", "did", "i", "my", "me", "we", "our", "you", "your", "it", "its",
        "of", "to", "in", "on", "for", "at", "by", "and", "or", "if", "can", "will", "what", "whats", "which",
        "there", "this", "that", "with", "so", "still", "get", "about", "any", "s",
    ]

    /// Compatibility-normalised (NFKC: full-width letters, compatibility jamo) and lower-cased.
    /// Text of ASCII and Hangul syllables alone is already in that form but for case, and is
    /// spared the normalisation, which costs more than the rest of an answer.
    static func fold(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.isASCII || (0xAC00...0xD7A3).contains($0.value) }) { return text.lowercased() }
        return text.precomposedStringWithCompatibilityMapping.lowercased()
    }

    public static func isHangul(_ s: Unicode.Scalar) -> Bool { (0xAC00...0xD7A3).contains(s.value) || (0x3131...0x318E).contains(s.value) }

    /// Crude English stemming, enough to meet "prepaying" with "prepay" and "homes" with "home".
    static func stem(_ w: String) -> String {
        for suffix in ["ing", "ies", "es", "ed", "s"] where w.count > suffix.count + 2 && w.hasSuffix(suffix) {
            return String(w.dropLast(suffix.count)) + (suffix == "ies" ? "y" : "")
        }
        return w
    }

    static func features(_ text: String) -> [String: Double] {
        let folded = TaxFAQ.fold(text)
        var out: [String: Double] = [:]
        var hangulRun: [Unicode.Scalar] = []
        var word = ""
        func flushHangul() {
            for scalar in hangulRun { out["s:" + String(Character(scalar)), default: 0] += syllableWeight }
            if hangulRun.count == 1 { out["k:" + String(Character(hangulRun[0])), default: 0] += 1 }
            if hangulRun.count >= 2 {
                for i in 0..<(hangulRun.count - 1) {
                    var s = String.UnicodeScalarView()
                    s.append(hangulRun[i]); s.append(hangulRun[i + 1])
                    out["k:" + String(s), default: 0] += 1
                }
            }
            hangulRun = []
        }
        func flushWord() {
            defer { word = "" }
            guard !word.isEmpty, !englishStopWords.contains(word) else { return }
            let w = stem(word)
            out["w:" + w, default: 0] += 1
            let chars = Array("^" + w + "$")
            if chars.count >= 3 {
                for i in 0...(chars.count - 3) { out["t:" + String(chars[i..<(i + 3)]), default: 0] += trigramWeight }
            }
        }
        for scalar in folded.unicodeScalars {
            if isHangul(scalar) {
                flushWord()
                hangulRun.append(scalar)
            } else if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                flushHangul()
                // "2000cc" is two words: a number and a unit.
                let digit = ("0"..."9").contains(scalar)
                if let last = word.unicodeScalars.last, ("0"..."9").contains(last) != digit { flushWord() }
                word.unicodeScalars.append(scalar)
            } else {
                flushWord()
                flushHangul()
            }
        }
        flushWord()
        flushHangul()
        return out
    }

    /// The tf-idf vector of `f`, of length 1, as (feature id, weight). A feature the FAQ never
    /// uses counts in the length at `unseen` (so a question mostly about something else scores
    /// low) but matches nothing; without `unseen` it is left out.
    static func weighted(_ f: [String: Double], ids: [String: Int32], idf: [Double], unseen: Double?) -> [(Int32, Double)] {
        var v: [(Int32, Double)] = []
        var norm = 0.0
        for (k, tf) in f {
            if let id = ids[k] {
                let x = tf * idf[Int(id)]
                v.append((id, x))
                norm += x * x
            } else if let unseen {
                norm += (tf * unseen) * (tf * unseen)
            }
        }
        guard norm > 0 else { return [] }
        let s = 1 / norm.squareRoot()
        return v.map { ($0.0, $0.1 * s) }
    }

}

extension TaxFAQ.Reply {
    /// What the citizen reads: the entry's answer, or where to ask instead.
    public var text: Bilingual {
        switch self {
        case .answer(let e, _): e.answer
        case .unknown:
            Bilingual(ko: "이 질문에는 답을 찾지 못했습니다. 세무 상담 창구(평일 09:00~18:00) 대기열에 서시면 상담원이 도와드립니다.",
                      en: "I do not know the answer to that. The tax counselling desk (weekdays 09:00 to 18:00) can help: join its queue.")
        case .nationalTax(let term):
            Bilingual(ko: "'\(term)'은(는) 국세라서 서울시가 아닌 국세청(126, www.nts.go.kr)이 안내합니다. 지방세는 세무 상담 창구에 물어보세요.",
                      en: "'\(term)' is a national tax: the National Tax Service (126, www.nts.go.kr) answers it, not the city. For local taxes, ask the tax counselling desk.")
        }
    }

    public var sources: [String] {
        switch self {
        case .answer(let e, _): e.sources
        case .unknown: []
        case .nationalTax: ["https://www.nts.go.kr"]
        }
    }

    public var entryID: String? {
        if case .answer(let e, _) = self { return e.id }
        return nil
    }

    /// The match's score, 0 to 1 (0 for a national tax).
    public var score: Double {
        switch self {
        case .answer(_, let s): s
        case .unknown(let best): best
        case .nationalTax: 0
        }
    }
}

/// A reply as JSON (the CLI's --format json and the admin API): `answered`, the entry's id and
/// score, the text in both languages, its sources, and the desk to queue at when not answered.
public struct TaxFAQAnswerJSON: Encodable, Sendable {
    public var answered: Bool
    public var nationalTax: Bool
    public var id: String?
    public var score: Double
    public var ko: String
    public var en: String
    public var sources: [String]
    public var desk: String?

    public init(_ r: TaxFAQ.Reply, desk: String) {
        answered = r.entryID != nil
        if case .nationalTax = r { nationalTax = true } else { nationalTax = false }
        id = r.entryID
        score = (r.score * 1_000).rounded() / 1_000
        ko = r.text.ko
        en = r.text.en
        sources = r.sources
        self.desk = answered ? nil : desk
    }
}
