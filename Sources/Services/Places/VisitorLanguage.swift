// The language a visitor reads the server's own words in (docs/PROTOCOL.md, section 7.16): the
// world files write every name and text in Korean and English. A client names its language with
// a BCP 47 tag; the server reads the tag's first subtag, case aside: "ko" is Korean, "en" is
// English, and anything else (a language the files do not have, or no tag) is Korean, the
// city's own, then English where a Korean text is missing.

public enum VisitorLanguage: String, Sendable, Hashable, CaseIterable {
    case ko, en

    /// The language for a client's tag ("en-GB" is English; "fr" and "" are Korean).
    public init(tag: String) {
        let primary = tag.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).first.map { $0.lowercased() } ?? ""
        self = primary == "en" ? .en : .ko
    }

    /// The text to show of a Korean and an English one: this language's where written, else
    /// the other's; and which was used.
    public func pick(ko: String, en: String) -> (text: String, language: VisitorLanguage) {
        switch self {
        case .ko: ko.isEmpty && !en.isEmpty ? (en, .en) : (ko, .ko)
        case .en: en.isEmpty && !ko.isEmpty ? (ko, .ko) : (en, .en)
        }
    }
}
