// Member tokens from outside: verification never traps, and nothing forged verifies.
import FuzzSupport
import WorldServer

let secret = [UInt8](repeating: 0x5A, count: 32)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if case .success = MemberToken.verify(bytes, secret: secret, nowUnixSeconds: 1_800_000_000) {
        fatalError("a token the fuzzer made verified against the secret")
    }
    return 0
}

@_cdecl("FuzzToken_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
