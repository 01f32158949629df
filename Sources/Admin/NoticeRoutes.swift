// The notice board on the admin side (docs/ADMIN.md): the board as the server holds it, and an
// operator's notice written or withdrawn through the same machine as an editor's (the loop
// thread decides, the store keeps it, then the answer). Times in JSON are ISO 8601 with their
// offset ("2026-12-31T23:00:00+09:00"), and every notice says its times that way in Seoul time.

import Foundation
import Hummingbird
import Services
import WorldServer

extension AdminServer {
    func noticeBoard(_ request: Request) async -> Response {
        if let refused = refusal(request, .read) { return refused }
        let server = self.server
        let notices: [Notice]? = await fromLoop(late: nil) { reply in server.noticeBoard { reply($0) } }
        guard let notices else { return Self.error(.gatewayTimeout, "the server did not answer within \(Self.replyWaitSeconds) s; it may be stopping or overloaded") }
        let now = Int64((Date().timeIntervalSince1970 * 1_000).rounded())
        return Self.json(notices.map { NoticeJSON($0, now: now) })
    }

    func postNotice(_ request: Request) async throws -> Response {
        let server = self.server
        return try await act(request) { (body: NoticeDraftJSON, reply) throws(BadRequest) in
            let draft = try body.draft(now: Int64((Date().timeIntervalSince1970 * 1_000).rounded()))
            server.performNotice(.post(draft), actor: AdminServer.actor(body.author), reply: reply)
        }
    }

    func withdrawNotice(_ request: Request, id: Int64) async throws -> Response {
        let server = self.server
        return try await act(request, optionalBody: true) { (body: WithdrawJSON, reply) in
            server.performNotice(.withdraw(id: id), actor: AdminServer.actor(body.author), reply: reply)
        }
    }
}

/// Times as the admin side writes and reads them.
enum AdminTime {
    static let seoul = TimeZone(identifier: "Asia/Seoul")!

    static func write(_ millis: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = seoul
        return f.string(from: Date(timeIntervalSince1970: Double(millis) / 1_000))
    }

    /// "2026-12-31T23:00:00+09:00" (or Z, with or without fractions of a second, as a
    /// browser's toISOString writes), to Unix milliseconds; nil for anything else.
    static func read(_ text: String) -> Int64? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions.insert(.withFractionalSeconds)
        return (plain.date(from: text) ?? fractional.date(from: text)).map { Int64(($0.timeIntervalSince1970 * 1_000).rounded()) }
    }
}

/// `POST /api/notices`: a notice as an operator writes it.
struct NoticeDraftJSON: Decodable {
    var titleKo: String?
    var titleEn: String?
    var bodyKo: String?
    var bodyEn: String?
    /// event, service-update, maintenance, safety.
    var category: String
    /// ISO 8601 with an offset; absent for now.
    var startsAt: String?
    var endsAt: String
    /// Public space ids; absent or empty for the whole city.
    var spaces: [String]?
    var pinned: Bool?
    /// Who writes, for the record (the command line sends $USER).
    var author: String?

    func draft(now: Int64) throws(BadRequest) -> NoticeDraft {
        guard let category = NoticeCategory(rawValue: category) else {
            throw BadRequest(message: "category '\(category)' is none of \(NoticeCategory.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var starts = now
        if let startsAt {
            guard let t = AdminTime.read(startsAt) else { throw BadRequest(message: "startsAt '\(startsAt)' is not an ISO 8601 time with its offset, such as 2026-12-31T23:00:00+09:00") }
            starts = t
        }
        guard let ends = AdminTime.read(endsAt) else { throw BadRequest(message: "endsAt '\(endsAt)' is not an ISO 8601 time with its offset, such as 2027-01-01T01:00:00+09:00") }
        let list = spaces ?? []
        return NoticeDraft(title: NoticeText(ko: titleKo, en: titleEn), body: NoticeText(ko: bodyKo, en: bodyEn), category: category,
                           startsAtMillis: starts, endsAtMillis: ends, target: list.isEmpty ? .city : .spaces(list), pinned: pinned ?? false)
    }
}

struct WithdrawJSON: Decodable { var author: String? }

/// A notice on the board, as `GET /api/notices` lists it.
struct NoticeJSON: Encodable {
    var id: Int64
    var titleKo: String?
    var titleEn: String?
    var bodyKo: String?
    var bodyEn: String?
    var category: String
    var startsAt: String
    var endsAt: String
    var spaces: [String]
    var pinned: Bool
    /// scheduled, showing or withdrawn.
    var state: String
    var author: String
    var createdAt: String
    var withdrawnBy: String?
    var withdrawnAt: String?

    init(_ n: Notice, now: Int64) {
        id = n.id
        (titleKo, titleEn, bodyKo, bodyEn) = (n.draft.title.ko, n.draft.title.en, n.draft.body.ko, n.draft.body.en)
        category = n.draft.category.rawValue
        startsAt = AdminTime.write(n.draft.startsAtMillis)
        endsAt = AdminTime.write(n.draft.endsAtMillis)
        if case .spaces(let list) = n.draft.target { spaces = list } else { spaces = [] }
        pinned = n.draft.pinned
        state = n.withdrawnAtMillis != nil ? "withdrawn" : n.draft.startsAtMillis > now ? "scheduled" : "showing"
        author = n.author
        createdAt = AdminTime.write(n.createdAtMillis)
        withdrawnBy = n.withdrawnBy
        withdrawnAt = n.withdrawnAtMillis.map(AdminTime.write)
    }
}
