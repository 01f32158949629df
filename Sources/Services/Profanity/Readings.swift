// Second readings of a message: the same text read the way an evasion means it to be read,
// each a kind of evasion handled as a kind (docs/POLICY.md, "Second readings"), not as words
// added to the lists. The filter matches each reading that applies, and masks what a match
// covers in the text as written.
//
// - Korean with insertions: digits, Latin letters and symbols typed between the Hangul of one
//   word (시1발, 병1신, ㅅ1ㅂ) are read as absent.
// - Korean with a digit for its sound: a single digit written against Hangul reads as its
//   Sino-Korean syllable (씨8 is 씨팔; 8 is 팔).
// - The keyboard left in Latin mode: a word of Latin letters is read as the Hangul the same
//   keys type on the standard two-set (두벌식) layout, composed as an input method composes
//   it (tlqkf is 시발), and only when every key composes into a syllable.
// - Latin look-alike pairs: vv reads as w and rn as m (vvhore).
// - English respellings by sound: ph reads as f, z as s (phuck, azzhole).
// - Stretched Korean syllables: a syllable that only repeats the vowel of the one before,
//   with or without a final consonant, is merged into it (시이이발 is 시발, 지라아알 is 지랄).
//
// A reading keeps, for each of its scalars, the range of the message's scalars it stands for,
// so that a match found in it masks the characters the sender typed.
//
// Invariants: every reading is built in one pass over the message (linear), and `first` and
// `last` have one entry per scalar, each a valid, ordered range of the message.

struct Reading {
    var scalars: [Unicode.Scalar] = []
    /// Per scalar, the first and last of the message's scalars it stands for; empty for the
    /// message as written (each stands for itself), which then costs no arrays.
    var first: [Int32] = []
    var last: [Int32] = []

    init() {}

    /// The message as written.
    init(identity scalars: [Unicode.Scalar]) { self.scalars = scalars }

    func firstOriginal(_ i: Int) -> Int { first.isEmpty ? i : Int(first[i]) }
    func lastOriginal(_ i: Int) -> Int { last.isEmpty ? i : Int(last[i]) }

    mutating func append(_ s: Unicode.Scalar, from: Int, to: Int) {
        assert(from <= to)
        scalars.append(s)
        first.append(Int32(from))
        last.append(Int32(to))
    }

    var hasHangul: Bool { scalars.contains { Hangul.isHangul($0) } }
}

/// Hangul arithmetic (Unicode chapter 3.12) and the two-set keyboard.
enum Hangul {
    static let syllableFirst: UInt32 = 0xAC00, syllableLast: UInt32 = 0xD7A3

    static func isSyllable(_ s: Unicode.Scalar) -> Bool { (syllableFirst...syllableLast).contains(s.value) }
    static func isHangul(_ s: Unicode.Scalar) -> Bool { isSyllable(s) || (0x3131...0x3163).contains(s.value) || (0x1100...0x11FF).contains(s.value) }

    /// A syllable's parts: initial (0..<19), vowel (0..<21), final (0..<28, 0 for none).
    static func parts(_ s: Unicode.Scalar) -> (initial: Int, vowel: Int, final: Int)? {
        guard isSyllable(s) else { return nil }
        let i = Int(s.value - syllableFirst)
        return (i / 588, (i % 588) / 28, i % 28)
    }

    static func syllable(_ initial: Int, _ vowel: Int, _ final: Int) -> Unicode.Scalar {
        Unicode.Scalar(syllableFirst + UInt32((initial * 21 + vowel) * 28 + final))!
    }

    // Compatibility jamo (U+3131...) to positions: consonants as initials and finals, vowels.
    static let initialOf: [UInt32: Int] = Dictionary(uniqueKeysWithValues: Fold.initialJamo.enumerated().map { ($0.element, $0.offset) })
    static let finalOf: [UInt32: Int] = Dictionary(uniqueKeysWithValues: Fold.finalJamo.enumerated().dropFirst().map { ($0.element, $0.offset) })

    static func vowelIndex(_ jamo: UInt32) -> Int? { (0x314F...0x3163).contains(jamo) ? Int(jamo - 0x314F) : nil }

