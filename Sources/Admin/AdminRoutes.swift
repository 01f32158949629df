// The admin side's routes (docs/ADMIN.md has the whole list with examples). Handlers are
// small: read the published view or the store, or hand an action to the loop thread.

import Foundation
import Hummingbird
import HummingbirdCore
import NetProto
import Services
import Store
import WorldFiles
import WorldServer

extension AdminServer {
    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("healthz") { _, _ in Self.text("ok\n") }
        router.get("readyz") { [self] request, _ in readiness() }
        router.get("metrics") { [self] request, _ in
            if let refused = refusal(request, .read) { return refused }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: state.metrics.render())))
        }
        router.get("api/overview") { [self] request, _ in try read(request) { overview($0) } }
        router.get("api/spaces") { [self] request, _ in try read(request) { view in Self.json(spaceList(view)) } }
        router.get("api/spaces/:id/avatars") { [self] request, context in
            let id = try context.parameters.require("id")
            return try read(request) { view in
                guard let space = view.spaces.first(where: { $0.id == id }) else { return Self.error(.notFound, "no space '\(id)' is served now") }
                return Self.json(AvatarList(space: id, sequence: view.sequence, avatars: (0..<space.avatars.count).map { i in
                    AvatarList.Avatar(entity: space.avatars.entity[i], x: Double(space.avatars.x[i]) / 100, y: Double(space.avatars.y[i]) / 100,
                                      floor: Int(space.avatars.floor[i]), role: AvatarDots.roleNames[Int(space.avatars.role[i])],
                                      name: space.avatars.role[i] == 0 ? nil : space.avatars.name[i])
                }))
            }
        }
        router.get("api/spaces/:id/map.svg") { [self] request, context in
            if let refused = refusal(request, .read) { return refused }
            let id = try context.parameters.require("id")
            guard let space = definition(of: id) else { return Self.error(.notFound, "no space or room '\(id)'") }
            let floor = request.uri.queryParameters["floor"].flatMap { Int($0) } ?? 0
            guard space.definition.floors.indices.contains(floor) else {
                return Self.error(.badRequest, "'\(id)' has floors 0 to \(space.definition.floors.count - 1); floor \(floor) was asked")
            }
            return Self.text(SVGMap.renderFloor(space, floor: floor), contentType: "image/svg+xml")
        }
        router.get("api/spaces/:id/stream") { [self] request, context in
            if let refused = refusal(request, .read) { return refused }
            let id = try context.parameters.require("id")
            return liveStream(space: id)
        }
        router.get("api/people") { [self] request, _ in
            if let refused = refusal(request, .read) { return refused }
            let server = self.server
            let answer: ([PresenceEntry], String?)? = await fromLoop(late: nil) { reply in server.people { reply(($0, $1)) } }
            guard let (people, error) = answer else {
                return Self.error(.gatewayTimeout, "the server did not answer within \(Self.replyWaitSeconds) s; it may be stopping or overloaded")
            }
            let space = request.uri.queryParameters["space"].map(String.init)
            let account = request.uri.queryParameters["account"].map(String.init)
            let chosen = people.filter { (space == nil || $0.spaceID == space) && (account == nil || $0.accountID == account) }
            return Self.json(PeopleJSON(complete: error == nil, error: error, count: chosen.count, people: chosen.map(PeopleJSON.Person.init)))
        }
        router.get("api/rooms") { [self] request, _ in try read(request) { view in Self.json(view.rooms.map(RoomJSON.init)) } }
        router.get("api/desks") { [self] request, _ in try read(request) { view in Self.json(view.desks.map(DeskJSON.init)) } }
        router.get("api/ticks") { [self] request, _ in
            try read(request) { view in Self.json(TickJSON(summary: state.ticks(rateHertz: view.tickRateHertz), seconds: state.tickHistory())) }
        }
        router.get("api/reports") { [self] request, _ in
            if let refused = refusal(request, .read) { return refused }
            let all = request.uri.queryParameters["all"] == "1"
            return await withStore { store in Self.json(try store.userReports(includeResolved: all, limit: 50).map(ReportJSON.init)) }
        }
        router.get("api/stats") { [self] request, _ in
            if let refused = refusal(request, .read) { return refused }
            let days = request.uri.queryParameters["days"].flatMap { Int($0) } ?? 30
            guard (1...366).contains(days) else { return Self.error(.badRequest, "days must be 1 to 366; \(days) was asked") }
            let period = request.uri.queryParameters["period"].flatMap { StatsPeriod(rawValue: String($0)) } ?? .day
            return await withStore { store in
                let zone = TimeZone(identifier: "Asia/Seoul")!
                let now = Int64((Date().timeIntervalSince1970 * 1_000).rounded())
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = zone
                let startOfToday = Int64(calendar.startOfDay(for: Date()).timeIntervalSince1970 * 1_000)
                let from = startOfToday - Int64(days - 1) * 86_400_000
                let report = try store.stats(StatsRequest(fromMillis: from, toMillis: startOfToday + 86_400_000, period: period,
                                                          spaceID: nil, timeZone: zone, nowMillis: now))
                return Self.json(report)
            }
        }
        // Tax Square's calculator and FAQ bot, on the tables the server loaded (docs/ADMIN.md).
        router.get("api/tax/ask") { [self] request, _ in
            if let refused = refusal(request, .read) { return refused }
            guard let square = server.configuration.taxSquare else { return Self.error(.serviceUnavailable, "Tax Square is not running on this server (started without services/tax)") }
            guard let q = request.uri.queryParameters["q"].map(String.init), !q.trimmingCharacters(in: .whitespaces).isEmpty else {
                return Self.error(.badRequest, "ask with ?q=the question (Korean or English, at most \(TaxFAQ.questionBytesMax) bytes)")
            }
            guard q.utf8.count <= TaxFAQ.questionBytesMax else { return Self.error(.badRequest, "the question is longer than \(TaxFAQ.questionBytesMax) bytes") }
            return Self.json(TaxFAQAnswerJSON(square.faq.reply(q), desk: square.faq.desk))
        }
        router.get("api/tax/:tax") { [self] request, context in
            if let refused = refusal(request, .read) { return refused }
            guard let square = server.configuration.taxSquare else { return Self.error(.serviceUnavailable, "Tax Square is not running on this server (started without services/tax)") }
            let name = try context.parameters.require("tax")
            guard let kind = TaxKind(rawValue: name) else { return Self.error(.notFound, "no tax '\(name)': car, property, acquisition, or ask?q=") }
            let fields = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
            do throws(TaxInputError) {
                return Self.json(try TaxCalculator.calculate(try TaxRequest.parse(kind, fields: fields), tables: square.tables))
            } catch {
                return Self.json(TaxRefusalJSON(error: error.description, field: error.field), status: .badRequest)
            }
        }
        router.post("api/notice") { [self] request, context in
            try await act(request) { (body: NoticeBody) in .notice(text: body.text, spaceID: body.space?.isEmpty == false ? body.space : nil) }
        }
        router.post("api/kick") { [self] request, context in
            try await act(request) { (body: PersonBody) in .kick(account: body.account, reason: body.reason) }
        }
        router.post("api/mute") { [self] request, context in
            try await act(request) { (body: PersonBody) in .mute(account: body.account, seconds: body.seconds ?? 3_600, reason: body.reason) }
        }
        router.post("api/ban") { [self] request, context in
            try await act(request) { (body: PersonBody) in .ban(account: body.account, seconds: body.seconds ?? 0, reason: body.reason) }
        }
        router.post("api/reports/:id/resolve") { [self] request, context in
            let text = try context.parameters.require("id")
            guard let id = Int64(text) else { return Self.error(.badRequest, "'\(text)' is not a report number") }
            return try await act(request) { (body: ResolveBody) in .resolveReport(id: id, resolution: body.resolution) }
        }
        // The notice board (NoticeRoutes.swift).
        router.get("api/notices") { [self] request, _ in await noticeBoard(request) }
        router.post("api/notices") { [self] request, _ in try await postNotice(request) }
        router.post("api/notices/:id/withdraw") { [self] request, context in
            let text = try context.parameters.require("id")
            guard let id = Int64(text), id > 0 else { return Self.error(.badRequest, "'\(text)' is not a notice number") }
            return try await withdrawNotice(request, id: id)
        }
        // The suggestion box (SuggestionRoutes.swift).
        router.get("api/suggestions") { [self] request, _ in await suggestionList(request) }
        router.get("api/suggestions/:number") { [self] request, context in await suggestion(request, number: try context.parameters.require("number")) }
        router.post("api/suggestions/:number/:action") { [self] request, context in
            let number = try context.parameters.require("number"), name = try context.parameters.require("action")
            let actions: [String: SuggestionAction] = ["take": .take, "answer": .answer, "close": .close]
            guard let action = actions[name] else { return Self.error(.notFound, "no action '\(name)' on a suggestion: take, answer or close") }
            return try await handleSuggestion(request, number: number, action: action)
        }
        // An operator's message to one citizen's inbox.
        router.post("api/inbox") { [self] request, _ in
            let server = self.server
            return try await act(request) { (body: InboxMessageJSON, reply) in
                server.performInboxMessage(account: body.account, title: body.title, body: body.body, actor: Self.actor(body.author), reply: reply)
            }
        }
        // The page itself; anything else is a plain 404.
        router.add(middleware: FileMiddleware(settings.staticDirectory, searchForIndexHtml: true, logger: logger))
    }

    // MARK: Reading

    func read(_ request: Request, _ body: (OperatorView) throws -> Response) throws -> Response {
        if let refused = refusal(request, .read) { return refused }
        guard let view = state.view else { return Self.error(.serviceUnavailable, "the server has not published its first view yet; try again in a moment") }
        return try body(view)
    }

    func withStore(_ body: @escaping @Sendable (any StoreReading) throws -> Response) async -> Response {
        guard let location = settings.records else { return Self.error(.notFound, "this server keeps no records (started without a store)") }
        do {
            return try await storeBox.read(location, body)
        } catch let unavailable as StoreUnavailable {
            return Self.error(.serviceUnavailable, "the store cannot be reached now: \(unavailable) (the server keeps its writes queued; see /readyz)")
        } catch {
            return Self.error(.internalServerError, "the store could not be read: \(error)")
        }
    }

    /// The world file a served space (or a room, by its template) was made from.
    func definition(of spaceID: String) -> Space? {
        if let space = catalog.space(spaceID) { return space }
        // An overflow instance (`seoul-plaza#2`, docs/CLUSTER.md) is its space's world.
        let key = SpaceInstanceKey(parsing: spaceID)
        if key.instance >= 2, let space = catalog.space(key.space) { return space }
        guard let room = state.view?.rooms.first(where: { $0.spaceID == spaceID }) else { return nil }
        return catalog.space(room.template)
    }

    func overview(_ view: OperatorView) -> Response {
        let c = view.counters
        return Self.json(Overview(version: view.serverVersion, sequence: view.sequence, atMillis: view.atMillis, uptimeSeconds: view.uptimeSeconds,
                                  tickRateHertz: view.tickRateHertz, tick: state.ticks(rateHertz: view.tickRateHertz),
                                  clients: view.clients.reduce(0) { $0 + $1.count }, clientsByRole: view.clients.map { ClientJSON(role: $0.role, transport: $0.transport, count: $0.count) },
                                  avatars: view.spaces.reduce(0) { $0 + $1.population }, roomsOpen: view.rooms.count,
                                  chatMessages: c.chatMessages, chatFiltered: c.chatFiltered, userReports: c.userReportsFiled,
                                  udpDropped: c.udpDropped, storeQueueDepth: view.store?.queueDepth, stopping: view.stopping,
                                  cluster: view.cluster.map(ClusterJSON.init)))
    }

    func spaceList(_ view: OperatorView) -> [SpaceJSON] {
        view.spaces.map { s in
            let file = definition(of: s.id)
            let room = view.rooms.first { $0.spaceID == s.id }
            return SpaceJSON(id: s.id, kind: s.kind, nameEn: room?.title ?? file?.name.en ?? s.id, nameKo: room == nil ? file?.name.ko : nil,
                             population: s.population, capacity: s.capacity,
                             floors: (0..<s.floorCount).map { f in
                                 FloorJSON(index: f, level: file?.definition.floors[f].level ?? f, name: file?.floorNames[f].en ?? "floor \(f)")
                             },
                             widthMetres: file.map { Double($0.definition.bounds.width) / 100 } ?? 0,
                             heightMetres: file.map { Double($0.definition.bounds.height) / 100 } ?? 0)
        }
    }

    func readiness() -> Response {
        var problems: [String] = []
        guard let view = state.view else {
            return Self.json(Readiness(ready: false, problems: ["the server has not published its first view (still starting)"]), status: .serviceUnavailable)
        }
        let now = Int64((Date().timeIntervalSince1970 * 1_000).rounded())
        let age = now - view.atMillis
        if age > 2_000 { problems.append("the loop thread last published \(age) ms ago: it is stalled or overloaded") }
        if view.stopping { problems.append("the server is shutting down") }
        if view.spaces.isEmpty { problems.append("no worlds are loaded") }
        if settings.records != nil && view.store == nil { problems.append("the store is not open") }
        if let f = view.store, f.unavailable {
            problems.append("the store's database cannot be reached: \(f.queueDepth) writes wait in the queue, and nothing is acknowledged until it is back (see the log)")
        }
        let ticks = state.ticks(rateHertz: view.tickRateHertz)
        if ticks.recentP99Millis > ticks.budgetMillis {
            problems.append(String(format: "ticks are over budget: p99 %.1f ms over the last ~10 s, budget %.1f ms", ticks.recentP99Millis, ticks.budgetMillis))
        }
        if ticks.skippedLast10Seconds > 0 { problems.append("\(ticks.skippedLast10Seconds) ticks skipped in the last 10 s") }
        if let cluster = view.cluster, !cluster.directoryReachable {
            problems.append("the cluster's directory cannot be reached: node '\(cluster.node)' keeps the spaces it holds until their leases run out, and claims none (see the log)")
        }
        if let cluster = view.cluster, cluster.cutOff.contains(cluster.node) {
            problems.append("the other nodes cannot reach node '\(cluster.node)' at its address: it hosts nothing until they can (check its network and --advertise; see the log)")
        }
        return Self.json(Readiness(ready: problems.isEmpty, problems: problems, node: view.cluster?.node), status: problems.isEmpty ? .ok : .serviceUnavailable)
    }

    // MARK: The live map

    func liveStream(space id: String) -> Response {
        guard streams.enter(max: settings.streamsMax) else {
            return Self.error(.serviceUnavailable, "\(settings.streamsMax) live maps are open already; close one")
        }
        let state = self.state, every = settings.streamEveryMillis, streams = self.streams
        let minimum = definition(of: id).map { ($0.definition.bounds.minX, $0.definition.bounds.minY) } ?? (0, 0)
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: .init { writer in
            defer { streams.leave() }
            var last: UInt64 = 0
            while !Task.isCancelled {
                if let view = state.view, view.sequence != last {
                    last = view.sequence
                    let event: String
                    if let space = view.spaces.first(where: { $0.id == id }) {
                        let frame = PositionFrame.encode(space.avatars, floors: space.floorCount, sequence: view.sequence, minX: minimum.0, minY: minimum.1)
                        let ticks = state.ticks(rateHertz: view.tickRateHertz)
                        event = "event: frame\ndata: {\"sequence\":\(view.sequence),\"population\":\(space.population),\"tickP99Millis\":\(ticks.recentP99Millis),\"positions\":\"\(Data(frame).base64EncodedString())\"}\n\n"
                    } else {
                        event = "event: gone\ndata: {\"sequence\":\(view.sequence)}\n\n"
                    }
                    try await writer.write(ByteBuffer(string: event))
                }
                try await Task.sleep(for: .milliseconds(every))
            }
            try await writer.finish(nil)
        })
    }

    // MARK: Acting

    static let bodyBytesMax = 16 * 1_024
    static let replyWaitSeconds = 10

    func act<Body: Decodable>(_ request: Request, _ make: @escaping (Body) -> OperatorAction) async throws -> Response {
        let server = self.server
        return try await act(request) { (body: Body, reply) in server.perform(make(body), actor: "admin:http", reply: reply) }
    }

    /// Decodes the body and hands it to `dispatch`, which asks the loop thread and answers
    /// through `reply`; its answer (or the wait's end) is the response. `dispatch` throws
    /// `BadRequest` for a body that decoded but says something impossible.
    func act<Body: Decodable>(_ request: Request, optionalBody: Bool = false,
                              _ dispatch: (Body, @escaping @Sendable (OperatorReply) -> Void) throws(BadRequest) -> Void) async throws -> Response {
        if let refused = refusal(request, .write) { return refused }
        var request = request
        let bytes: ByteBuffer
        do { bytes = try await request.collectBody(upTo: Self.bodyBytesMax) } catch {
            return Self.error(.contentTooLarge, "the request body is over \(Self.bodyBytesMax) bytes")
        }
        let body: Body
        do {
            let data = bytes.readableBytes == 0 && optionalBody ? Data("{}".utf8) : Data(bytes.readableBytesView)
            body = try JSONDecoder().decode(Body.self, from: data)
        } catch {
            return Self.error(.badRequest, "the body is not the JSON this asks for (docs/ADMIN.md): \(Self.describe(error))")
        }
        let late = OperatorReply(status: 504, message: "the server did not answer within \(Self.replyWaitSeconds) s; it may be stopping or overloaded, and the action may or may not have happened")
        let reply = await fromLoop(late: late) { reply in
            do throws(BadRequest) {
                try dispatch(body, reply)
            } catch {
                reply(OperatorReply(status: 400, message: error.message))
            }
        }
        return Self.json(ActionJSON(ok: reply.status == 200, message: reply.message, sessions: reply.sessions, id: reply.id),
                         status: HTTPResponse.Status(code: reply.status))
    }

    /// Who acts, for the records: `operator:<author>` as the command line says it ($USER), or
    /// `admin:http` when the request names nobody.
    static func actor(_ author: String?) -> String {
        guard let author, !author.trimmingCharacters(in: .whitespaces).isEmpty else { return "admin:http" }
        return "operator:" + author.prefix(64)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "'\(key.stringValue)' is missing"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "'\(c.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case DecodingError.dataCorrupted: return "it is not valid JSON"
        default: return "\(error)"
        }
    }
}

