// The suggestion box on the admin side (docs/ADMIN.md): the queue, a citizen's suggestions
// and the public board read from the store through the server (after the writes queued before
// them), one suggestion whole, and an operator's take, answer or close through the same
// machine as an answerer's (the citizen's inbox written with it, and the citizen told).

import Foundation
import Hummingbird
import NetProto
import Services
import Store
import WorldServer

extension AdminServer {
    func suggestionList(_ request: Request) async -> Response {
        if let refused = refusal(request, .read) { return refused }
        let query = request.uri.queryParameters
        let offset = query["offset"].flatMap { Int($0) } ?? 0
        guard (0...100_000).contains(offset) else { return Self.error(.badRequest, "offset must be 0 to 100,000") }
        let read: StoreRead
        if let account = query["account"].map(String.init) {
            read = .suggestionsOf(accountID: account, offset: offset, limit: Self.suggestionsPageMax)
        } else {
            switch query["scope"].map(String.init) ?? "queue" {
            case "queue": read = .suggestionQueue(offset: offset, limit: Self.suggestionsPageMax)
            case "answered": read = .answeredSuggestions(offset: offset, limit: Self.suggestionsPageMax)
            case let other: return Self.error(.badRequest, "scope '\(other)' is neither queue nor answered (or ask for one citizen's with ?account=)")
            }
        }
        return await readSuggestions(read) { rows in Self.json(rows.map(SuggestionJSON.init)) }
    }

    func suggestion(_ request: Request, number: String) async -> Response {
        if let refused = refusal(request, .read) { return refused }
        guard let id = Suggestion.id(trackingNumber: number) else { return Self.error(.badRequest, "'\(number)' is not a tracking number (S-2026-000123)") }
        return await readSuggestions(.suggestion(id: id)) { rows in
            guard let row = rows.first else { return Self.error(.notFound, "no suggestion \(number)") }
            return Self.json(SuggestionJSON(row))
        }
    }

    func handleSuggestion(_ request: Request, number: String, action: SuggestionAction) async throws -> Response {
        let server = self.server
        return try await act(request, optionalBody: action == .take) { (body: SuggestionActionJSON, reply) in
            server.performSuggestion(action, trackingNumber: number, text: body.text ?? "", actor: Self.actor(body.author), reply: reply)
        }
    }

    static let suggestionsPageMax = 50

    private func readSuggestions(_ read: StoreRead, _ answer: @escaping @Sendable ([SuggestionRecord]) -> Response) async -> Response {
        guard settings.records != nil else { return Self.error(.notFound, "this server keeps no records (started without a store)") }
        let server = self.server
        let outcome: StoreOutcome?? = await fromLoop(late: .none) { reply in server.readRecords(read) { reply(.some($0)) } }
        switch outcome {
        case .none: return Self.error(.gatewayTimeout, "the server did not answer within \(Self.replyWaitSeconds) s; it may be stopping or overloaded")
        case .some(.some(.suggestions(let rows))): return answer(rows)
        case .some: return Self.error(.serviceUnavailable, "the suggestions could not be read from the store now (see /readyz)")
        }
    }
}

struct SuggestionActionJSON: Decodable {
    /// The answer, or the reason it is closed.
    var text: String?
    var author: String?
}

/// A suggestion as the admin API shows it; times in Seoul time.
struct SuggestionJSON: Encodable {
    var id: Int64
    var trackingNumber: String
    var account: String
    var title: String
    var body: String
    var category: String
    var space: String?
    var publicConsent: Bool
    var state: String
    var filedAt: String
    var handler: String?
    var takenAt: String?
    var response: String?
    var respondedBy: String?
    var respondedAt: String?

    init(_ r: SuggestionRecord) {
        id = r.id ?? 0
        trackingNumber = Suggestion.trackingNumber(id: id, filedAtMillis: r.filedAtMillis)
        (account, title, body, category, space, publicConsent, state) = (r.accountID, r.title, r.body, r.category, r.spaceID, r.publicConsent, r.state)
        filedAt = AdminTime.write(r.filedAtMillis)
        handler = r.handler
        takenAt = r.takenAtMillis.map(AdminTime.write)
        (response, respondedBy) = (r.response, r.respondedBy)
        respondedAt = r.respondedAtMillis.map(AdminTime.write)
    }
}
