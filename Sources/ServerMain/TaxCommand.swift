// `seoulworld tax car|property|acquisition|ask|bench`: Tax Square's calculator and FAQ bot from
// the command line, on the same tables and parser the server uses (services/tax/). The working
// prints as a table, or with `--format json` as an object with `total` and `lines` (amounts in
// won as integers).

import ArgumentParser
import Dispatch
import Foundation
import ServiceFiles
import Services

struct TaxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tax", abstract: "Tax Square: pre-calculate the car, property and acquisition taxes; ask the tax FAQ.",
        subcommands: [Car.self, Property.self, Acquisition.self, Ask.self, Bench.self])

    enum Format: String, ExpressibleByArgument { case table, json }
    enum Language: String, ExpressibleByArgument { case en, ko }

    struct Common: ParsableArguments {
        @Option(help: "The services folder holding tax/ (default: services/ beside the worlds directory).")
        var services: String?
        @Option(help: "table or json.")
        var format: Format = .table
        @Option(help: "The table's language: en or ko.")
        var lang: Language = .en

        var taxDirectory: String {
            let root = services ?? URL(fileURLWithPath: defaultPolicyDirectory(worlds: nil)).deletingLastPathComponent().appendingPathComponent("services").path
            return (root as NSString).appendingPathComponent("tax")
        }

        func tables() throws -> TaxTables {
            do { return try TaxTables.load(directory: taxDirectory) } catch {
                printError("seoulworld tax: \(error.description)")
                throw ExitCode(1)
            }
        }

        func run(_ kind: TaxKind, _ fields: [(String, String?)]) throws {
            let tables = try tables()
            let given = fields.compactMap { name, value in value.map { (name: name, value: $0) } }
            let working: TaxWorking
            do { working = try TaxCalculator.calculate(try TaxRequest.parse(kind, fields: given), tables: tables) } catch {
                printError("seoulworld tax \(kind.rawValue): \(error.field.isEmpty ? "" : "--\(error.field): ")\(error.message)")
                throw ExitCode(2)
            }
            switch format {
            case .json: print(TaxTableText.json(working))
            case .table: print(TaxTableText.render(working, name: kind == .car ? tables.car.name : kind == .property ? tables.property.name : tables.acquisition.name, korean: lang == .ko))
            }
        }
    }

    struct Car: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The automobile tax of a private passenger car (지방세법 제127조).")
        @OptionGroup var common: Common
        @Option(help: "Engine displacement in cc (1 to 16,000); leave out for an electric or hydrogen car.") var cc: String?
        @Option(help: "petrol (default), diesel, lpg, hybrid, electric or hydrogen.") var kind: String?
        @Option(name: .customLong("first-registered"), help: "The month of first registration, YYYY-MM.") var firstRegistered: String?
        @Option(help: "The date of liability, YYYY-MM-DD (the year's tables apply).") var date: String?
        func run() throws { try common.run(.car, [("cc", cc), ("kind", kind), ("first-registered", firstRegistered), ("date", date)]) }
    }

    struct Property: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The property tax on a home (지방세법 제110조 to 제112조).")
        @OptionGroup var common: Common
        @Option(name: .customLong("official-price"), help: "The home's official price in won (1 to 10^13).") var officialPrice: String?
        @Option(name: .customLong("single-home"), help: "yes if it is the household's only home.") var singleHome: String?
        @Option(name: .customLong("last-year-official-price"), help: "Last year's official price, to apply the cap on the base's rise.") var lastYear: String?
        @Option(help: "The date of liability, YYYY-MM-DD.") var date: String?
        func run() throws {
            try common.run(.property, [("official-price", officialPrice), ("single-home", singleHome), ("last-year-official-price", lastYear), ("date", date)])
        }
    }

    struct Acquisition: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The acquisition tax on buying a home (지방세법 제11조, 제13조의2).")
        @OptionGroup var common: Common
        @Option(help: "The price paid in won (1 to 10^13).") var price: String?
        @Option(name: .customLong("area-m2"), help: "The floor area in m² (up to two decimals).") var area: String?
        @Option(name: .customLong("homes-after"), help: "Homes the household holds once this one is bought (1 to 100).") var homesAfter: String?
        @Option(name: .customLong("adjustment-area"), help: "yes if the home is in an adjustment area.") var adjustmentArea: String?
        @Option(help: "The date of acquisition, YYYY-MM-DD.") var date: String?
        func run() throws {
            try common.run(.acquisition, [("price", price), ("area-m2", area), ("homes-after", homesAfter), ("adjustment-area", adjustmentArea), ("date", date)])
        }
    }

    struct Ask: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ask the tax FAQ bot a question in Korean or English.")
        @OptionGroup var common: Common
        @Argument(help: "The question.") var question: String
        func run() throws {
            let faq: TaxFAQ
            do { faq = try TaxFAQ.load(directory: common.taxDirectory) } catch {
                printError("seoulworld tax ask: \(error.description)")
                throw ExitCode(1)
            }
            let reply = faq.reply(question)
            switch common.format {
            case .json: print(TaxTableText.json(reply, desk: faq.desk))
            // A question in Korean is answered in Korean.
            case .table: print(TaxTableText.render(reply, desk: faq.desk, korean: common.lang == .ko || question.unicodeScalars.contains(where: TaxFAQ.isHangul)))
            }
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Calculations and FAQ answers per second on one thread, from parsing the fields to the working.")
        @OptionGroup var common: Common
        @Option(help: "Seconds to run each measurement.") var seconds: Double = 2
        @Flag(help: "Also measure through the protocol: a server on loopback in this process, clients in Tax Square asking calculations (the per-connection rate limit lifted for the measurement).")
        var throughServer = false
        @Option(help: "Clients for --through-server.") var clients = 50
        @Option(help: "Requests each client keeps outstanding for --through-server.") var window = 4
        @Option(help: "The worlds folder for --through-server (default: worlds/).") var worlds: String?

        func run() throws {
            try onThread()
            if throughServer { try TaxProtocolBench(tax: common.taxDirectory, worlds: worlds, clients: clients, window: window, seconds: seconds).run() }
        }

        func onThread() throws {
            let tables = try common.tables()
            let faq = try TaxFAQ.load(directory: common.taxDirectory)
            let cases: [(TaxKind, [(name: String, value: String)])] = [
                (.car, [("cc", "1998"), ("first-registered", "2019-03"), ("date", "2025-06-01")]),
                (.property, [("official-price", "654321000"), ("single-home", "yes"), ("last-year-official-price", "600000000"), ("date", "2025-06-01")]),
                (.acquisition, [("price", "765432100"), ("area-m2", "101.5"), ("homes-after", "1"), ("adjustment-area", "no"), ("date", "2025-06-01")]),
            ]
            print("seoulworld tax bench: \(ProcessInfo.processInfo.processorCount) cores; one thread; \(seconds) s each")
            for (kind, fields) in cases {
                var n = 0, sum: Int64 = 0
                let start = DispatchTime.now().uptimeNanoseconds, deadline = start + UInt64(seconds * 1e9)
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    for _ in 0..<100 { sum &+= try TaxCalculator.calculate(try TaxRequest.parse(kind, fields: fields), tables: tables).total }
                    n += 100
                }
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                print(String(format: "%@: %.0f calculations a second (%d in %.2f s; total %@ won)", kind.rawValue, Double(n) / elapsed, n, elapsed, Won.grouped(sum / Int64(n))))
            }
            let questions = faq.entries.flatMap(\.questions)
            var n = 0
            let start = DispatchTime.now().uptimeNanoseconds, deadline = start + UInt64(seconds * 1e9)
            while DispatchTime.now().uptimeNanoseconds < deadline {
                _ = faq.reply(questions[n % questions.count])
                n += 1
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print(String(format: "ask: %.0f answers a second (%d in %.2f s, the FAQ's own %d phrasings in turn)", Double(n) / elapsed, n, elapsed, questions.count))
        }
    }
}

