// `seoulworld worlds check|list|render`: the operator's view of the world files.

import ArgumentParser
import Transport
import Foundation
import WorldCore
import WorldFiles

struct Worlds: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check, list and draw the spaces defined in the world files.",
        subcommands: [Check.self, List.self, Render.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate every world file; exit 1 and list every error if any is wrong.")

        @Argument(help: "The directory of world files (default: ./worlds, or the checkout's worlds/).")
        var directory: String?

        func run() throws {
            let url = directory.map { URL(fileURLWithPath: $0) } ?? WorldLoader.defaultDirectory()
            let started = Monotonic.nanoseconds()
            let result = WorldLoader.load(directory: url)
            let milliseconds = Double(Monotonic.nanoseconds() - started) / 1e6
            if result.errors.isEmpty {
                print("\(url.path): \(result.fileCount) files, \(result.catalog.publicSpaces.count) public spaces and \(result.catalog.templates.count) room templates, all valid (checked in \(format(milliseconds, decimals: 0)) ms)")
                return
            }
            printError("\(url.path): \(result.errors.count) error\(result.errors.count == 1 ? "" : "s") in \(result.fileCount) file\(result.fileCount == 1 ? "" : "s")")
            for error in result.errors { printError("  " + error.description) }
            throw ExitCode(1)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A table of every space: id, name, size, floors, capacity, portals.")

        @Option(help: "The directory of world files (default: ./worlds, or the checkout's worlds/).")
        var worlds: String?

        func run() throws {
            let catalog = try loadCatalog(worlds)
            var rows = [["id", "kind", "name", "size (m)", "walkable (m²)", "floors", "capacity", "portals", "points"]]
            for s in catalog.spaces {
                let d = s.definition
                let floors = s.floorLevels.map { $0 < 0 ? "B\(-$0)" : "\($0)F" }.joined(separator: ",")
                let walkable = s.walkableSquareMetres.map { "\(Int($0.rounded()))" } ?? "?"
            rows.append([s.id, s.kind.rawValue, s.name.en, "\(d.bounds.width / 100) x \(d.bounds.height / 100)",
                             walkable, floors, "\(d.capacity)", "\(s.portals.count)", "\(s.pointsOfInterest.count)"])
            }
            print(table(rows))
        }
    }

    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Draw a space as an SVG map.")

        @Argument(help: "The space's id, such as seoul-plaza.")
        var id: String

        @Option(help: "Where to write the SVG.")
        var out: String

        @Option(help: "The directory of world files (default: ./worlds, or the checkout's worlds/).")
        var worlds: String?

        func run() throws {
            let catalog = try loadCatalog(worlds)
            guard let space = catalog.space(id) else {
                throw ValidationError("no space '\(id)'; the spaces are: " + catalog.spaces.map(\.id).joined(separator: ", "))
            }
            do {
                try SVGMap.render(space).write(toFile: out, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write \(out): \(error.localizedDescription)")
            }
            print("wrote \(out): \(space.name.en), \(space.obstacles.count) obstacles, \(space.portals.count) portals, \(space.pointsOfInterest.count) points of interest")
        }
    }
}

/// Loads the world files, or fails with every error listed.
func loadCatalog(_ directory: String?) throws -> WorldCatalog {
    let url = directory.map { URL(fileURLWithPath: $0) } ?? WorldLoader.defaultDirectory()
    let result = WorldLoader.load(directory: url)
    guard result.errors.isEmpty else {
        printError("\(url.path): \(result.errors.count) errors; run `seoulworld worlds check` for the list. First:")
        for error in result.errors.prefix(5) { printError("  " + error.description) }
        throw ExitCode(1)
    }
    return result.catalog
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Columns separated by two spaces, left-aligned except those in `rightAligned` (numbers).
/// Widths are terminal cells: Hangul and other wide letters take two, so Korean names line up.
func table(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
    guard let first = rows.first else { return "" }
    var widths = [Int](repeating: 0, count: first.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cells(cell)) } }
    return rows.map { row in
        row.enumerated().map { i, cell in
            let fill = String(repeating: " ", count: widths[i] - cells(cell))
            return rightAligned.contains(i) ? fill + cell : cell + fill
        }.joined(separator: "  ").dropLastSpaces()
    }.joined(separator: "\n")
}

extension String {
    /// Without its trailing spaces (a right-aligned first column keeps its leading ones).
    func dropLastSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// The terminal cells a text takes: two for the East Asian wide letters (Hangul syllables and
/// jamo, CJK, full-width forms), one for the rest.
func cells(_ text: String) -> Int {
    text.unicodeScalars.reduce(0) { n, u in
        let v = u.value
        let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFF00...0xFF60).contains(v)
        return n + (wide ? 2 : 1)
    }
}
