// Dates of the proleptic Gregorian calendar as integer days since 1970-01-01, and local times
// at a fixed offset from UTC: the one copy of this arithmetic, for the desks' opening hours
// (Services) and the usage statistics (Store). Standard library only; no clock, no time zone
// database (Asia/Seoul is UTC+9 all year, and the callers pass the offset).
//
// The day arithmetic is Howard Hinnant's days_from_civil and civil_from_days
// ("chrono-Compatible Low-Level Date Algorithms"), exact for every Int64 day that fits.

public enum CivilCalendar {
    /// Days since 1970-01-01 of a civil date (month 1 to 12, day 1 to 31; not checked).
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day since 1970-01-01.
    public static func civil(day z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// The local day (since 1970-01-01) and second of that day of a Unix time in milliseconds,
    /// at `offsetMillis` from UTC; floor division, so times before 1970 fall on the right day.
    public static func local(unixMillis: Int64, offsetMillis: Int64) -> (day: Int64, secondOfDay: Int64) {
        let ms = unixMillis + offsetMillis
        let seconds = ms >= 0 ? ms / 1_000 : (ms - 999) / 1_000
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return (day, seconds - day * 86_400)
    }
}
