// Tax Square through a live server: the working of a calculation as the calculator gives it,
// for a guest in the square; the refusals (elsewhere, a bad field, too many at once, a server
// without the tables); the FAQ's answer and its way to the counselling desk; and each use a
// service event in the store.

import Foundation
import GRDB
import NetProto
import ServiceFiles
import Services
import Store
import Testing
import Transport
import WorldClient
@testable import WorldServer

@Suite(.serialized, .timeLimit(.minutes(10))) struct TaxSquareServerTests {
    static let tax = Shipped.worlds.deletingLastPathComponent().appendingPathComponent("services/tax").path
    static let square = TaxSquare(tables: try! TaxTables.load(directory: tax), faq: try! TaxFAQ.load(directory: tax))

    static func guest(_ loop: UVLoop, _ running: RunningServer, _ name: String, space: String) throws -> WorldClient {
        let c = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: name))
        drive(loop, [c], seconds: 10) { c.welcome != nil }
        c.enter(space)
        drive(loop, [c], seconds: 10) { c.space == space }
        return c
    }

    @Test func aGuestInTheSquareGetsTheWorkingTheCalculatorGives() throws {
        // A folder of its own, removed whole: the store leaves its -wal, -shm and lock files beside the file.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tax-square-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("records.sqlite").path
        let running = try RunningServer {
            $0.taxSquare = Self.square
            $0.store = StoreSettings(path: path)
        }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let visitor = try Self.guest(loop, running, "visitor", space: "tax-square")
        let elsewhere = try Self.guest(loop, running, "walker", space: "seoul-plaza")
        let both = [visitor, elsewhere]

        let fields = [("cc", "1,998"), ("first-registered", "2019-03"), ("date", "2025-06-01")]
        let car = visitor.taxCalculate(0, fields)
        drive(loop, both, seconds: 5) { visitor.taxWorkings[car] != nil }
        let working = try #require(visitor.taxWorkings[car])
        let expected = try TaxCalculator.calculate(try TaxRequest.parse(.car, fields: fields.map { ($0.0, $0.1) }), tables: Self.square.tables)
        #expect(working == TaxSquareSubsystem.body(expected), "the wire carries the calculator's working whole")
        #expect(working.total == 389_600 && working.payments.map(\.amount) == [194_800, 194_800] && working.options.first?.amount == 371_770)
        #expect(working.lines.first { $0.id == "age" }?.amount == -99_900 && !working.notIncluded.isEmpty)

        let bad = visitor.taxCalculate(1, [("official-price", "10000000000001"), ("single-home", "no"), ("date", "2025-06-01")])
        drive(loop, both, seconds: 5) { visitor.errors.contains { $0.requestID == bad } }
        let refusal = try #require(visitor.errors.first { $0.requestID == bad })
        #expect(refusal.code == .invalidField && refusal.text.hasPrefix("official-price:") && refusal.text.contains("10,000,000,000,000"), "\(refusal.text)")

        let away = elsewhere.taxCalculate(2, [("price", "700000000"), ("area-m2", "84"), ("homes-after", "1"), ("adjustment-area", "no"), ("date", "2025-06-01")])
        drive(loop, both, seconds: 5) { elsewhere.errors.contains { $0.requestID == away } }
        #expect(elsewhere.errors.first { $0.requestID == away }?.code == .notHere)

        let known = visitor.taxAsk("전기차 자동차세는 얼마예요?")
        let unknown = visitor.taxAsk("where is the nearest bakery")
        let national = visitor.taxAsk("종합소득세 신고 기한")
        drive(loop, both, seconds: 5) { [known, unknown, national].allSatisfy { visitor.taxAnswers[$0] != nil } }
        #expect(visitor.taxAnswers[known]?.kind == .answered && visitor.taxAnswers[known]?.entry == "car-electric" && visitor.taxAnswers[known]?.desk == "")
        #expect(visitor.taxAnswers[unknown]?.kind == .doesNotKnow && visitor.taxAnswers[unknown]?.desk == "tax-counselling", "the way to a person")
        #expect(visitor.taxAnswers[national]?.kind == .nationalTax)

        // The burst is 10 a connection: 5 used above; of 10 more at once, some are refused.
        let flood = (0..<10).map { _ in visitor.taxAsk("자동차세 납기") }
        drive(loop, both, seconds: 5) { flood.allSatisfy { r in visitor.taxAnswers[r] != nil || visitor.errors.contains { $0.requestID == r } } }
        let limited = flood.filter { r in visitor.errors.contains { $0.requestID == r && $0.code == .rateLimited } }
        #expect(limited.count >= 4 && limited.count <= 5, "\(limited.count) refused of 10")
        #expect(visitor.space == "tax-square", "refusals leave the connection as it was")

        running.stop()
        let store = try Store(path: path, readOnly: true)
        let rows = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT service, outcome, count(*) AS n FROM service_events WHERE service LIKE 'tax-%' AND kind = 'request' GROUP BY service, outcome")
        }
        let counts = Dictionary(uniqueKeysWithValues: rows.map { ("\(($0["service"] as String).dropFirst(4))/\($0["outcome"] as String)", $0["n"] as Int) })
        #expect(counts["car/answered"] == 1 && counts["property/refused"] == 1 && counts["acquisition/not-here"] == 1, "\(counts)")
        #expect(counts["faq/answered"] ?? 0 >= 2 && counts["faq/does-not-know"] == 1 && counts["faq/national-tax"] == 1, "\(counts)")
        #expect(counts["faq/rate-limited"] == limited.count, "\(counts)")
    }

    @Test func aServerWithoutTheTablesSaysSo() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let visitor = try Self.guest(loop, running, "visitor", space: "tax-square")
        let r = visitor.taxAsk("자동차세")
        drive(loop, [visitor], seconds: 5) { visitor.errors.contains { $0.requestID == r } }
        #expect(visitor.errors.first { $0.requestID == r }?.code == .unavailable)
    }

    @Test func theLargestWorkingsFitInHalfAFrame() throws {
        // The largest workings the tables make (every tax, with warnings and the cap) encode
        // within a frame, so the server never has to refuse one for its size.
        let cases: [(TaxKind, [(String, String)])] = [
            (.car, [("cc", "1998"), ("first-registered", "2010-01"), ("date", "2026-06-01")]),
            (.property, [("official-price", "650000000"), ("single-home", "yes"), ("last-year-official-price", "500000000"), ("date", "2026-06-01")]),
            (.acquisition, [("price", "800000000"), ("area-m2", "120"), ("homes-after", "2"), ("adjustment-area", "yes"), ("date", "2026-06-01")]),
        ]
        for (kind, fields) in cases {
            let w = try TaxCalculator.calculate(try TaxRequest.parse(kind, fields: fields.map { ($0.0, $0.1) }), tables: Self.square.tables)
            let bytes = ServerMessage.taxWorking(requestID: 1, TaxSquareSubsystem.body(w)).encode()
            #expect(bytes.count <= WireProtocol.frameBodyBytesMax / 2, "\(kind): \(bytes.count) bytes; half a frame left for the tables to grow")
        }
    }
}
