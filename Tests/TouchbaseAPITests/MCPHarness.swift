import Foundation
import Logging
import MCP
import TouchbaseDomain
import TouchbaseMCP
import TouchbaseStore

/// One tool call's answer as a test sees it: the JSON of its text content, its structured content and `isError`.
struct ToolReply: Sendable {
    let json: JSONValue
    let structured: JSONValue
    let isError: Bool
    let text: String

    subscript(_ key: String) -> JSONValue { json[key] ?? .null }
    var id: String { self["id"].stringValue ?? "" }
}

/// An MCP client connected in memory to a session of the app's database, as one of the harness's tokens.
struct MCPConnection: Sendable {
    let client: Client
    let server: Server
    let session: MCPSession

    func call(_ name: String, _ arguments: JSONValue = [:], meta: [String: Value]? = nil) async throws -> ToolReply {
        var args: [String: Value] = [:]
        for (key, value) in arguments.objectValue ?? [:] { args[key] = Value(value) }
        let request = CallTool.request(.init(name: name, arguments: args, meta: meta.map { Metadata(additionalFields: $0) }))
        let result = try await client.send(request).value
        var text = ""
        for case .text(let t, _, _) in result.content { text += t }
        let structured = result.structuredContent.map { JSONValue($0) } ?? .null
        return ToolReply(json: (try? JSONValue.parse(text)) ?? .null, structured: structured, isError: result.isError ?? false, text: text)
    }

    func tools() async throws -> [Tool] { try await client.listTools().tools }

    func close() async {
        await client.disconnect()
        await server.stop()
        await session.end()
    }
}

extension APIHarness {
    /// Connects an MCP client named `clientName` as the token of `role` (its name is `test-<role>`).
    func connectMCP(as role: Role = .agent, clientName: String = "test-agent") async throws -> MCPConnection {
        var logger = Logger(label: "test.mcp")
        logger.logLevel = .warning
        let session = MCPSession(
            database: database, identity: MCPIdentity(name: "test-\(role.rawValue)", role: role), limiter: limiter,
            settings: MCPSettings(ratePerMinute: limiter.perMinute), logger: logger)
        let server = await MCPFace.server(for: session)
        let (clientSide, serverSide) = await InMemoryTransport.createConnectedPair()
        try await MCPFace.start(server, session: session, transport: serverSide)
        let client = Client(name: clientName, version: "1.0")
        _ = try await client.connect(transport: clientSide)
        return MCPConnection(client: client, server: server, session: session)
    }

    /// Runs `body` with a connection, closed afterwards.
    func withMCP(as role: Role = .agent, clientName: String = "test-agent", _ body: (MCPConnection) async throws -> Void) async throws {
        let connection = try await connectMCP(as: role, clientName: clientName)
        do {
            try await body(connection)
            await connection.close()
        } catch {
            await connection.close()
            throw error
        }
    }
}
