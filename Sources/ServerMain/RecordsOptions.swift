// Where a tool finds the city's records: `--data FILE` (the SQLite file, the default) or
// `--store postgres://...` with `--store-password-file` (docs/DATA.md, "PostgreSQL"). The same
// three options on `stats`, `moderation` and `data check`, read the same way as `serve` reads them.

import ArgumentParser
import Store

struct RecordsOptions: ParsableArguments {
    @Option(help: "The SQLite database (default: data/seoulworld.sqlite beside the worlds directory).")
    var data: String?

    @Option(help: "Read a PostgreSQL database instead: postgres://user@host:5432/database, or postgres://user@/database?host=/socket/directory (docs/DATA.md, \"PostgreSQL\").")
    var store: String?

    @Option(help: "With --store: a file whose first line is the PostgreSQL password (else $PGPASSWORD, else none).")
    var storePasswordFile: String?

    func location() throws -> StoreLocation {
        if let store {
            guard data == nil else { throw ValidationError("--data names an SQLite file and --store a PostgreSQL database: give one of them") }
            return .postgres(try postgresLocation(store, passwordFile: storePasswordFile))
        }
        guard storePasswordFile == nil else { throw ValidationError("--store-password-file goes with --store postgres://...") }
        return .file(data ?? defaultDataPath(worlds: nil))
    }

    /// The records opened for `command` (its name starts the error line), or exit 1 with the reason.
    func open(_ access: Store.Access, command: String) throws -> any StoreReading {
        let location = try location()
        do { return try location.open(access) } catch {
            printError("seoulworld \(command): \(error)")
            throw ExitCode(1)
        }
    }
}

/// A PostgreSQL URL and its password (from the file, or $PGPASSWORD), or the reason it is wrong.
func postgresLocation(_ url: String, passwordFile: String?) throws -> PostgresLocation {
    do {
        var parsed = try PostgresLocation.parse(url)
        parsed.password = try PostgresLocation.password(file: passwordFile)
        return parsed
    } catch {
        throw ValidationError("\(error)")
    }
}
