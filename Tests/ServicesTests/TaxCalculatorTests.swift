import Foundation
import Testing
import ServiceFiles
import WorldCore
@testable import Services

/// The calculator against the golden cases (Fixtures/tax/golden-*.json, written by golden.py, a
/// second implementation, with each case's arithmetic from the articles), and the properties the
/// law gives the amounts: they never fall when the base rises, and are continuous at the
/// bracket edges where the law is.
@Suite struct TaxCalculatorTests {
    static let tables = try! TaxTables.load(directory: Paths.repository.appendingPathComponent("services/tax").path)

    struct Golden: Decodable {
        struct Expect: Decodable {
            var error: String?
            var total: Int64?
            var payments: [String: Int64]?
            var options: [String: Int64]?
            var lines: [String: Int64]?
            var warning: Bool?
        }
        struct Case: Decodable { var name: String; var fields: [String: String]; var expect: Expect; var arithmetic: [String]? }
        var tax: String
        var cases: [Case]
    }

    static func golden(_ tax: TaxKind) throws -> Golden {
        let url = Bundle.module.url(forResource: "Fixtures/tax/golden-\(tax.rawValue)", withExtension: "json")!
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    static func calculate(_ kind: TaxKind, _ fields: [String: String]) throws(TaxInputError) -> TaxWorking {
        try TaxCalculator.calculate(try TaxRequest.parse(kind, fields: fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }), tables: tables)
    }

    @Test(arguments: TaxKind.allCases) func goldenCases(_ kind: TaxKind) throws {
        let golden = try Self.golden(kind)
        #expect(golden.cases.filter { $0.expect.error == nil }.count >= 30, "at least 30 computed cases per tax")
        for c in golden.cases {
            let result: TaxWorking
            do { result = try Self.calculate(kind, c.fields) } catch {
                #expect(c.expect.error == error.field, "\(c.name): refused on \(error)")
                continue
            }
            guard c.expect.error == nil else { Issue.record("\(c.name): expected a refusal on \(c.expect.error!), got \(result.total)"); continue }
            #expect(result.total == c.expect.total, "\(c.name): total \(result.total), golden \(c.expect.total!)\n  \(c.arithmetic!.joined(separator: "\n  "))")
            #expect(result.payments.reduce(0) { $0 + $1.amount } == result.total, "\(c.name): the payments add up to the total")
            for (id, amount) in c.expect.payments ?? [:] {
                #expect(result.payments.first { $0.id == id }?.amount == amount, "\(c.name): payment \(id)")
            }
            #expect(result.payments.count == c.expect.payments?.count, "\(c.name): payments \(result.payments.map(\.id))")
            for (id, amount) in c.expect.options ?? [:] {
                #expect(result.options.first { $0.id == id }?.amount == amount, "\(c.name): option \(id)")
            }
            for (id, amount) in c.expect.lines ?? [:] {
                #expect(result.lines.first { $0.id == id }?.amount == amount, "\(c.name): line \(id): \(result.lines.first { $0.id == id }.map { "\($0.amount)" } ?? "missing"), golden \(amount)")
            }
            #expect(!result.warnings.isEmpty == c.expect.warning, "\(c.name): warning")
            #expect(!result.notIncluded.isEmpty, "\(c.name): says what it leaves out")
            #expect(result.lines.allSatisfy { !$0.article.isEmpty }, "\(c.name): every line names its article")
        }
    }

    // MARK: Properties

    @Test func carTaxRisesWithDisplacementAndFallsWithAge() throws {
        var last: Int64 = 0
        for cc in stride(from: 1, through: 8_000, by: 7) {
            let t = try Self.calculate(.car, ["cc": "\(cc)", "first-registered": "2020-01", "date": "2025-06-01"]).total
            #expect(t >= last, "\(cc) cc")
            last = t
        }
        last = 0
        for year in 1990...2025 {
            let t = try Self.calculate(.car, ["cc": "1998", "first-registered": "\(year)-01", "date": "2025-06-01"]).total
            #expect(t >= last, "registered \(year): a newer car pays no less")
            last = t
        }
    }

