import SQLKit

// Migration 0005: the append-only audit log, written by triggers on every table.
// Who changed a row is read from the session: `touchbase.actor` (a transaction-local setting) on PostgreSQL,
// the one-row `audit_actor` table on SQLite (writers are serialised there, so the row belongs to the one
// transaction that wrote it). Writers that set neither are recorded as `sql`.
// A shipped migration is never edited.

extension Migrations {
    static let auditedTables0005 = [
        "companies", "contacts", "relationships", "conversations", "touchpoints", "batches", "agent_runs",
        "message_drafts", "message_versions", "icp_profiles", "icp_scores", "signals", "research_snapshots", "replies",
        "followups", "opportunities", "batch_prospects", "experiments",
    ]

    static let postgres0005: [String] = [
        """
        CREATE FUNCTION touchbase_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            v_actor text := coalesce(nullif(current_setting('touchbase.actor', true), ''), 'sql');
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO audit_log (table_name, record_id, action, changed_by, new_values)
                VALUES (TG_TABLE_NAME, NEW.id::text, 'insert', v_actor, to_jsonb(NEW) - 'search_vector');
            ELSIF TG_OP = 'UPDATE' THEN
                INSERT INTO audit_log (table_name, record_id, action, changed_by, old_values, new_values)
                VALUES (TG_TABLE_NAME, NEW.id::text, 'update', v_actor, to_jsonb(OLD) - 'search_vector', to_jsonb(NEW) - 'search_vector');
            ELSE
                INSERT INTO audit_log (table_name, record_id, action, changed_by, old_values)
                VALUES (TG_TABLE_NAME, OLD.id::text, 'delete', v_actor, to_jsonb(OLD) - 'search_vector');
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE FUNCTION touchbase_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP;
        END $$
        """,
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION touchbase_audit_append_only()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION touchbase_audit_append_only()",
    ] + auditedTables0005.map { table in
        "CREATE TRIGGER \(table)_audit AFTER INSERT OR UPDATE OR DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION touchbase_audit()"
    }

    static let sqlite0005: [String] = [
        "CREATE TABLE audit_actor (id INTEGER PRIMARY KEY CHECK (id = 1), actor TEXT NOT NULL)",
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE is refused'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE is refused'); END",
    ]

    /// SQLite has no row-to-JSON function: each audit trigger lists the table's columns as they stand now.
    /// JSON columns (those with a `json_valid(col)` check) are embedded as JSON, not as strings.
    /// `changesOnly` (migration 0008; 0005 and 0006 pass false): an update is audited only when a column other
    /// than `updated_at` and the table's `rollups` (columns that only sum up other rows) changes.
    static func sqliteAuditTriggers(
        _ sql: any SQLDatabase, tables: [String], rollups: [String: [String]] = [:], changesOnly: Bool = false
    ) async throws -> [String] {
        let uuid7 = """
            lower(substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)), 1, 8) || '-' || \
            substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)), 9, 4) || '-7' || \
            substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || \
            substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))
            """
        let actor = "coalesce((SELECT actor FROM audit_actor WHERE id = 1), 'sql')"
        var statements: [String] = []
        for table in tables {
            let ddl = try await sql.raw("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = \(bind: table)").first()?
                .decode(column: "sql", as: String.self) ?? ""
            let columns = try await sql.raw("SELECT name FROM pragma_table_xinfo(\(bind: table))").all()
                .map { try $0.decode(column: "name", as: String.self) }
            func object(_ row: String) -> String {
                "json_object(" + columns.map { c in
                    ddl.contains("json_valid(\(c))") ? "'\(c)', json(\(row).\(c))" : "'\(c)', \(row).\(c)"
                }.joined(separator: ", ") + ")"
            }
            // The updated_at trigger's own touch (only updated_at moves) is part of the write already audited.
            let skipped = Set(rollups[table] ?? [])
            let others = columns.filter { $0 != "updated_at" && !skipped.contains($0) }.map { "OLD.\($0) IS NOT NEW.\($0)" }
            let anyOther = others.isEmpty ? "0" : others.joined(separator: " OR ")
            // Before 0008 any update that did not move updated_at was audited, a no-op or a counter's move too.
            let changedBeyondUpdatedAt = changesOnly ? anyOther : "OLD.updated_at IS NEW.updated_at OR " + anyOther
            for trigger in ["\(table)_audit_insert", "\(table)_audit_update", "\(table)_audit_delete"] {
                statements.append("DROP TRIGGER IF EXISTS \(trigger)")
            }
            statements += [
                """
                CREATE TRIGGER \(table)_audit_insert AFTER INSERT ON \(table) BEGIN
                    INSERT INTO audit_log (id, table_name, record_id, action, changed_by, new_values)
                    VALUES (\(uuid7), '\(table)', NEW.id, 'insert', \(actor), \(object("NEW")));
                END
                """,
                """
                CREATE TRIGGER \(table)_audit_update AFTER UPDATE ON \(table) WHEN \(changedBeyondUpdatedAt) BEGIN
                    INSERT INTO audit_log (id, table_name, record_id, action, changed_by, old_values, new_values)
                    VALUES (\(uuid7), '\(table)', NEW.id, 'update', \(actor), \(object("OLD")), \(object("NEW")));
                END
                """,
                """
                CREATE TRIGGER \(table)_audit_delete AFTER DELETE ON \(table) BEGIN
                    INSERT INTO audit_log (id, table_name, record_id, action, changed_by, old_values)
                    VALUES (\(uuid7), '\(table)', OLD.id, 'delete', \(actor), \(object("OLD")));
                END
                """,
            ]
        }
        return statements
    }
}