// MARK: The JSON shapes (docs/ADMIN.md)

struct NoticeBody: Decodable { var text: String; var space: String? }
struct PersonBody: Decodable { var account: String; var reason: String; var seconds: Int? }
struct ResolveBody: Decodable { var resolution: String }
struct InboxMessageJSON: Decodable { var account: String; var title: String; var body: String; var author: String? }

struct ActionJSON: Encodable { var ok: Bool; var message: String; var sessions: Int; var id: Int64? }

/// A body that decoded but asks for something impossible; answered 400 with `message`.
struct BadRequest: Error { var message: String }
struct Readiness: Encodable {
    var ready: Bool
    var problems: [String]
    /// The node's name, on a node of a cluster.
    var node: String? = nil
}
struct ClientJSON: Encodable { var role: String; var transport: String; var count: Int }

struct Overview: Encodable {
    var version: String
    var sequence: UInt64
    var atMillis: Int64
    var uptimeSeconds: Double
    var tickRateHertz: Int
    var tick: OperatorState.TickSummary
    var clients: Int
    var clientsByRole: [ClientJSON]
    var avatars: Int
    var roomsOpen: Int
    var chatMessages: Int
    var chatFiltered: Int
    var userReports: Int
    var udpDropped: Int
    var storeQueueDepth: Int?
    var stopping: Bool
    /// On a node of a cluster: its name, what it hosts, and every node with its spaces.
    var cluster: ClusterJSON?
}

