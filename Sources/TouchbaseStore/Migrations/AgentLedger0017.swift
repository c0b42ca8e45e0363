import SQLKit

// Migration 0017: the agent ledger. An MCP session is an agent run of type `mcp` and each tool call a child run of
// type `tool_call` naming its tool (`tool_name`); the ledger reads what a run changed from the audit log by its
// actor (`agent:<run id>`), through a partial index on those rows, and an agent's runs by name and start.
// SQLite cannot alter a CHECK constraint, so the vocabulary of run_type is widened in the stored table definition
// (the documented `writable_schema` procedure for a change that no stored row can break; `RESET` reloads the
// schema), then the audit triggers of agent_runs are written again so that they carry the new column.
// A shipped migration is never edited.

extension Migrations {
    static let runTypes0017 = [
        "research", "draft", "qc", "analysis", "pre_brief", "batch_build", "reply_triage", "call_prep", "signal_scan", "mcp", "tool_call",
    ]

    static let agentLedgerSQLite0017: [String] = [
        "PRAGMA writable_schema = ON",
        """
        UPDATE sqlite_schema SET sql = replace(sql, '''call_prep'',''signal_scan'')', '''call_prep'',''signal_scan'',''mcp'',''tool_call'')')
        WHERE type = 'table' AND name = 'agent_runs'
        """,
        "PRAGMA writable_schema = RESET",
        "ALTER TABLE agent_runs ADD COLUMN tool_name TEXT CONSTRAINT ck_agent_runs__tool_name CHECK (instr(tool_name, char(0)) = 0)",
        "CREATE INDEX ix_audit_log__agent ON audit_log (changed_by) WHERE changed_by LIKE 'agent:%'",
        "CREATE INDEX ix_agent_runs_agent ON agent_runs (agent_name, started_at)",
    ]

    static let agentLedgerPostgres0017: [String] = [
        "ALTER TABLE agent_runs DROP CONSTRAINT ck_agent_runs__run_type",
        "ALTER TABLE agent_runs ADD CONSTRAINT ck_agent_runs__run_type CHECK (run_type IN (\(PostgresDDL.inList(runTypes0017))))",
        "ALTER TABLE agent_runs ADD COLUMN tool_name TEXT",
        "CREATE INDEX ix_audit_log__agent ON audit_log (changed_by) WHERE changed_by LIKE 'agent:%'",
        "CREATE INDEX ix_agent_runs_agent ON agent_runs (agent_name, started_at)",
        "SELECT touchbase_audit_triggers('agent_runs', ARRAY[]::text[])",
    ]

    /// agent_runs' audit triggers again, now that the table has tool_name (0012's, for this one table).
    @Sendable static func agentLedgerTriggers0017(_ sql: any SQLDatabase) async throws -> [String] {
        try await sqliteAuditTriggers0012(sql).filter { $0.contains(" agent_runs_audit_") }
    }
}