    @Test(arguments: [true, false]) func propertyTaxNeverFallsAsThePriceRises(_ single: Bool) throws {
        var g = WorldRandom(seed: single ? 1 : 2)
        var prices: [Int64] = [300_000_000, 600_000_000, 900_000_000]
        for edge in prices { prices += [edge - 1, edge + 1] }
        for _ in 0..<400 { prices.append(Int64(g.next() % 3_000_000_000) + 1) }
        prices.sort()
        var last: Int64 = 0
        for p in prices {
            let t = try Self.calculate(.property, ["official-price": "\(p)", "single-home": single ? "yes" : "no", "date": "2025-06-01"]).total
            #expect(t >= last, "\(p) won")
            last = t
        }
    }

    @Test func progressiveTaxIsContinuousAtEveryEdge() {
        let r = Self.tables.property.entries.last!.rules
        for brackets in [r.brackets, r.specialBrackets] {
            for edge in brackets.compactMap(\.upTo) {
                let below = TaxCalculator.progressive(edge, brackets).reduce(0) { $0 + $1.amount }
                let above = TaxCalculator.progressive(edge + 1_000, brackets).reduce(0) { $0 + $1.amount }
                // 1,000 won more base adds at most the top rate's 1,000 won (4 won), never a jump.
                #expect(above - below >= 0 && above - below <= 4, "edge \(edge): \(below) → \(above)")
            }
        }
    }

    @Test(arguments: [(1, false), (2, true), (3, true), (3, false)]) func acquisitionTaxNeverFallsAsThePriceRises(_ homes: Int, _ adjustment: Bool) throws {
        var last: Int64 = 0
        for p in stride(from: Int64(100_000_000), through: 1_200_000_000, by: 1_234_567) {
            let t = try Self.calculate(.acquisition, ["price": "\(p)", "area-m2": "84", "homes-after": "\(homes)", "adjustment-area": adjustment ? "yes" : "no", "date": "2025-06-01"]).total
            #expect(t >= last, "\(p) won")
            last = t
        }
    }

    @Test func theSlidingRateMeetsTheFlatRatesAtBothEnds() {
        let r = Self.tables.acquisition.entries.last!.rules
        #expect(TaxCalculator.slidingRate(r.lowUpToPrice) == Rate(10_000, 1_000_000))
        #expect(TaxCalculator.slidingRate(r.lowUpToPrice + 1) == Rate(10_000, 1_000_000))
        #expect(TaxCalculator.slidingRate(r.highAbovePrice) == Rate(30_000, 1_000_000))
        // 7억: 1.666666…% rounds to 1.6667%; 6억 + 7,500 won is the first price to round up.
        #expect(TaxCalculator.slidingRate(700_000_000) == Rate(16_667, 1_000_000))
        #expect(TaxCalculator.slidingRate(600_007_499) == Rate(10_000, 1_000_000))
        #expect(TaxCalculator.slidingRate(600_007_500) == Rate(10_001, 1_000_000))
    }

    // MARK: Tables and money

    @Test func aDateChoosesItsEntryAndANewYearIsANewEntry() throws {
        var table = Self.tables.car
        var next = table.entries[0]
        next.from = LocalDate("2026-01-01")!
        next.knownThrough = LocalDate("2026-12-31")!
        next.rules.january = Rate(3, 100)
        table.entries[0].knownThrough = LocalDate("2025-12-31")!
        table.entries.append(next)
        guard case .entry(let e2025, false) = table.entry(on: LocalDate("2025-12-31")!), case .entry(let e2026, false) = table.entry(on: LocalDate("2026-01-01")!),
              case .entry(_, true) = table.entry(on: LocalDate("2027-01-01")!), case .beforeEarliest = table.entry(on: LocalDate("2023-12-31")!) else {
            Issue.record("wrong entries chosen"); return
        }
        #expect(e2025.rules.january == Rate(5, 100) && e2026.rules.january == Rate(3, 100))
    }

