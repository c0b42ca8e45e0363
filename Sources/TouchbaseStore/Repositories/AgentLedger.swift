import Foundation
import SQLKit
import TouchbaseDomain

/// What agents did: their runs (an MCP session is a run, each tool call a child run), the rows they changed (the
/// audit log's `agent:<run id>` entries) and what their model calls cost (`llm_usage`).
public struct AgentLedgerRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    /// The most audit entries a ledger lists (the totals count them all).
    public static let changeLimit = 500

    /// Opens a run (status running, started now).
    public func start(
        runType: String, agentName: String?, parent: UUID? = nil, toolName: String? = nil, inputs: JSONValue = [:]
    ) async throws -> Record {
        var values: [String: JSONValue] = ["run_type": .string(runType), "inputs": inputs]
        if let agentName { values["agent_name"] = .string(agentName) }
        if let parent { values["parent_run_id"] = .string(parent.lowercased) }
        if let toolName { values["tool_name"] = .string(toolName) }
        return try await store.create(Entities.agentRuns, values)
    }

    /// Closes a run: its status, outputs, error, tokens and how long it took (from its start unless given).
    @discardableResult
    public func finish(
        _ id: UUID, status: String, outputs: JSONValue? = nil, error: String? = nil, tokens: Int? = nil, durationMS: Int? = nil,
        at end: Date = Date()
    ) async throws -> Record {
        let run = try await store.get(Entities.agentRuns, id)
        var patch: [String: JSONValue] = ["status": .string(status), "completed_at": .string(Timestamp.format(end))]
        if let outputs { patch["outputs"] = outputs }
        if let error { patch["error_message"] = .string(String(error.prefix(4_000))) }
        if let tokens { patch["tokens_used"] = .int(Int64(max(0, tokens))) }
        let started = run.string("started_at").flatMap(Timestamp.parse) ?? end
        let ms = durationMS ?? Int((end.timeIntervalSince(started) * 1000).rounded())
        patch["duration_ms"] = .int(Int64(min(max(0, ms), 1_000_000_000)))
        return try await store.update(Entities.agentRuns, id, patch)
    }

    /// The run and every run under it, oldest first.
    func runTree(_ id: UUID) async throws -> [Record] {
        let d = dialect
        let query = SQLQueryString(
            """
            WITH RECURSIVE tree(id) AS (
                SELECT id FROM agent_runs WHERE id = \(d.bind(id))
                UNION SELECT a.id FROM agent_runs a JOIN tree ON a.parent_run_id = tree.id
            ) SELECT id FROM tree
            """)
        let ids = try await database.withConnection { sql in
            try await sql.raw(query).all().compactMap { row in UUID(uuidString: try d.decode(row, "id", as: .uuid).stringValue ?? "") }
        }
        return try await store.fetchMany(Entities.agentRuns, ids).sorted { ($0.string("started_at") ?? "") < ($1.string("started_at") ?? "") }
    }

    /// What one run and its children did: the tool calls, the rows changed and the tokens and cost.
    public func ledger(runID: UUID) async throws -> JSONValue {
        let run = try await store.get(Entities.agentRuns, runID)
        let runs = try await runTree(runID)
        var json = try await ledger(of: runs).objectValue ?? [:]
        json["run"] = run.json
        return .object(json)
    }

    /// What an agent's runs did since a time: every run named `name` (or `name:<client>`, as MCP sessions are named).
    public func ledger(agent name: String, since: Date?) async throws -> JSONValue {
        let d = dialect
        let exact = d.bind(.string(name), as: .text)
        let clients = d.bind(.string(Self.escapeLike(name) + ":%"), as: .text)
        var condition = SQLQueryString("(agent_name = \(exact) OR agent_name LIKE \(clients) ESCAPE '\\')")
        if let since {
            let start = d.bind(.string(Timestamp.format(since)), as: .timestamp)
            condition += SQLQueryString(" AND started_at >= \(start)")
        }
        let runs = try await store.view(Entities.agentRuns, where: condition, order: "started_at, id", limit: 10_000)
        var json = try await ledger(of: runs).objectValue ?? [:]
        json["agent_name"] = .string(name)
        json["since"] = since.map { .string(Timestamp.format($0)) } ?? .null
        json["runs"] = .array(runs.filter { $0.string("run_type") != "tool_call" }.map(\.json))
        return .object(json)
    }

    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    func ledger(of runs: [Record]) async throws -> JSONValue {
        let d = dialect
        let calls = runs.filter { $0.string("run_type") == "tool_call" }
        var changes: [JSONValue] = []
        var changeCount = 0
        var usage: [String: JSONValue] = [:]
        if !runs.isEmpty {
            // The ledger's own rows (the session's run and its tool calls opening and closing) are not changes the agent made.
            let bookkeeping = runs.filter { ["mcp", "tool_call"].contains($0.string("run_type")) }.map { $0.id.lowercased }
            var condition = SQLQueryString("changed_by IN (") + d.list(runs.map { "agent:\($0.id.lowercased)" }) + ") AND changed_by LIKE 'agent:%'"
            if !bookkeeping.isEmpty {
                condition = condition + " AND NOT (table_name = 'agent_runs' AND record_id IN (" + d.list(bookkeeping) + "))"
            }
            let audit = SQLQueryString("SELECT table_name, record_id, action, changed_by, timestamp FROM audit_log WHERE ") + condition
                + " ORDER BY timestamp, id LIMIT \(literal: Self.changeLimit)"
            let count = SQLQueryString("SELECT count(*) AS n FROM audit_log WHERE ") + condition
            let runIDs = SQLQueryString("(") + d.list(runs.map(\.id)) + ")"
            let tokens = SQLQueryString(
                "SELECT count(*) AS calls, coalesce(sum(prompt_tokens), 0) AS prompt_tokens, coalesce(sum(completion_tokens), 0) AS completion_tokens, "
                    + "coalesce(sum(total_tokens), 0) AS total_tokens, coalesce(sum(cost), 0) AS cost FROM llm_usage WHERE agent_run_id IN ") + runIDs
            (changes, changeCount, usage) = try await database.withConnection { sql in
                let changes: [JSONValue] = try await sql.raw(audit).all().map { row in
                    [
                        "table": try d.decode(row, "table_name", as: .text), "id": try d.decode(row, "record_id", as: .text),
                        "action": try d.decode(row, "action", as: .text), "changed_by": try d.decode(row, "changed_by", as: .text),
                        "at": try d.decode(row, "timestamp", as: .timestamp),
                    ]
                }
                let n = try await sql.raw(count).first()?.decode(column: "n", as: Int.self) ?? 0
                var usage: [String: JSONValue] = [:]
                if let row = try await sql.raw(tokens).first() {
                    usage = [
                        "llm_calls": try d.decode(row, "calls", as: .integer), "prompt_tokens": try d.decode(row, "prompt_tokens", as: .integer),
                        "completion_tokens": try d.decode(row, "completion_tokens", as: .integer),
                        "total_tokens": try d.decode(row, "total_tokens", as: .integer),
                        "cost": .double(((try d.decode(row, "cost", as: .decimal).doubleValue ?? 0) * 1_000_000).rounded() / 1_000_000),
                    ]
                }
                return (changes, n, usage)
            }
        }
        let toolCalls: [JSONValue] = calls.map { call in
            [
                "run_id": call["id"], "tool": call["tool_name"], "status": call["status"], "started_at": call["started_at"],
                "duration_ms": call["duration_ms"], "arguments": call["inputs"], "result": call["outputs"], "error": call["error_message"],
                "tokens_used": call["tokens_used"],
            ]
        }
        usage["tool_calls"] = .int(Int64(calls.count))
        usage["errors"] = .int(Int64(calls.filter { $0.string("status") == "error" }.count))
        usage["records_changed"] = .int(Int64(changeCount))
        usage["duration_ms"] = .int(Int64(calls.reduce(0) { $0 + $1.int("duration_ms") }))
        return [
            "tool_calls": .array(toolCalls), "records_changed": .array(changes),
            "records_changed_truncated": .bool(changeCount > changes.count), "totals": .object(usage),
        ]
    }
}
