// The entry point every fuzz target shares: SwiftPM links an executable's entry as
// `<Target>_main`, which each target defines in one line and hands here; this hands over to
// libFuzzer's driver, which then calls the target's `body` with each input. (libFuzzer also
// wants `LLVMFuzzerTestOneInput` defined: each target exports its `fuzz` under that name.)

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

public typealias FuzzBody = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ body: FuzzBody) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, body)
}
