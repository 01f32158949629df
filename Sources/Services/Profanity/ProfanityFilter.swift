// The profanity filter (Korean and English): word lists and an allow-list of innocent words
// that contain a listed one (read by ServiceFiles from `policy/`; docs/POLICY.md), and a
// matcher that sees through the usual evasions (Folding.swift), reads the message a second
// way for the evasions that change more than a letter (Readings.swift), and masks what it
// finds in the text as typed.
//
// A listed word matches the text's letter codes, run by run: each run of one code in the word
// must meet a run of the same code at least as long in the text (so fuuuck matches fuck, and
// "as" does not match "ass"). Where a match may lie:
// - inside one word of the text: anywhere, unless the list marks the entry whole-word (`=ass`);
// - across words (letters spaced or split by punctuation: "f u c k", "sh.it"): only if it
//   begins where a word begins and ends where one ends, and, when whitespace lies inside it,
//   only if every word inside has at most two letters (so "this hit" is not "shit" and
//   "pen is" is not a listed word);
// - a Korean entry's initial consonants (시발 gives ㅅㅂ) match only consonants typed bare;
// - it must begin at the start of a character (not inside a Hangul syllable).
// A match that lies inside a match of an allow-listed word (시발점, Scunthorpe) is dropped.
// Korean entries of two or more syllables are also matched by sound (`variant` patterns,
// against text folded the same way); plain patterns only ever meet plain text.
//
// Invariants: the filter is immutable after loading (shared by every thread that reads it);
// `check` never throws and its cost is linear in the text times the longest entry, times the
// readings that apply (at most six, each read plainly and, with Hangul, by sound).

import Foundation

