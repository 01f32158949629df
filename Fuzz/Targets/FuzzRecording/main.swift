// The recording reader's decoders: header, tick blocks (both format versions), keyframes, end.
import FuzzSupport
import Recording

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    switch first % 5 {
    case 0: _ = try? RecordingHeader.decode(rest)
    case 1: _ = try? TickCodec.decodeBlock(rest, formatVersion: 1)
    case 2: _ = try? TickCodec.decodeBlock(rest, formatVersion: 2)
    case 3: _ = try? Keyframe.decode(rest)
    default: _ = try? RecordingEnd.decode(rest)
    }
    return 0
}

@_cdecl("FuzzRecording_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
