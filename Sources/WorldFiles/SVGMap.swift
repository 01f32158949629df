// A map of a space as SVG, for a person to look at: bounds, obstacles coloured by kind,
// spawn areas, portals with where they lead, points of interest, labels, a scale bar.
// One panel per floor, side by side; north is up. Units in the drawing are metres.
//
// Every drawn obstacle, portal, spawn area and point of interest carries an id of the form
// `f<level>-<what>-<id>` (level written with an "m" for negatives, as in f-m1 for B1), so
// tests and tools can find them.

import WorldCore

public enum SVGMap {
    static let colours = [
        "building": "#9e9e9e", "wall": "#5d5d5d", "road": "#cfcfcf", "water": "#81b9e6", "lawn": "#b5dcb0", "planting": "#8cc68a",
        "structure": "#c2ad9f", "furniture": "#dccfc6", "statue": "#8d6e63", "tree": "#5fae62", "railing": "#777777", "other": "#bdbdbd",
    ]

    public static func render(_ space: Space) -> String {
        let d = space.definition
        let w = Double(d.bounds.width) / 100, h = Double(d.bounds.height) / 100
        let gap = max(w, h) * 0.08
        let font = max(w, h) / 90
        let noteLines = wrap(space.scale, width: 150)
        let header = font * (5.6 + 1.2 * Double(noteLines.count))
        let floors = d.floors.count
        let totalWidth = Double(floors) * w + Double(floors - 1) * gap
        let totalHeight = h + header + font * 3
        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="\(n(-gap / 2)) \(n(-header)) \(n(totalWidth + gap)) \(n(totalHeight))" width="\(n(min(1_600, max(600, (totalWidth + gap) * 4))))" font-family="sans-serif">
        <title>\(escape(space.name.en)) (\(escape(space.name.ko)))</title>
        <text x="0" y="\(n(-header + font * 1.6))" font-size="\(n(font * 1.6))" font-weight="bold">\(escape(space.name.en)) · \(escape(space.name.ko))</text>
        <text x="0" y="\(n(-header + font * 3.2))" font-size="\(n(font))">\(escape(space.id)): \(n(w)) m × \(n(h)) m, capacity \(d.capacity), personal space \(n(Double(d.personalSpaceRadiusCentimetres) / 100)) m.</text>

        """
        for (i, line) in noteLines.enumerated() {
            svg += "<text x=\"0\" y=\"\(n(-header + font * (4.4 + 1.2 * Double(i))))\" font-size=\"\(n(font * 0.9))\" fill=\"#555\">\(escape(line))</text>\n"
        }
        for f in d.floors.indices {
            svg += "<g id=\"\(floorTag(d.floors[f]))\" transform=\"translate(\(n(Double(f) * (w + gap))) 0)\">\n"
            svg += "<text x=\"0\" y=\"\(n(-font * 0.5))\" font-size=\"\(n(font * 1.2))\">\(escape(space.floorNames[f].en)) (\(escape(space.floorNames[f].ko)))</text>\n"
            svg += floorDrawing(space, floor: f, font: font)
            svg += "</g>\n"
        }
        // A scale bar of a round length near a fifth of the width.
        let bar = roundLength(w / 5)
        svg += "<g id=\"scale\"><line x1=\"0\" y1=\"\(n(h + font * 1.5))\" x2=\"\(n(bar))\" y2=\"\(n(h + font * 1.5))\" stroke=\"#000\" stroke-width=\"\(n(font * 0.2))\"/>"
        svg += "<text x=\"\(n(bar + font * 0.5))\" y=\"\(n(h + font * 1.8))\" font-size=\"\(n(font))\">\(n(bar)) m · north is up</text></g>\n"
        svg += "</svg>\n"
        return svg
    }

    /// One floor of a space on its own, in metres with north up, `0 0 width height` (the admin
    /// page's live map draws its avatars over it in the same frame).
    public static func renderFloor(_ space: Space, floor f: Int) -> String {
        precondition(space.definition.floors.indices.contains(f))
        let d = space.definition
        let w = Double(d.bounds.width) / 100, h = Double(d.bounds.height) / 100
        let font = max(w, h) / 90
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(n(w)) \(n(h))" font-family="sans-serif">
        <title>\(escape(space.name.en)), \(escape(space.floorNames[f].en))</title>

        """ + floorDrawing(space, floor: f, font: font) + "</svg>\n"
    }

    static func floorTag(_ floor: Floor) -> String { "f" + (floor.level < 0 ? "m\(-floor.level)" : "\(floor.level)") }

