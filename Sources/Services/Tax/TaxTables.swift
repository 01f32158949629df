// The tax tables (`services/tax/car.json`, `property.json`, `acquisition.json`): per tax, the
// rules in force from a date, each entry with the statutes it comes from and the day it was
// checked. A new year's rates are a new entry; an old entry is never edited. Read and checked at
// start like the desks: every problem names the file and the field.
//
// Invariants checked here, so the calculator can assert them:
// 1. Entries are in date order, and each entry's `knownThrough` is the day before the next
//    entry's `from` (the newest entry's `knownThrough` is as far as anyone has checked).
// 2. Bands and brackets rise strictly and end with an open band.
// 3. Every full progressive bracket comes to a whole number of won (so the sum of the brackets'
//    amounts is the law's "N won plus the excess times the rate").

import Foundation

public enum TaxKind: String, CaseIterable, Sendable, Hashable {
    case car, property, acquisition
}

public struct Bilingual: Hashable, Sendable, Codable {
    public var ko: String
    public var en: String
    public init(ko: String, en: String) {
        self.ko = ko
        self.en = en
    }
}

/// One entry of a table: the rules in force from `from`.
public struct TaxEntry<Rules: Sendable>: Sendable {
    public var from: LocalDate
    public var knownThrough: LocalDate
    public var checked: LocalDate
    public var sources: [String]
    public var notIncluded: [Bilingual]
    public var rules: Rules
}

/// A tax's entries in date order (invariant 1).
public struct TaxTable<Rules: Sendable>: Sendable {
    public var name: Bilingual
    public var entries: [TaxEntry<Rules>]

    public enum Choice {
        case entry(TaxEntry<Rules>, afterKnown: Bool)
        case beforeEarliest(LocalDate)
    }

    /// The entry in force on `date`: the latest that starts on or before it. A date after the
    /// newest entry's `knownThrough` is answered by the newest with `afterKnown`.
    public func entry(on date: LocalDate) -> Choice {
        guard let first = entries.first, date >= first.from else { return .beforeEarliest(entries[0].from) }
        let entry = entries.last { $0.from <= date }!
        return .entry(entry, afterKnown: date > entry.knownThrough)
    }
}

public struct CarRules: Sendable {
    public struct Band: Sendable { public var upToCc: Int64?; public var wonPerCc: Int64 }
    public var bands: [Band]
    public var bandsArticle: String
    public var withoutDisplacementWon: Int64
    public var withoutDisplacementArticle: String
    public var ageFrom: Int64
    public var agePerYear: Rate
    public var ageCap: Int64
    public var ageArticle: String
    public var education: Rate
    public var educationArticle: String
    public var instalmentsArticle: String
    public var january: Rate
    public var januaryArticle: String
}

public struct Bracket: Sendable {
    /// The top of the bracket (inclusive), or nil for the open top bracket.
    public var upTo: Int64?
    public var rate: Rate
}

public struct PropertyRules: Sendable {
    public var standardRatio: Rate
    /// The single-home owner's ratio by the home's official price (`upTo` a price).
    public var singleHomeRatio: [Bracket]
    public var ratioArticle: String
    public var baseCap: Rate
    public var baseCapArticle: String
    public var brackets: [Bracket]
    public var bracketsArticle: String
    public var specialUpToPrice: Int64
    public var specialBrackets: [Bracket]
    public var specialArticle: String
    public var urban: Rate
    public var urbanArticle: String
    public var education: Rate
    public var educationArticle: String
    public var julyAloneUpToWon: Int64
    public var splitArticle: String
}

public struct AcquisitionRules: Sendable {
    public struct Heavy: Sendable { public var fromHomes: Int64; public var rate: Rate }
    public var lowUpToPrice: Int64
    public var lowRate: Rate
    public var highAbovePrice: Int64
    public var highRate: Rate
    public var standardArticle: String
    /// Rates by the number of homes after buying, in and outside an adjustment area, rising.
    public var heavyAdjustment: [Heavy]
    public var heavyElsewhere: [Heavy]
    /// The standard rate the heavy rates are built on (지방세법 제13조의2: 4%).
    public var heavyBuiltOn: Rate
    public var heavyArticle: String
    public var educationShare: Rate
    public var education: Rate
    public var educationHeavy: Rate
    public var educationArticle: String
    public var ruralBase: Rate
    public var rural: Rate
    public var ruralExemptUpToAreaHundredths: Int64
    public var ruralArticle: String
}

