// The city's service data read from disk: the chat filter's word lists (policy/), the service
// desks and the public holidays (services/). The rules themselves live in Services and read no
// files (DESIGN.md); these loaders read the bytes and hand them to Services' pure parsers, so
// that a fuzzer or a test can check bytes without a disk.

import Foundation
import Services

extension ProfanityFilter {
    /// Loads `profanity-*.txt` and `allow.txt` from a policy directory.
    public static func load(directory: String) throws(LoadError) -> ProfanityFilter {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else {
            throw LoadError(description: "cannot read the policy directory \(directory): pass --policy with the folder holding profanity-*.txt and allow.txt")
        }
        func read(_ name: String) throws(LoadError) -> String {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = fm.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw LoadError(description: "cannot read \(path) as UTF-8 text")
            }
            return text
        }
        let listNames = names.filter { $0.hasPrefix("profanity-") && $0.hasSuffix(".txt") }.sorted()
        guard !listNames.isEmpty else { throw LoadError(description: "no profanity-*.txt word list in \(directory)") }
        guard names.contains("allow.txt") else { throw LoadError(description: "no allow.txt in \(directory) (it may be empty, but it must exist)") }
        var lists: [(String, String)] = []
        for name in listNames { lists.append((name, try read(name))) }
        return try ProfanityFilter(lists: lists, allow: ("allow.txt", try read("allow.txt")))
    }
}

extension Holidays {
    /// Loads a holidays file (services/holidays.json).
    public static func load(path: String) throws(LoadError) -> [Holiday] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read \(path): the holidays file of the service desks (services/holidays.json)")
        }
        return try parse(data, path: path)
    }
}

extension DeskCatalog {
    /// Loads `directory/desks/*.json` and `directory/docents/*.json` with `directory/holidays.json`.
    public static func load(directory: String) throws(LoadError) -> DeskCatalog {
        let holidays: [Holiday]
        do { holidays = try Holidays.load(path: (directory as NSString).appendingPathComponent("holidays.json")) } catch {
            throw LoadError(problems: [error.description])
        }
        let desksDirectory = (directory as NSString).appendingPathComponent("desks")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: desksDirectory) else {
            throw LoadError(problems: ["cannot read \(desksDirectory): pass --services with the folder holding holidays.json and desks/"])
        }
        func files(in folder: String, _ names: [String]) -> [(name: String, data: Data?)] {
            names.filter { $0.hasSuffix(".json") }.map { name in
                (name: name, data: FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(name)))
            }
        }
        // The docents' posts are optional: a city without docents has no docents/ folder.
        let docentsDirectory = (directory as NSString).appendingPathComponent("docents")
        let docents = (try? FileManager.default.contentsOfDirectory(atPath: docentsDirectory)).map { files(in: docentsDirectory, $0) } ?? []
        return try parse(desks: files(in: desksDirectory, names), docents: docents, holidays: holidays, desksDirectory: desksDirectory)
    }
}

extension TaxTables {
    /// Loads `directory/car.json`, `property.json` and `acquisition.json` (services/tax/).
    public static func load(directory: String) throws(LoadError) -> TaxTables {
        var files: [String: Data] = [:]
        for name in ["car.json", "property.json", "acquisition.json"] {
            if let data = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(name)) { files[name] = data }
        }
        return try parse(files: files, directory: directory)
    }
}

extension TaxFAQ {
    /// Loads `directory/faq.json` (services/tax/).
    public static func load(directory: String) throws(LoadError) -> TaxFAQ {
        let path = (directory as NSString).appendingPathComponent("faq.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read \(path): the tax FAQ (pass --services with the folder holding tax/faq.json)")
        }
        return try parse(data, path: path)
    }
}

extension Guide {
    /// Loads `directory/ethics.json` and `directory/tutorial.json` (guide/).
    public static func load(directory: String) throws(GuideError) -> Guide {
        func read(_ name: String, list: String) throws(GuideError) -> GuideDocument {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw GuideError(description: "cannot read \(path): the Angel Guide and the ethics code (pass --guide with the folder holding ethics.json and tutorial.json)")
            }
            return try GuideDocument.parse(Array(data), file: path, list: list)
        }
        return Guide(ethics: try read("ethics.json", list: "articles"), tutorial: try read("tutorial.json", list: "steps"))
    }
}
