// Tax Square's calculator: a case and the tables in, the amount to the won and each line of the
// working out (base, rate, amount, article). Pure: no clock (the date of liability is an input),
// no floating point, no I/O. Amounts levied are cut to tens of won (국고금 관리법 제47조 제1항);
// a line shows the amount before the cut where one was made.

import CivilCalendar

public struct TaxLine: Hashable, Sendable {
    public var id: String
    public var label: Bilingual
    /// What the rate applies to (won, or cc for the displacement), when there is one.
    public var base: Int64?
    /// The rate as the law writes it ("0.15%", "200 won per cc").
    public var rate: String?
    /// Before the cut to tens of won, where the cut changed it.
    public var beforeCut: Int64?
    /// Negative for a reduction.
    public var amount: Int64
    public var article: String
}

public struct TaxPayment: Hashable, Sendable {
    public var id: String
    public var label: Bilingual
    public var amount: Int64
}

public struct TaxWorking: Hashable, Sendable {
    public var kind: TaxKind
    public var date: LocalDate
    public var tableFrom: LocalDate
    public var tableChecked: LocalDate
    public var lines: [TaxLine]
    /// What is owed for the case, the sum of `payments`.
    public var total: Int64
    /// When it is paid, in the ordinary way; the parts add up to `total`.
    public var payments: [TaxPayment]
    /// Other ways to pay (the car tax paid for the whole year in January).
    public var options: [TaxPayment]
    public var notIncluded: [Bilingual]
    public var warnings: [Bilingual]
}

public enum TaxCalculator {
    public static func calculate(_ c: TaxCase, tables: TaxTables) throws(TaxInputError) -> TaxWorking {
        switch c {
        case .car(let car):
            let (entry, warnings) = try choose(tables.car, date: car.date)
            return Self.car(car, entry, warnings: warnings)
        case .property(let p):
            let (entry, warnings) = try choose(tables.property, date: p.date)
            return Self.property(p, entry, warnings: warnings)
        case .acquisition(let a):
            let (entry, warnings) = try choose(tables.acquisition, date: a.date)
            return Self.acquisition(a, entry, warnings: warnings)
        }
    }

    static func choose<R>(_ table: TaxTable<R>, date: LocalDate) throws(TaxInputError) -> (TaxEntry<R>, [Bilingual]) {
        switch table.entry(on: date) {
        case .beforeEarliest(let earliest):
            throw TaxInputError(field: "date", message: "\(date) is before the earliest table of the \(table.name.en.lowercased()) (\(earliest)); the calculator answers for dates from \(earliest)")
        case .entry(let e, let afterKnown):
            guard afterKnown else { return (e, []) }
            return (e, [Bilingual(
                ko: "\(date)에 적용되는 규정은 \(e.knownThrough) 이후로 확인되지 않았습니다. \(e.from)부터 시행된 규정으로 계산했으며, 그 뒤 바뀌었을 수 있습니다.",
                en: "The rules after \(e.knownThrough) have not been checked; this uses those in force from \(e.from), which may have changed by \(date).")])
        }
    }

    static func cut(_ id: String, _ label: Bilingual, base: Int64?, rate: String?, exact: Int64, article: String) -> TaxLine {
        let levied = Won.levied(exact)
        return TaxLine(id: id, label: label, base: base, rate: rate, beforeCut: levied == exact ? nil : exact, amount: levied, article: article)
    }

    // MARK: Automobile tax (지방세법 제127조, 제128조, 제151조)

