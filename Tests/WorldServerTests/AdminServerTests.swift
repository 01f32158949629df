// The admin side (Sources/Admin) through the real `seoulworld serve`, as an operator's tools
// see it: /metrics checked by Prometheus' own promtool, health and readiness, the JSON API
// against what the clients were told, the live map's frames, and the operator token on
// every change. The server runs as a child process so that its HTTP threads never compete
// with the test runner's.

#if canImport(FoundationNetworking)
import ChildProcess
import FoundationNetworking
#endif
import Admin
import Transport
import Foundation
import NetProto
import PostgresScratch
import Store
import Testing
import WorldClient
@testable import WorldServer

/// A plain HTTP exchange with a bounded wait (URLSession, on its own threads).
func fetch(_ url: String, method: String = "GET", token: String? = nil, body: String? = nil) -> (status: Int, headers: [String: String], body: Data) {
    var request = URLRequest(url: URL(string: url)!, timeoutInterval: 10)
    request.httpMethod = method
    if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
    if let body {
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: (Int, [String: String], Data) = (0, [:], Data())
    URLSession.shared.dataTask(with: request) { data, response, _ in
        let http = response as? HTTPURLResponse
        var headers: [String: String] = [:]
        for (k, v) in http?.allHeaderFields ?? [:] { headers[String(describing: k).lowercased()] = String(describing: v) }
        result = (http?.statusCode ?? 0, headers, data ?? Data())
        done.signal()
    }.resume()
    _ = done.wait(timeout: .now() + 15)
    return result
}

func json(_ data: Data) -> Any? { try? JSONSerialization.jsonObject(with: data) }

@Suite(.serialized, .timeLimit(.minutes(10))) struct AdminServerTests {
    static let token = "operator-token-for-the-tests-2026"

    /// A child server with its admin side and a store, and `accounts` signed in and entered
    /// into Seoul Plaza (names starting "guest" as guests).
    static func start(_ accounts: [String]) throws -> (ChildServer, String, UVLoop, [WorldClient], String) {
        let directory = NSTemporaryDirectory() + "seoulworld-admin-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (token + "\n").write(toFile: directory + "/admin-token", atomically: true, encoding: .utf8)
        try encodeHexForTests(Shipped.secret).write(toFile: directory + "/secret", atomically: true, encoding: .utf8)
        let child = try ChildServer(arguments: ["--data", directory + "/records.sqlite", "--admin-token-file", directory + "/admin-token",
                                                "--token-secret-file", directory + "/secret", "--worlds", Shipped.worlds.path], logPath: directory + "/server.log")
        try #require(child.port != 0, "the server did not start: \(child.log)")
        let deadline = Date().addingTimeInterval(10)
        while child.adminPort == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        try #require(child.adminPort != 0, "the admin side did not say where it listens: \(child.log)")
        let loop = try UVLoop()
        let clients = try accounts.map { a in
            try WorldClient(loop: loop, server: SocketAddress(host: "127.0.0.1", port: child.port),
                            credentials: a.hasPrefix("guest") ? .guest(displayName: a) : .member(token: ChatServerTests.token(a)))
        }
        drive(loop, clients, seconds: 15) { clients.allSatisfy { $0.welcome != nil } }
        for c in clients { c.enter("seoul-plaza") }
        drive(loop, clients, seconds: 15) { clients.allSatisfy { $0.space != nil } }
        try #require(clients.allSatisfy { $0.space == "seoul-plaza" })
        return (child, "http://127.0.0.1:\(child.adminPort)", loop, clients, directory)
    }

    static func encodeHexForTests(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Waits (bounded) until the published view shows `n` avatars in the plaza.
    static func waitForPlaza(_ base: String, _ n: Int, loop: UVLoop, clients: [WorldClient]) -> [[String: Any]] {
        var spaces: [[String: Any]] = []
        drive(loop, clients, seconds: 10) {
            spaces = json(fetch(base + "/api/spaces").body) as? [[String: Any]] ?? []
            return spaces.first { $0["id"] as? String == "seoul-plaza" }?["population"] as? Int == n
        }
        return spaces
    }

    @Test func taxSquaresCalculatorAndFAQAnswerOverHTTP() throws {
        let (child, base, loop, _, _) = try Self.start([])
        defer { child.kill(SIGINT); loop.closeAll() }
        let car = fetch(base + "/api/tax/car?cc=1998&first-registered=2019-03&date=2025-06-01")
        #expect(car.status == 200, "\(String(decoding: car.body, as: UTF8.self))")
        let working = try #require(json(car.body) as? [String: Any])
        #expect(working["total"] as? Int == 389_600 && working["tax"] as? String == "car")
        let lines = try #require(working["lines"] as? [[String: Any]])
        #expect(lines.first { $0["id"] as? String == "age" }?["amount"] as? Int == -99_900)
        #expect(lines.allSatisfy { ($0["article"] as? String)?.isEmpty == false })

        let bad = fetch(base + "/api/tax/property?official-price=abc&single-home=no&date=2025-06-01")
        #expect(bad.status == 400 && (json(bad.body) as? [String: Any])?["field"] as? String == "official-price")
        #expect(fetch(base + "/api/tax/boat?x=1").status == 404)

        let question = "전기차 자동차세는 얼마예요?".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
        let answer = try #require(json(fetch(base + "/api/tax/ask?q=" + question).body) as? [String: Any])
        #expect(answer["answered"] as? Bool == true && answer["id"] as? String == "car-electric")
        let unknown = try #require(json(fetch(base + "/api/tax/ask?q=bakery").body) as? [String: Any])
        #expect(unknown["answered"] as? Bool == false && unknown["desk"] as? String == "tax-counselling")
        #expect(fetch(base + "/api/tax/ask").status == 400)
    }

    @Test func metricsHealthAndTheAPIShowWhatTheServerHas() throws {
        let accounts = ["guest-a", "guest-b", "guest-c", "citizen-1", "citizen-2"]
        let (child, base, loop, clients, _) = try Self.start(accounts)
        defer { child.kill(SIGINT); loop.closeAll() }

        #expect(fetch(base + "/healthz").status == 200)
        let spaces = Self.waitForPlaza(base, 5, loop: loop, clients: clients)
        let plaza = try #require(spaces.first { $0["id"] as? String == "seoul-plaza" })
        #expect(plaza["population"] as? Int == 5)
        #expect(plaza["capacity"] as? Int == Shipped.catalog.space("seoul-plaza")!.definition.capacity)
        #expect(spaces.count == Shipped.catalog.publicSpaces.count, "every public space is listed")
        let cityHall = try #require(spaces.first { $0["id"] as? String == "city-hall" })
        #expect((cityHall["floors"] as? [Any])?.count == Shipped.catalog.space("city-hall")!.definition.floors.count)

        // The avatars: the entities the clients were given, members named, guests not.
        let avatars = try #require((json(fetch(base + "/api/spaces/seoul-plaza/avatars").body) as? [String: Any])?["avatars"] as? [[String: Any]])
        #expect(Set(avatars.compactMap { $0["entity"] as? Int }) == Set(clients.map { Int($0.entity!) }))
        for a in avatars {
            if a["role"] as? String == "guest" { #expect(a["name"] == nil, "a guest's name is never shown") }
            else { #expect((a["name"] as? String)?.hasPrefix("시민 citizen-") == true) }
        }
        #expect(avatars.filter { $0["role"] as? String == "guest" }.count == 3)

        // The live map's stream: one frame with every avatar where /avatars has it.
        let frame = try #require(try Self.firstFrame(base + "/api/spaces/seoul-plaza/stream"))
        let decoded = try #require(PositionFrame.decode(frame))
        #expect(decoded.points.count == 5)
        let fromFrame = Set(decoded.points.map { "\($0.x / 10),\($0.y / 10)" })
        let fromAPI = Set(avatars.map { "\(Int32((($0["x"] as! Double) * 100).rounded()) / 10),\(Int32((($0["y"] as! Double) * 100).rounded()) / 10)" })
        #expect(fromFrame == fromAPI, "the map's dots stand where the API says, to the decimetre")

        // /metrics: Prometheus' checker finds nothing wrong, and the figures are the server's.
        let metrics = fetch(base + "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = String(decoding: metrics.body, as: UTF8.self)
        let (status, output) = try Self.promtool(metrics.body)
        #expect(status == 0, "promtool check metrics: \(output)")
        func value(_ line: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }
        #expect(value("seoulworld_space_avatars{space=\"seoul-plaza\"}") == 5)
        let clientsTotal = text.split(separator: "\n").filter { $0.hasPrefix("seoulworld_clients{") }.compactMap { Double($0.split(separator: " ").last!) }.reduce(0, +)
        #expect(clientsTotal == 5)
        #expect((value("seoulworld_tick_duration_seconds_count") ?? 0) > 0)
        #expect((value("seoulworld_connections_accepted_total") ?? 0) >= 5)
        #expect(text.contains("seoulworld_udp_dropped_datagrams_total{reason=\"malformed\"}"))

        // Readiness answers in an orchestrator's terms: 200 and ready, or 503 with the reasons.
        let ready = fetch(base + "/readyz")
        let readiness = try #require(json(ready.body) as? [String: Any])
        if ready.status == 200 {
            #expect(readiness["ready"] as? Bool == true)
        } else {
            // A loaded test machine may run a debug build's ticks over budget; that is the only excuse.
            #expect(ready.status == 503)
            let problems = readiness["problems"] as? [String] ?? []
            #expect(!problems.isEmpty, "a 503 names its reasons")
            #expect(problems.allSatisfy { $0.contains("over budget") || $0.contains("skipped") }, "\(problems)")
        }
        // The page is served, and a missing file is a 404.
        #expect(String(decoding: fetch(base + "/").body, as: UTF8.self).contains("<canvas id=\"map\">"))
        #expect(fetch(base + "/no-such-file.js").status == 404)
        #expect(fetch(base + "/api/spaces/no-such-space/avatars").status == 404)
    }

    @Test func changesNeedTheOperatorTokenAndThenReachPeople() throws {
        let (child, base, loop, clients, directory) = try Self.start(["guest-x", "citizen-7", "citizen-8"])
        defer { child.kill(SIGINT); loop.closeAll() }
        let notice = #"{"text": "광장 행사는 22시에 끝납니다. The plaza event ends at 22:00.", "space": "seoul-plaza"}"#

        let missing = fetch(base + "/api/notice", method: "POST", body: notice)
        #expect(missing.status == 401)
        #expect(missing.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(fetch(base + "/api/notice", method: "POST", token: "not-the-token-at-all", body: notice).status == 401)
        drive(loop, clients, seconds: 0.5)
        #expect(clients.allSatisfy { $0.chatReceived.isEmpty }, "a refused notice reaches no one")

        let sent = fetch(base + "/api/notice", method: "POST", token: Self.token, body: notice)
        #expect(sent.status == 200, "\(String(decoding: sent.body, as: UTF8.self))")
        #expect((json(sent.body) as? [String: Any])?["sessions"] as? Int == 3)
        drive(loop, clients, seconds: 5) { clients.allSatisfy { !$0.chatReceived.isEmpty } }
        for c in clients {
            #expect(c.chatReceived.first?.channel == .announcement)
            #expect(c.chatReceived.first?.text.hasSuffix("The plaza event ends at 22:00.") == true)
        }

        // Bad requests say what is wrong.
        let badJSON = fetch(base + "/api/mute", method: "POST", token: Self.token, body: "{account: citizen-7")
        #expect(badJSON.status == 400)
        let noReason = fetch(base + "/api/mute", method: "POST", token: Self.token, body: #"{"account": "citizen-7"}"#)
        #expect(noReason.status == 400)
        #expect(String(decoding: noReason.body, as: UTF8.self).contains("'reason' is missing"))
        let tooLong = fetch(base + "/api/mute", method: "POST", token: Self.token, body: #"{"account": "citizen-7", "reason": "spam", "seconds": 99999999}"#)
        #expect(tooLong.status == 400)
        #expect(fetch(base + "/api/kick", method: "POST", token: Self.token, body: #"{"account": "nobody-online", "reason": "test"}"#).status == 404)

        // A kick with the token: the member is removed, and the audit trail has it, committed
        // before the answer.
        let kicked = fetch(base + "/api/kick", method: "POST", token: Self.token, body: #"{"account": "citizen-7", "reason": "shouting at the bell ceremony"}"#)
        #expect(kicked.status == 200, "\(String(decoding: kicked.body, as: UTF8.self))")
        let store = try Store(path: directory + "/records.sqlite", readOnly: true)
        let audit = try store.auditEntries(account: "citizen-7")
        #expect(audit.first?.action == .kick)
        #expect(audit.first?.actor == "admin:http")
        drive(loop, clients, seconds: 5) { clients[1].errors.contains { $0.code == .kicked } }
        #expect(clients[1].errors.contains { $0.code == .kicked && $0.text.contains("shouting at the bell ceremony") })
    }

    /// The notice board from the command line and the API: a notice written with `seoulworld
    /// notices add` reaches the plaza's people, is listed, is withdrawn once; bad requests say
    /// what is wrong, and nothing is written without the token.
    @Test func theNoticeBoardFromTheCommandLineAndTheAPI() throws {
        let (child, base, loop, clients, directory) = try Self.start(["guest-y", "citizen-9"])
        defer { child.kill(SIGINT); loop.closeAll() }
        let binary = ChildProcess.builtBesideTests("seoulworld")
        let admin = ["--admin", base, "--admin-token-file", directory + "/admin-token", "--actor", "kim"]
        func cli(_ arguments: [String]) throws -> ChildProcess.Outcome {
            try ChildProcess.run(binary, ["notices"] + arguments, deadlineSeconds: 30)
        }

        let added = try cli(["add"] + admin + ["--category", "safety", "--title-ko", "빙판 주의", "--title-en", "Ice on the plaza",
                                               "--body-en", "Walk slowly near the fountain.", "--for", "2h", "--space", "seoul-plaza", "--pinned"])
        #expect(added.status == 0, "\(added)")
        let id = try #require(added.standardOutput.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }, "\(added.standardOutput)")
        drive(loop, clients, seconds: 5) { clients.allSatisfy { !$0.noticesShown.isEmpty } }
        for c in clients {
            #expect(c.noticesShown.first?.notice.id == id && c.noticesShown.first?.notice.titleEn == "Ice on the plaza" && c.noticesShown.first?.notice.pinned == true)
        }

        let listed = try cli(["list", "--admin", base, "--format", "json"])
        let board = try #require(json(Data(listed.standardOutput.utf8)) as? [[String: Any]], "\(listed)")
        #expect(board.count == 1 && board[0]["author"] as? String == "operator:kim" && board[0]["state"] as? String == "showing")
        #expect(board[0]["spaces"] as? [String] == ["seoul-plaza"] && board[0]["bodyKo"] == nil)
        let table = try cli(["list", "--admin", base])
        #expect(table.status == 0 && table.standardOutput.contains("빙판 주의 · Ice on the plaza") && table.standardOutput.contains("seoul-plaza"), "\(table)")

        // Refusals: each says why, with a failing status, and writes nothing.
        let withoutToken = try cli(["add", "--admin", base, "--title-en", "x", "--body-en", "y", "--for", "1h"])
        #expect(withoutToken.status == 1 && withoutToken.errors.contains("--admin-token-file"), "\(withoutToken)")
        let nowhere = try cli(["add"] + admin + ["--title-en", "x", "--body-en", "y", "--for", "1h", "--space", "atlantis"])
        #expect(nowhere.status == 1 && nowhere.errors.contains("no public space 'atlantis'"), "\(nowhere)")
        let badTime = fetch(base + "/api/notices", method: "POST", token: Self.token,
                            body: #"{"category": "event", "titleEn": "x", "bodyEn": "y", "endsAt": "tomorrow"}"#)
        #expect(badTime.status == 400 && String(decoding: badTime.body, as: UTF8.self).contains("ISO 8601"))
        #expect(fetch(base + "/api/notices", method: "POST", body: #"{"category": "event", "titleEn": "x", "bodyEn": "y", "endsAt": "2030-01-01T00:00:00Z"}"#).status == 401)

        let withdrawn = try cli(["withdraw"] + admin + ["\(id)"])
        #expect(withdrawn.status == 0 && withdrawn.standardOutput.contains("withdrawn"), "\(withdrawn)")
        drive(loop, clients, seconds: 5) { clients.allSatisfy { $0.noticesWithdrawn == [id] } }
        #expect(clients.allSatisfy { $0.noticesWithdrawn == [id] })
        let again = try cli(["withdraw"] + admin + ["\(id)"])
        #expect(again.status == 1 && again.errors.contains("withdrawn already (by operator:kim)"), "\(again)")
        let after = json(fetch(base + "/api/notices").body) as? [[String: Any]]
        #expect(after?.first?["state"] as? String == "withdrawn" && after?.first?["withdrawnBy"] as? String == "operator:kim")
    }

    /// The suggestion box from the command line: a citizen's suggestion listed in the queue,
    /// shown whole, answered; the citizen, online, has the answer in the inbox at once.
    @Test func theSuggestionBoxFromTheCommandLine() throws {
        let (child, base, loop, clients, directory) = try Self.start(["citizen-11"])
        defer { child.kill(SIGINT); loop.closeAll() }
        let citizen = clients[0]
        let filing = citizen.fileSuggestion(SuggestionFiling(category: 0, publicConsent: true, space: "", title: "Night buses", body: "More night buses after festivals."))
        drive(loop, clients, seconds: 5) { citizen.suggestionsFiled[filing] != nil }
        let number = try #require(citizen.suggestionsFiled[filing]?.trackingNumber)
        let binary = ChildProcess.builtBesideTests("seoulworld")
        let admin = ["--admin", base, "--admin-token-file", directory + "/admin-token", "--actor", "park"]
        func cli(_ arguments: [String]) throws -> ChildProcess.Outcome { try ChildProcess.run(binary, ["suggestions"] + arguments, deadlineSeconds: 30) }

        let queue = try cli(["list", "--admin", base])
        #expect(queue.status == 0 && queue.standardOutput.contains(number) && queue.standardOutput.contains("Night buses"), "\(queue)")
        let shown = try cli(["show", "--admin", base, number])
        #expect(shown.status == 0 && shown.standardOutput.contains("More night buses after festivals."), "\(shown)")
        let answered = try cli(["answer"] + admin + [number, "--text", "Two more lines from March."])
        #expect(answered.status == 0 && answered.standardOutput.contains("\(number) is answered"), "\(answered)")
        drive(loop, clients, seconds: 5) { !citizen.inboxPushed.isEmpty }
        #expect(citizen.inboxPushed.first?.entry.body == "Two more lines from March." && citizen.inboxPushed.first?.entry.reference == number)
        let twice = try cli(["close"] + admin + [number, "--reason", "again"])
        #expect(twice.status == 1 && twice.errors.contains("answered already (by operator:park)"), "\(twice)")
        let board = json(fetch(base + "/api/suggestions?scope=answered").body) as? [[String: Any]]
        #expect(board?.first?["trackingNumber"] as? String == number && board?.first?["respondedBy"] as? String == "operator:park")
        #expect(fetch(base + "/api/suggestions/\(number)/answer", method: "POST", body: #"{"text": "x"}"#).status == 401)
        #expect(fetch(base + "/api/suggestions/S-2026-999999").status == 404)
    }

    /// The inbox from the operators' side: a message written through the API reaches the online
    /// citizen at once; a mute puts its reason and end in the muted account's inbox.
    @Test func operatorsAndSanctionsWriteToTheInbox() throws {
        let (child, base, loop, clients, _) = try Self.start(["citizen-12"])
        defer { child.kill(SIGINT); loop.closeAll() }
        let citizen = clients[0]
        let message = #"{"account": "citizen-12", "title": "Your lost umbrella", "body": "It is at City Hall's front desk.", "author": "kim"}"#
        #expect(fetch(base + "/api/inbox", method: "POST", body: message).status == 401)
        let sent = fetch(base + "/api/inbox", method: "POST", token: Self.token, body: message)
        #expect(sent.status == 200 && String(decoding: sent.body, as: UTF8.self).contains("shown at once"), "\(String(decoding: sent.body, as: UTF8.self))")
        #expect(fetch(base + "/api/inbox", method: "POST", token: Self.token, body: #"{"account": "citizen-12", "title": " ", "body": "x"}"#).status == 400)
        let muted = fetch(base + "/api/mute", method: "POST", token: Self.token, body: #"{"account": "citizen-12", "reason": "shouting at the bell", "seconds": 600}"#)
        #expect(muted.status == 200)
        drive(loop, clients, seconds: 5) { citizen.inboxPushed.count >= 2 }
        let kinds = citizen.inboxPushed.map(\.entry.kind)
        #expect(kinds == [4, 3], "an operator's message, then the sanction: \(citizen.inboxPushed.map(\.entry.title))")
        #expect(citizen.inboxPushed.first?.entry.body == "It is at City Hall's front desk.")
        #expect(citizen.inboxPushed.last?.entry.body == "shouting at the bell" && citizen.inboxPushed.last?.entry.title.contains("You are muted until") == true)
    }

    /// The records on PostgreSQL: the report and statistics pages read them; then the database
    /// stopped under the running server: /readyz says so, /metrics shows it (and promtool
    /// accepts it), a bug report is not acknowledged while the database is down, and is once it
    /// is back.
    @Test func aLostDatabaseShowsOnReadyzAndMetricsAndNothingIsAcknowledgedMeanwhile() throws {
        let pg = try PostgresScratch() // its own: the shared cluster serves the tests beside this one
        defer { pg.stop() }
        let database = try pg.database()
        let directory = NSTemporaryDirectory() + "seoulworld-admin-pg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.encodeHexForTests(Shipped.secret).write(toFile: directory + "/secret", atomically: true, encoding: .utf8)
        let child = try ChildServer(arguments: ["--store", database.description, "--token-secret-file", directory + "/secret", "--worlds", Shipped.worlds.path],
                                    logPath: directory + "/server.log")
        try #require(child.port != 0, "the server did not start: \(child.log)")
        defer { child.kill(SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while child.adminPort == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let base = "http://127.0.0.1:\(child.adminPort)"
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let client = try WorldClient(loop: loop, server: SocketAddress(host: "127.0.0.1", port: child.port), credentials: .guest(displayName: "guest-1"))
        drive(loop, [client], seconds: 15) { client.welcome != nil }
        client.enter("seoul-plaza")
        drive(loop, [client], seconds: 15) { client.space != nil }
        #expect(fetch(base + "/readyz").status == 200)
        // The reports and statistics pages read PostgreSQL: the open visit is counted.
        let reports = fetch(base + "/api/reports")
        #expect(reports.status == 200 && (json(reports.body) as? [Any])?.isEmpty == true, "\(String(decoding: reports.body, as: UTF8.self))")
        var plazaVisits = 0
        let counted = Date().addingTimeInterval(10)
        while plazaVisits == 0 && Date() < counted {
            drive(loop, [client], seconds: 0.2)
            let stats = json(fetch(base + "/api/stats?days=1").body) as? [String: Any]
            let spaces = stats?["spaces"] as? [[String: Any]] ?? []
            plazaVisits = spaces.first { $0["space"] as? String == "seoul-plaza" }?["visits"] as? Int ?? 0
        }
        #expect(plazaVisits == 1, "the statistics page counts the guest's visit from PostgreSQL")

        try pg.down()
        defer { try? pg.up() }
        let request = client.reportBug("the fountain sprays the path")
        var ready = (status: 0, headers: [String: String](), body: Data())
        let until = Date().addingTimeInterval(15)
        while Date() < until {
            drive(loop, [client], seconds: 0.5)
            ready = fetch(base + "/readyz")
            if ready.status == 503 { break }
        }
        #expect(ready.status == 503 && String(decoding: ready.body, as: UTF8.self).contains("cannot be reached"), "\(String(decoding: ready.body, as: UTF8.self))")
        let metrics = fetch(base + "/metrics").body
        let text = String(decoding: metrics, as: UTF8.self)
        #expect(text.contains("seoulworld_store_unavailable 1") && text.contains("seoulworld_store_unavailable_periods_total 1"))
        let (status, output) = try Self.promtool(metrics)
        #expect(status == 0, "promtool: \(output)")
        #expect(client.bugReportsFiled.isEmpty, "nothing is acknowledged while the database is down")
        // A member signing in meanwhile: the standing cannot be read, and the answer says so at
        // once (internalError, try again shortly) instead of holding the sign-in.
        let member = try WorldClient(loop: loop, server: SocketAddress(host: "127.0.0.1", port: child.port),
                                     credentials: .member(token: ChatServerTests.token("citizen-down")))
        drive(loop, [client, member], seconds: 10) { member.closed }
        #expect(member.welcome == nil && member.errors.last?.code == .internalError && member.errors.last?.text.contains("try again") == true,
                "\(member.errors.map { "\($0.code) \($0.text)" })")
        let reportsDown = fetch(base + "/api/reports")
        #expect(reportsDown.status == 503 && String(decoding: reportsDown.body, as: UTF8.self).contains("cannot be reached"),
                "the reports page says the database is away: \(reportsDown.status) \(String(decoding: reportsDown.body, as: UTF8.self))")

        try pg.up()
        drive(loop, [client], seconds: 20) { client.bugReportsFiled.contains { $0.requestID == request } }
        #expect(client.bugReportsFiled.contains { $0.requestID == request })
        drive(loop, [client], seconds: 3) { fetch(base + "/readyz").status == 200 }
        #expect(fetch(base + "/readyz").status == 200)
        #expect(fetch(base + "/api/reports").status == 200, "the reports page reconnects once the database is back")
        #expect(child.log.contains("cannot be reached") && child.log.contains("reachable again"))
    }

    @Test func aPublicAdminAddressNeedsAToken() throws {
        let (status, output) = try ChatServerTests.seoulworld(["serve", "--port", "0", "--admin-host", "0.0.0.0", "--admin-port", "0",
                                                               "--worlds", Shipped.worlds.path, "--data", NSTemporaryDirectory() + "seoulworld-\(UUID().uuidString).sqlite"])
        #expect(status == 1)
        #expect(output.contains("--admin-token-file"), "\(output)")
    }

    /// The first `frame` event of a server-sent event stream, its positions decoded from base64.
    static func firstFrame(_ url: String) throws -> [UInt8]? {
        let parts = URL(string: url)!
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(parts.port!).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return nil }
        let request = "GET \(parts.path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while received.count < 4 << 20 {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return nil }
            received += buffer[0..<n]
            let text = String(decoding: received, as: UTF8.self)
            guard let start = text.range(of: "event: frame\ndata: "), let end = text[start.upperBound...].range(of: "\n\n") else { continue }
            // Chunked transfer encoding may split the line; the positions are base64, without CR or LF.
            let data = String(text[start.upperBound..<end.lowerBound])
            guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
                  let positions = object["positions"] as? String, let bytes = Data(base64Encoded: positions) else { return nil }
            return Array(bytes)
        }
        return nil
    }

    /// Runs `promtool check metrics` on the exposition text.
    static func promtool(_ text: Data) throws -> (Int32, String) {
        let candidates = ["/usr/bin/promtool", "/usr/local/bin/promtool"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return (-1, "promtool is not installed: `scripts/install-deps.sh --test` installs Debian's prometheus package, which has it")
        }
        let outcome = try ChildProcess.run(path, ["check", "metrics"], input: text, deadlineSeconds: 30)
        return outcome.timedOut ? (-1, "\(outcome)") : (outcome.status, outcome.output)
    }
}

@Suite struct AdminPieceTests {
    @Test func positionFramesRoundTripAndClamp() {
        var dots = AvatarDots()
        for (i, (x, y)) in [(0, 0), (12_345, 6_789), (-500, 100), (700_000_000, 5)].enumerated() {
            dots.entity.append(UInt32(i + 1))
            dots.x.append(Int32(x))
            dots.y.append(Int32(y))
            dots.floor.append(UInt8(i))
            dots.role.append(UInt8(i % 5))
            dots.name.append("")
        }
        let bytes = PositionFrame.encode(dots, floors: 4, sequence: 77, minX: 0, minY: 0)
        #expect(bytes.count == PositionFrame.headerBytes + 4 * PositionFrame.bytesPerAvatar)
        let frame = PositionFrame.decode(bytes)!
        #expect(frame.sequence == 77)
        #expect(frame.floors == 4)
        #expect(frame.points.map(\.x) == [0, 12_340, 0, 655_350], "decimetres, clamped into the frame's range")
        #expect(frame.points.map(\.y) == [0, 6_780, 100, 0])
        #expect(frame.points.map(\.floor) == [0, 1, 2, 3])
        #expect(PositionFrame.decode(Array(bytes.dropLast())) == nil, "a short frame is refused")
    }

    @Test func tickHistoryKeepsOneEntryASecondAndForgetsTheOldest() {
        var history = TickHistory(secondsMax: 3)
        for second in 0..<5 {
            history.add([2_000_000, 6_000_000], atMillis: Int64(second) * 1_000 + 100)
            history.add([10_000_000], atMillis: Int64(second) * 1_000 + 600)
        }
        #expect(history.seconds.map(\.second) == [2, 3, 4])
        #expect(history.seconds.allSatisfy { $0.ticks == 3 && $0.maxMillis == 10 && abs($0.meanMillis - 6) < 1e-9 })
        var window = TickWindow(capacity: 4)
        for n: UInt64 in [5, 1, 9, 7, 3, 8] { window.add(n) }
        #expect(window.count == 4)
        #expect(window.maximum == 9, "the latest four: 9, 7, 3, 8")
        #expect(window.quantile(0) == 3)
    }

    @Test func tokensCompareWholeAndLoopbackIsRecognised() {
        #expect(AdminServer.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!AdminServer.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!AdminServer.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(AdminSettings.isLoopback("127.0.0.1") && AdminSettings.isLoopback("::1") && AdminSettings.isLoopback("localhost"))
        #expect(!AdminSettings.isLoopback("0.0.0.0") && !AdminSettings.isLoopback("10.0.0.7"))
    }
}
