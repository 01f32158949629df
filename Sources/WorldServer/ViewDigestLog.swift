// For the soak's desync check (scripts/soak.sh, docs/RELIABILITY.md): what the server believes
// each client holds, as a digest of the entity states, every 20th tick, one line per session
// ("session tick digest"). The bots write the same digests of what they decoded; a line
// present on both sides with different digests is a desync. Off unless `--view-digests`.

import Foundation
import NetProto

final class ViewDigestLog {
    let handle: FileHandle
    var buffer = ""
    static let everyTicks: UInt32 = 20

    struct OpenError: Error, CustomStringConvertible { let description: String }

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw OpenError(description: "cannot create the view digest file \(path)")
        }
        self.handle = handle
    }

    func add(session: UInt64, tick: UInt32, known: [EntityState]) {
        buffer += "\(session) \(tick) \(EntityState.digest(known))\n"
        if buffer.utf8.count > 1 << 16 { flush() }
    }

    func flush() {
        handle.write(Data(buffer.utf8))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() {
        flush()
        try? handle.close()
    }
}

