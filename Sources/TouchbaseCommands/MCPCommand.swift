import ArgumentParser
import Foundation
import Logging
import MCP
import TouchbaseDomain
import TouchbaseMCP
import TouchbaseStore

/// `touchbase mcp`: the MCP server over standard input and output, for an agent host that starts it (Claude Desktop,
/// an agent framework, the Python `mcp` client). Logs go to standard error only.
public struct MCPCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the MCP server over stdio (JSON-RPC on stdin/stdout, logs on stderr).",
        discussion: """
            The session is an agent run (run_type mcp unless --run-type says otherwise) named <token>:<client>; each tool \
            call is a child run, and every row a tool changes is audited as agent:<call's run id>. See its ledger with \
            GET /api/v1/agent-runs/{id}/ledger. With --token (TOUCHBASE_TOKEN) the session acts as that token (a viewer \
            token is offered only the read-only tools); without one it acts as a local agent named 'local' (whoever can \
            start this command can open the database anyway). Tool calls are limited per token per minute \
            (TOUCHBASE_MCP_RATE, default 600).
            """)

    @OptionGroup public var global: GlobalOptions
    @Option(help: ArgumentHelp("An API token to act as. Env: TOUCHBASE_TOKEN. Default: a local agent.", valueName: "token"))
    public var token: String?
    @Option(help: ArgumentHelp("The session run's run_type. Default: mcp.", valueName: "type"))
    public var runType: String = "mcp"

    public init() {}

    public func validate() throws {
        guard Vocabulary.runType.contains(runType), runType != "tool_call" else {
            throw ValidationError("--run-type must be one of \(Vocabulary.runType.filter { $0 != "tool_call" }.joined(separator: ", ")); got '\(runType)'.")
        }
    }

    public func run() async throws {
        let settings = try Settings.read(global)
        let logger = Runtime.logger(settings)
        try await Runtime.withDatabase(settings, logger: logger) { database in
            try await Migrator(database: database).upgradeAll()
            let found = try await Runtime.token(token, database: database)
            let identity = found.map { MCPIdentity(name: $0.name, role: $0.role) } ?? MCPIdentity(name: "local", role: .agent)
            let session = MCPSession(
                database: database, identity: identity, limiter: RateLimiter(perMinute: settings.mcpRate),
                settings: MCPSettings(ratePerMinute: settings.mcpRate, runType: runType), logger: logger)
            let server = await MCPFace.server(for: session)
            try await MCPFace.start(server, session: session, transport: StdioTransport(logger: logger))
            logger.info("MCP server on stdio, acting as \(identity.name) (\(identity.role.rawValue))")
            await server.waitUntilCompleted()
            await server.stop()
            await session.end()
        }
    }
}
