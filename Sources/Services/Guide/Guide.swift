// The Angel Guide (the tutorial) and the city's ethics code, as versioned data (guide/): each a
// title and sections in Korean and English. Anyone reads them; a member accepts the current
// version of the code before their first chat, room, suggestion or report, and a new version
// asks again (docs/PROTOCOL.md, section 7.17). Pure: the bytes come from ServiceFiles.
//
// Invariants: a loaded document has a version, 1 to 32 sections with distinct kebab-case ids,
// every title and text in both languages within its limits, and fits one frame in either
// language (the checks name the file and the field).

import Foundation

public struct GuideSection: Hashable, Sendable {
    public var id: String
    public var title: Bilingual
    public var text: Bilingual
}

public struct GuideDocument: Hashable, Sendable {
    public var version: String
    public var title: Bilingual
    public var sections: [GuideSection]

    public static let versionBytesMax = 32
    public static let sectionsMax = 32
    public static let titleBytesMax = 120
    public static let textBytesMax = 1_000
    /// A document in one language, every title and text together: room for it in one frame.
    public static let languageBytesMax = 6_000

    /// Parses `guide/<name>.json`; `list` is the sections' key ("articles" or "steps").
    public static func parse(_ bytes: [UInt8], file: String, list: String) throws(GuideError) -> GuideDocument {
        func fail(_ field: String, _ problem: String) -> GuideError { GuideError(description: "\(file): \(field): \(problem)") }
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { throw fail("", "is not a JSON object") }
        guard let version = root["version"] as? String, !version.isEmpty, version.utf8.count <= versionBytesMax else {
            throw fail("version", "needs a version of 1 to \(versionBytesMax) bytes (such as \"2026-1\")")
        }
        func bilingual(_ value: Any?, _ field: String, _ limit: Int) throws(GuideError) -> Bilingual {
            guard let o = value as? [String: Any], let ko = o["ko"] as? String, let en = o["en"] as? String else {
                throw fail(field, "needs {\"ko\": ..., \"en\": ...}: the guide is served in both languages")
            }
            for (language, text) in [("ko", ko), ("en", en)] {
                guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw fail("\(field).\(language)", "is empty") }
                guard text.utf8.count <= limit else { throw fail("\(field).\(language)", "is \(text.utf8.count) bytes; at most \(limit)") }
            }
            return Bilingual(ko: ko, en: en)
        }
        let title = try bilingual(root["title"], "title", titleBytesMax)
        guard let items = root[list] as? [[String: Any]], (1...sectionsMax).contains(items.count) else {
            throw fail(list, "needs 1 to \(sectionsMax) entries")
        }
        var sections: [GuideSection] = []
        for (i, item) in items.enumerated() {
            let field = "\(list)[\(i)]"
            guard let id = item["id"] as? String, id.range(of: "^[a-z0-9]+(-[a-z0-9]+)*$", options: .regularExpression) != nil, id.utf8.count <= 64 else {
                throw fail("\(field).id", "needs a lowercase kebab-case id")
            }
            guard !sections.contains(where: { $0.id == id }) else { throw fail("\(field).id", "'\(id)' is used twice") }
            sections.append(GuideSection(id: id, title: try bilingual(item["title"], "\(field).title", titleBytesMax),
                                         text: try bilingual(item["text"], "\(field).text", textBytesMax)))
        }
        let document = GuideDocument(version: version, title: title, sections: sections)
        for language in ["ko", "en"] where document.bytes(language) > languageBytesMax {
            throw fail(list, "the \(language) text is \(document.bytes(language)) bytes in all; at most \(languageBytesMax), to travel in one message")
        }
        return document
    }

    /// Its titles' and texts' bytes in one language, ids included.
    public func bytes(_ language: String) -> Int {
        func pick(_ b: Bilingual) -> String { language == "en" ? b.en : b.ko }
        return pick(title).utf8.count + sections.reduce(0) { $0 + $1.id.utf8.count + pick($1.title).utf8.count + pick($1.text).utf8.count }
    }
}

/// The guide a server serves: the ethics code and the tutorial.
public struct Guide: Hashable, Sendable {
    public var ethics: GuideDocument
    public var tutorial: GuideDocument

    public init(ethics: GuideDocument, tutorial: GuideDocument) {
        self.ethics = ethics
        self.tutorial = tutorial
    }

    /// Whether an account that accepted `versions` may chat, open or enter a room, file a
    /// suggestion or report: it accepted the current version of the code.
    public func allows(accepted versions: Set<String>) -> Bool { versions.contains(ethics.version) }
}

public struct GuideError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(description: String) { self.description = description }
}
