// A calculation asked for, as named fields ("cc" = "1998", "date" = "2025-06-01"): the same
// names on the command line (`--cc`), in the admin API's query (`?cc=`) and in the protocol's
// `taxQuery` (PROTOCOL.md), so that one parser answers all three, and every bad value is
// refused here with the field's name and its allowed range, before any arithmetic.

import Foundation

public enum CarKind: String, CaseIterable, Sendable, Hashable {
    case petrol, diesel, lpg, hybrid, electric, hydrogen

    /// Whether the tax is by engine displacement (지방세법 제127조: cars without one, electric
    /// and hydrogen, pay the flat rate of "그 밖의 승용자동차").
    public var hasDisplacement: Bool { self != .electric && self != .hydrogen }
}

public struct CarCase: Sendable, Hashable {
    public var kind: CarKind
    /// Engine displacement in cc; nil for a car without one.
    public var cc: Int64?
    public var firstRegisteredYear: Int64
    public var firstRegisteredMonth: Int64
    public var date: LocalDate
}

public struct PropertyCase: Sendable, Hashable {
    /// The home's official price (시가표준액, 공시가격) in won.
    public var officialPrice: Int64
    public var singleHome: Bool
    /// Last year's official price, for the cap on the base's rise; nil when not asked.
    public var lastYearOfficialPrice: Int64?
    public var date: LocalDate
}

public struct AcquisitionCase: Sendable, Hashable {
    public var price: Int64
    /// Floor area in hundredths of a square metre (84.99 m² is 8499).
    public var areaHundredths: Int64
    /// Homes the buyer's household holds once this one is bought.
    public var homesAfter: Int64
    public var adjustmentArea: Bool
    public var date: LocalDate
}

public enum TaxCase: Sendable, Hashable {
    case car(CarCase)
    case property(PropertyCase)
    case acquisition(AcquisitionCase)

    public var kind: TaxKind {
        switch self {
        case .car: .car
        case .property: .property
        case .acquisition: .acquisition
        }
    }
}

/// A refused input: the field as the caller wrote it, and what it may be.
public struct TaxInputError: Error, Hashable, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

public enum TaxRequest {
    /// The largest amount of won any field takes: ten trillion won (10^13), well above any
    /// home's price, so that a mistyped digit is refused rather than taxed.
    public static let wonMax: Int64 = 10_000_000_000_000
    public static let ccMax: Int64 = 16_000
    public static let homesMax: Int64 = 100
    /// 10,000 m² in hundredths.
    public static let areaHundredthsMax: Int64 = 1_000_000
    public static let fieldsMax = 12
    public static let valueBytesMax = 64

    /// The fields each calculation takes (required first), for help texts and errors.
    public static func fields(of kind: TaxKind) -> (required: [String], optional: [String]) {
        switch kind {
        case .car: (["first-registered", "date"], ["cc", "kind"])
        case .property: (["official-price", "single-home", "date"], ["last-year-official-price"])
        case .acquisition: (["price", "area-m2", "homes-after", "adjustment-area", "date"], [])
        }
    }