public struct TaxTables: Sendable {
    public var car: TaxTable<CarRules>
    public var property: TaxTable<PropertyRules>
    public var acquisition: TaxTable<AcquisitionRules>

    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var problems: [String]
        public var description: String { "the tax tables are not valid:\n  " + problems.joined(separator: "\n  ") }
    }

    /// The three files' bytes by name ("car.json", "property.json", "acquisition.json"), checked
    /// together: the tables, or every problem found (`directory` names the folder in messages).
    public static func parse(files: [String: Data], directory: String) throws(LoadError) -> TaxTables {
        var problems: [String] = []
        func decode<F: Decodable>(_ type: F.Type, _ name: String) -> F? {
            let path = directory.isEmpty ? name : directory + "/" + name
            guard let data = files[name] else { problems.append("\(path): missing (the tax tables need car.json, property.json and acquisition.json)"); return nil }
            do { return try JSONDecoder().decode(type, from: data) } catch {
                problems.append("\(path): not a tax table: \(Self.describe(error))")
                return nil
            }
        }
        let carFile = decode(File<CarFileRules>.self, "car.json")
        let propertyFile = decode(File<PropertyFileRules>.self, "property.json")
        let acquisitionFile = decode(File<AcquisitionFileRules>.self, "acquisition.json")
        var check = Checker(directory: directory)
        let car = carFile.flatMap { check.table($0, file: "car.json", tax: "car") { c, r in c.car(r) } }
        let property = propertyFile.flatMap { check.table($0, file: "property.json", tax: "property") { c, r in c.property(r) } }
        let acquisition = acquisitionFile.flatMap { check.table($0, file: "acquisition.json", tax: "acquisition") { c, r in c.acquisition(r) } }
        problems += check.problems
        guard problems.isEmpty, let car, let property, let acquisition else { throw LoadError(problems: problems) }
        return TaxTables(car: car, property: property, acquisition: acquisition)
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "\((context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")) is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: return "\(error)"
        }
    }

    // MARK: The files as written

    struct File<R: Decodable>: Decodable {
        struct Entry: Decodable {
            var from: String
            var knownThrough: String
            var checked: String
            var sources: [String]
            var notIncluded: [Bilingual]
            var rules: R
            enum Keys: String, CodingKey { case from, knownThrough, checked, sources, notIncluded }
            init(from decoder: Decoder) throws {
                let c = try decoder.container(keyedBy: Keys.self)
                from = try c.decode(String.self, forKey: .from)
                knownThrough = try c.decode(String.self, forKey: .knownThrough)
                checked = try c.decode(String.self, forKey: .checked)
                sources = try c.decode([String].self, forKey: .sources)
                notIncluded = try c.decode([Bilingual].self, forKey: .notIncluded)
                rules = try R(from: decoder)
            }
        }
        var formatVersion: Int
        var tax: String
        var name: Bilingual
        var entries: [Entry]
    }

    struct Ruled: Decodable { var rate: String; var article: String }
    struct FileBracket: Decodable { var upToBase: Int64?; var upToPrice: Int64?; var rate: String }

    struct CarFileRules: Decodable {
        struct Band: Decodable { var upToCc: Int64?; var wonPerCc: Int64 }
        struct Age: Decodable { var fromAge: Int64; var ratePerYear: String; var ageCap: Int64; var article: String }
        var bands: [Band]
        var bandsArticle: String
        var withoutDisplacementWon: Int64
        var withoutDisplacementArticle: String
        var ageReduction: Age
        var education: Ruled
        var instalmentsArticle: String
        var january: Ruled
    }

    struct PropertyFileRules: Decodable {
        struct Ratio: Decodable { var standard: String; var singleHome: [FileBracket]; var article: String }
        struct Special: Decodable { var upToPrice: Int64; var brackets: [FileBracket]; var article: String }
        struct Split: Decodable { var julyAloneUpToWon: Int64; var article: String }
        var ratio: Ratio
        var baseCap: Ruled
        var brackets: [FileBracket]
        var bracketsArticle: String
        var singleHomeSpecial: Special
        var urban: Ruled
        var education: Ruled
        var split: Split
    }

    struct AcquisitionFileRules: Decodable {
        struct Standard: Decodable { var lowUpToPrice: Int64; var lowRate: String; var highAbovePrice: Int64; var highRate: String; var article: String }
        struct HeavyRate: Decodable { var fromHomes: Int64; var rate: String }
        struct Heavy: Decodable { var adjustmentArea: [HeavyRate]; var elsewhere: [HeavyRate]; var builtOn: String; var article: String }
        struct Education: Decodable { var standardShare: String; var rate: String; var heavyRate: String; var article: String }
        struct Rural: Decodable { var base: String; var rate: String; var exemptUpToAreaM2: Int64; var article: String }
        var standard: Standard
        var heavy: Heavy
        var education: Education
        var rural: Rural
    }

    // MARK: Checks

    struct Checker {
        var directory: String
        var problems: [String] = []
        var at = ""

        mutating func fail(_ field: String, _ message: String) { problems.append("\(at).\(field): \(message)") }

        mutating func rate(_ text: String, _ field: String) -> Rate {
            guard let r = Rate(text) else {
                fail(field, "'\(text)' is not a rate (write \"0.15%\" or \"1/1000\")")
                return Rate(0, 1)
            }
            return r
        }

        mutating func article(_ text: String, _ field: String) -> String {
            if text.trimmingCharacters(in: .whitespaces).isEmpty { fail(field, "name the statute and article") }
            return text
        }

        mutating func brackets(_ list: [FileBracket], _ field: String, price: Bool) -> [Bracket] {
            var out: [Bracket] = []
            for (i, b) in list.enumerated() {
                let top = price ? b.upToPrice : b.upToBase
                let r = rate(b.rate, "\(field)[\(i)].rate")
                if i == list.count - 1 {
                    if top != nil { fail("\(field)[\(i)]", "the last bracket is the open top one: leave out its upper bound") }
                } else {
                    guard let top else { fail("\(field)[\(i)]", "only the last bracket may be open"); continue }
                    let below = out.last?.upTo ?? 0
                    if top <= below { fail("\(field)[\(i)]", "\(top) does not rise above \(below)") }
                    // Invariant 3: a full bracket's amount is whole won.
                    if !price, r.denominator.dividingFullWidth((top - below).multipliedFullWidth(by: r.numerator)).remainder != 0 {
                        fail("\(field)[\(i)]", "the bracket's full amount is not a whole number of won")
                    }
                }
                out.append(Bracket(upTo: top, rate: r))
            }
            if out.isEmpty { fail(field, "needs at least one bracket") }
            return out
        }

        mutating func table<F: Decodable, R: Sendable>(_ file: File<F>, file name: String, tax: String,
                                                         _ rules: (inout Checker, F) -> R) -> TaxTable<R>? {
            let path = directory.isEmpty ? name : directory + "/" + name
            at = path
            let before = problems.count
            if file.formatVersion != 1 { fail("formatVersion", "\(file.formatVersion) is not 1") }
            if file.tax != tax { fail("tax", "'\(file.tax)' in a file named \(name); expected '\(tax)'") }
            if file.entries.isEmpty { fail("entries", "needs at least one entry") }
            var entries: [TaxEntry<R>] = []
            for (i, e) in file.entries.enumerated() {
                at = "\(path): entries[\(i)]"
                guard let from = LocalDate(e.from) else { fail("from", "'\(e.from)' is not a date (YYYY-MM-DD)"); continue }
                guard let through = LocalDate(e.knownThrough) else { fail("knownThrough", "'\(e.knownThrough)' is not a date"); continue }
                guard let checked = LocalDate(e.checked) else { fail("checked", "'\(e.checked)' is not a date"); continue }
                if through < from { fail("knownThrough", "\(through) is before from (\(from))") }
                if let last = entries.last {
                    if from <= last.from { fail("from", "\(from) is not after the previous entry's \(last.from): keep entries in date order") }
                    if last.knownThrough.day != from.day - 1 {
                        fail("from", "the previous entry is known through \(last.knownThrough); the next must start the day after")
                    }
                }
                if e.sources.isEmpty { fail("sources", "say which statutes and pages the rules come from") }
                for (j, n) in e.notIncluded.enumerated() where n.ko.isEmpty || n.en.isEmpty {
                    fail("notIncluded[\(j)]", "needs both ko and en")
                }
                entries.append(TaxEntry(from: from, knownThrough: through, checked: checked, sources: e.sources,
                                        notIncluded: e.notIncluded, rules: rules(&self, e.rules)))
            }
            at = path
            return problems.count == before ? TaxTable(name: file.name, entries: entries) : nil
        }

        mutating func car(_ r: CarFileRules) -> CarRules {
            var previous: Int64 = 0
            for (i, b) in r.bands.enumerated() {
                if b.wonPerCc <= 0 { fail("bands[\(i)].wonPerCc", "must be positive") }
                if i == r.bands.count - 1 {
                    if b.upToCc != nil { fail("bands[\(i)]", "the last band is open: leave out upToCc") }
                } else if let top = b.upToCc, top > previous { previous = top } else {
                    fail("bands[\(i)].upToCc", "must rise above \(previous) (only the last band is open)")
                }
            }
            if r.bands.isEmpty { fail("bands", "needs at least one band") }
            if r.withoutDisplacementWon <= 0 { fail("withoutDisplacementWon", "must be positive") }
            if !(1...50).contains(r.ageReduction.fromAge) || r.ageReduction.ageCap < r.ageReduction.fromAge {
                fail("ageReduction", "fromAge 1 to 50, and ageCap at least fromAge")
            }
            return CarRules(
                bands: r.bands.map { CarRules.Band(upToCc: $0.upToCc, wonPerCc: $0.wonPerCc) },
                bandsArticle: article(r.bandsArticle, "bandsArticle"),
                withoutDisplacementWon: r.withoutDisplacementWon,
                withoutDisplacementArticle: article(r.withoutDisplacementArticle, "withoutDisplacementArticle"),
                ageFrom: r.ageReduction.fromAge, agePerYear: rate(r.ageReduction.ratePerYear, "ageReduction.ratePerYear"),
                ageCap: r.ageReduction.ageCap, ageArticle: article(r.ageReduction.article, "ageReduction.article"),
                education: rate(r.education.rate, "education.rate"), educationArticle: article(r.education.article, "education.article"),
                instalmentsArticle: article(r.instalmentsArticle, "instalmentsArticle"),
                january: rate(r.january.rate, "january.rate"), januaryArticle: article(r.january.article, "january.article"))
        }

        mutating func property(_ r: PropertyFileRules) -> PropertyRules {
            PropertyRules(
                standardRatio: rate(r.ratio.standard, "ratio.standard"),
                singleHomeRatio: brackets(r.ratio.singleHome, "ratio.singleHome", price: true),
                ratioArticle: article(r.ratio.article, "ratio.article"),
                baseCap: rate(r.baseCap.rate, "baseCap.rate"), baseCapArticle: article(r.baseCap.article, "baseCap.article"),
                brackets: brackets(r.brackets, "brackets", price: false), bracketsArticle: article(r.bracketsArticle, "bracketsArticle"),
                specialUpToPrice: r.singleHomeSpecial.upToPrice,
                specialBrackets: brackets(r.singleHomeSpecial.brackets, "singleHomeSpecial.brackets", price: false),
                specialArticle: article(r.singleHomeSpecial.article, "singleHomeSpecial.article"),
                urban: rate(r.urban.rate, "urban.rate"), urbanArticle: article(r.urban.article, "urban.article"),
                education: rate(r.education.rate, "education.rate"), educationArticle: article(r.education.article, "education.article"),
                julyAloneUpToWon: r.split.julyAloneUpToWon, splitArticle: article(r.split.article, "split.article"))
        }

        mutating func acquisition(_ r: AcquisitionFileRules) -> AcquisitionRules {
            func heavy(_ list: [AcquisitionFileRules.HeavyRate], _ field: String) -> [AcquisitionRules.Heavy] {
                var out: [AcquisitionRules.Heavy] = []
                for (i, h) in list.enumerated() {
                    if h.fromHomes < 2 || h.fromHomes <= (out.last?.fromHomes ?? 1) { fail("\(field)[\(i)].fromHomes", "must rise, from 2 homes") }
                    out.append(.init(fromHomes: h.fromHomes, rate: rate(h.rate, "\(field)[\(i)].rate")))
                }
                return out
            }
            if r.standard.highAbovePrice <= r.standard.lowUpToPrice { fail("standard", "highAbovePrice must be above lowUpToPrice") }
            return AcquisitionRules(
                lowUpToPrice: r.standard.lowUpToPrice, lowRate: rate(r.standard.lowRate, "standard.lowRate"),
                highAbovePrice: r.standard.highAbovePrice, highRate: rate(r.standard.highRate, "standard.highRate"),
                standardArticle: article(r.standard.article, "standard.article"),
                heavyAdjustment: heavy(r.heavy.adjustmentArea, "heavy.adjustmentArea"), heavyElsewhere: heavy(r.heavy.elsewhere, "heavy.elsewhere"),
                heavyBuiltOn: rate(r.heavy.builtOn, "heavy.builtOn"), heavyArticle: article(r.heavy.article, "heavy.article"),
                educationShare: rate(r.education.standardShare, "education.standardShare"), education: rate(r.education.rate, "education.rate"),
                educationHeavy: rate(r.education.heavyRate, "education.heavyRate"), educationArticle: article(r.education.article, "education.article"),
                ruralBase: rate(r.rural.base, "rural.base"), rural: rate(r.rural.rate, "rural.rate"),
                ruralExemptUpToAreaHundredths: r.rural.exemptUpToAreaM2 * 100, ruralArticle: article(r.rural.article, "rural.article"))
        }
    }
}
