// swift-tools-version: 6.1
// Fuzz targets for SeoulWorld's decoders (libFuzzer, through Swift's -sanitize=fuzzer), in a
// package of their own so that the instrumented build never touches the normal one. Each
// target is an executable whose main is libFuzzer's; build and run them with `make fuzz`
// (scripts/fuzz.sh), which passes -sanitize=fuzzer,address.
import PackageDescription

let targets = ["FuzzControl", "FuzzPacket", "FuzzSnapshot", "FuzzRecording", "FuzzChatText", "FuzzToken", "FuzzWorldFile", "FuzzDeskFile"]

let package = Package(
    name: "SeoulWorldFuzz",
    dependencies: [.package(name: "SeoulWorld", path: "..")],
    targets: [.target(name: "FuzzSupport", path: "Support")] + targets.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "FuzzSupport",
                .product(name: "NetProto", package: "SeoulWorld"),
                .product(name: "Recording", package: "SeoulWorld"),
                .product(name: "Services", package: "SeoulWorld"),
                .product(name: "ServiceFiles", package: "SeoulWorld"),
                .product(name: "WorldServerLibrary", package: "SeoulWorld"),
                .product(name: "WorldFiles", package: "SeoulWorld"),
                .product(name: "WorldCore", package: "SeoulWorld"),
            ],
            path: "Targets/\(name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    }
)