public struct ProfanityFilter: Sendable {
    public struct Result: Sendable, Equatable {
        /// The text with every matched character replaced by `*` (the same text when clean).
        public var masked: String
        /// The listed entries that matched, as written in their list.
        public var words: [String]
        public var flagged: Bool { !words.isEmpty }
    }

    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let description: String
        public init(description: String) { self.description = description }
    }

    struct Pattern: Sendable {
        var word: String
        var counts: [Int32]
        var wholeWord: Bool
        /// Initial consonants of a Korean entry: matches bare jamo only.
        var abbreviation: Bool
        var allow: Bool
        /// A Korean entry's variant spellings (Readings.swift, `Fold.variant`): matched only
        /// against text read the same way, and plain patterns only against plain text.
        var variant: Bool
        /// Written in Latin letters (for the rule on romanised names).
        var latin: Bool
    }

    struct Node: Sendable {
        var next: [UInt32: Int32] = [:]
        var ends: [Int32] = []
    }

    var nodes: [Node] = [Node()]
    var patterns: [Pattern] = []
    /// Root transitions for ASCII codes, without a dictionary lookup (-1: none).
    var rootASCII = [Int32](repeating: -1, count: 128)
    public private(set) var entries = 0
    public private(set) var allowEntries = 0

    /// - Parameters:
    ///   - lists: (name, contents) of each word list; one entry per line, `#` starts a comment,
    ///     `=word` matches whole words only.
    ///   - allow: (name, contents) of the allow-list, same format (no `=`).
    public init(lists: [(name: String, contents: String)], allow: (name: String, contents: String)) throws(LoadError) {
        for (name, contents) in lists {
            for (line, raw) in Self.lines(contents) {
                let whole = raw.hasPrefix("=")
                let word = whole ? String(raw.dropFirst()) : raw
                try add(word, written: raw, whole: whole, abbreviation: false, allow: false, at: "\(name):\(line)")
                entries += 1
                // A Korean entry of two or more syllables also matches as its initial consonants,
                // and both by their variant spellings.
                let syllables = word.unicodeScalars.filter { (0xAC00...0xD7A3).contains($0.value) }
                if syllables.count >= 2 && syllables.count == word.unicodeScalars.count {
                    let initials = String(String.UnicodeScalarView(syllables.map { Unicode.Scalar(Fold.initialJamo[Int(($0.value - 0xAC00) / 588)])! }))
                    try add(initials, written: raw, whole: whole, abbreviation: true, allow: false, at: "\(name):\(line)")
                    try add(initials, written: raw, whole: whole, abbreviation: true, allow: false, variant: true, at: "\(name):\(line)")
                    for spelling in Self.vowelSpellings(Array(syllables)) {
                        try add(spelling, written: raw, whole: whole, abbreviation: false, allow: false, variant: true, at: "\(name):\(line)")
                    }
                }
            }
        }
        for (line, raw) in Self.lines(allow.contents) {
            guard !raw.hasPrefix("=") else { throw LoadError(description: "\(allow.name):\(line): the allow-list takes plain words, not '=' entries") }
            try add(raw, written: raw, whole: false, abbreviation: false, allow: true, at: "\(allow.name):\(line)")
            // An innocent word is innocent in its variant spellings too (씨발점 is still 시발점).
            if raw.unicodeScalars.contains(where: Hangul.isHangul) {
                for spelling in Self.vowelSpellings(Array(raw.unicodeScalars)) {
                    try add(spelling, written: raw, whole: false, abbreviation: false, allow: true, variant: true, at: "\(allow.name):\(line)")
                }
            }
            allowEntries += 1
        }
        guard entries > 0 else { throw LoadError(description: "the word lists hold no entries: \(lists.map(\.name).joined(separator: ", "))") }
    }

    static func lines(_ contents: String) -> [(Int, String)] {
        var out: [(Int, String)] = []
        for (i, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            out.append((i + 1, text))
        }
        return out
    }

    /// A Korean word's spellings with ㅏ and ㅓ exchanged in any syllable but the first (시발
    /// gives 시벌; the first syllable keeps its vowel, so that 창녀 does not give 청녀, which
    /// is inside 청년): at most 2^(syllables - 1), and the word itself among them.
    static func vowelSpellings(_ scalars: [Unicode.Scalar]) -> [String] {
        var spellings: [[Unicode.Scalar]] = [[]]
        for (i, s) in scalars.enumerated() {
            var choices = [s]
            if i > 0, let p = Hangul.parts(s) {
                let v = Fold.variant(0x314F + UInt32(p.vowel))
                if v == 0x314F { choices.append(Hangul.syllable(p.initial, 4, p.final)) } // ㅏ to ㅓ
                if v == 0x3153 { choices.append(Hangul.syllable(p.initial, 0, p.final)) } // ㅓ to ㅏ
            }
            spellings = spellings.flatMap { prefix in choices.map { prefix + [$0] } }
            if spellings.count > vowelSpellingsMax { spellings = Array(spellings.prefix(vowelSpellingsMax)) }
        }
        return spellings.map { String(String.UnicodeScalarView($0)) }
    }

    static let vowelSpellingsMax = 16

    mutating func add(_ word: String, written: String, whole: Bool, abbreviation: Bool, allow: Bool, variant: Bool = false,
                      at place: String) throws(LoadError) {
        let skeleton = Skeleton(Array(word.unicodeScalars), folding: variant)
        guard skeleton.tokenFirst.count == 1 else {
            throw LoadError(description: "\(place): '\(written)' is not one word once spaces and punctuation are set aside")
        }
        guard skeleton.codes.count >= 2 else {
            throw LoadError(description: "\(place): '\(written)' is too short to match safely (at least two letters)")
        }
        var node: Int32 = 0
        for code in skeleton.groupCode {
            if let n = nodes[Int(node)].next[code] {
                node = n
            } else {
                nodes.append(Node())
                let n = Int32(nodes.count - 1)
                nodes[Int(node)].next[code] = n
                if node == 0 && code < 128 { rootASCII[Int(code)] = n }
                node = n
            }
        }
        patterns.append(Pattern(word: written, counts: skeleton.groupCount, wholeWord: whole, abbreviation: abbreviation, allow: allow,
                                variant: variant, latin: word.unicodeScalars.allSatisfy { $0.isASCII }))
        nodes[Int(node)].ends.append(Int32(patterns.count - 1))
    }

    /// Checks one message (already normalised by `ChatText`): the text as written, and each
    /// second reading that applies (Readings.swift), each plainly and, where it holds Hangul, by
    /// sound (the variant patterns).
    public func check(_ text: String) -> Result {
        let scalars = Array(text.unicodeScalars)
        var masked: [Bool] = []
        var words: [String] = []
        let plain = Reading(identity: scalars)
        var readings = [plain]
        for r in [Readings.koreanInsertionsDropped(scalars), Readings.koreanDigitsSpoken(scalars), Readings.keyboard(scalars),
                  Readings.latinLookalikes(scalars), Readings.englishBySound(scalars)] {
            if let r { readings.append(r) }
        }
        for (n, reading) in readings.enumerated() {
            scan(reading, folding: false, original: scalars, romanisedNamesExempt: n == 0, into: &masked, words: &words)
            if reading.hasHangul {
                scan(Readings.stretchedMerged(reading) ?? reading, folding: true, original: scalars, romanisedNamesExempt: false,
                     into: &masked, words: &words)
            }
        }
        if words.isEmpty { return Result(masked: text, words: []) }
        var out = String.UnicodeScalarView()
        for (i, s) in scalars.enumerated() {
            guard masked[i] else {
                out.append(s)
                continue
            }
            switch Fold.kind(s) {
            case .whitespace: out.append(s)
            case .ignorable: break
            default: out.append("*")
            }
        }
        return Result(masked: String(out), words: words)
    }

    /// Finds the patterns of one kind (plain or variant) in one reading, and marks what each
    /// match not inside an allowed word covers in the message.
    func scan(_ reading: Reading, folding: Bool, original scalars: [Unicode.Scalar], romanisedNamesExempt: Bool,
              into masked: inout [Bool], words: inout [String]) {
        let k = Skeleton(reading.scalars, folding: folding)
        var found: [(first: Int, last: Int, pattern: Int32)] = []
        var allowed: [(first: Int, last: Int)] = []
        let groups = k.groupCode.count
        for start in 0..<groups {
            let first = k.groupCode[start]
            var node = first < 128 ? rootASCII[Int(first)] : (nodes[0].next[first] ?? -1)
            var g = start
            while node >= 0 {
                for p in nodes[Int(node)].ends where patterns[Int(p)].variant == folding {
                    if let span = accepts(patterns[Int(p)], k, startGroup: start, endGroup: g) {
                        if patterns[Int(p)].allow { allowed.append(span) } else { found.append((span.first, span.last, p)) }
                    }
                }
                g += 1
                guard g < groups, let n = nodes[Int(node)].next[k.groupCode[g]] else { break }
                node = n
            }
        }
        for m in found where !allowed.contains(where: { $0.first <= m.first && m.last <= $0.last }) {
            var i = reading.firstOriginal(Int(k.source[m.first]))
            let last = reading.lastOriginal(Int(k.source[m.last]))
            if romanisedNamesExempt && patterns[Int(m.pattern)].latin && Self.insideRomanisedName(scalars, first: i, last: last) { continue }
            if masked.isEmpty { masked = [Bool](repeating: false, count: scalars.count) }
            let word = patterns[Int(m.pattern)].word
            if !words.contains(word) { words.append(word) }
            while i <= last {
                masked[i] = true
                i += 1
            }
            // Marks and zero-width characters that follow the last letter belong to it.
            while i < scalars.count && Fold.kind(scalars[i]) == .ignorable {
                masked[i] = true
                i += 1
            }
        }
    }

    /// Whether a match of a Latin entry lies inside, and not across the whole of, a capitalised
    /// word that reads as romanised Japanese of three syllables or more: a name such as
    /// Matsushita or Fukuda, not an English word with a profanity inside it (motherfucker).
    static func insideRomanisedName(_ s: [Unicode.Scalar], first: Int, last: Int) -> Bool {
        var a = first, b = last
        while a > 0 && Readings.isLatinLetter(s[a - 1]) { a -= 1 }
        while b + 1 < s.count && Readings.isLatinLetter(s[b + 1]) { b += 1 }
        guard a < first || b > last else { return false }
        guard (0x41...0x5A).contains(s[a].value), (a + 1...b).allSatisfy({ (0x61...0x7A).contains(s[$0].value) }) else { return false }
        let letters = s[a...b].map { UInt8($0.value | 0x20) }
        return Romaji.syllables(letters).map { $0 >= 3 } ?? false
    }

    /// The elements a pattern's candidate match covers, if the rules in the header allow it.
    func accepts(_ p: Pattern, _ k: Skeleton, startGroup: Int, endGroup: Int) -> (first: Int, last: Int)? {
        for j in 0..<p.counts.count where k.groupCount[startGroup + j] < p.counts[j] { return nil }
        let first = Int(k.groupFirst[startGroup]), last = k.groupLast(endGroup)
        if first > 0 && k.source[first - 1] == k.source[first] { return nil } // inside a syllable
        // Nor end on the initial consonant of a syllable whose vowel it leaves out: 좃 is not
        // in 조심 (ㅈㅗ + ㅅㅣㅁ).
        if last + 1 < k.codes.count && k.source[last + 1] == k.source[last] && (last == 0 || k.source[last - 1] != k.source[last]) {
            return nil
        }
        if p.abbreviation {
            for e in first...last where !k.bare[e] { return nil }
        }
        let t1 = Int(k.token[first]), t2 = Int(k.token[last])
        let aligned = Int(k.tokenFirst[t1]) == first && Int(k.tokenLast[t2]) == last
        if p.wholeWord && !aligned { return nil }
        if t1 != t2 {
            guard aligned else { return nil }
            if (t1 + 1...t2).contains(where: { k.spaceBefore[$0] }) {
                for t in t1...t2 where k.tokenLetters[t] > 2 { return nil }
            }
        }
        return (first, last)
    }
}
