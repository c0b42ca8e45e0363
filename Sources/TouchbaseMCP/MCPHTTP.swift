import Foundation
import Logging
import MCP
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

/// The Streamable HTTP sessions of `/mcp`: one MCP server and session (an agent run) per `Mcp-Session-Id`, created
/// by an `initialize` POST and kept for the token that created it. The HTTP face checks the bearer token and the
/// `Origin` before a request gets here; GET (a server-to-client stream) is not offered.
public actor MCPHTTPSessions {
    struct Entry {
        let server: Server
        let transport: StatefulHTTPServerTransport
        let session: MCPSession
        var lastSeen: Date
    }

    let database: Database
    let limiter: RateLimiter
    let catalogue: Catalogue
    let settings: MCPSettings
    let logger: Logger
    /// A session not used for this long is closed (its run ends as success).
    let idleTimeout: TimeInterval
    var sessions: [String: Entry] = [:]

    public init(database: Database, settings: MCPSettings, logger: Logger, idleTimeout: TimeInterval = 3600) {
        self.database = database
        self.settings = settings
        self.limiter = RateLimiter(perMinute: settings.ratePerMinute)
        self.catalogue = Catalogue(database: database)
        self.logger = logger
        self.idleTimeout = idleTimeout
    }

    struct FixedID: SessionIDGenerator {
        let id: String
        func generateSessionID() -> String { id }
    }

    static let pipeline = StandardValidationPipeline(validators: [
        AcceptHeaderValidator(mode: .sseRequired), ContentTypeValidator(), ProtocolVersionValidator(), SessionValidator(),
    ])

    /// Whether the body is an `initialize` request (alone or in a batch).
    static func isInitialize(_ body: Data?) -> Bool {
        guard let body, let json = try? JSONValue.parse(body) else { return false }
        let messages = json.arrayValue ?? [json]
        return messages.contains { $0["method"]?.stringValue == "initialize" && $0["id"] != nil }
    }

    /// Answers one request from a client authenticated as `identity`.
    public func handle(_ request: MCP.HTTPRequest, identity: MCPIdentity) async -> MCP.HTTPResponse {
        await expire()
        if let id = request.header(HTTPHeaderName.sessionID) {
            guard var entry = sessions[id], entry.session.identity.name == identity.name else {
                return .error(statusCode: 404, .invalidRequest("Not Found: no such MCP session (it ended or expired): initialize a new one"))
            }
            entry.lastSeen = Date()
            sessions[id] = entry
            let response = await entry.transport.handleRequest(request)
            if request.method.uppercased() == "DELETE" && response.statusCode == 200 { await close(id) }
            return response
        }
        guard request.method.uppercased() == "POST", Self.isInitialize(request.body) else {
            return .error(statusCode: 400, .invalidRequest("Bad Request: send initialize first; later requests carry its Mcp-Session-Id header"))
        }
        let id = UUID().uuidString.lowercased()
        let transport = StatefulHTTPServerTransport(sessionIDGenerator: FixedID(id: id), validationPipeline: Self.pipeline, logger: logger)
        let session = MCPSession(database: database, identity: identity, limiter: limiter, settings: settings, catalogue: catalogue, logger: logger)
        let server = await MCPFace.server(for: session)
        do {
            try await MCPFace.start(server, session: session, transport: transport)
        } catch {
            await transport.disconnect()
            return .error(statusCode: 500, .internalError("The MCP session could not start: \(error)"))
        }
        sessions[id] = Entry(server: server, transport: transport, session: session, lastSeen: Date())
        let response = await transport.handleRequest(request)
        if case .error = response { await close(id) }
        return response
    }

    func close(_ id: String) async {
        guard let entry = sessions.removeValue(forKey: id) else { return }
        await entry.server.stop()
        await entry.session.end()
    }

    func expire() async {
        let now = Date()
        for (id, entry) in sessions where now.timeIntervalSince(entry.lastSeen) > idleTimeout { await close(id) }
    }

    /// Ends every session (the server is stopping).
    public func closeAll() async {
        for id in Array(sessions.keys) { await close(id) }
    }

    public var count: Int { sessions.count }
}
