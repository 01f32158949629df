// How the profanity filter reads text: every character folded to a "letter code" so that the
// usual evasions read as the word they hide (docs/POLICY.md):
// - compatibility forms (full-width ｆｕｃｋ, circled ⓕ, mathematical 𝐟) through NFKC;
// - letters that look alike across scripts (Cyrillic а, Greek ο) to the Latin letter;
// - accents and other combining marks, zero-width and format characters: ignored;
// - digits and symbols used for letters (0 o, 1 i, 3 e, 4 a, @ a, 5 s, $ s, 7 t, 8 b, ! i);
// - l, I, 1, ! and | all read as i (they look alike in many fonts);
// - Hangul syllables decomposed into jamo (시 is ㅅ ㅣ), with a jamo typed on its own marked
//   "bare", so that ㅅㅂ can be told apart from the ㅅ and ㅂ inside 옷바.
// Letters of other scripts keep their own code (their scalar value).

import Foundation

enum Fold {
    /// What one Unicode scalar is to the filter.
    enum Kind: Equatable {
        case whitespace
        /// Zero-width, format, combining: skipped without breaking a word.
        case ignorable
        /// Punctuation and symbols: skipped, and a break between the letters around it.
        case separator
        /// A letter with its code.
        case letter(UInt32)
        /// A digit, with the code of the letter it may stand for: a letter only in a word that
        /// has real letters too ("sh1t"); a number ("7175", "2026") is not read as letters.
        case digit(UInt32)
        /// A Hangul syllable: initial, vowel and (0 or) final jamo codes.
        case syllable(UInt32, UInt32, UInt32)
        /// A jamo written on its own (bare).
        case jamo(UInt32)
        /// A symbol that stands for a letter inside a word (@ $ ! | +) but is punctuation at a
        /// word's edge.
        case leetSymbol(UInt32)
    }

    /// ASCII: 128 entries, built once.
    static let ascii: [Kind] = (0..<128).map { v -> Kind in
        let c = UInt8(v)
        switch c {
        case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: return .whitespace
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return .letter(UInt32(foldLatin(c)))
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return .letter(UInt32(foldLatin(c + 32)))
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return .digit(UInt32(foldLatin(c)))
        case UInt8(ascii: "@"): return .leetSymbol(UInt32(UInt8(ascii: "a")))
        case UInt8(ascii: "$"): return .leetSymbol(UInt32(UInt8(ascii: "s")))
        case UInt8(ascii: "!"), UInt8(ascii: "|"): return .leetSymbol(UInt32(UInt8(ascii: "i")))
        case UInt8(ascii: "+"): return .leetSymbol(UInt32(UInt8(ascii: "t")))
        case 0..<0x20, 0x7F: return .ignorable
        default: return .separator
        }
    }

