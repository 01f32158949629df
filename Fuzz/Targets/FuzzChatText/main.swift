// Chat text as a client may send it (any valid UTF-8): normalisation, then the profanity
// filter. Masking never lengthens a text, and a clean text comes back unchanged.
import Foundation
import Services

let filter: ProfanityFilter = {
    let directory = ProcessInfo.processInfo.environment["SEOULWORLD_POLICY"] ?? "policy"
    return try! ProfanityFilter.load(directory: directory)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let raw = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
    guard case .success(let text) = ChatText.normalise(raw) else { return 0 }
    let result = filter.check(text)
    precondition(result.masked.unicodeScalars.count <= text.unicodeScalars.count, "masking lengthened a text")
    if !result.flagged { precondition(result.masked == text, "a clean text changed") }
    return 0
}

// SwiftPM links an executable's entry point as `FuzzChatText_main`; it hands over to libFuzzer's
// driver, which then calls `fuzz` with each input.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("FuzzChatText_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in
        guard let data, size > 0 else { return 0 }
        return fuzz(data, size)
    }
}
