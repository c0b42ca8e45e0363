import Foundation
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The reference MCP client (PyPI `mcp`) against `touchbase mcp` over stdio and `touchbase serve`'s `/mcp` over HTTP,
/// running the agent session of `Tests/peers/mcp_agent.py`. Needs `TOUCHBASE_TEST_MCP_PYTHON`: a Python that has `mcp`
/// (`.ci/run` makes one).
@Suite("MCP reference client")
struct MCPPeerTests {
    static let python = ProcessInfo.processInfo.environment["TOUCHBASE_TEST_MCP_PYTHON"]
    static let skipped = "TOUCHBASE_TEST_MCP_PYTHON names no Python with PyPI mcp: skipped"
    static let script = Peers.script("mcp_agent.py")

    /// What the script saw, checked the same way for both transports.
    static func check(_ printed: String) throws -> JSONValue {
        let seen = try JSONValue.parse(printed.split(separator: "\n").last.map(String.init) ?? "")
        #expect(seen["error"] == nil, "\(printed)")
        #expect(seen["protocol_version"] == "2025-11-25")
        #expect(seen["tools"] == 45)
        #expect(seen["overview_contacts"] == 3)
        #expect(seen["expansion_targets"] == ["Ben"])
        #expect(seen["dnc"]?.stringValue?.contains("do-not-contact") == true)
        #expect(seen["bad_argument"]?.stringValue?.contains("contact_id") == true)
        #expect(seen["unknown_tool"] == -32602)
        #expect(seen["resource_contact"] == "Ana")
        #expect(seen["prompt_mentions_company"] == true)
        return seen
    }

    /// The session's ledger: 16 calls, two of them refused, the usage reported in `_meta` and by log_llm_usage.
    static func checkLedger(_ database: Database, agent: String) async throws {
        let ledger = try await AgentLedgerRepository(database: database).ledger(agent: agent, since: nil)
        let runs = ledger["runs"]?.arrayValue ?? []
        #expect(runs.count == 1)
        #expect(runs.first?["status"] == "success")
        #expect(runs.first?["agent_name"]?.stringValue?.hasSuffix(":research-agent") == true)
        #expect(ledger["totals"]?["tool_calls"] == 16)
        #expect(ledger["totals"]?["errors"] == 2)
        #expect(ledger["totals"]?["prompt_tokens"] == 2400)
        #expect(ledger["totals"]?["completion_tokens"] == 750)
        let tables = Set((ledger["records_changed"]?.arrayValue ?? []).compactMap { $0["table"]?.stringValue })
        #expect(tables.isSuperset(of: ["companies", "contacts", "relationships", "research_snapshots", "message_drafts", "touchpoints", "replies", "llm_usage"]))
        #expect(!tables.contains("agent_runs"))
    }

    @Test("over stdio: touchbase mcp", .enabled(if: python != nil, Comment(rawValue: skipped)), arguments: TestEngine.all)
    func stdio(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let (status, printed) = try await Peers.run(
                Self.python!, [Self.script, "stdio", ResumeTests.program.path, ResumeTests.argument(database.location)])
            #expect(status == 0, "\(printed)")
            _ = try Self.check(printed)
            try await Self.checkLedger(database, agent: "local")
        }
    }

    @Test("over HTTP: /mcp on touchbase serve", .enabled(if: python != nil, Comment(rawValue: skipped)), arguments: TestEngine.all)
    func http(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let token = try await TokenStore(database: database).create(name: "research", role: .agent).secret
            let (serve, port) = try await Peers.serve(database.location)
            let (status, printed) = try await Peers.run(Self.python!, [Self.script, "http", "http://127.0.0.1:\(port)/mcp", token])
            #expect(Peers.stop(serve) == 0)
            #expect(status == 0, "\(printed)")
            _ = try Self.check(printed)
            try await Self.checkLedger(database, agent: "research")
        }
    }
}