    @Test func badTablesAreNamed() throws {
        let directory = Paths.repository.appendingPathComponent("services/tax")
        var files: [String: Data] = [:]
        for name in ["car.json", "property.json", "acquisition.json"] { files[name] = try Data(contentsOf: directory.appendingPathComponent(name)) }
        var car = String(decoding: files["car.json"]!, as: UTF8.self)
        car = car.replacingOccurrences(of: "\"rate\": \"30%\"", with: "\"rate\": \"thirty\"")
        car = car.replacingOccurrences(of: "{ \"upToCc\": 1600, \"wonPerCc\": 140 }", with: "{ \"upToCc\": 900, \"wonPerCc\": 140 }")
        files["car.json"] = Data(car.utf8)
        files["acquisition.json"] = nil
        do { _ = try TaxTables.parse(files: files, directory: "services/tax"); Issue.record("accepted bad tables") } catch {
            #expect(error.problems.contains { $0.contains("car.json: entries[0].education.rate: 'thirty' is not a rate") }, "\(error)")
            #expect(error.problems.contains { $0.contains("car.json: entries[0].bands[1].upToCc: must rise above 1000") }, "\(error)")
            #expect(error.problems.contains { $0.contains("acquisition.json: missing") }, "\(error)")
        }
    }

    @Test func ratesAreExact() {
        #expect(Rate("0.15%") == Rate(15, 10_000) && Rate("30%") == Rate(30, 100) && Rate("1/1000") == Rate(1, 1_000))
        #expect(Rate("1.5.5%") == nil && Rate("-1%") == nil && Rate("%") == nil && Rate("1/0") == nil)
        #expect(Rate(4, 1_000).of(9_999_999_999_999) == 39_999_999_999)
        #expect(Rate(999_999, 1_000_000).of(TaxRequest.wonMax) == 9_999_990_000_000, "no overflow at the largest amount")
        #expect(Rate(16_667, 1_000_000).description == "1.6667%" && Rate(14, 10_000).description == "0.14%")
        #expect(Won.levied(233_589) == 233_580 && Won.grouped(1_234_567) == "1,234,567" && Won.grouped(0) == "0")
    }

    @Test func inputErrorsNameTheFieldAndItsRange() {
        func refusal(_ kind: TaxKind, _ fields: [(String, String)]) -> String {
            do { _ = try TaxRequest.parse(kind, fields: fields.map { ($0.0, $0.1) }); return "accepted" } catch { return error.description }
        }
        #expect(refusal(.car, [("cc", "0"), ("first-registered", "2020-01"), ("date", "2025-06-01")]) == "cc: 0 is out of range; 1 to 16,000 cc")
        #expect(refusal(.property, [("official-price", "1e9"), ("single-home", "no"), ("date", "2025-06-01")]).hasPrefix("official-price: '1e9' is not a whole number"))
        #expect(refusal(.car, [("cc", "1"), ("cc", "2"), ("first-registered", "2020-01"), ("date", "2025-06-01")]) == "cc: given twice")
        #expect(refusal(.acquisition, [("price", "1")]).hasPrefix("area-m2: missing"))
        #expect(refusal(.car, [("cc", "1000"), ("first-registered", "2020-13"), ("date", "2025-06-01")]).hasPrefix("first-registered:"))
        #expect(refusal(.property, [("official-price", "500,000,000"), ("single-home", "YES"), ("date", "2025-06-01")]) == "accepted")
        #expect(refusal(.car, [("cc", " 1998 "), ("first-registered", "2019-03\t"), ("date", "2025-06-01")]) == "accepted", "spaces around a value are not the value")
    }
}
