// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Touchbase",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "touchbase", targets: ["touchbase"]),
        .executable(name: "touchbase-bench", targets: ["touchbase-bench"]),
        .library(name: "TouchbaseDomain", targets: ["TouchbaseDomain"]),
        .library(name: "TouchbaseStore", targets: ["TouchbaseStore"]),
        .library(name: "TouchbaseAPI", targets: ["TouchbaseAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/vapor/async-kit", from: "1.22.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Entity descriptions, typed values, scores and rules. No I/O.
        .target(name: "TouchbaseDomain", resources: [.copy("Resources/free-mail-domains.txt")]),
        // Databases by URL, migrations per dialect, repositories and the company graph.
        .target(
            name: "TouchbaseStore",
            dependencies: [
                "TouchbaseDomain",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "AsyncKit", package: "async-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The HTTP API: auth, problem+json, resources derived from the entity descriptions, OpenAPI.
        .target(
            name: "TouchbaseAPI",
            dependencies: [
                "TouchbaseDomain",
                "TouchbaseStore",
                "TouchbaseImport",
                "TouchbaseService",
                "TouchbaseMCP",
                "TouchbaseWeb",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The web UI: pages rendered on the server from mustache templates, their data from the operations.
        .target(
            name: "TouchbaseWeb",
            dependencies: [
                "TouchbaseDomain", "TouchbaseStore", "TouchbaseService", "TouchbaseImport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Templates"), .copy("Static")]
        ),
        // CSV import: streaming reader, export layouts, importer, import jobs and the job runner (a Service).
        .target(
            name: "TouchbaseImport",
            dependencies: [
                "TouchbaseDomain", "TouchbaseStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "SQLKit", package: "sql-kit"),
            ]
        ),
        // Mail on the wire: a small strict SMTP client (SwiftNIO, swift-nio-ssl) and RFC 5322 / MIME messages.
        .target(
            name: "TouchbaseMail",
            dependencies: [
                "TouchbaseDomain",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The operation catalogue every face binds: name, access, input fields, output model and run.
        .target(
            name: "TouchbaseService",
            dependencies: [
                "TouchbaseDomain", "TouchbaseStore", "TouchbaseMail", .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The MCP server: tools, resources and prompts bound from the operations; every session an agent run.
        .target(
            name: "TouchbaseMCP",
            dependencies: [
                "TouchbaseDomain", "TouchbaseStore", "TouchbaseService",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The CLI as a library.
        .target(
            name: "TouchbaseCommands",
            dependencies: [
                "TouchbaseDomain",
                "TouchbaseStore",
                "TouchbaseAPI",
                "TouchbaseImport",
                "TouchbaseService",
                "TouchbaseMCP",
                "TouchbaseWeb",
                "TouchbaseMail",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "touchbase", dependencies: ["TouchbaseCommands"]),
        // Benchmarks against the raw engines (`swift run -c release touchbase-bench import`).
        .executableTarget(
            name: "touchbase-bench",
            dependencies: [
                "TouchbaseCommands", "TouchbaseDomain", "TouchbaseImport", "TouchbaseStore", "TouchbaseService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Fresh migrated databases on every engine for the test suites.
        .target(
            name: "TouchbaseTestSupport",
            dependencies: [
                "TouchbaseDomain", "TouchbaseStore", "TouchbaseMail",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresKit", package: "postgres-kit"),
            ],
            path: "Tests/Support"
        ),
        .testTarget(name: "TouchbaseDomainTests", dependencies: ["TouchbaseDomain"]),
        .testTarget(
            name: "TouchbaseMailTests",
            dependencies: ["TouchbaseMail", "TouchbaseTestSupport", .product(name: "NIOSSL", package: "swift-nio-ssl")]
        ),
        .testTarget(
            name: "TouchbaseStoreTests",
            dependencies: [
                "TouchbaseDomain", "TouchbaseStore", "TouchbaseImport", "TouchbaseTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TouchbaseImportTests",
            dependencies: [
                "TouchbaseImport", "TouchbaseStore", "TouchbaseDomain", "TouchbaseTestSupport",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "TouchbaseCommandsTests",
            dependencies: [
                "TouchbaseCommands", "TouchbaseMail", "TouchbaseStore", "TouchbaseDomain", "TouchbaseImport", "TouchbaseTestSupport",
                .product(name: "SQLKit", package: "sql-kit"),
            ]
        ),
        .testTarget(
            name: "TouchbaseAPITests",
            dependencies: [
                "TouchbaseDomain",
                "TouchbaseStore",
                "TouchbaseAPI",
                "TouchbaseCommands",
                "TouchbaseImport",
                "TouchbaseTestSupport",
                "TouchbaseService",
                "TouchbaseMCP",
                "TouchbaseWeb",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