/// The working as a person reads it, and as JSON.
enum TaxTableText {
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    static func render(_ w: TaxWorking, name: Bilingual, korean: Bool) -> String {
        func t(_ b: Bilingual) -> String { korean ? b.ko : b.en }
        var out = "\(t(name)): \(w.date)\n"
        out += korean ? "적용 규정: \(w.tableFrom) 시행분 (확인 \(w.tableChecked))\n\n" : "Rules in force from \(w.tableFrom) (checked \(w.tableChecked))\n\n"
        let rows = w.lines.map { l -> [String] in
            [t(l.label), l.base.map { Won.grouped($0) } ?? "", l.rate ?? "", l.beforeCut.map { "\(Won.grouped($0)) →" } ?? "", Won.grouped(l.amount), l.article]
        }
        let headings = korean ? ["항목", "기준", "세율", "절사 전", "금액 (원)", "근거"] : ["Line", "Base", "Rate", "Before cut", "Amount (won)", "Article"]
        out += table([headings] + rows, rightAligned: [1, 2, 3, 4]) + "\n"
        out += "\n" + (korean ? "합계: \(Won.grouped(w.total))원\n" : "Total: \(Won.grouped(w.total)) won\n")
        for p in w.payments { out += "  \(t(p.label)): \(Won.grouped(p.amount))\n" }
        for p in w.options { out += (korean ? "  또는 " : "  or: ") + "\(t(p.label)): \(Won.grouped(p.amount))\n" }
        for warning in w.warnings { out += (korean ? "\n주의: " : "\nWarning: ") + t(warning) + "\n" }
        out += korean ? "\n계산에 넣지 않은 것:\n" : "\nNot included:\n"
        for n in w.notIncluded { out += "  - \(t(n))\n" }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func json(_ r: TaxFAQ.Reply, desk: String) -> String { json(TaxFAQAnswerJSON(r, desk: desk)) }

    static func render(_ r: TaxFAQ.Reply, desk: String, korean: Bool) -> String {
        let j = TaxFAQAnswerJSON(r, desk: desk)
        var out = (korean ? j.ko : j.en) + "\n"
        if j.answered { out += String(format: korean ? "(점수 %.2f, %@)\n" : "(score %.2f, entry %@)\n", j.score, j.id ?? "") }
        if !j.sources.isEmpty { out += (korean ? "출처: " : "Sources: ") + j.sources.joined(separator: "; ") + "\n" }
        if let d = j.desk { out += (korean ? "상담 창구: " : "Counselling desk: ") + d + (korean ? " (세금 광장에서 대기열에 서기)\n" : " (join its queue in Tax Square)\n") }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
