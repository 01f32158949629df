// The usage report as a chart a city officer can put in a report: visits per space over the
// periods (stacked bars), and the visitors present at each hour of the day (lines). Plain SVG,
// no script, readable when printed in grey.

import Foundation

public enum StatsChart {
    /// Colour-blind-safe palette (Okabe and Ito, "Color Universal Design", 2008), then grey for "other".
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
    static let other = "#999999"

    public static func svg(_ r: StatsReport) -> String {
        let width = 1_080.0, left = 70.0, plotWidth = 700.0, legendX = 800.0
        let barTop = 70.0, barHeight = 250.0, lineTop = 400.0, lineHeight = 180.0
        let perSpace = r.spaces.filter { $0.space != UsageStats.allSpaces }
        var totals: [String: Int] = [:]
        for s in perSpace { totals[s.space, default: 0] += s.visits }
        let ranked = totals.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        let shown = Array(ranked.prefix(palette.count))
        let colour = Dictionary(uniqueKeysWithValues: shown.enumerated().map { ($1, palette[$0]) })
        let periods = Array(Set(r.spaces.map(\.period))).sorted()

        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="640" viewBox="0 0 \(n(width)) 640" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(n(left))" y="28" font-size="18" font-weight="bold">\(escape("Visits per space, \(r.from.prefix(10)) to \(r.lastDay)"))</text>
            <text x="\(n(left))" y="48" fill="#444">\(escape("by \(r.period.rawValue), \(r.timeZone); a visit counts in the period it began"))</text>

            """
        // Stacked bars of visits per period.
        var stacks: [String: [(space: String, visits: Int)]] = [:]
        for s in perSpace where s.visits > 0 {
            let key = colour[s.space] == nil ? "other" : s.space
            if let i = stacks[s.period]?.firstIndex(where: { $0.space == key }) {
                stacks[s.period]![i].visits += s.visits
            } else {
                stacks[s.period, default: []].append((key, s.visits))
            }
        }
        let maxVisits = stacks.values.map { $0.reduce(0) { $0 + $1.visits } }.max() ?? 0
        let visitScale = niceCeiling(Double(max(maxVisits, 1)))
        out += axis(x: left, y: barTop, width: plotWidth, height: barHeight, maximum: visitScale, label: "visits")
        let slot = plotWidth / Double(max(periods.count, 1))
        let barWidth = max(1, slot * 0.8)
        for (i, period) in periods.enumerated() {
            var y = barTop + barHeight
            let order = (shown + ["other"])
            for key in order {
                guard let v = stacks[period]?.first(where: { $0.space == key })?.visits, v > 0 else { continue }
                let h = Double(v) / visitScale * barHeight
                y -= h
                out += "<rect x=\"\(n(left + Double(i) * slot + (slot - barWidth) / 2))\" y=\"\(n(y))\" width=\"\(n(barWidth))\" height=\"\(n(h))\" fill=\"\(colour[key] ?? other)\"><title>\(escape("\(period) \(key): \(v) visits"))</title></rect>\n"
            }
        }
        // Period labels: at most about twelve, evenly spaced.
        let every = max(1, Int((Double(periods.count) / 12).rounded(.up)))
        for (i, period) in periods.enumerated() where i % every == 0 {
            out += "<text x=\"\(n(left + (Double(i) + 0.5) * slot))\" y=\"\(n(barTop + barHeight + 16))\" text-anchor=\"middle\" fill=\"#333\">\(escape(r.period == .month ? String(period.prefix(7)) : String(period.dropFirst(5))))</text>\n"
        }
        // Presence by hour of day.
        out += "<text x=\"\(n(left))\" y=\"\(n(lineTop - 22))\" font-size=\"15\" font-weight=\"bold\">Visitors present by hour of the day (average over the range; colours as above)</text>\n"
        let lines = [UsageStats.allSpaces] + shown
        let maxPresence = lines.compactMap { r.presenceByHour[$0]?.max() }.max() ?? 0
        let presenceScale = niceCeiling(max(maxPresence, 0.1))
        out += axis(x: left, y: lineTop, width: plotWidth, height: lineHeight, maximum: presenceScale, label: "visitors")
        for hour in stride(from: 0, through: 24, by: 3) {
            out += "<text x=\"\(n(left + Double(hour) / 24 * plotWidth))\" y=\"\(n(lineTop + lineHeight + 16))\" text-anchor=\"middle\" fill=\"#333\">\(hour < 10 ? "0" : "")\(hour):00</text>\n"
        }
        for key in lines.reversed() {
            guard let values = r.presenceByHour[key] else { continue }
            let points = values.enumerated().map { h, v in
                "\(n(left + (Double(h) + 0.5) / 24 * plotWidth)),\(n(lineTop + lineHeight - v / presenceScale * lineHeight))"
            }.joined(separator: " ")
            let isAll = key == UsageStats.allSpaces
            out += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(isAll ? "#222" : colour[key]!)\" stroke-width=\"\(isAll ? 3 : 2)\"\(isAll ? " stroke-dasharray=\"6 3\"" : "")/>\n"
        }
        // Legend.
        var y = barTop
        out += "<text x=\"\(n(legendX))\" y=\"\(n(y - 8))\" font-weight=\"bold\">spaces (by visits)</text>\n"
        for key in shown + (ranked.count > shown.count ? ["other"] : []) {
            let total = key == "other" ? ranked.dropFirst(shown.count).reduce(0) { $0 + totals[$1]! } : totals[key]!
            out += "<rect x=\"\(n(legendX))\" y=\"\(n(y))\" width=\"14\" height=\"14\" fill=\"\(colour[key] ?? other)\"/>"
            out += "<text x=\"\(n(legendX + 20))\" y=\"\(n(y + 11))\">\(escape("\(key) (\(total))"))</text>\n"
            y += 22
        }
        if r.presenceByHour[UsageStats.allSpaces] != nil {
            out += "<line x1=\"\(n(legendX))\" y1=\"\(n(lineTop + 7))\" x2=\"\(n(legendX + 14))\" y2=\"\(n(lineTop + 7))\" stroke=\"#222\" stroke-width=\"3\" stroke-dasharray=\"6 3\"/>"
            out += "<text x=\"\(n(legendX + 20))\" y=\"\(n(lineTop + 11))\">all spaces</text>\n"
        }
        if periods.isEmpty {
            out += "<text x=\"\(n(left + plotWidth / 2))\" y=\"\(n(barTop + barHeight / 2))\" text-anchor=\"middle\" font-size=\"16\" fill=\"#666\">no visits in this range</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    /// Axes, horizontal grid lines at five steps, and their labels.
    static func axis(x: Double, y: Double, width: Double, height: Double, maximum: Double, label: String) -> String {
        var out = ""
        for i in 0...5 {
            let value = maximum * Double(i) / 5
            let gy = y + height - Double(i) / 5 * height
            out += "<line x1=\"\(n(x))\" y1=\"\(n(gy))\" x2=\"\(n(x + width))\" y2=\"\(n(gy))\" stroke=\"\(i == 0 ? "#333" : "#ddd")\"/>"
            out += "<text x=\"\(n(x - 6))\" y=\"\(n(gy + 4))\" text-anchor=\"end\" fill=\"#333\">\(tickLabel(value))</text>\n"
        }
        out += "<text x=\"\(n(x - 52))\" y=\"\(n(y + height / 2))\" transform=\"rotate(-90 \(n(x - 52)) \(n(y + height / 2)))\" text-anchor=\"middle\" fill=\"#333\">\(label)</text>\n"
        return out
    }

    /// The smallest of 1, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten at or above `v`, so that the five grid
    /// steps are round numbers.
    static func niceCeiling(_ v: Double) -> Double {
        let power = pow(10, floor(log10(v)))
        for m in [1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] where m * power >= v { return m * power }
        return 10 * power
    }

    static func tickLabel(_ v: Double) -> String {
        if v == v.rounded() { return String(Int(v)) }
        return String(format: "%.2f", v).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
    }

    static func n(_ v: Double) -> String { String(format: "%.1f", v) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