    public static func parse(_ kind: TaxKind, fields: [(name: String, value: String)]) throws(TaxInputError) -> TaxCase {
        guard fields.count <= fieldsMax else { throw TaxInputError(field: "", message: "\(fields.count) fields; at most \(fieldsMax)") }
        let (required, optional) = Self.fields(of: kind)
        var values: [String: String] = [:]
        for f in fields {
            guard required.contains(f.name) || optional.contains(f.name) else {
                throw TaxInputError(field: f.name, message: "not a field of the \(kind.rawValue) tax; it takes \((required + optional).joined(separator: ", "))")
            }
            guard values[f.name] == nil else { throw TaxInputError(field: f.name, message: "given twice") }
            guard f.value.utf8.count <= valueBytesMax else { throw TaxInputError(field: f.name, message: "longer than \(valueBytesMax) bytes") }
            // Foundation's trimming costs a quarter of a whole calculation (seoulworld tax bench):
            // only for a value that needs it.
            let v = f.value
            values[f.name] = v.first?.isWhitespace == true || v.last?.isWhitespace == true ? v.trimmingCharacters(in: .whitespaces) : v
        }
        for name in required where values[name] == nil || values[name]!.isEmpty {
            throw TaxInputError(field: name, message: "missing; the \(kind.rawValue) tax needs \(required.joined(separator: ", "))")
        }
        let date = try Self.date(values["date"]!, field: "date")
        switch kind {
        case .car:
            let carKind: CarKind
            if let k = values["kind"], !k.isEmpty {
                guard let parsed = CarKind(rawValue: k.lowercased()) else {
                    throw TaxInputError(field: "kind", message: "'\(k)' is not a kind of car; one of \(CarKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                carKind = parsed
            } else {
                carKind = .petrol
            }
            var cc: Int64?
            if carKind.hasDisplacement {
                guard let text = values["cc"], !text.isEmpty else {
                    throw TaxInputError(field: "cc", message: "missing; a \(carKind.rawValue) car is taxed by its displacement, 1 to \(Won.grouped(ccMax)) cc")
                }
                cc = try integer(text, field: "cc", in: 1...ccMax, unit: "cc")
            } else if let text = values["cc"], !text.isEmpty {
                throw TaxInputError(field: "cc", message: "an \(carKind.rawValue) car has no displacement; leave it out")
            }
            let (year, month) = try yearMonth(values["first-registered"]!, field: "first-registered")
            guard year < date.year || (year == date.year && month <= date.month) else {
                throw TaxInputError(field: "first-registered", message: "\(values["first-registered"]!) is after the date asked (\(date))")
            }
            return .car(CarCase(kind: carKind, cc: cc, firstRegisteredYear: year, firstRegisteredMonth: month, date: date))
        case .property:
            let price = try integer(values["official-price"]!, field: "official-price", in: 1...wonMax, unit: "won")
            let single = try yesNo(values["single-home"]!, field: "single-home")
            var last: Int64?
            if let text = values["last-year-official-price"], !text.isEmpty {
                last = try integer(text, field: "last-year-official-price", in: 1...wonMax, unit: "won")
            }
            return .property(PropertyCase(officialPrice: price, singleHome: single, lastYearOfficialPrice: last, date: date))
        case .acquisition:
            let price = try integer(values["price"]!, field: "price", in: 1...wonMax, unit: "won")
            let area = try hundredths(values["area-m2"]!, field: "area-m2")
            let homes = try integer(values["homes-after"]!, field: "homes-after", in: 1...homesMax, unit: "homes")
            let adjustment = try yesNo(values["adjustment-area"]!, field: "adjustment-area")
            return .acquisition(AcquisitionCase(price: price, areaHundredths: area, homesAfter: homes, adjustmentArea: adjustment, date: date))
        }
    }

    // MARK: Fields

    /// Digits, with commas or underscores between groups allowed ("350,000,000").
    static func integer(_ text: String, field: String, in range: ClosedRange<Int64>, unit: String) throws(TaxInputError) -> Int64 {
        let digits = text.filter { $0 != "," && $0 != "_" }
        let allowed = "\(Won.grouped(range.lowerBound)) to \(Won.grouped(range.upperBound)) \(unit)"
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw TaxInputError(field: field, message: "'\(text)' is not a whole number; \(allowed)")
        }
        guard digits.count <= 19, let value = Int64(digits), range.contains(value) else {
            throw TaxInputError(field: field, message: "\(text) is out of range; \(allowed)")
        }
        return value
    }

    /// "84.99" as 8499; at most two decimals; 0.01 to 10,000 m².
    static func hundredths(_ text: String, field: String) throws(TaxInputError) -> Int64 {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let bad = TaxInputError(field: field, message: "'\(text)' is not an area in m² (up to two decimals, 0.01 to 10,000)")
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              parts[0].count <= 6, let whole = Int64(parts[0]) else { throw bad }
        var value = whole * 100
        if parts.count == 2 {
            guard parts[1].count <= 2, let f = Int64(parts[1]) else { throw bad }
            value += parts[1].count == 1 ? f * 10 : f
        }
        guard (1...areaHundredthsMax).contains(value) else { throw bad }
        return value
    }

    static func yesNo(_ text: String, field: String) throws(TaxInputError) -> Bool {
        switch text.lowercased() {
        case "yes", "y", "true", "1": return true
        case "no", "n", "false", "0": return false
        default: throw TaxInputError(field: field, message: "'\(text)' is not yes or no")
        }
    }

    static func date(_ text: String, field: String) throws(TaxInputError) -> LocalDate {
        guard let d = LocalDate(text), (1900...9999).contains(d.year) else {
            throw TaxInputError(field: field, message: "'\(text)' is not a date (YYYY-MM-DD, years 1900 to 9999)")
        }
        return d
    }

    static func yearMonth(_ text: String, field: String) throws(TaxInputError) -> (Int64, Int64) {
        guard let d = LocalDate(text + "-01"), (1900...9999).contains(d.year) else {
            throw TaxInputError(field: field, message: "'\(text)' is not a year and month (YYYY-MM)")
        }
        return (d.year, d.month)
    }
}
