// The city's records: one embedded SQLite database (GRDB over the system libsqlite3).
//
// `Store` opens the file, applies the migrations in code (Schema.swift), and hands out reads
// through GRDB's pool; every write goes through one `StoreWriter` thread (Writer.swift), so
// the server's loop thread never waits for the disk. docs/DATA.md describes every table.
//
// Invariants:
// 1. At most one server writes a database file at a time: the writer holds an exclusive
//    `flock` on `<file>.lock` for its whole life (released by the kernel if the process dies).
// 2. A database whose migrations this binary does not know is never written: it is refused
//    at open, with the migrations it does not know named.
// 3. Every connection runs with foreign keys on and `synchronous=FULL` in WAL mode (below).

import Foundation
import GRDB

/// An operating error of the store, worded for the operator who has to act on it.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public final class Store: @unchecked Sendable {
    public let path: String
    /// Readers never block the writer (WAL), and the writer never blocks readers.
    public let pool: DatabasePool
    let lockDescriptor: Int32?

    /// How a process uses the file.
    public enum Access: Sendable {
        /// The server: creates and migrates the file, and holds the single-writer lock.
        case server
        /// Reports and checks: an existing file at this binary's schema, never written.
        case readOnly
        /// An operator's command (`seoulworld moderation ban`) beside a running server: small
        /// writes of its own in their own transactions (SQLite serialises them with the
        /// server's), without the lock and without migrating.
        case operatorTool
    }

    /// Opens (creating if missing) the database at `path` for a server: migrates it, and takes
    /// the single-writer lock. `readOnly` opens an existing file for reports and checks only.
    public convenience init(path: String, readOnly: Bool = false) throws {
        try self.init(path: path, access: readOnly ? .readOnly : .server)
    }

    public init(path: String, access: Access) throws {
        let readOnly = access != .server
        self.path = path
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let exists = FileManager.default.fileExists(atPath: path)
        if readOnly {
            guard exists else {
                throw StoreError("no database at \(path): start the server once with `--data \(path)` to create it, or pass the right --data")
            }
            lockDescriptor = nil
        } else {
            try Self.prepareDirectory(directory)
            if exists, !FileManager.default.isWritableFile(atPath: path) {
                throw StoreError("the database \(path) is not writable by this user: fix its permissions, or pass another --data")
            }
            lockDescriptor = try Self.lock(path + ".lock")
        }
        var configuration = Configuration()
        configuration.readonly = access == .readOnly
        configuration.label = "seoulworld-store"
        configuration.foreignKeysEnabled = true
        // A busy database (a checkpoint, another reader upgrading) is waited for briefly rather
        // than failing at once; the writer is alone (invariant 1), so waits are short.
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // FULL, not NORMAL: in WAL mode NORMAL survives a process crash but may lose the last
            // commits to a power cut, and a bug report or a ban acknowledged to a citizen must
            // survive both. Each group commit costs one fsync of the WAL; the writer batches.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Reports read most of the visits table: mapping the file (up to 1 GiB) spares a copy of
            // every page through read(2). A reading choice only; it changes nothing on disk.
            try db.execute(sql: "PRAGMA mmap_size = 1073741824")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch let error as DatabaseError {
            if let fd = lockDescriptor { close(fd) }
            throw Self.explain(error, path: path)
        }
        do {
            try pool.read { db in
                // A file that is not a database, or a damaged one, fails here with SQLITE_NOTADB
                // or SQLITE_CORRUPT, before anything writes to it.
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master")
            }
            if !readOnly {
                try Schema.checkNotNewer(pool, path: path)
                try Schema.migrator.migrate(pool)
            } else {
                try Schema.checkReadable(pool, path: path)
            }
        } catch let error as DatabaseError {
            if let fd = lockDescriptor { close(fd) }
            throw Self.explain(error, path: path)
        } catch {
            if let fd = lockDescriptor { close(fd) }
            throw error
        }
    }

    deinit {
        if let fd = lockDescriptor { close(fd) }
    }

    /// A read on the pool (a snapshot of the last commit), for operators and reports.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// The schema version this file is at: the last migration applied.
    public func schemaVersion() throws -> String? {
        try pool.read { db in try Schema.migrator.appliedIdentifiers(db).sorted().last }
    }

    /// `PRAGMA integrity_check`'s verdict: "ok", or what is wrong.
    public func integrityCheck() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    // MARK: Opening, explained

    static func prepareDirectory(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw StoreError("the data directory \(directory) is a file, not a directory: pass --data with a path inside a directory")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError("cannot create the data directory \(directory) (\(error.localizedDescription)): create it, or pass another --data")
            }
        }
        // SQLite in WAL mode creates the -wal and -shm files beside the database, so the
        // directory itself must be writable, not only the file.
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw StoreError("the data directory \(directory) is not writable by this user: SQLite needs to create files there; fix its permissions or pass another --data")
        }
    }

    static func lock(_ lockPath: String) throws -> Int32 {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError("cannot open the lock file \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw StoreError("another seoulworld server\(holder.isEmpty ? "" : " (pid \(holder))") is using \(lockPath.dropLast(5)); stop it first, or give this one its own --data")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        return fd
    }

    static func explain(_ error: DatabaseError, path: String) -> StoreError {
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return StoreError("\(path) is not a SeoulWorld database or is damaged (\(error.message ?? "\(error.resultCode)")). Move it aside (keep it for investigation), then start again to create a new one; `sqlite3 \(path) .recover` may save its rows")
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM:
            return StoreError("cannot open \(path) for writing (\(error.message ?? "\(error.resultCode)")): check the permissions of the file and of its directory, or pass another --data")
        case .SQLITE_FULL:
            return StoreError("the disk holding \(path) is full: free space, then start again")
        default:
            return StoreError("cannot open the database \(path): \(error)")
        }
    }
}