/// `/api/people`: who is online and where (docs/ADMIN.md).
struct PeopleJSON: Encodable {
    struct Person: Encodable {
        var node: String
        var session: Int64
        var account: String?
        /// A member's display name; none for a guest.
        var name: String?
        var role: String
        var space: String?
        var since: String

        init(_ p: PresenceEntry) {
            node = p.node
            session = p.sessionID
            account = p.accountID
            name = p.displayName.isEmpty ? nil : p.displayName
            role = p.role.rawValue
            space = p.spaceID
            since = AdminTime.write(p.sinceMillis)
        }
    }
    /// False when a node could not read the cluster's presence and gives only its own people.
    var complete: Bool
    var error: String?
    var count: Int
    var people: [Person]
}

struct ClusterJSON: Encodable {
    struct Node: Encodable {
        var name: String
        var address: String
        var live: Bool
        var population: Int
        var spaces: [String]
    }
    var node: String
    var hosting: [String]
    var directoryReachable: Bool
    /// Nodes the others cannot reach at their addresses: they host nothing.
    var cutOff: [String]
    var nodes: [Node]
    var handOversOut: Int
    var ticketsAdmitted: Int
    var ticketsRefused: Int
    var resumeTicketsIssued: Int
    var resumed: Int
    var relaySent: Int
    var relayReceived: Int

