// A text as the filter matches it: its letters' codes in order ("elements"), each with the
// scalar it came from, whether it was a bare jamo, and the word ("token") it belongs to.
// Tokens are broken by whitespace and by punctuation; `spaceBefore` says which tokens follow
// whitespace, for the rule on letters spaced apart (ProfanityFilter.swift). Runs of the same
// code are then grouped, so that stretched letters (fuuuuck) read as the word (fuck).

struct Skeleton {
    var codes: [UInt32] = []
    /// The index, among the text's scalars, of the scalar each element came from.
    var source: [Int32] = []
    var bare: [Bool] = []
    var token: [Int32] = []
    /// Per token: its first and last element, its letters (scalars that gave elements), and
    /// whether whitespace comes before it.
    var tokenFirst: [Int32] = []
    var tokenLast: [Int32] = []
    var tokenLetters: [Int32] = []
    var spaceBefore: [Bool] = []

    /// Runs of one code: the code, how many elements, the first element.
    var groupCode: [UInt32] = []
    var groupCount: [Int32] = []
    var groupFirst: [Int32] = []

    /// - Parameter folding: read Hangul by sound (`Fold.variant`), for the variant patterns.
    ///   Compound consonants (ㅄ, the final of 값) are two codes either way.
    init(_ scalars: [Unicode.Scalar], folding: Bool = false) {
        codes.reserveCapacity(scalars.count + 8)
        var kinds: [Fold.Kind] = []
        kinds.reserveCapacity(scalars.count)
        for s in scalars { kinds.append(Fold.kind(s)) }
        // Digits read as letters only inside a word that has real letters: mark, per scalar,
        // whether its word (between whitespace and punctuation) has one.
        var wordHasLetter = [Bool](repeating: false, count: kinds.count)
        var wordStart = 0
        for i in 0...kinds.count {
            let boundary: Bool = i == kinds.count || { if case .whitespace = kinds[i] { return true }; if case .separator = kinds[i] { return true }; return false }()
            guard boundary else { continue }
            let has = kinds[wordStart..<i].contains { if case .letter = $0 { return true }; if case .syllable = $0 { return true }; if case .jamo = $0 { return true }; return false }
            if has { for j in wordStart..<i { wordHasLetter[j] = true } }
            wordStart = i + 1
        }
        var inToken = false
        var sawSpace = true
        // The codes of one scalar: at most four (a syllable with a compound final).
        var parts = [UInt32](repeating: 0, count: 4)
        for (i, kind) in kinds.enumerated() {
            var letters: (UInt32, UInt32, UInt32, Bool) = (0, 0, 0, false)
            var n = 0
            switch kind {
            case .whitespace:
                inToken = false
                sawSpace = true
                continue
            case .ignorable: continue
            case .separator:
                inToken = false
                continue
            case .letter(let c):
                letters = (c, 0, 0, false)
                n = 1
            case .digit(let c):
                guard wordHasLetter[i] else {
                    inToken = false
                    continue
                }
                letters = (c, 0, 0, false)
                n = 1
            case .jamo(let c):
                letters = (c, 0, 0, true)
                n = 1
            case .syllable(let l, let v, let t):
                letters = (l, v, t, false)
                n = t == 0 ? 2 : 3
            case .leetSymbol(let c):
                // A letter when a letter or digit follows within the word, or when '@' or '$'
                // ends a word begun with letters ("a$$"); else punctuation ("ass!").
                if Self.letterFollows(kinds, after: i) || (inToken && c != UInt32(UInt8(ascii: "i")) && c != UInt32(UInt8(ascii: "t"))) {
                    letters = (c, 0, 0, false)
                    n = 1
                } else {
                    inToken = false
                    continue
                }
            }
            if !inToken {
                tokenFirst.append(Int32(codes.count))
                tokenLast.append(Int32(codes.count))
                tokenLetters.append(0)
                spaceBefore.append(sawSpace)
                inToken = true
                sawSpace = false
            }
            let t = Int32(tokenFirst.count - 1)
            tokenLetters[Int(t)] += 1
            var count = 0
            for k in 0..<n {
                let code = k == 0 ? letters.0 : (k == 1 ? letters.1 : letters.2)
                // A compound consonant, bare or as a final, is its two consonants.
                if (k == 2 || (k == 0 && letters.3)), let (a, b) = Fold.compoundParts(code) {
                    parts[count] = a
                    parts[count + 1] = b
                    count += 2
                } else {
                    parts[count] = code
                    count += 1
                }
            }
            for k in 0..<count {
                let code = folding ? Fold.variant(parts[k]) : parts[k]
                codes.append(code)
                source.append(Int32(i))
                bare.append(letters.3)
                token.append(t)
            }
            tokenLast[Int(t)] = Int32(codes.count - 1)
        }
        var i = 0
        while i < codes.count {
            var j = i + 1
            // A run stays inside a word, except across letters spaced one by one ("a s s"); and
            // a run of a syllable's jamo stays inside the syllable (the ㄹ of 팔 and the ㄹ of 럼
            // in 팔럼 are two letters, not one stretched: stretched syllables are read apart).
            while j < codes.count && codes[j] == codes[i]
                && (token[j] == token[j - 1] || (tokenLetters[Int(token[j])] == 1 && tokenLetters[Int(token[j - 1])] == 1))
                && (source[j] == source[j - 1] || !(Self.isSyllableJamo(codes[j], bare: bare[j]) || Self.isSyllableJamo(codes[j - 1], bare: bare[j - 1]))) { j += 1 }
            groupCode.append(codes[i])
            groupCount.append(Int32(j - i))
            groupFirst.append(Int32(i))
            i = j
        }
    }

    /// A jamo that came from a syllable (not typed alone).
    static func isSyllableJamo(_ code: UInt32, bare: Bool) -> Bool { !bare && (0x3131...0x3163).contains(code) }

    static func letterFollows(_ kinds: [Fold.Kind], after i: Int) -> Bool {
        var j = i + 1
        while j < kinds.count {
            switch kinds[j] {
            case .ignorable, .leetSymbol: j += 1
            case .letter, .digit, .jamo, .syllable: return true
            case .whitespace, .separator: return false
            }
        }
        return false
    }

    func groupLast(_ g: Int) -> Int { Int(groupFirst[g] + groupCount[g] - 1) }
}
