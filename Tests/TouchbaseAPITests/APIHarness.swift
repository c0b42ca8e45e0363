import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SQLKit
import Testing
import TouchbaseAPI
import TouchbaseDomain
import TouchbaseImport
import TouchbaseMCP
import TouchbaseService
import TouchbaseStore
import TouchbaseTestSupport
import TouchbaseWeb

/// One answer of the API as a test sees it.
struct Reply: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String

    var json: JSONValue { (try? JSONValue.parse(text)) ?? .null }
    subscript(_ key: String) -> JSONValue { json[key] ?? .null }
    var id: String { self["id"].stringValue ?? "" }
    var contentType: String { headers[.contentType] ?? "" }
}

/// A running app on a fresh database, with a token of each role.
struct APIHarness: Sendable {
    let client: any TestClientProtocol
    let database: Database
    let tokens: [Role: String]
    /// Where this app keeps import uploads and errors files.
    let importsDirectory: URL
    /// The `/mcp` sessions of this app, and the rate limit its MCP sessions share.
    let mcpSessions: MCPHTTPSessions
    let limiter: RateLimiter

    static func run(
        _ engine: TestEngine, maxUpload: Int = ServerSettings.defaultMaxUpload, mcpRate: Int = MCPSettings.defaultRate,
        mcpClock: @escaping @Sendable () -> Date = { Date() }, _ body: @Sendable (APIHarness) async throws -> Void
    ) async throws {
        try await engine.withDatabase { db in
            var tokens: [Role: String] = [:]
            for role in Role.allCases {
                tokens[role] = try await TokenStore(database: db).create(name: "test-\(role.rawValue)", role: role).secret
            }
            var logger = Logger(label: "test")
            logger.logLevel = .warning  // the request log (info) would drown the test output
            let imports = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-test-imports-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: imports) }
            // Imports run on a job runner of their own, as in `serve`, stopped before the database closes.
            let runner = JobRunner(logger: logger)
            let jobs = Task { try await runner.run() }
            let mcp = MCPHTTPSessions(database: db, settings: MCPSettings(ratePerMinute: mcpRate), logger: logger)
            let app = Application(
                // A request may wait long on a machine running every suite at once: serve's 30 s deadline would fail a
                // test for the machine's load (the deadline itself is tested in SoundnessTests).
                router: buildRouter(
                    database: db, importsDirectory: imports, requestTimeout: .seconds(180), maxUpload: maxUpload, jobs: runner, mcp: mcp,
                    web: try WebFace(
                        database: db, catalogue: Catalogue(database: db), imports: ImportJobs(database: db, directory: imports, runner: runner),
                        maxUpload: maxUpload, logger: logger)),
                logger: logger)
            let limiter = RateLimiter(perMinute: mcpRate, clock: mcpClock)
            let finalTokens = tokens
            var failure: (any Error)?
            do {
                try await app.test(.router) { client in
                    try await body(
                        APIHarness(client: client, database: db, tokens: finalTokens, importsDirectory: imports, mcpSessions: mcp, limiter: limiter))
                }
            } catch {
                failure = error
            }
            await mcp.closeAll()
            jobs.cancel()
            _ = await jobs.result
            if let failure { throw failure }
        }
    }

    /// Sends a request with these headers and a raw body.
    func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields, body: String? = nil) async throws -> Reply {
        try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    /// Sends a request; `as: nil` sends no token, `raw` sends a body that is not built from JSON.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ path: String, _ body: JSONValue? = nil, as role: Role? = .admin, raw: String? = nil,
        contentType: String = "application/json"
    ) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let role, let token = tokens[role] { headers[.authorization] = "Bearer \(token)" }
        var buffer: ByteBuffer?
        if let raw { buffer = ByteBuffer(string: raw) } else if let body { buffer = ByteBuffer(string: body.serialized) }
        if buffer != nil { headers[.contentType] = contentType }
        return try await client.execute(uri: path, method: method, headers: headers, body: buffer) { response in
            Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    func get(_ path: String, as role: Role? = .admin) async throws -> Reply { try await call(.get, path, as: role) }

    func post(_ path: String, _ body: JSONValue, as role: Role? = .admin) async throws -> Reply {
        try await call(.post, path, body, as: role)
    }

    func patch(_ path: String, _ body: JSONValue, as role: Role? = .admin) async throws -> Reply {
        try await call(.patch, path, body, as: role)
    }

    func sql(_ text: String) async throws {
        try await database.withConnection { conn in try await conn.raw(SQLQueryString(text)).run() }
    }
}
