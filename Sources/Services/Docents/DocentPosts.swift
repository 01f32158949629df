// Docent posts (`services/docents/*.json`, schema in `services/schema.json`): where the city's
// docents stand in the landmarks and when, by the same opening hours and holidays as the
// desks (BRIEF.md: "Staff avatars (counsellors, docents) are posted in spaces during opening
// hours"). A file is one docent service: its name, who may serve it, its hours and its posts,
// one per space; a space has at most one post over all the files. Checked at start with the
// desks, every problem reported together; what a post names in the world files (a public space,
// a point of interest of it) is checked by `problems(against:)` with the world's facts.

import Foundation

public struct DocentPost: Sendable, Equatable {
    /// The space the post is in: its id on the wire (one post per space).
    public var space: String
    /// The point of interest a docent on duty stands at.
    public var point: String
    /// The docent service's id (its file's name without `.json`), for the records.
    public var service: String
    public var ko: String
    public var en: String
    public var staffRole: String
    public var hours: OpeningHours
    public var file: String
}

extension DeskCatalog {
    struct DocentFile: Decodable {
        struct Post: Decodable { var space: String; var point: String }
        var formatVersion: Int
        var id: String
        var name: File.Text
        var sources: [String]
        var staffRole: String
        var hours: File.Hours
        var posts: [Post]
    }

    /// The docent files' bytes, by file name: the posts, and every problem found.
    static func parseDocents(_ files: [(name: String, data: Data?)], holidays: Set<LocalDate>) -> ([DocentPost], [String]) {
        var posts: [DocentPost] = []
        var problems: [String] = []
        for (name, data) in files.sorted(by: { $0.name < $1.name }) where name.hasSuffix(".json") {
            guard let data else {
                problems.append("docents/\(name): cannot be read")
                continue
            }
            let f: DocentFile
            do { f = try JSONDecoder().decode(DocentFile.self, from: data) } catch {
                problems.append("docents/\(name): not a docent file: \(error)")
                continue
            }
            var found: [String] = []
            func problem(_ field: String, _ text: String) { found.append("docents/\(name): \(field): \(text)") }
            if f.formatVersion != 1 { problem("formatVersion", "is \(f.formatVersion); this build reads 1") }
            if name != f.id + ".json" { problem("id", "'\(f.id)' does not match the file name") }
            if f.name.ko.isEmpty || f.name.en.isEmpty { problem("name", "needs ko and en") }
            if f.sources.isEmpty { problem("sources", "say where the posts' facts come from") }
            if f.staffRole != "staff" { problem("staffRole", "'\(f.staffRole)' is not staff (docents are the city's staff)") }
            if f.posts.isEmpty { problem("posts", "names no post") }
            let rule = hoursRule(f.hours, problem: problem)
            for (i, post) in f.posts.enumerated() {
                if post.space.isEmpty || post.point.isEmpty { problem("posts[\(i)]", "needs a space and a point") }
                if let other = posts.first(where: { $0.space == post.space }) {
                    problem("posts[\(i)].space", "'\(post.space)' already has a post (\(other.file)); a space has one")
                }
                if f.posts[..<i].contains(where: { $0.space == post.space }) { problem("posts[\(i)].space", "'\(post.space)' is named twice") }
            }
            guard found.isEmpty, let rule else {
                problems += found
                continue
            }
            let hours = OpeningHours(rule: rule, holidays: holidays)
            posts += f.posts.map { DocentPost(space: $0.space, point: $0.point, service: f.id, ko: f.name.ko, en: f.name.en,
                                              staffRole: f.staffRole, hours: hours, file: "docents/\(name)") }
        }
        return (posts.sorted { $0.space < $1.space }, problems)
    }

    /// The posts' references into the world files: a public space, and a point of interest of it.
    func postProblems(against pointsBySpace: [String: Set<String>]) -> [String] {
        posts.compactMap { p in
            guard let points = pointsBySpace[p.space] else { return "\(p.file): posts: '\(p.space)' is not a public space of the world files" }
            guard points.contains(p.point) else {
                return "\(p.file): posts: '\(p.point)' is not a point of interest of '\(p.space)' (it has: \(points.sorted().joined(separator: ", ")))"
            }
            return nil
        }
    }
}
