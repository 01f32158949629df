// Recording every space's session (docs/RECORDING.md): the writer thread and a recorder per
// space, started with the server and finished in good order at its end.

import Foundation
import Recording

extension Server {
    func startRecording(_ settings: RecorderSettings) throws {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: settings.directory, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(atPath: settings.directory, withIntermediateDirectories: true)
            } catch {
                throw RecordingError("cannot create the recording directory \(settings.directory): \(error.localizedDescription)")
            }
        } else if !isDirectory.boolValue {
            throw RecordingError("the recording directory \(settings.directory) is a file, not a directory")
        }
        guard FileManager.default.isWritableFile(atPath: settings.directory) else {
            throw RecordingError("the recording directory \(settings.directory) is not writable by this user")
        }
        let logger = self.logger
        let writer = RecordingWriter(queueBytesMax: settings.queueBytesMax) { text in
            logger.error("recording", metadata: ["problem": "\(text)"])
        }
        host.recordingWriter = writer
        let now = UInt64(nowUnixMillis())
        for id in host.spaceOrder {
            let space = host.spaces[id]!
            space.recorder = SpaceRecorder(settings: settings, writer: writer, world: space.world, seed: space.seed, nowUnixMillis: now)
        }
        logger.info("recording", metadata: ["directory": "\(settings.directory)", "spaces": "\(host.spaceOrder.count)",
                                            "keyframeEveryTicks": "\(settings.keyframeIntervalTicks)"])
    }

    /// Ends every space's recording in good order and waits for the disk.
    func stopRecording() {
        guard let writer = host.recordingWriter else { return }
        for id in host.spaceOrder {
            guard let space = host.spaces[id], let recorder = space.recorder else { continue }
            recorder.finish(world: space.world)
        }
        writer.stop()
        host.recordingWriter = nil
        logger.info("recording closed", metadata: ["bytes": "\(writer.bytesWritten)"])
    }

    /// The recording files written so far, every space's, in space order.
    public var recordingPaths: [String] { host.spaceOrder.flatMap { host.spaces[$0]?.recorder?.paths ?? [] } }
}