    static func car(_ c: CarCase, _ e: TaxEntry<CarRules>, warnings: [Bilingual]) -> TaxWorking {
        let r = e.rules
        var lines: [TaxLine] = []
        let year = c.date.year
        var annual: Int64
        if let cc = c.cc {
            let band = r.bands.first { $0.upToCc.map { cc <= $0 } ?? true }!
            annual = cc * band.wonPerCc
            lines.append(TaxLine(id: "displacement", label: Bilingual(ko: "배기량 (cc) × cc당 세액", en: "Displacement (cc) × tax per cc"),
                                 base: cc, rate: "\(band.wonPerCc) won per cc", amount: annual, article: r.bandsArticle))
            let age = year - c.firstRegisteredYear + 1
            if age >= r.ageFrom {
                let years = min(age, r.ageCap) - 2
                let reductionRate = Rate(r.agePerYear.numerator * years, r.agePerYear.denominator)
                let reduction = reductionRate.of(annual)
                lines.append(TaxLine(id: "age", label: Bilingual(ko: "차령 \(age)년 경감 (5% × (\(min(age, r.ageCap)) - 2))", en: "Reduction for a car in its year \(age) (5% × (\(min(age, r.ageCap)) - 2))"),
                                     base: annual, rate: reductionRate.description, amount: -reduction, article: r.ageArticle))
                annual -= reduction
            }
        } else {
            annual = r.withoutDisplacementWon
            lines.append(TaxLine(id: "flat", label: Bilingual(ko: "\(c.kind.rawValue == "electric" ? "전기" : "수소")차 등 그 밖의 승용자동차 연세액", en: "Yearly tax of a car without displacement (\(c.kind.rawValue))"),
                                 base: nil, rate: "\(Won.grouped(r.withoutDisplacementWon)) won a year", amount: annual, article: r.withoutDisplacementArticle))
        }
        lines.append(TaxLine(id: "annual", label: Bilingual(ko: "자동차세 연세액", en: "Automobile tax for the year"), base: nil, rate: nil, amount: annual, article: r.bandsArticle))
        let half = cut("half", Bilingual(ko: "기분 자동차세 (연세액의 1/2)", en: "Automobile tax per half-year (half the year's)"),
                       base: annual, rate: "1/2", exact: Rate(1, 2).of(annual), article: r.instalmentsArticle)
        let education = cut("education", Bilingual(ko: "기분 지방교육세", en: "Local education tax per half-year"),
                            base: half.amount, rate: r.education.description, exact: r.education.of(half.amount), article: r.educationArticle)
        lines += [half, education]
        let instalment = half.amount + education.amount
        let payments = [
            TaxPayment(id: "june", label: Bilingual(ko: "제1기분 (6월 16일~30일 납부)", en: "First half (pay 16 to 30 June)"), amount: instalment),
            TaxPayment(id: "december", label: Bilingual(ko: "제2기분 (12월 16일~31일 납부)", en: "Second half (pay 16 to 31 December)"), amount: instalment),
        ]
        // The whole year paid in January: the rate on the tax for the days from 1 February to
        // 31 December, over the days of the year.
        let yearDays = CivilCalendar.days(year: year + 1, month: 1, day: 1) - CivilCalendar.days(year: year, month: 1, day: 1)
        let daysAfter = CivilCalendar.days(year: year + 1, month: 1, day: 1) - CivilCalendar.days(year: year, month: 2, day: 1)
        let discountRate = Rate(r.january.numerator * daysAfter, r.january.denominator * yearDays)
        let discount = discountRate.of(annual)
        let januaryTax = cut("january-tax", Bilingual(ko: "1월 연납: 연세액 - 공제 (\(r.january) × \(daysAfter)/\(yearDays)일)", en: "Paid in January: the year's tax less \(r.january) × \(daysAfter)/\(yearDays) days"),
                             base: annual, rate: nil, exact: annual - discount, article: r.januaryArticle)
        let januaryEducation = cut("january-education", Bilingual(ko: "1월 연납 지방교육세", en: "Local education tax, paid in January"),
                                   base: januaryTax.amount, rate: r.education.description, exact: r.education.of(januaryTax.amount), article: r.educationArticle)
        lines += [januaryTax, januaryEducation]
        let options = [TaxPayment(id: "january", label: Bilingual(ko: "1월 16일~31일 연세액 일시납부", en: "The whole year paid 16 to 31 January"),
                                  amount: januaryTax.amount + januaryEducation.amount)]
        return TaxWorking(kind: .car, date: c.date, tableFrom: e.from, tableChecked: e.checked, lines: lines, total: 2 * instalment,
                          payments: payments, options: options, notIncluded: e.notIncluded, warnings: warnings)
    }

