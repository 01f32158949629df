// Loading every world file of a directory (and its subfolders, where room templates live),
// with every error of every file reported together.

import Foundation
import WorldCore

/// The spaces of a directory, by id.
public struct WorldCatalog: Sendable {
    /// Sorted by id: public spaces and templates alike.
    public let spaces: [Space]

    public init(spaces: [Space]) { self.spaces = spaces.sorted { $0.id < $1.id } }

    public func space(_ id: String) -> Space? { spaces.first { $0.id == id } }
    public var publicSpaces: [Space] { spaces.filter { $0.kind == .public } }
    public var templates: [Space] { spaces.filter { $0.kind == .template } }
}

public struct WorldLoadResult: Sendable {
    public var catalog: WorldCatalog
    public var errors: [WorldFileError]
    /// How many files were read.
    public var fileCount: Int
}

public enum WorldLoader {
    /// The files a directory holds: every `*.json` below it except the schema, in path order.
    public static let schemaFileName = "schema.json"
    /// Files larger than this are refused unread.
    public static let fileBytesMax = 4 << 20
    /// At most this many files are read from one directory.
    public static let fileCountMax = 1_000

    public static func load(directory: URL) -> WorldLoadResult {
        var errors: [WorldFileError] = []
        let files: [URL]
        do {
            files = try worldFiles(in: directory)
        } catch {
            return WorldLoadResult(catalog: WorldCatalog(spaces: []), errors: [WorldFileError(
                file: directory.path, path: "", message: "cannot read the directory: \(error.localizedDescription)",
                expected: "a directory of world files, such as the repository's worlds/")], fileCount: 0)
        }
        if files.isEmpty {
            errors.append(WorldFileError(file: directory.path, path: "", message: "holds no world files", expected: "one or more *.json world files"))
        }
        if files.count > fileCountMax {
            errors.append(WorldFileError(file: directory.path, path: "", message: "holds \(files.count) world files; only the first \(fileCountMax) are read"))
        }
        var spaces: [Space] = []
        var clean: Set<String> = []
        var broken: Set<String> = []
        for url in files.prefix(fileCountMax) {
            let name = relativePath(url, to: directory)
            let (space, fileErrors) = loadFile(url, displayName: name)
            errors += fileErrors
            if !fileErrors.isEmpty { broken.insert(url.deletingPathExtension().lastPathComponent) }
            if let space {
                spaces.append(space)
                if fileErrors.isEmpty { clean.insert(space.file) }
            }
        }
        errors += Validation.crossFile(spaces, brokenFileIDs: broken)
        for i in spaces.indices where clean.contains(spaces[i].file) {
            errors += Validation.geometry(&spaces[i])
        }
        return WorldLoadResult(catalog: WorldCatalog(spaces: spaces), errors: errors, fileCount: min(files.count, fileCountMax))
    }

    /// Decodes one file; the space is nil when the file cannot describe one at all.
    public static func loadFile(_ url: URL, displayName: String) -> (Space?, [WorldFileError]) {
        let diagnostics = Diagnostics(file: displayName)
        let data: Data
        do {
            let size = try url.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0
            guard size <= fileBytesMax else {
                diagnostics.error("", "is \(size) bytes, larger than the \(fileBytesMax)-byte limit for a world file")
                return (nil, diagnostics.errors)
            }
            data = try Data(contentsOf: url)
        } catch {
            diagnostics.error("", "cannot be read: \(error.localizedDescription)")
            return (nil, diagnostics.errors)
        }
        return decode(data, id: url.deletingPathExtension().lastPathComponent, diagnostics: diagnostics)
    }

    /// A world file's bytes, decoded and checked on their own (the fuzz target's entry; the
    /// directory's cross-file checks and the walkability check are `load(directory:)`'s).
    public static func loadBytes(_ data: Data, id: String, displayName: String) -> (Space?, [WorldFileError]) {
        guard data.count <= fileBytesMax else {
            return (nil, [WorldFileError(file: displayName, path: "", message: "is \(data.count) bytes, larger than the \(fileBytesMax)-byte limit for a world file")])
        }
        return decode(data, id: id, diagnostics: Diagnostics(file: displayName))
    }

    static func decode(_ data: Data, id: String, diagnostics: Diagnostics) -> (Space?, [WorldFileError]) {
        let root: JSONValue
        do {
            root = try JSONParser.parse([UInt8](data))
        } catch {
            diagnostics.error("", "is not valid JSON: \(error)", expected: "a JSON object as described in worlds/README.md")
            return (nil, diagnostics.errors)
        }
        let space = SpaceDecoder(diagnostics: diagnostics).decode(root, expectedID: id)
        return (space, diagnostics.errors)
    }

    static func worldFiles(in directory: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "no such directory"])
        }
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var out: [URL] = []
        for case let url as URL in walker where url.pathExtension == "json" && url.lastPathComponent != schemaFileName {
            out.append(url)
        }
        return out.sorted { $0.path < $1.path }
    }

    static func relativePath(_ url: URL, to directory: URL) -> String {
        let base = directory.standardizedFileURL.path
        let path = url.standardizedFileURL.path
        if path.hasPrefix(base + "/") { return String(path.dropFirst(base.count + 1)) }
        return url.lastPathComponent
    }

    /// Where the world files are when no directory is named: `./worlds` if it exists, else
    /// the `worlds` folder of the checkout the executable was built in (found by walking up
    /// from the executable), so `seoulworld` works from anywhere inside the repository.
    public static func defaultDirectory(executablePath: String = CommandLine.arguments[0]) -> URL {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("worlds")
        if FileManager.default.fileExists(atPath: cwd.appendingPathComponent(schemaFileName).path) { return cwd }
        var dir = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("worlds")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(schemaFileName).path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return cwd
    }
}
