// What an investigator looks at (drawn from a replay, `seoulworld replay --export`): one floor of a space over a window of ticks, with where
// each avatar went (its trail) and where people stood thickest (a heat map of avatar-seconds
// per square metre). SVG in metres, north up, the space's obstacles and spawn areas under it.
//
// Limits: trails keep a point when the avatar has moved at least `pointSpacingCentimetres`
// since the last kept one, and at most `pointsMax` points in all (after that, trails stop
// growing and the map says so); the heat grid has at most `cellsAcrossMax` cells across.

import WorldCore

public struct TrailMap {
    public static let pointsMax = 400_000
    public static let cellsAcrossMax = 160
    public static let pointSpacingCentimetres: Int64 = 50

    public let definition: WorldDefinition
    public let floor: Int
    let cellSize: Int32
    let columns: Int
    let rows: Int
    var heat: [Int]
    /// Trails by avatar id (packed), in the order avatars were first seen.
    var trails: [UInt64: [Vec2]] = [:]
    var order: [UInt64] = []
    var points = 0
    public private(set) var truncated = false
    public private(set) var firstTick: UInt64 = 0
    public private(set) var lastTick: UInt64 = 0
    public private(set) var mostAtOnce = 0

    public init(definition: WorldDefinition, floor: Int) {
        self.definition = definition
        self.floor = floor
        let span = max(definition.bounds.width, definition.bounds.height)
        cellSize = max(100, (span + Int32(Self.cellsAcrossMax) - 1) / Int32(Self.cellsAcrossMax))
        columns = Int(definition.bounds.width / cellSize) + 1
        rows = Int(definition.bounds.height / cellSize) + 1
        heat = [Int](repeating: 0, count: columns * rows)
    }

    /// Adds the world as it stands after a tick.
    public mutating func add(_ world: World) {
        if firstTick == 0 { firstTick = world.tick }
        lastTick = world.tick
        var here = 0
        let b = definition.bounds
        for a in world.avatars where a.floor == floor {
            here += 1
            let c = Int((a.position.x - b.minX) / cellSize), r = Int((a.position.y - b.minY) / cellSize)
            heat[min(r, rows - 1) * columns + min(c, columns - 1)] += 1
            let key = a.id.packed
            if let last = trails[key]?.last {
                guard last.distanceSquared(to: a.position) >= Self.pointSpacingCentimetres * Self.pointSpacingCentimetres else { continue }
            } else {
                order.append(key)
            }
            guard points < Self.pointsMax else {
                truncated = true
                continue
            }
            trails[key, default: []].append(a.position)
            points += 1
        }
        mostAtOnce = max(mostAtOnce, here)
    }