    // MARK: Property tax on housing (지방세법 제110조 to 제112조, 제115조, 제151조)

    /// The progressive amount of `base` over `brackets` (invariant 3 of TaxTables: each full
    /// bracket is whole won, so the sum is the law's "N won plus the excess times the rate").
    static func progressive(_ base: Int64, _ brackets: [Bracket]) -> [(from: Int64, part: Int64, rate: Rate, amount: Int64)] {
        var out: [(Int64, Int64, Rate, Int64)] = []
        var below: Int64 = 0
        for b in brackets where base > below {
            let top = min(base, b.upTo ?? base)
            out.append((below, top - below, b.rate, b.rate.of(top - below)))
            below = top
        }
        return out
    }

    static func property(_ c: PropertyCase, _ e: TaxEntry<PropertyRules>, warnings: [Bilingual]) -> TaxWorking {
        let r = e.rules
        var lines: [TaxLine] = []
        let ratio = c.singleHome ? r.singleHomeRatio.first { $0.upTo.map { c.officialPrice <= $0 } ?? true }!.rate : r.standardRatio
        var base = ratio.of(c.officialPrice)
        lines.append(TaxLine(id: "base", label: Bilingual(ko: "과세표준 = 시가표준액 × 공정시장가액비율\(c.singleHome ? " (1세대 1주택)" : "")", en: "Tax base = official price × fair-market-value ratio\(c.singleHome ? " (single home)" : "")"),
                             base: c.officialPrice, rate: ratio.description, amount: base, article: r.ratioArticle))
        if let last = c.lastYearOfficialPrice {
            let cap = ratio.of(last) + r.baseCap.of(base)
            if base > cap {
                lines.append(TaxLine(id: "base-cap", label: Bilingual(ko: "과세표준상한: 직전 연도 과세표준 상당액 (\(Won.grouped(last)) × \(ratio)) + 과세표준 × \(r.baseCap)", en: "Cap on the base: last year's base (\(Won.grouped(last)) × \(ratio)) + this year's base × \(r.baseCap)"),
                                     base: base, rate: nil, amount: cap, article: r.baseCapArticle))
                base = cap
            }
        }
        let special = c.singleHome && c.officialPrice <= r.specialUpToPrice
        let parts = progressive(base, special ? r.specialBrackets : r.brackets)
        for (i, p) in parts.enumerated() {
            let label = p.from == 0 ? Bilingual(ko: "처음 \(Won.grouped(p.part))원", en: "The first \(Won.grouped(p.part)) won")
                : Bilingual(ko: "\(Won.grouped(p.from))원 초과분 \(Won.grouped(p.part))원", en: "The \(Won.grouped(p.part)) won above \(Won.grouped(p.from))")
            lines.append(TaxLine(id: "bracket-\(i + 1)", label: label,
                                 base: p.part, rate: p.rate.description, amount: p.amount, article: special ? r.specialArticle : r.bracketsArticle))
        }
        let main = cut("property-tax", Bilingual(ko: special ? "재산세 (1세대 1주택 특례세율)" : "재산세", en: special ? "Property tax (the single-home rate)" : "Property tax"),
                       base: base, rate: nil, exact: parts.reduce(0) { $0 + $1.amount }, article: special ? r.specialArticle : r.bracketsArticle)
        let urban = cut("urban", Bilingual(ko: "재산세 도시지역분", en: "Urban-area property tax"), base: base, rate: r.urban.description, exact: r.urban.of(base), article: r.urbanArticle)
        let education = cut("education", Bilingual(ko: "지방교육세 (재산세액의 \(r.education))", en: "Local education tax (\(r.education) of the property tax)"),
                            base: main.amount, rate: r.education.description, exact: r.education.of(main.amount), article: r.educationArticle)
        lines += [main, urban, education]
        let total = main.amount + urban.amount + education.amount
        let payments: [TaxPayment]
        if main.amount + urban.amount <= r.julyAloneUpToWon {
            payments = [TaxPayment(id: "july", label: Bilingual(ko: "7월 16일~31일 한꺼번에 (재산세 \(Won.grouped(r.julyAloneUpToWon))원 이하)", en: "All in 16 to 31 July (property tax of \(Won.grouped(r.julyAloneUpToWon)) won or less)"), amount: total)]
        } else {
            let july = Won.levied(Rate(1, 2).of(main.amount)) + Won.levied(Rate(1, 2).of(urban.amount)) + Won.levied(Rate(1, 2).of(education.amount))
            payments = [
                TaxPayment(id: "july", label: Bilingual(ko: "7월 16일~31일 (1/2)", en: "16 to 31 July (half)"), amount: july),
                TaxPayment(id: "september", label: Bilingual(ko: "9월 16일~30일 (나머지)", en: "16 to 30 September (the rest)"), amount: total - july),
            ]
        }
        return TaxWorking(kind: .property, date: c.date, tableFrom: e.from, tableChecked: e.checked, lines: lines, total: total,
                          payments: payments, options: [], notIncluded: e.notIncluded, warnings: warnings)
    }