    /// A lowercase ASCII letter or digit to its code: digits read as the letters they imitate,
    /// l as i, and v as u.
    static func foldLatin(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "l"), UInt8(ascii: "1"): return UInt8(ascii: "i")
        case UInt8(ascii: "0"): return UInt8(ascii: "o")
        case UInt8(ascii: "3"): return UInt8(ascii: "e")
        case UInt8(ascii: "4"): return UInt8(ascii: "a")
        case UInt8(ascii: "5"): return UInt8(ascii: "s")
        case UInt8(ascii: "7"): return UInt8(ascii: "t")
        case UInt8(ascii: "8"): return UInt8(ascii: "b")
        case UInt8(ascii: "9"): return UInt8(ascii: "g")
        case UInt8(ascii: "v"): return UInt8(ascii: "u") // a look-alike letter (fvck)
        default: return c
        }
    }

    /// Cyrillic and Greek letters that look like Latin ones (after lowercasing), and Latin ones
    /// with a stroke or hook. From the shapes themselves; Unicode's confusables.txt (UTS #39)
    /// lists these among many more.
    static let lookalikes: [UInt32: UInt8] = {
        let pairs: [(Character, Character)] = [
            ("а", "a"), ("в", "b"), ("е", "e"), ("ё", "e"), ("к", "k"), ("м", "m"), ("н", "h"), ("о", "o"), ("п", "n"),
            ("р", "p"), ("с", "c"), ("т", "t"), ("у", "y"), ("х", "x"), ("ѕ", "s"), ("і", "i"), ("ї", "i"), ("ј", "j"),
            ("ԁ", "d"), ("ԛ", "q"), ("ԝ", "w"), ("ь", "b"), ("ц", "u"), ("г", "r"),
            // Latin letters with a stroke, bar or hook, which Unicode does not decompose.
            ("ø", "o"), ("ł", "l"), ("đ", "d"), ("ħ", "h"), ("ŧ", "t"), ("ƀ", "b"), ("ƒ", "f"), ("ɨ", "i"), ("ʉ", "u"), ("ɍ", "r"),
            ("ȼ", "c"), ("ɇ", "e"), ("ɉ", "j"), ("ƶ", "z"), ("ȥ", "z"), ("ɠ", "g"), ("ƙ", "k"), ("ƥ", "p"), ("ƭ", "t"), ("ɗ", "d"),
            ("α", "a"), ("β", "b"), ("γ", "y"), ("ε", "e"), ("η", "n"), ("ι", "i"), ("κ", "k"), ("ν", "v"), ("ο", "o"),
            ("ρ", "p"), ("τ", "t"), ("υ", "u"), ("χ", "x"), ("ω", "w"), ("ς", "c"), ("ζ", "z"), ("μ", "u"), ("ı", "i"),
        ]
        var table: [UInt32: UInt8] = [:]
        for (from, to) in pairs {
            let f = from.unicodeScalars.first!
            table[f.value] = foldLatin(to.asciiValue!)
            // The capital form too, where it differs.
            for capital in String(from).uppercased().unicodeScalars where capital != f { table[capital.value] = foldLatin(to.asciiValue!) }
        }
        return table
    }()

    /// Non-ASCII scalars whose compatibility form, lowercased and without marks, is one ASCII
    /// letter or digit (ｆ, Ⓕ, 𝐟, é, ß is left alone): computed once, for the ranges where such
    /// forms live.
    /// (Digits are stored with 0x100 added, to tell them from letters.)
    static let compatibility: [UInt32: UInt16] = {
        var table: [UInt32: UInt16] = [:]
        let ranges: [ClosedRange<UInt32>] = [0x00A0...0x024F, 0x1D00...0x1DBF, 0x1E00...0x1EFF, 0x2070...0x209F, 0x2100...0x218F,
                                             0x2460...0x24FF, 0xFF00...0xFFEF, 0x1D400...0x1D7FF, 0x1F130...0x1F189]
        for range in ranges {
            for v in range {
                guard let s = Unicode.Scalar(v) else { continue }
                let folded = String(s).precomposedStringWithCompatibilityMapping.lowercased().decomposedStringWithCanonicalMapping
                let letters = folded.unicodeScalars.filter { !($0.properties.generalCategory == .nonspacingMark) }
                guard letters.count == 1, let a = letters.first, a.isASCII else { continue }
                let c = UInt8(a.value)
                if (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) {
                    table[v] = UInt16(foldLatin(c))
                } else if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) {
                    table[v] = 0x100 + UInt16(foldLatin(c))
                }
            }
        }
        for (k, v) in lookalikes { table[k] = UInt16(v) }
        return table
    }()

    // Hangul (Unicode chapter 3.12): a syllable is 0xAC00 + (L * 21 + V) * 28 + T.
    static let initialJamo: [UInt32] = [0x3131, 0x3132, 0x3134, 0x3137, 0x3138, 0x3139, 0x3141, 0x3142, 0x3143, 0x3145,
                                        0x3146, 0x3147, 0x3148, 0x3149, 0x314A, 0x314B, 0x314C, 0x314D, 0x314E]
    static let finalJamo: [UInt32] = [0, 0x3131, 0x3132, 0x3133, 0x3134, 0x3135, 0x3136, 0x3137, 0x3139, 0x313A, 0x313B, 0x313C,
                                      0x313D, 0x313E, 0x313F, 0x3140, 0x3141, 0x3142, 0x3144, 0x3145, 0x3146, 0x3147, 0x3148,
                                      0x314A, 0x314B, 0x314C, 0x314D, 0x314E]

    /// The code a Hangul jamo has in the variant reading (ProfanityFilter, "variants"): tense
    /// consonants as plain ones (ㅆ as ㅅ), and vowels by sound: the y-glide dropped (ㅕ as ㅓ,
    /// ㅠ as ㅜ), ㅔ ㅒ ㅖ and the w-vowels ㅙ ㅚ ㅞ as ㅐ, ㅘ as ㅏ, ㅝ as ㅓ, ㅟ and ㅢ as ㅣ.
    /// Other codes are themselves.
    static func variant(_ code: UInt32) -> UInt32 {
        switch code {
        case 0x3132: return 0x3131 // ㄲ ㄱ
        case 0x3138: return 0x3137 // ㄸ ㄷ
        case 0x3143: return 0x3142 // ㅃ ㅂ
        case 0x3146: return 0x3145 // ㅆ ㅅ
        case 0x3149: return 0x3148 // ㅉ ㅈ
        case 0x3151, 0x3158: return 0x314F // ㅑ ㅘ: ㅏ
        case 0x3155, 0x315D: return 0x3153 // ㅕ ㅝ: ㅓ
        case 0x315B: return 0x3157 // ㅛ ㅗ
        case 0x3160: return 0x315C // ㅠ ㅜ
        case 0x3152, 0x3154, 0x3156, 0x3159, 0x315A, 0x315E: return 0x3150 // ㅒ ㅔ ㅖ ㅙ ㅚ ㅞ: ㅐ
        case 0x315F, 0x3162: return 0x3163 // ㅟ ㅢ: ㅣ
        default: return code
        }
    }

    /// A compound consonant jamo's two parts (ㅄ is ㅂ ㅅ), or nil.
    static func compoundParts(_ code: UInt32) -> (UInt32, UInt32)? {
        switch code {
        case 0x3133: return (0x3131, 0x3145) // ㄳ
        case 0x3135: return (0x3134, 0x3148) // ㄵ
        case 0x3136: return (0x3134, 0x314E) // ㄶ
        case 0x313A: return (0x3139, 0x3131) // ㄺ
        case 0x313B: return (0x3139, 0x3141) // ㄻ
        case 0x313C: return (0x3139, 0x3142) // ㄼ
        case 0x313D: return (0x3139, 0x3145) // ㄽ
        case 0x313E: return (0x3139, 0x314C) // ㄾ
        case 0x313F: return (0x3139, 0x314D) // ㄿ
        case 0x3140: return (0x3139, 0x314E) // ㅀ
        case 0x3144: return (0x3142, 0x3145) // ㅄ
        default: return nil
        }
    }

    /// Whether a code is a Hangul consonant (compatibility jamo ㄱ to ㅎ).
    static func isConsonant(_ code: UInt32) -> Bool { (0x3131...0x314E).contains(code) }

    static func kind(_ s: Unicode.Scalar) -> Kind {
        let v = s.value
        if v < 128 { return ascii[Int(v)] }
        if (0xAC00...0xD7A3).contains(v) {
            let i = v - 0xAC00
            return .syllable(initialJamo[Int(i / 588)], 0x314F + (i % 588) / 28, finalJamo[Int(i % 28)])
        }
        if (0x3131...0x3163).contains(v) { return .jamo(v) }
        if (0x1100...0x1112).contains(v) { return .jamo(initialJamo[Int(v - 0x1100)]) }
        if (0x1161...0x1175).contains(v) { return .jamo(0x314F + v - 0x1161) }
        if (0x11A8...0x11C2).contains(v) { return .jamo(finalJamo[Int(v - 0x11A8 + 1)]) }
        if (0xFFA1...0xFFDC).contains(v) || (0x3260...0x327E).contains(v) {
            // Half-width and circled jamo: their compatibility form is a jamo.
            if let j = String(s).precomposedStringWithCompatibilityMapping.unicodeScalars.first, j.value != v { return kind(j) }
        }
        if let c = compatibility[v] { return c >= 0x100 ? .digit(UInt32(c - 0x100)) : .letter(UInt32(c)) }
        if v == 0x3000 { return .whitespace }
        if v == 0x3164 || v == 0x115F || v == 0x1160 || v == 0xFFA0 { return .ignorable } // Hangul fillers
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control: return .ignorable
        case .spaceSeparator, .lineSeparator, .paragraphSeparator: return .whitespace
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber, .letterNumber, .otherNumber:
            let lower = s.properties.lowercaseMapping.unicodeScalars
            return .letter(lower.count == 1 ? lower.first!.value : v)
        default: return .separator
        }
    }
}
