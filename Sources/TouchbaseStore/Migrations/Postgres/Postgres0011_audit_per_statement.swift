// Migration 0011 for PostgreSQL: the audit log and the rollup counters at the cost of the work itself.
// Three costs made bulk writes (an import, the demo, an agent's batch) slow, and grew with the tables:
// - Rows whose rollup columns the database keeps (a company's total_contacts, a contact's total_touchpoints, a
//   conversation's touchpoint_count, a batch's prospect_count) are rewritten each time a statement adds rows under
//   them: an import of contacts from a file that lists companies in no order rewrites each company once per batch.
//   The pages were full, so each rewrite was a new row version in another page with a new entry in every index
//   (companies have thirteen, two of them GIN). A fill factor leaves room on each page, so a rewrite that changes no
//   indexed column stays on its page and touches no index (a heap-only update).
// - The audit trigger ran for each such rewrite, serialising both versions to JSON only to find that nothing but
//   rollups had changed (migration 0008). Now each table's update trigger has a WHEN condition naming every other
//   column: the engine compares the columns itself and calls the trigger only when one of them changed (so the
//   trigger function no longer compares the two versions itself).
// - Inserts were audited by a PL/pgSQL call per row. Now one statement-level trigger per table writes the audit
//   rows of all the statement's new rows with one INSERT … SELECT from its transition table. The rows are the same.
// The WHEN conditions are written from the catalog as it stands at this version; a later migration that adds a
// column to an audited table calls touchbase_audit_triggers(table, rollups) again (the test "audit triggers name
// every column a write can change" fails until it does). Deletes keep their row-level trigger.
// A shipped migration is never edited.

extension Migrations {
    static let postgres0011: [String] = [
        "ALTER TABLE companies SET (fillfactor = 70)",
        "ALTER TABLE contacts SET (fillfactor = 80)",
        "ALTER TABLE conversations SET (fillfactor = 80)",
        "ALTER TABLE batches SET (fillfactor = 80)",
        "CREATE FUNCTION touchbase_actor() RETURNS text LANGUAGE sql STABLE AS $$ SELECT coalesce(nullif(current_setting('touchbase.actor', true), ''), 'sql') $$",
        // Only updates (which the WHEN conditions below choose) and deletes reach the row trigger now.
        """
        CREATE OR REPLACE FUNCTION touchbase_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                INSERT INTO audit_log (table_name, record_id, action, changed_by, old_values, new_values)
                VALUES (TG_TABLE_NAME, NEW.id::text, 'update', touchbase_actor(), to_jsonb(OLD) - 'search_vector', to_jsonb(NEW) - 'search_vector');
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO audit_log (table_name, record_id, action, changed_by, old_values)
                VALUES (TG_TABLE_NAME, OLD.id::text, 'delete', touchbase_actor(), to_jsonb(OLD) - 'search_vector');
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE FUNCTION touchbase_audit_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO audit_log (table_name, record_id, action, changed_by, new_values)
            SELECT TG_TABLE_NAME, n.id::text, 'insert', touchbase_actor(), to_jsonb(n) - 'search_vector' FROM new_rows n;
            RETURN NULL;
        END $$
        """,
        """
        CREATE FUNCTION touchbase_audit_triggers(p_table text, p_rollups text[]) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            v_changed text;
            v_args text;
        BEGIN
            SELECT string_agg(format('OLD.%1$I IS DISTINCT FROM NEW.%1$I', column_name), ' OR ' ORDER BY ordinal_position)
            INTO v_changed
            FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = p_table AND is_generated = 'NEVER'
              AND column_name <> ALL (p_rollups || ARRAY['updated_at']);
            SELECT coalesce(string_agg(quote_literal(r), ', '), '') INTO v_args FROM unnest(p_rollups) r;
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', p_table || '_audit', p_table);
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', p_table || '_audit_update', p_table);
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', p_table || '_audit_inserted', p_table);
            EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I FOR EACH ROW EXECUTE FUNCTION touchbase_audit(%s)',
                           p_table || '_audit', p_table, v_args);
            EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I FOR EACH ROW WHEN (%s) EXECUTE FUNCTION touchbase_audit(%s)',
                           p_table || '_audit_update', p_table, v_changed, v_args);
            EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION touchbase_audit_inserted()',
                           p_table || '_audit_inserted', p_table);
        END $$
        """,
    ] + (auditedTables0005 + auditedTables0006).map { table in
        "SELECT touchbase_audit_triggers('\(table)', ARRAY[" + (rollupColumns0008[table] ?? []).map { "'\($0)'" }.joined(separator: ", ")
            + "]::text[])"
    }
}