    // MARK: Acquisition tax on buying a home (지방세법 제11조, 제13조의2, 제151조; 농어촌특별세법)

    /// The sliding rate between the two thresholds, in millionths: (price × 2/3억 − 3)%, the
    /// percentage rounded half up at its fifth decimal (지방세법 제11조 제1항 제8호 나목).
    static func slidingRate(_ price: Int64) -> Rate {
        // (price × 2 / 300,000,000 − 3) % in ten-thousandths of a percent = price / 15,000 − 30,000.
        let tenThousandthsOfPercent = (price + 7_500) / 15_000 - 30_000
        return Rate(tenThousandthsOfPercent, 1_000_000)
    }

    static func acquisition(_ c: AcquisitionCase, _ e: TaxEntry<AcquisitionRules>, warnings: [Bilingual]) -> TaxWorking {
        let r = e.rules
        var lines: [TaxLine] = []
        let heavyList = c.adjustmentArea ? r.heavyAdjustment : r.heavyElsewhere
        let heavy = heavyList.last { c.homesAfter >= $0.fromHomes }
        let rate: Rate, article: String, educationRate: Rate, ruralRate: Rate
        let homes = Bilingual(ko: "취득 후 \(c.homesAfter)주택\(c.adjustmentArea ? ", 조정대상지역" : "")", en: "\(c.homesAfter) home\(c.homesAfter == 1 ? "" : "s") after buying\(c.adjustmentArea ? ", in an adjustment area" : "")")
        if let heavy {
            rate = heavy.rate
            article = r.heavyArticle
            educationRate = r.educationHeavy
            // 농어촌특별세: the heavy rate with its standard part (4%) taken at the base rate (2%).
            ruralRate = Rate(heavy.rate.numerator * r.heavyBuiltOn.denominator - r.heavyBuiltOn.numerator * heavy.rate.denominator,
                             heavy.rate.denominator * r.heavyBuiltOn.denominator).adding(r.ruralBase) * r.rural
            lines.append(TaxLine(id: "rate", label: Bilingual(ko: "중과세율 (\(homes.ko))", en: "Heavier rate (\(homes.en))"), base: nil, rate: rate.description, amount: 0, article: article))
        } else {
            if c.price <= r.lowUpToPrice {
                rate = r.lowRate
            } else if c.price > r.highAbovePrice {
                rate = r.highRate
            } else {
                rate = slidingRate(c.price)
            }
            article = r.standardArticle
            educationRate = rate * r.educationShare * r.education
            ruralRate = r.ruralBase * r.rural
            let how = c.price <= r.lowUpToPrice || c.price > r.highAbovePrice ? "" : " = (\(Won.grouped(c.price)) × 2/3억 − 3)%"
            lines.append(TaxLine(id: "rate", label: Bilingual(ko: "세율 (\(homes.ko))\(how)", en: "Rate (\(homes.en))\(how)"), base: nil, rate: rate.description, amount: 0, article: article))
        }
        let tax = cut("acquisition-tax", Bilingual(ko: "취득세", en: "Acquisition tax"), base: c.price, rate: rate.description, exact: rate.of(c.price), article: article)
        let education = cut("education", Bilingual(ko: "지방교육세", en: "Local education tax"), base: c.price, rate: educationRate.description, exact: educationRate.of(c.price), article: r.educationArticle)
        lines += [tax, education]
        var total = tax.amount + education.amount
        if c.areaHundredths <= r.ruralExemptUpToAreaHundredths {
            lines.append(TaxLine(id: "rural", label: Bilingual(ko: "농어촌특별세 비과세 (전용 \(area(c.areaHundredths))㎡ ≤ \(r.ruralExemptUpToAreaHundredths / 100)㎡)", en: "Rural development tax: none (\(area(c.areaHundredths)) m² ≤ \(r.ruralExemptUpToAreaHundredths / 100) m²)"),
                                 base: nil, rate: nil, amount: 0, article: r.ruralArticle))
        } else {
            let rural = cut("rural", Bilingual(ko: "농어촌특별세", en: "Rural development tax"), base: c.price, rate: ruralRate.description, exact: ruralRate.of(c.price), article: r.ruralArticle)
            lines.append(rural)
            total += rural.amount
        }
        let payments = [TaxPayment(id: "within-60-days", label: Bilingual(ko: "취득일부터 60일 안에 신고·납부", en: "Declare and pay within 60 days of buying"), amount: total)]
        return TaxWorking(kind: .acquisition, date: c.date, tableFrom: e.from, tableChecked: e.checked, lines: lines, total: total,
                          payments: payments, options: [], notIncluded: e.notIncluded, warnings: warnings)
    }

