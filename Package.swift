// swift-tools-version: 6.1
// SeoulWorld: a deterministic multiplayer world server for a city's public metaverse.
// The benchmarks live in their own package under Benchmarks/ so that their dependencies
// stay out of this package's graph (and out of every normal build and test run).
import PackageDescription

let package = Package(
    name: "SeoulWorld",
    products: [
        .executable(name: "seoulworld", targets: ["ServerMain"]),
        .library(name: "WorldCore", targets: ["WorldCore"]),
        .library(name: "Crowd", targets: ["Crowd"]),
        .library(name: "WorldFiles", targets: ["WorldFiles"]),
        .library(name: "NetProto", targets: ["NetProto"]),
        .library(name: "Transport", targets: ["Transport"]),
        .library(name: "Recording", targets: ["Recording"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Services", targets: ["Services"]),
        .library(name: "ServiceFiles", targets: ["ServiceFiles"]),
        // For the fuzz targets (Fuzz/): the server library's token verification.
        .library(name: "WorldServerLibrary", targets: ["WorldServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", exact: "0.2.0"),
        // GRDB over Debian's system SQLite (apt libsqlite3-dev); 7.10.0 is the first that links
        // against it here.
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        // The operator's HTTP side (Sources/Admin): Hummingbird for HTTP, swift-prometheus's
        // instruments (swift-metrics handlers) for /metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        // The city's records on PostgreSQL when one machine is not enough (docs/DATA.md): the
        // store's second backend, on NIO threads of its own, never on the libuv loop.
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        // Named for its futures (NIOCore) and the store's own event loop thread (NIOPosix).
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
    ],
    targets: [
        // MARK: System libraries

        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),

        // MARK: The deterministic core (standard library only)

        .target(name: "WorldCore"),

        // MARK: Civil dates and local times (standard library only; Services and Store share it)

        .target(name: "CivilCalendar"),

        // MARK: Synthetic crowds (standard library only; used by simulate, tests and benchmarks)

        .target(name: "Crowd", dependencies: ["WorldCore"]),

        // MARK: World files (worlds/*.json): loading, validation, maps

        .target(name: "WorldFiles", dependencies: ["WorldCore"]),

        // MARK: The wire protocol: codec and session state machines (pure: no libuv, no clock)

        .target(name: "NetProto"),

        // MARK: The libuv transport and the server clock: the only module that imports CLibUV

        .target(name: "Transport", dependencies: ["CLibUV"]),

        // MARK: Recording and replay of sessions (format, disk writer, replayer)

        .target(name: "Recording", dependencies: ["WorldCore", "NetProto"]),

        // MARK: The city's records: the embedded SQLite store, or PostgreSQL (docs/DATA.md)

        .target(name: "Store", dependencies: [
            "CivilCalendar", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // MARK: A throwaway PostgreSQL cluster for tests and measurements (scripts/pg-scratch.sh)

        .target(name: "PostgresScratch", dependencies: ["Store", "ChildProcess"]),

        // MARK: Another program run with a deadline, for the tests and measurements
        .target(name: "ChildProcess"),

        // MARK: The city's rules: chat, the profanity filter, moderation, reports (no I/O, time as an argument)

        .target(name: "Services", dependencies: ["WorldCore", "CivilCalendar"]),

        // MARK: The service data read from disk (policy/, services/), for the pure rules above

        .target(name: "ServiceFiles", dependencies: ["Services"]),

        // MARK: The server library: sessions, presence, the tick and snapshots, the features' subsystems

        .target(
            name: "WorldServer",
            dependencies: [
                "WorldCore", "NetProto", "Transport", "WorldFiles", "Crowd", "Recording", "Store", "Services",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: The operator's view: metrics, health, the admin API and the live map (HTTP)

        .target(
            name: "Admin",
            dependencies: [
                "WorldServer", "WorldCore", "WorldFiles", "Store", "Services",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: The client library the tests and the load-test bots share

        .target(
            name: "WorldClient",
            dependencies: ["NetProto", "Transport", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // MARK: Load-test bots: many clients on one loop, scenarios, reports

        .target(
            name: "Bots",
            dependencies: ["WorldClient", "NetProto", "Transport", "WorldCore", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),

        // MARK: The seoulworld command

        .executableTarget(
            name: "ServerMain",
            dependencies: [
                "WorldCore",
                "Crowd",
                "WorldFiles",
                "WorldServer",
                "Admin",
                "WorldClient",
                "Bots",
                "NetProto",
                "Transport",
                "Recording",
                "Store",
                "Services",
                "ServiceFiles",
                "PostgresScratch",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Tests

        .testTarget(name: "WorldCoreTests", dependencies: ["WorldCore", "Crowd"]),
        .testTarget(name: "NetProtoTests", dependencies: ["NetProto", "WorldCore", "Crowd"]),
        // The transport's own tests reach into libuv (handle sizes, a stopped read).
        .testTarget(name: "TransportTests", dependencies: ["Transport", "NetProto", "CLibUV"]),
        .testTarget(name: "WorldServerTests", dependencies: ["WorldServer", "Admin", "WorldClient", "Bots", "NetProto", "Transport", "WorldCore", "WorldFiles", "Crowd", "Recording", "Store", "Services", "ServiceFiles", "PostgresScratch", "ChildProcess", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "PostgresScratch", "ChildProcess", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ServicesTests", dependencies: ["Services", "ServiceFiles", "WorldCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RecordingTests", dependencies: ["Recording", "WorldCore", "Crowd", "NetProto"]),
        .testTarget(name: "WorldFilesTests", dependencies: ["WorldFiles", "WorldCore", "Crowd"], resources: [.copy("Fixtures")]),
    ]
)
