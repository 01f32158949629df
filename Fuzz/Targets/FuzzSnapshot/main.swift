// The snapshot decoder, as a client runs it against a hostile server: against no baseline and
// against a baseline of a few entities; structure validation first, as the client does.
import FuzzSupport
import NetProto

let baseline: [EntityState] = (0..<8).map { (i: Int) -> EntityState in
    let x: UInt32 = UInt32(i) * 100 + 5_000
    return EntityState(entity: UInt32(i * 3 + 1), x: x, y: 50, floor: 0, heading: 3, motion: 1)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? SnapshotCodec.decodeHeader(bytes)
    guard (try? SnapshotCodec.validateStructure(bytes)) != nil else { return 0 }
    _ = try? SnapshotCodec.decode(bytes, baseline: [])
    _ = try? SnapshotCodec.decode(bytes, baseline: baseline)
    return 0
}

@_cdecl("FuzzSnapshot_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
