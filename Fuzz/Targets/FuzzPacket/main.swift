// UDP packets: canonical when they decode; never a trap.
import FuzzSupport
import NetProto

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let p = try? Packet.decode(bytes) { precondition(p.encode() == bytes, "a packet re-encodes differently") }
    return 0
}

@_cdecl("FuzzPacket_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