    static func area(_ hundredths: Int64) -> String {
        let f = hundredths % 100
        return f == 0 ? "\(hundredths / 100)" : "\(hundredths / 100).\(f < 10 ? "0" : "")\(f)"
    }
}

extension Rate {
    func adding(_ other: Rate) -> Rate {
        Rate(numerator * other.denominator + other.numerator * denominator, denominator * other.denominator)
    }
}

// MARK: As JSON (the CLI's --format json and the admin API): amounts in won as integers.

extension TaxWorking: Encodable {
    enum Keys: String, CodingKey { case tax, date, table, total, lines, payments, options, notIncluded, warnings }
    enum TableKeys: String, CodingKey { case from, checked }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(kind.rawValue, forKey: .tax)
        try c.encode(date.description, forKey: .date)
        var t = c.nestedContainer(keyedBy: TableKeys.self, forKey: .table)
        try t.encode(tableFrom.description, forKey: .from)
        try t.encode(tableChecked.description, forKey: .checked)
        try c.encode(total, forKey: .total)
        try c.encode(lines, forKey: .lines)
        try c.encode(payments, forKey: .payments)
        try c.encode(options, forKey: .options)
        try c.encode(notIncluded, forKey: .notIncluded)
        try c.encode(warnings, forKey: .warnings)
    }
}

extension TaxLine: Encodable {
    enum Keys: String, CodingKey { case id, ko, en, base, rate, beforeCut, amount, article }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(id, forKey: .id)
        try c.encode(label.ko, forKey: .ko)
        try c.encode(label.en, forKey: .en)
        try c.encodeIfPresent(base, forKey: .base)
        try c.encodeIfPresent(rate, forKey: .rate)
        try c.encodeIfPresent(beforeCut, forKey: .beforeCut)
        try c.encode(amount, forKey: .amount)
        try c.encode(article, forKey: .article)
    }
}

extension TaxPayment: Encodable {
    enum Keys: String, CodingKey { case id, ko, en, amount }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(id, forKey: .id)
        try c.encode(label.ko, forKey: .ko)
        try c.encode(label.en, forKey: .en)
        try c.encode(amount, forKey: .amount)
    }
}
