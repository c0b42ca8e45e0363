// Migration 0008: the audit log records what someone changed, not the counters that follow from it.
// A contact insert used to leave two audit rows — the contact, and its company's `total_contacts` moving by one,
// old and new row in full — and a touch four; a million imported contacts made gigabytes of log that told nothing
// the contact rows do not. Updates that change only rollup columns (counters and "last …" times the database keeps
// from other rows) are no longer audited, nor writes that change nothing (on SQLite, the AFTER INSERT triggers that
// fill in a row's derived columns used to leave update rows even when the values were already there); every real
// change still is, on both engines.
// A shipped migration is never edited.

extension Migrations {
    /// Columns that only sum up other rows, per table.
    static let rollupColumns0008: [String: [String]] = [
        "companies": ["total_contacts", "active_conversations"],
        "contacts": ["total_touchpoints", "last_engaged_at"],
        "conversations": ["touchpoint_count", "last_touchpoint_at"],
        "batches": ["prospect_count"],
    ]

    static let postgres0008: [String] = [
        """
        CREATE OR REPLACE FUNCTION touchbase_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            v_actor text := coalesce(nullif(current_setting('touchbase.actor', true), ''), 'sql');
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO audit_log (table_name, record_id, action, changed_by, new_values)
                VALUES (TG_TABLE_NAME, NEW.id::text, 'insert', v_actor, to_jsonb(NEW) - 'search_vector');
            ELSIF TG_OP = 'UPDATE' THEN
                -- Only a change is audited: not a write that sets the same values, nor one that moves only
                -- updated_at or the rollup columns the trigger's arguments name.
                IF (to_jsonb(OLD) - coalesce(TG_ARGV, '{}'::text[]) - 'updated_at') = (to_jsonb(NEW) - coalesce(TG_ARGV, '{}'::text[]) - 'updated_at') THEN
                    RETURN NULL;
                END IF;
                INSERT INTO audit_log (table_name, record_id, action, changed_by, old_values, new_values)
                VALUES (TG_TABLE_NAME, NEW.id::text, 'update', v_actor, to_jsonb(OLD) - 'search_vector', to_jsonb(NEW) - 'search_vector');
            ELSE
                INSERT INTO audit_log (table_name, record_id, action, changed_by, old_values)
                VALUES (TG_TABLE_NAME, OLD.id::text, 'delete', v_actor, to_jsonb(OLD) - 'search_vector');
            END IF;
            RETURN NULL;
        END $$
        """,
    ] + rollupColumns0008.sorted { $0.key < $1.key }.flatMap { table, columns in
        [
            "DROP TRIGGER \(table)_audit ON \(table)",
            "CREATE TRIGGER \(table)_audit AFTER INSERT OR UPDATE OR DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION touchbase_audit("
                + columns.map { "'\($0)'" }.joined(separator: ", ") + ")",
        ]
    }
}