    /// The two-set (두벌식) layout: the jamo each Latin key types; shifted keys type the tense
    /// consonants and ㅒ ㅖ, other shifted keys the same as unshifted.
    static let keys: [UInt8: UInt32] = {
        let plain: [(Character, Character)] = [
            ("q", "ㅂ"), ("w", "ㅈ"), ("e", "ㄷ"), ("r", "ㄱ"), ("t", "ㅅ"), ("y", "ㅛ"), ("u", "ㅕ"), ("i", "ㅑ"), ("o", "ㅐ"), ("p", "ㅔ"),
            ("a", "ㅁ"), ("s", "ㄴ"), ("d", "ㅇ"), ("f", "ㄹ"), ("g", "ㅎ"), ("h", "ㅗ"), ("j", "ㅓ"), ("k", "ㅏ"), ("l", "ㅣ"),
            ("z", "ㅋ"), ("x", "ㅌ"), ("c", "ㅊ"), ("v", "ㅍ"), ("b", "ㅠ"), ("n", "ㅜ"), ("m", "ㅡ"),
        ]
        let shifted: [(Character, Character)] = [("Q", "ㅃ"), ("W", "ㅉ"), ("E", "ㄸ"), ("R", "ㄲ"), ("T", "ㅆ"), ("O", "ㅒ"), ("P", "ㅖ")]
        var table: [UInt8: UInt32] = [:]
        for (key, jamo) in plain {
            table[key.asciiValue!] = jamo.unicodeScalars.first!.value
            table[key.uppercased().first!.asciiValue!] = jamo.unicodeScalars.first!.value
        }
        for (key, jamo) in shifted { table[key.asciiValue!] = jamo.unicodeScalars.first!.value }
        return table
    }()

    /// Two vowels an input method joins into one (ㅗ ㅏ is ㅘ), as vowel indexes.
    static let vowelPairs: [Int: [Int: Int]] = [8: [0: 9, 1: 10, 20: 11], 13: [4: 14, 5: 15, 20: 16], 18: [20: 19]]
    /// Two consonants an input method joins into one final (ㄱ ㅅ is ㄳ), as final indexes.
    static let finalPairs: [Int: [UInt32: Int]] = [1: [0x3145: 3], 4: [0x3148: 5, 0x314E: 6],
                                                   8: [0x3131: 9, 0x3141: 10, 0x3142: 11, 0x3145: 12, 0x314C: 13, 0x314D: 14, 0x314E: 15],
                                                   17: [0x3145: 18]]
    /// A compound final's two consonants, as (final index of the first, compatibility jamo of the second).
    static let finalSplit: [Int: (Int, UInt32)] = {
        var out: [Int: (Int, UInt32)] = [:]
        for (first, seconds) in finalPairs { for (second, joined) in seconds { out[joined] = (first, second) } }
        return out
    }()
}

enum Readings {
    /// Digits, Latin letters and symbols between two Hangul characters of one word, removed.
    static func koreanInsertionsDropped(_ s: [Unicode.Scalar]) -> Reading? {
        guard s.indices.dropFirst().contains(where: { Hangul.isHangul(s[$0 - 1]) && !Hangul.isHangul(s[$0]) && isInsertion(s[$0]) }) else { return nil }
        var out = Reading()
        var changed = false
        var i = 0
        while i < s.count {
            if Hangul.isHangul(s[i]) || !isInsertion(s[i]) {
                out.append(s[i], from: i, to: i)
                i += 1
                continue
            }
            // A run of insertions: dropped when Hangul stands on both sides.
            var j = i
            while j < s.count && isInsertion(s[j]) && !Hangul.isHangul(s[j]) { j += 1 }
            if i > 0 && Hangul.isHangul(s[i - 1]) && j < s.count && Hangul.isHangul(s[j]) && j - i <= insertionRunMax {
                changed = true
                // The dropped run belongs to the syllable before it, for masking.
                if !out.last.isEmpty { out.last[out.last.count - 1] = Int32(j - 1) }
            } else {
                for k in i..<j { out.append(s[k], from: k, to: k) }
            }
            i = j
        }
        return changed ? out : nil
    }

    /// At most this many characters inserted between two syllables are read through.
    static let insertionRunMax = 3

    static func isInsertion(_ s: Unicode.Scalar) -> Bool {
        switch Fold.kind(s) {
        case .whitespace, .syllable, .jamo: return false
        case .ignorable, .separator, .letter, .digit, .leetSymbol: return true
        }
    }