    init(_ c: ClusterFigures) {
        node = c.node
        hosting = c.hosting
        directoryReachable = c.directoryReachable
        cutOff = c.cutOff
        nodes = c.nodes.map { n in
            Node(name: n.name, address: n.address, live: n.live, population: n.population,
                 spaces: c.hosts.filter { $0.live && $0.node == n.name }.map { $0.instance == 1 ? $0.spaceID : "\($0.spaceID)#\($0.instance)" })
        }
        handOversOut = c.handOversOut
        ticketsAdmitted = c.ticketsAdmitted
        ticketsRefused = c.ticketsRefused
        resumeTicketsIssued = c.resumeTicketsIssued
        resumed = c.resumed
        relaySent = c.relaySent
        relayReceived = c.relayReceived
    }
}

struct FloorJSON: Encodable { var index: Int; var level: Int; var name: String }

struct SpaceJSON: Encodable {
    var id: String
    var kind: String
    var nameEn: String
    var nameKo: String?
    var population: Int
    var capacity: Int
    var floors: [FloorJSON]
    var widthMetres: Double
    var heightMetres: Double
}

struct AvatarList: Encodable {
    struct Avatar: Encodable {
        var entity: UInt32
        var x: Double
        var y: Double
        var floor: Int
        var role: String
        /// Members' display names; never a guest's.
        var name: String?
    }
    var space: String
    var sequence: UInt64
    var avatars: [Avatar]
}

