// TCP frames and control messages, both directions: whatever decodes must re-encode to the
// same bytes (the encoding is canonical), and nothing traps.
import FuzzSupport
import NetProto

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let m = try? ClientMessage.decode(bytes) { precondition(m.encode() == bytes, "a client message re-encodes differently") }
    if let m = try? ServerMessage.decode(bytes) {
        // Error and notice texts are clipped on encoding; anything decoded is within the limit.
        precondition(m.encode() == bytes, "a server message re-encodes differently")
    }
    var frames = FrameDecoder()
    bytes.withUnsafeBytes { frames.append($0) }
    for _ in 0..<64 { guard let body = try? frames.next() else { break }; _ = try? ClientMessage.decode(body) }
    return 0
}

@_cdecl("FuzzControl_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
