// What a chat message's text may be, after normalisation (docs/PROTOCOL.md, section 7.5):
// valid UTF-8 (the decoder already refused anything else), control characters and the
// bidirectional overrides and isolates removed (they can make a line read backwards in
// someone else's client), Unicode NFC, spaces at both ends trimmed, then 1 to 200 characters,
// counted as extended grapheme clusters (what a person sees as one character), not bytes.

import Foundation

public enum ChatText {
    public static let charactersMax = 200

    public enum Refusal: Error, Equatable, Sendable {
        case empty
        case tooLong(characters: Int)

        public var sentence: String {
            switch self {
            case .empty: return "the message is empty once control and direction characters are removed"
            case .tooLong(let n): return "the message has \(n) characters; at most \(ChatText.charactersMax) are allowed"
            }
        }
    }

    /// The text as it will be handled and delivered, or why it is refused.
    public static func normalise(_ raw: String) -> Result<String, Refusal> {
        var scalars = String.UnicodeScalarView()
        for s in raw.unicodeScalars {
            // Line breaks and tabs are controls too; a chat line is one line, so they become spaces.
            if s.value == 0x09 || s.value == 0x0A || s.value == 0x0D {
                scalars.append(" ")
            } else if !isRemoved(s) {
                scalars.append(s)
            }
        }
        let text = String(scalars).precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return .failure(.empty) }
        let count = text.count
        if count > charactersMax { return .failure(.tooLong(characters: count)) }
        return .success(text)
    }

    /// Control characters (C0, DEL, C1) and the bidirectional embeddings, overrides, isolates
    /// and marks (U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C).
    static func isRemoved(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x20 || (0x7F...0x9F).contains(v) { return true }
        if (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) { return true }
        return v == 0x200E || v == 0x200F || v == 0x061C
    }
}