struct RoomJSON: Encodable {
    var id: UInt32, spaceID: String, template: String, title: String, access: String, population: Int, capacity: Int
    init(_ r: RoomFigures) {
        (id, spaceID, template, title, access, population, capacity) = (r.id, r.spaceID, r.template, r.title, r.access, r.population, r.capacity)
    }
}

struct DeskJSON: Encodable {
    var id: String, name: String, space: String, open: Bool, serving: Int, inSession: Int, waiting: Int
    var longestWaitSeconds: Double, medianSessionSeconds: Double
    init(_ d: DeskFigures) {
        (id, name, space, open, serving, inSession, waiting) = (d.id, d.name, d.space, d.open, d.serving, d.inSession, d.waiting)
        longestWaitSeconds = Double(d.longestWaitMillis) / 1_000
        medianSessionSeconds = Double(d.medianSessionMillis) / 1_000
    }
}

struct TickJSON: Encodable { var summary: OperatorState.TickSummary; var seconds: [TickSecond] }

struct ReportJSON: Encodable {
    var id: Int64, reason: String, description: String, reportedName: String, reportedAccount: String?, reporterAccount: String?
    var space: String?, createdAtMillis: Int64, resolvedAtMillis: Int64?, resolution: String?
    init(_ r: UserReport) {
        id = r.id
        reason = r.reason.rawValue
        description = r.description
        reportedName = r.reportedName
        reportedAccount = r.reportedAccount
        reporterAccount = r.reporterAccount
        space = r.spaceID
        createdAtMillis = r.createdAtMillis
        resolvedAtMillis = r.resolvedAtMillis
        resolution = r.resolution
    }
}

/// A refused calculation: the message, and the field it names.
struct TaxRefusalJSON: Encodable {
    var error: String
    var field: String
}
