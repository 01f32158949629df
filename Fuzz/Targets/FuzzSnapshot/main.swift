// The snapshot decoder, as a client runs it against a hostile server: against no baseline and
// against a baseline of a few entities; structure validation first, as the client does.
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

// SwiftPM links an executable's entry point as `FuzzSnapshot_main`; it hands over to libFuzzer's
// driver, which then calls `fuzz` with each input.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("FuzzSnapshot_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in
        guard let data, size > 0 else { return 0 }
        return fuzz(data, size)
    }
}
