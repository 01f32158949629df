// The recording reader's decoders: header, tick blocks (both format versions), keyframes, end.
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

// SwiftPM links an executable's entry point as `FuzzRecording_main`; it hands over to libFuzzer's
// driver, which then calls `fuzz` with each input.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("FuzzRecording_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in
        guard let data, size > 0 else { return 0 }
        return fuzz(data, size)
    }
}
