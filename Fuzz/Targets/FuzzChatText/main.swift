// Chat text as a client may send it (any valid UTF-8): normalisation, then the profanity
// filter. Masking never lengthens a text, and a clean text comes back unchanged.
import FuzzSupport
import Foundation
import ServiceFiles
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

@_cdecl("FuzzChatText_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
