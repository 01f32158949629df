// Service files from outside: desk files and the holidays file never trap the loader, and a
// desk it accepts answers its opening hours for any time.
import FuzzSupport
import Foundation
import Services

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    let holidays = (try? Holidays.parse(bytes, path: "holidays.json")) ?? []
    let (desk, _) = DeskCatalog.parseDesk(bytes, name: "fuzz.json", holidays: Set(holidays.map(\.date)))
    if let desk {
        for t: Int64 in [0, 1_795_000_000_000, -86_400_000, Int64(Int32.max) * 1_000] {
            _ = desk.hours.isOpen(atUnixMillis: t)
            _ = desk.hours.nextOpening(atOrAfterUnixMillis: t)
        }
    }
    return 0
}

@_cdecl("FuzzDeskFile_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