    /// A single digit written against Hangul, read as its Sino-Korean syllable.
    static func koreanDigitsSpoken(_ s: [Unicode.Scalar]) -> Reading? {
        let spoken: [Unicode.Scalar] = ["영", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"]
        guard s.contains(where: { (0x30...0x39).contains($0.value) }), s.contains(where: Hangul.isHangul) else { return nil }
        var out = Reading()
        var changed = false
        for (i, c) in s.enumerated() {
            let isDigit = (0x30...0x39).contains(c.value)
            let alone = isDigit && (i == 0 || !(0x30...0x39).contains(s[i - 1].value)) && (i + 1 == s.count || !(0x30...0x39).contains(s[i + 1].value))
            let againstHangul = (i > 0 && Hangul.isHangul(s[i - 1])) || (i + 1 < s.count && Hangul.isHangul(s[i + 1]))
            if alone && againstHangul {
                out.append(spoken[Int(c.value - 0x30)], from: i, to: i)
                changed = true
            } else {
                out.append(c, from: i, to: i)
            }
        }
        return changed ? out : nil
    }

    /// Words of Latin letters read as the Hangul their keys type on the two-set layout, where
    /// every key composes into a syllable; other text as it is.
    static func keyboard(_ s: [Unicode.Scalar]) -> Reading? {
        guard s.indices.dropFirst().contains(where: { isLatinLetter(s[$0 - 1]) && isLatinLetter(s[$0]) }) else { return nil }
        var out = Reading()
        var changed = false
        var i = 0
        while i < s.count {
            guard isLatinLetter(s[i]) else {
                out.append(s[i], from: i, to: i)
                i += 1
                continue
            }
            var j = i
            while j < s.count && isLatinLetter(s[j]) { j += 1 }
            if j - i >= 2, j - i <= keyboardWordMax, let syllables = compose(s, i..<j) {
                for (syllable, from, to) in syllables { out.append(syllable, from: from, to: to) }
                changed = true
            } else {
                for k in i..<j { out.append(s[k], from: k, to: k) }
            }
            i = j
        }
        return changed ? out : nil
    }

    /// Longer Latin words are not read as keys (no Korean word of the lists needs more).
    static let keyboardWordMax = 24

    static func isLatinLetter(_ s: Unicode.Scalar) -> Bool {
        (0x41...0x5A).contains(s.value) || (0x61...0x7A).contains(s.value)
    }

    /// Composes keys as a two-set input method does; nil unless every key ends in a syllable
    /// with an initial consonant and a vowel. Each syllable with the keys it came from.
    static func compose(_ s: [Unicode.Scalar], _ range: Range<Int>) -> [(Unicode.Scalar, Int, Int)]? {
        var out: [(Unicode.Scalar, Int, Int)] = []
        // The syllable being composed: its initial, vowel, final (-1: none yet) and first key.
        var initial = -1, vowel = -1, final = 0, start = range.lowerBound
        var finalKey = -1 // the key of the last consonant of the final, for splitting
        func emit(_ end: Int) -> Bool {
            guard initial >= 0, vowel >= 0 else { return false }
            out.append((Hangul.syllable(initial, vowel, final), start, end))
            return true
        }
        for k in range {
            guard let jamo = Hangul.keys[UInt8(s[k].value)] else { return nil }
            if let v = Hangul.vowelIndex(jamo) {
                if initial >= 0 && vowel < 0 {
                    vowel = v
                } else if initial >= 0 && final == 0, let joined = Hangul.vowelPairs[vowel]?[v] {
                    vowel = joined
                } else if final != 0 {
                    // The final consonant (or the second of a compound one) starts the next syllable.
                    let moved: Int
                    if let (kept, second) = Hangul.finalSplit[final] {
                        final = kept
                        moved = Hangul.initialOf[second]!
                    } else {
                        moved = Hangul.initialOf[Fold.finalJamo[final]]!
                        final = 0
                    }
                    guard emit(finalKey - 1) else { return nil }
                    initial = moved
                    vowel = v
                    final = 0
                    start = finalKey
                } else {
                    return nil // a vowel with no consonant before it: not Korean typed in Latin mode
                }
            } else {
                if initial < 0 {
                    initial = Hangul.initialOf[jamo]!
                    start = k
                } else if vowel < 0 {
                    return nil // two consonants with no vowel between them
                } else if final == 0, let f = Hangul.finalOf[jamo] {
                    final = f
                    finalKey = k
                } else if final != 0, let joined = Hangul.finalPairs[final]?[jamo] {
                    final = joined
                    finalKey = k
                } else {
                    guard emit(k - 1) else { return nil }
                    initial = Hangul.initialOf[jamo]!
                    vowel = -1
                    final = 0
                    start = k
                }
            }
        }
        guard emit(range.upperBound - 1) else { return nil }
        return out
    }

    /// vv as w, rn as m.
    static func latinLookalikes(_ s: [Unicode.Scalar]) -> Reading? {
        pairs(s, [("v", "v", "w"), ("V", "V", "w"), ("r", "n", "m")])
    }

    /// ph as f; z as s.
    static func englishBySound(_ s: [Unicode.Scalar]) -> Reading? {
        let hasZ = s.contains { $0 == "z" || $0 == "Z" }
        var out = pairs(s, [("p", "h", "f"), ("P", "h", "f"), ("P", "H", "f")])
        guard hasZ else { return out }
        if out == nil {
            out = Reading()
            for i in s.indices { out!.append(s[i], from: i, to: i) }
        }
        for i in out!.scalars.indices where out!.scalars[i] == "z" || out!.scalars[i] == "Z" { out!.scalars[i] = "s" }
        return out
    }

    static func pairs(_ s: [Unicode.Scalar], _ table: [(Unicode.Scalar, Unicode.Scalar, Unicode.Scalar)]) -> Reading? {
        guard s.indices.dropFirst().contains(where: { i in table.contains { $0.0 == s[i - 1] && $0.1 == s[i] } }) else { return nil }
        var out = Reading()
        var changed = false
        var i = 0
        while i < s.count {
            if i + 1 < s.count, let pair = table.first(where: { $0.0 == s[i] && $0.1 == s[i + 1] }) {
                out.append(pair.2, from: i, to: i + 1)
                changed = true
                i += 2
            } else {
                out.append(s[i], from: i, to: i)
                i += 1
            }
        }
        return changed ? out : nil
    }

    /// Stretched syllables merged: a syllable ㅇ + the same vowel (by `Fold.variant`) as the
    /// open syllable before it is dropped, giving its final consonant, if any, to that one.
    static func stretchedMerged(_ r: Reading) -> Reading? {
        var out = Reading()
        var changed = false
        for (i, s) in r.scalars.enumerated() {
            if let now = Hangul.parts(s), now.initial == 11, // ㅇ
               let previous = out.scalars.last.flatMap(Hangul.parts), previous.final == 0,
               Fold.variant(0x314F + UInt32(previous.vowel)) == Fold.variant(0x314F + UInt32(now.vowel)) {
                out.scalars[out.scalars.count - 1] = Hangul.syllable(previous.initial, previous.vowel, now.final)
                out.last[out.last.count - 1] = Int32(r.lastOriginal(i))
                changed = true
                continue
            }
            out.append(s, from: r.firstOriginal(i), to: r.lastOriginal(i))
        }
        return changed ? out : nil
    }
}

/// Romanised Japanese (Hepburn and Kunrei), read mora by mora: for telling a name such as
/// Matsushita from an English word.
enum Romaji {
    static let vowels: Set<UInt8> = Set("aiueo".utf8)
    static let onsets: [[UInt8]] = ["sh", "ch", "ts", "ky", "gy", "ny", "hy", "my", "ry", "by", "py", "j", "k", "s", "t", "n", "h", "m", "y", "r", "w", "g",
                                    "z", "d", "b", "p", "f"].map { Array($0.utf8) }

    /// The morae of a lowercase word, or nil when it is not romanised Japanese.
    static func syllables(_ w: [UInt8]) -> Int? {
        var i = 0, count = 0
        while i < w.count {
            let c = w[i]
            if vowels.contains(c) {
                i += 1
            } else if c == UInt8(ascii: "n") && (i + 1 == w.count || (!vowels.contains(w[i + 1]) && w[i + 1] != UInt8(ascii: "y"))) {
                i += 1 // the moraic n
            } else if i + 1 < w.count && (w[i + 1] == c || (c == UInt8(ascii: "t") && w[i + 1] == UInt8(ascii: "c"))) && !vowels.contains(c) {
                i += 1 // a doubled consonant (っ)
            } else if let onset = onsets.first(where: { o in i + o.count < w.count && Array(w[i..<i + o.count]) == o && vowels.contains(w[i + o.count]) }) {
                i += onset.count + 1
            } else {
                return nil
            }
            count += 1
        }
        return count
    }
}
