// Money in whole won as Int64 and rates as exact fractions: no floating point touches an
// amount (issue 27). A rate is written in the tables as a percentage ("0.15%", "30%") or a
// fraction ("1/1000"), and applied by floor division, the law's fractions of a won being dropped;
// amounts levied are then cut to tens of won.

/// An exact rate: `numerator / denominator` of an amount.
public struct Rate: Hashable, Sendable, CustomStringConvertible {
    public let numerator: Int64
    public let denominator: Int64

    public init(_ numerator: Int64, _ denominator: Int64) {
        precondition(numerator >= 0 && denominator > 0, "a rate is a non-negative fraction")
        self.numerator = numerator
        self.denominator = denominator
    }

    /// From "0.15%", "30%" or "1/1000"; nil for anything else (or a negative rate).
    public init?(_ text: String) {
        if text.hasSuffix("%") {
            let digits = text.dropLast()
            let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let whole = Int64(parts[0]), whole >= 0, parts[0].allSatisfy(\.isASCII) else { return nil }
            var numerator = whole, denominator: Int64 = 100
            if parts.count == 2 {
                let fraction = parts[1]
                guard (1...6).contains(fraction.count), fraction.allSatisfy({ $0.isASCII && $0.isNumber }), let f = Int64(fraction) else { return nil }
                var scale: Int64 = 1
                for _ in 0..<fraction.count { scale *= 10 }
                numerator = whole * scale + f
                denominator = 100 * scale
            }
            self.init(numerator, denominator)
        } else {
            let parts = text.split(separator: "/")
            guard parts.count == 2, let n = Int64(parts[0]), let d = Int64(parts[1]), n >= 0, d > 0 else { return nil }
            self.init(n, d)
        }
    }

    /// `won × rate`, the fraction of a won dropped. Exact for every amount a table allows (the
    /// product is taken at double width).
    public func of(_ won: Int64) -> Int64 {
        precondition(won >= 0, "rates apply to non-negative amounts")
        let product = won.multipliedFullWidth(by: numerator)
        let (quotient, _) = denominator.dividingFullWidth(product)
        return quotient
    }

    public static func * (a: Rate, b: Rate) -> Rate { Rate(a.numerator * b.numerator, a.denominator * b.denominator) }

    /// As a percentage with as many decimals as it needs (at most six): "0.15%", "30%".
    public var description: String {
        // numerator/denominator × 100, in millionths of a percent.
        let millionths = Rate(numerator * 100, denominator).of(1_000_000)
        let whole = millionths / 1_000_000
        var fraction = String(millionths % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(whole)%" : "\(whole).\(fraction)%"
    }
}

public enum Won {
    /// An amount levied, cut to tens of won (국고금 관리법 제47조 제1항: a fraction under 10 won
    /// is not collected).
    public static func levied(_ won: Int64) -> Int64 {
        precondition(won >= 0)
        return won - won % 10
    }

    /// "1,234,560".
    public static func grouped(_ won: Int64) -> String {
        let digits = String(won.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return won < 0 ? "-" + out : out
    }
}
