// `services/holidays.json`: the public holidays the weekday desks close on, read and checked at
// start (every date valid, in order, none twice, each named in Korean and English).

import Foundation

public struct Holiday: Sendable, Hashable {
    public var date: LocalDate
    public var ko: String
    public var en: String
}

public enum Holidays {
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let description: String
        public init(description: String) { self.description = description }
    }

    struct File: Decodable {
        struct Entry: Decodable {
            struct Name: Decodable { var ko: String; var en: String }
            var date: String
            var name: Name
        }
        var timeZone: String
        var sources: [String]
        var holidays: [Entry]
    }

    /// A holidays file's bytes, checked (`path` names it in messages).
    public static func parse(_ data: Data, path: String) throws(LoadError) -> [Holiday] {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw LoadError(description: "\(path) is not a holidays file: \(error)")
        }
        return try check(file, path: path)
    }

    static func check(_ file: File, path: String) throws(LoadError) -> [Holiday] {
        guard file.timeZone == "Asia/Seoul" else { throw LoadError(description: "\(path): timeZone is '\(file.timeZone)'; the desks keep Seoul time (Asia/Seoul)") }
        guard !file.sources.isEmpty else { throw LoadError(description: "\(path): sources: say where the dates come from") }
        var out: [Holiday] = []
        for (i, e) in file.holidays.enumerated() {
            guard let date = LocalDate(e.date) else { throw LoadError(description: "\(path): holidays[\(i)].date '\(e.date)' is not a date (YYYY-MM-DD)") }
            if let last = out.last, last.date >= date {
                throw LoadError(description: "\(path): holidays[\(i)] (\(e.date)) is not after \(last.date): keep the list in date order, each date once")
            }
            guard !e.name.ko.isEmpty, !e.name.en.isEmpty else { throw LoadError(description: "\(path): holidays[\(i)] (\(e.date)) needs a name in ko and en") }
            out.append(Holiday(date: date, ko: e.name.ko, en: e.name.en))
        }
        return out
    }
}
