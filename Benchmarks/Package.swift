// swift-tools-version: 6.1
// Benchmarks for SeoulWorld, kept in their own package so that ordo-one/benchmark and its
// dependencies never enter the main package's build. Run from this folder:
//   swift package --allow-writing-to-package-directory benchmark
import PackageDescription

let package = Package(
    name: "SeoulWorldBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "SeoulWorld", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "WorldStep",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "WorldCore", package: "SeoulWorld"),
                .product(name: "Crowd", package: "SeoulWorld"),
                .product(name: "Recording", package: "SeoulWorld"),
            ],
            path: "Benchmarks/WorldStep",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Snapshots",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "WorldCore", package: "SeoulWorld"),
                .product(name: "Crowd", package: "SeoulWorld"),
                .product(name: "NetProto", package: "SeoulWorld"),
                .product(name: "WorldServerLibrary", package: "SeoulWorld"),
            ],
            path: "Benchmarks/Snapshots",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ChatFilter",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Services", package: "SeoulWorld"),
                .product(name: "ServiceFiles", package: "SeoulWorld"),
            ],
            path: "Benchmarks/ChatFilter",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