    public func render(title: String) -> String {
        let d = definition
        let b = d.bounds
        let w = Double(b.width) / 100, h = Double(b.height) / 100
        let font = max(w, h) / 70
        let header = font * 5
        func x(_ v: Int32) -> String { n(Double(v - b.minX) / 100) }
        func y(_ v: Int32) -> String { n(h - Double(v - b.minY) / 100) }
        let seconds = Double(lastTick - firstTick + 1) / Double(d.tickRateHertz)
        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="\(n(-font)) \(n(-header)) \(n(w + 2 * font)) \(n(h + header + font * 3))" width="\(n(min(1_600, max(600, w * 6))))" font-family="sans-serif">
        <title>\(escape(title))</title>
        <text x="0" y="\(n(-header + font * 1.5))" font-size="\(n(font * 1.4))" font-weight="bold">\(escape(title))</text>
        <text x="0" y="\(n(-header + font * 3))" font-size="\(n(font))">\(escape(d.id)), floor \(d.floors[floor].level) (\(escape(d.floors[floor].name))): ticks \(firstTick) to \(lastTick) (\(n(seconds)) s), \(order.count) avatars, at most \(mostAtOnce) at once\(truncated ? "; trails cut at \(Self.pointsMax) points" : "").</text>
        <text x="0" y="\(n(-header + font * 4.3))" font-size="\(n(font * 0.9))" fill="#555">Red: where avatars stood, by time spent per cell of \(n(Double(cellSize) / 100)) m (darkest: \(n(peakDensity())) avatars/m² on average over the window). Lines: each avatar's trail, dot at its start.</text>
        <rect x="0" y="0" width="\(n(w))" height="\(n(h))" fill="#f7f5ef" stroke="#333" stroke-width="\(n(font * 0.1))"/>

        """
        for s in d.spawnAreas where s.floor == floor {
            svg += "<rect class=\"spawn\" x=\"\(x(s.area.minX))\" y=\"\(y(s.area.maxY))\" width=\"\(m(s.area.width))\" height=\"\(m(s.area.height))\" fill=\"#fff59d\" fill-opacity=\"0.5\" stroke=\"#c9b800\" stroke-width=\"\(n(font * 0.05))\"/>\n"
        }
        // The heat map: opacity by the square root of the count, so a few seconds still show.
        let peak = heat.max() ?? 0
        if peak > 0 {
            svg += "<g id=\"heat\">\n"
            for r in 0..<rows {
                for c in 0..<columns where heat[r * columns + c] > 0 {
                    let opacity = (Double(heat[r * columns + c]) / Double(peak)).squareRoot() * 0.85
                    let x0 = b.minX + Int32(c) * cellSize, y1 = b.minY + Int32(r + 1) * cellSize
                    svg += "<rect x=\"\(x(x0))\" y=\"\(y(min(y1, b.maxY)))\" width=\"\(m(min(cellSize, b.maxX - x0)))\" height=\"\(m(min(cellSize, b.maxY - (y1 - cellSize))))\" fill=\"#d32f2f\" fill-opacity=\"\(n(opacity))\"/>\n"
                }
            }
            svg += "</g>\n"
        }
        svg += "<g id=\"obstacles\" fill=\"#9e9e9e\" stroke=\"#444\" stroke-width=\"\(n(font * 0.03))\">\n"
        for o in d.obstacles where o.floor == nil || o.floor == floor {
            switch o.shape {
            case .rect(let r): svg += "<rect x=\"\(x(r.minX))\" y=\"\(y(r.maxY))\" width=\"\(m(r.width))\" height=\"\(m(r.height))\"/>\n"
            case .circle(let c): svg += "<circle cx=\"\(x(c.center.x))\" cy=\"\(y(c.center.y))\" r=\"\(m(c.radius))\"/>\n"
            case .polygon(let p): svg += "<polygon points=\"\(p.vertices.map { "\(x($0.x)),\(y($0.y))" }.joined(separator: " "))\"/>\n"
            }
        }
        svg += "</g>\n<g id=\"trails\" fill=\"none\" stroke-width=\"\(n(font * 0.08))\" stroke-opacity=\"0.7\">\n"
        for key in order {
            guard let trail = trails[key], let start = trail.first else { continue }
            let colour = "hsl(\(mix64(key) % 360),70%,35%)"
            let id = AvatarID(packed: key)
            if trail.count > 1 {
                svg += "<polyline data-avatar=\"\(id)\" stroke=\"\(colour)\" points=\"\(trail.map { "\(x($0.x)),\(y($0.y))" }.joined(separator: " "))\"/>\n"
            }
            svg += "<circle data-avatar=\"\(id)\" cx=\"\(x(start.x))\" cy=\"\(y(start.y))\" r=\"\(n(font * 0.2))\" fill=\"\(colour)\"/>\n"
        }
        svg += "</g>\n"
        svg += "<text x=\"0\" y=\"\(n(h + font * 1.8))\" font-size=\"\(n(font))\">north is up; \(n(w)) m × \(n(h)) m; replayed by seoulworld replay --export</text>\n"
        svg += "</svg>\n"
        return svg
    }

    /// The darkest cell's average density over the window, in avatars per square metre.
    func peakDensity() -> Double {
        let peak = Double(heat.max() ?? 0)
        let ticks = Double(max(1, lastTick - firstTick + 1))
        let area = Double(cellSize) * Double(cellSize) / 10_000
        return peak / ticks / area
    }

    // The drawing's number formats are the space maps' (SVGMap).
    func m(_ cm: Int32) -> String { SVGMap.m(cm) }
    func n(_ v: Double) -> String { SVGMap.n(v) }
    func escape(_ s: String) -> String { SVGMap.escape(s) }
}
