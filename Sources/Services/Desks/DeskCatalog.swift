// The service desks (`services/desks/*.json`, schema in `services/schema.json`) and the docents'
// posts (`services/docents/*.json`, DocentPosts.swift), loaded and
// checked at start like the world files: every file's every problem reported together, each
// naming the file and the field. What the desks name in the world files (a space, a desk point,
// a room template) is checked by `check(against:)` with the world catalog's facts, passed in
// (this module does not read world files).

import Foundation

public struct DeskField: Sendable, Hashable {
    public var id: String
    public var ko: String
    public var en: String
    public var experts: Int
}

public struct Desk: Sendable {
    public var id: String
    public var ko: String
    public var en: String
    public var space: String
    public var point: String
    public var staffRole: String
    /// Roles a citizen needs to queue (empty: every member).
    public var citizenRoles: [String]
    public var roomTemplate: String
    public var hours: OpeningHours
    public var queueMax: Int
    public var fields: [DeskField]
    public var file: String
}

public struct DeskCatalog: Sendable {
    public var desks: [Desk]
    /// The docents' posts (DocentPosts.swift), by space id.
    public var posts: [DocentPost] = []

    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var problems: [String]
        public init(problems: [String]) { self.problems = problems }
        public var description: String { "the service desks are not valid:\n  " + problems.joined(separator: "\n  ") }
    }

    struct File: Decodable {
        struct Text: Decodable { var ko: String; var en: String }
        struct Hours: Decodable { var always: Bool?; var weekdays: [String]? }
        struct Field: Decodable { var id: String; var name: Text; var experts: Int }
        var formatVersion: Int
        var id: String
        var name: Text
        var sources: [String]
        var space: String
        var point: String
        var staffRole: String
        var citizenRoles: [String]?
        var roomTemplate: String
        var hours: Hours
        var queueMax: Int
        var fields: [Field]?
    }

    /// The desk files' bytes, by file name, checked together against the holidays: the catalog,
    /// or every problem found (`desksDirectory` names the folder in messages).
    /// The docent files (`docents`) are checked with them and against the same holidays.
    public static func parse(desks files: [(name: String, data: Data?)], docents: [(name: String, data: Data?)] = [], holidays: [Holiday],
                             desksDirectory: String) throws(LoadError) -> DeskCatalog {
        var desks: [Desk] = []
        var problems: [String] = []
        for (name, data) in files.sorted(by: { $0.name < $1.name }) where name.hasSuffix(".json") {
            guard let data else {
                problems.append("\(name): cannot be read")
                continue
            }
            let (desk, found) = parseDesk(data, name: name, holidays: Set(holidays.map(\.date)))
            problems += found
            if let desk { desks.append(desk) }
        }
        let ids = desks.map(\.id)
        for id in Set(ids) where ids.filter({ $0 == id }).count > 1 { problems.append("desk id '\(id)' is used by more than one file") }
        if desks.isEmpty && problems.isEmpty { problems.append("\(desksDirectory) holds no desk files") }
        let (posts, postProblems) = parseDocents(docents, holidays: Set(holidays.map(\.date)))
        problems += postProblems
        guard problems.isEmpty else { throw LoadError(problems: problems) }
        return DeskCatalog(desks: desks, posts: posts)
    }

    /// One desk file's bytes, checked: the desk, or the problems (`name` is the file's name,
    /// which must be its id with `.json`).
    public static func parseDesk(_ data: Data, name: String, holidays: Set<LocalDate>) -> (Desk?, [String]) {
        do {
            return check(try JSONDecoder().decode(File.self, from: data), name: name, holidays: holidays)
        } catch {
            return (nil, ["\(name): not a desk file: \(error)"])
        }
    }

    static func check(_ f: File, name: String, holidays: Set<LocalDate>) -> (Desk?, [String]) {
        var problems: [String] = []
        func problem(_ field: String, _ text: String) { problems.append("\(name): \(field): \(text)") }
        if f.formatVersion != 1 { problem("formatVersion", "is \(f.formatVersion); this build reads 1") }
        if name != f.id + ".json" { problem("id", "'\(f.id)' does not match the file name") }
        if f.id.isEmpty || f.id.contains(where: { !($0.isLowercase || $0.isNumber || $0 == "-") }) { problem("id", "'\(f.id)' is not kebab-case") }
        if f.name.ko.isEmpty || f.name.en.isEmpty { problem("name", "needs ko and en") }
        if f.sources.isEmpty { problem("sources", "say where the desk's facts come from") }
        if !["staff", "mentor"].contains(f.staffRole) { problem("staffRole", "'\(f.staffRole)' is not staff or mentor") }
        for role in f.citizenRoles ?? [] where !["member", "mentee"].contains(role) { problem("citizenRoles", "'\(role)' is not member or mentee") }
        if !(1...10_000).contains(f.queueMax) { problem("queueMax", "\(f.queueMax) is not 1 to 10000") }
        let rule = hoursRule(f.hours, problem: problem)
        var fields: [DeskField] = []
        for (i, field) in (f.fields ?? []).enumerated() {
            if field.experts < 1 { problem("fields[\(i)].experts", "is \(field.experts); at least 1") }
            if fields.contains(where: { $0.id == field.id }) { problem("fields[\(i)].id", "'\(field.id)' is used twice") }
            fields.append(DeskField(id: field.id, ko: field.name.ko, en: field.name.en, experts: field.experts))
        }
        guard problems.isEmpty, let rule else { return (nil, problems) }
        return (Desk(id: f.id, ko: f.name.ko, en: f.name.en, space: f.space, point: f.point, staffRole: f.staffRole, citizenRoles: f.citizenRoles ?? [],
                     roomTemplate: f.roomTemplate, hours: OpeningHours(rule: rule, holidays: holidays), queueMax: f.queueMax, fields: fields,
                     file: name), [])
    }

    /// A file's `hours` as a rule, or nil with the problem said (desks and docent posts alike).
    static func hoursRule(_ hours: File.Hours, problem: (String, String) -> Void) -> OpeningHours.Rule? {
        switch (hours.always, hours.weekdays) {
        case (true?, nil): return .always
        case (nil, let times?) where times.count == 2:
            if let open = minutes(times[0]), let close = minutes(times[1]), open < close { return .weekdays(openMinute: open, closeMinute: close) }
            problem("hours.weekdays", "\(times) is not an opening and a later closing time (\"09:00\", \"18:00\")")
        default: problem("hours", "is {\"always\": true} or {\"weekdays\": [\"HH:MM\", \"HH:MM\"]}")
        }
        return nil
    }

    /// "09:00" to 540.
    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m) else { return nil }
        return h * 60 + m
    }

    /// What the world files hold, for the cross-checks: desk points (counselling-desk points of
    /// interest) per public space, and the room templates' ids.
    public struct WorldFacts: Sendable {
        public var deskPoints: [String: Set<String>]
        public var templates: Set<String>
        /// Every point of interest's id per public space (for the docents' posts).
        public var points: [String: Set<String>]
        public init(deskPoints: [String: Set<String>], templates: Set<String>, points: [String: Set<String>] = [:]) {
            self.deskPoints = deskPoints
            self.templates = templates
            self.points = points
        }
    }

    /// The desks' references into the world files, each problem a sentence.
    public func problems(against world: WorldFacts) -> [String] {
        var out: [String] = []
        for d in desks {
            if let points = world.deskPoints[d.space] {
                if !points.contains(d.point) {
                    out.append("\(d.file): point: '\(d.point)' is not a counselling-desk point of '\(d.space)' (it has: \(points.sorted().joined(separator: ", ")))")
                }
            } else {
                out.append("\(d.file): space: '\(d.space)' is not a public space of the world files")
            }
            if !world.templates.contains(d.roomTemplate) { out.append("\(d.file): roomTemplate: '\(d.roomTemplate)' is not a room template") }
        }
        return out + postProblems(against: world.points)
    }
}
