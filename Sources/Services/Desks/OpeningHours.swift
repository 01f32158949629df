// A service desk's opening hours in Seoul time, with the public holidays it closes on.
// Asia/Seoul is UTC+9 all year (Korea has not observed daylight saving time since 1988), so
// local time is plain integer arithmetic (CivilCalendar): no calendar library, no clock; time
// is an argument.

import CivilCalendar

public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let day: Int64

    public init(day: Int64) { self.day = day }

    /// From "YYYY-MM-DD", or nil.
    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]), (1...12).contains(m), (1...31).contains(d) else { return nil }
        let day = Self.days(year: y, month: m, day: d)
        // Reject dates that do not exist (2026-02-30): the round trip must give the same date.
        guard Self.civil(day) == (y, m, d) else { return nil }
        self.day = day
    }

    public var year: Int64 { Self.civil(day).0 }
    public var month: Int64 { Self.civil(day).1 }

    /// Monday 0 ... Sunday 6 (1970-01-01 was a Thursday).
    public var weekday: Int { Int(((day % 7) + 7 + 3) % 7) }

    public var description: String {
        let (y, m, d) = Self.civil(day)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))"
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { a.day < b.day }

    static func days(year: Int64, month: Int64, day: Int64) -> Int64 { CivilCalendar.days(year: year, month: month, day: day) }

    static func civil(_ day: Int64) -> (Int64, Int64, Int64) {
        let c = CivilCalendar.civil(day: day)
        return (c.year, c.month, c.day)
    }
}

public struct OpeningHours: Sendable, Equatable {
    public enum Rule: Sendable, Equatable {
        /// At all hours, every day (youth mentoring).
        case always
        /// Monday to Friday from `open` to `close` (minutes after local midnight), closed on holidays.
        case weekdays(openMinute: Int, closeMinute: Int)
    }

    public static let seoulOffsetMillis: Int64 = 9 * 3_600_000
    static let dayMillis: Int64 = 86_400_000

    public let rule: Rule
    public let holidays: Set<LocalDate>

    public init(rule: Rule, holidays: Set<LocalDate>) {
        if case .weekdays(let open, let close) = rule { precondition(0 <= open && open < close && close <= 1_440) }
        self.rule = rule
        self.holidays = holidays
    }

    /// `date` at `minutes` past midnight in Seoul, as Unix milliseconds.
    public static func unixMillis(_ date: LocalDate, minutes: Int) -> Int64 {
        date.day * dayMillis - seoulOffsetMillis + Int64(minutes) * 60_000
    }

    /// A Seoul date and time written "2026-11-23 10:00", as Unix milliseconds; nil if the text
    /// is not one (the rehearsal clock's and the simulation's start).
    public static func unixMillis(seoulDateTime text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 2, let date = LocalDate(String(parts[0])), let minutes = DeskCatalog.minutes(String(parts[1])) else { return nil }
        return unixMillis(date, minutes: minutes)
    }

    /// The Seoul date of an instant.
    public static func localDate(_ unixMillis: Int64) -> LocalDate {
        let local = unixMillis + seoulOffsetMillis
        return LocalDate(day: local >= 0 ? local / dayMillis : (local - dayMillis + 1) / dayMillis)
    }

    /// The opening interval of a date, as Unix milliseconds, if it opens that day.
    public func interval(on date: LocalDate) -> Range<Int64>? {
        switch rule {
        case .always:
            let start = date.day * Self.dayMillis - Self.seoulOffsetMillis
            return start..<(start + Self.dayMillis)
        case .weekdays(let open, let close):
            guard date.weekday < 5, !holidays.contains(date) else { return nil }
            let midnight = date.day * Self.dayMillis - Self.seoulOffsetMillis
            return (midnight + Int64(open) * 60_000)..<(midnight + Int64(close) * 60_000)
        }
    }

    public func isOpen(atUnixMillis t: Int64) -> Bool {
        if case .always = rule { return true }
        return interval(on: Self.localDate(t))?.contains(t) ?? false
    }

    /// When the current opening ends (nil when closed now, or for `.always`).
    public func closing(afterUnixMillis t: Int64) -> Int64? {
        if case .always = rule { return nil }
        guard let i = interval(on: Self.localDate(t)), i.contains(t) else { return nil }
        return i.upperBound
    }

    /// The next instant at or after `t` when it is open (within 30 days; nil beyond).
    public func nextOpening(atOrAfterUnixMillis t: Int64) -> Int64? {
        if isOpen(atUnixMillis: t) { return t }
        let today = Self.localDate(t)
        for k in 0..<31 {
            if let i = interval(on: LocalDate(day: today.day + Int64(k))), i.lowerBound >= t { return i.lowerBound }
        }
        return nil
    }

    /// "2026-11-23 09:00 KST" (with `seconds`, "2026-11-23 09:00:05 KST"): Seoul time for
    /// messages, logs and operators' tables, without a date formatter.
    public static func describe(_ unixMillis: Int64, seconds: Bool = false) -> String {
        let date = localDate(unixMillis)
        let second = ((unixMillis + seoulOffsetMillis) % dayMillis + dayMillis) % dayMillis / 1_000
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let time = "\(two(second / 3_600)):\(two(second / 60 % 60))" + (seconds ? ":\(two(second % 60))" : "")
        return "\(date) \(time) KST"
    }
}