    /// A floor's outline, spawn areas, obstacles, portals and points of interest.
    static func floorDrawing(_ space: Space, floor f: Int, font: Double) -> String {
        let d = space.definition
        let w = Double(d.bounds.width) / 100, h = Double(d.bounds.height) / 100
        let tag = floorTag(d.floors[f])
        var svg = ""
        svg += "<rect x=\"0\" y=\"0\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"#f7f5ef\" stroke=\"#333\" stroke-width=\"\(n(font * 0.15))\"/>\n"
        for s in space.spawnAreas where s.spawnArea.floor == f {
            svg += rect(s.spawnArea.area, h: h, attributes: "id=\"\(tag)-spawn-\(s.id)\" fill=\"#fff59d\" fill-opacity=\"0.5\" stroke=\"#c9b800\" stroke-dasharray=\"\(n(font * 0.4))\" stroke-width=\"\(n(font * 0.1))\"")
        }
        for o in space.obstacles where o.obstacle.floor == nil || o.obstacle.floor == f {
            let fill = colours[o.kind] ?? "#bdbdbd"
            let attributes = "id=\"\(tag)-obstacle-\(o.id)\" fill=\"\(fill)\" stroke=\"#444\" stroke-width=\"\(n(font * 0.05))\""
            switch o.obstacle.shape {
            case .rect(let r): svg += rect(r, h: h, attributes: attributes)
            case .circle(let c):
                svg += "<circle \(attributes) cx=\"\(m(c.center.x))\" cy=\"\(n(h - Double(c.center.y) / 100))\" r=\"\(m(c.radius))\"/>\n"
            case .polygon(let p):
                let points = p.vertices.map { "\(m($0.x)),\(n(h - Double($0.y) / 100))" }.joined(separator: " ")
                svg += "<polygon \(attributes) points=\"\(points)\"/>\n"
            }
        }
        // Walls come in many segments; their labels would only clutter the map.
        for o in space.obstacles where (o.obstacle.floor == nil || o.obstacle.floor == f) && o.kind != "wall" && isLargeEnough(o.obstacle.shape, font: font) {
            let b = o.obstacle.shape.bounds
            svg += label(o.id, x: Double(b.minX + b.maxX) / 200, y: h - Double(b.minY + b.maxY) / 200, size: font * 0.8, colour: "#222", width: w)
        }
        for p in space.portals where p.floor == f {
            svg += rect(p.area, h: h, attributes: "id=\"\(tag)-portal-\(p.id)\" fill=\"#ce93d8\" fill-opacity=\"0.7\" stroke=\"#7b1fa2\" stroke-width=\"\(n(font * 0.12))\"")
            svg += rect(p.arrival, h: h, attributes: "id=\"\(tag)-arrival-\(p.id)\" fill=\"none\" stroke=\"#7b1fa2\" stroke-dasharray=\"\(n(font * 0.3))\" stroke-width=\"\(n(font * 0.08))\"")
            let target = p.targetSpace == space.id ? p.targetPortal : p.targetSpace
            svg += label("⇄ \(p.name.en) → \(target)", x: Double(p.area.minX + p.area.maxX) / 200, y: h - Double(p.area.maxY) / 100 - font * 0.4, size: font * 0.9, colour: "#6a1b9a", width: w)
        }
        for poi in space.pointsOfInterest where poi.floor == f {
            let x = Double(poi.position.x) / 100, y = h - Double(poi.position.y) / 100
            svg += "<circle id=\"\(tag)-poi-\(poi.id)\" cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(font * 0.5))\" fill=\"#1976d2\" stroke=\"#fff\" stroke-width=\"\(n(font * 0.1))\"/>\n"
            svg += label(poi.name.en, x: x, y: y - font * 0.8, size: font * 0.8, colour: "#0d47a1", width: w)
        }
        return svg
    }

    static func rect(_ r: Rect, h: Double, attributes: String) -> String {
        "<rect \(attributes) x=\"\(m(r.minX))\" y=\"\(n(h - Double(r.maxY) / 100))\" width=\"\(m(r.width))\" height=\"\(m(r.height))\"/>\n"
    }

    /// A centred label, moved sideways to stay inside a panel `width` wide (its own width is
    /// estimated at 0.55 of the font size per character, close enough for sans-serif).
    static func label(_ text: String, x: Double, y: Double, size: Double, colour: String, width: Double) -> String {
        let half = Double(text.count) * size * 0.55 / 2
        let cx = min(max(x, half), max(half, width - half))
        return "<text x=\"\(n(cx))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"middle\" fill=\"\(colour)\">\(escape(text))</text>\n"
    }

    /// Words of `text` in lines of at most `width` characters.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    static func isLargeEnough(_ shape: Shape, font: Double) -> Bool {
        let b = shape.bounds
        return Double(max(b.width, b.height)) / 100 > font * 4
    }

    static func roundLength(_ x: Double) -> Double {
        var unit = 1.0
        while unit * 10 <= x { unit *= 10 }
        for step in [5.0, 2.0, 1.0] where unit * step <= x { return unit * step }
        return unit
    }

    /// Centimetres as metres, for the drawing.
    static func m(_ cm: Int32) -> String { n(Double(cm) / 100) }

    /// A number with at most two decimals.
    static func n(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
