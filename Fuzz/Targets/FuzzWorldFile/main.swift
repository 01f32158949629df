// World files from outside (an operator's edit, a contributed landmark): the loader never
// traps, and a file it accepts builds a world that enters and steps an avatar.
import FuzzSupport
import Foundation
import WorldCore
import WorldFiles

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    let (space, errors) = WorldLoader.loadBytes(bytes, id: "fuzz", displayName: "fuzz.json")
    guard let space, errors.isEmpty else { return 0 }
    // Accepted: the definition is one the core takes. Keep the world small enough to step.
    guard space.definition.capacity <= 2_000, let world = try? World(definition: space.definition, seed: 1) else {
        if space.definition.capacity <= 2_000 { fatalError("the loader accepted a file the core refuses") }
        return 0
    }
    var w = world
    w.step([.enter(EnterRequest(tag: 1))])
    w.step([])
    return 0
}

@_cdecl("FuzzWorldFile_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
