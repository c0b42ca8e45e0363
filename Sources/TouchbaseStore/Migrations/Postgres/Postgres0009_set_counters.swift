// Migration 0009 for PostgreSQL: the counters that inserts move are kept per statement, not per row.
// A multi-row insert of contacts or touchpoints (an import, the demo, an agent's batch) used to run one UPDATE of the
// company, conversation and contact per row; now each statement runs one aggregated UPDATE per table over its new
// rows (a transition table). Deletes and moves stay row-level. The values at the end of a statement are the same.
// SQLite has no statement-level triggers; its row-level ones stay. A shipped migration is never edited.

extension Migrations {
    static let postgres0009: [String] = [
        """
        CREATE FUNCTION touchbase_contacts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE companies c SET total_contacts = c.total_contacts + n.added
            FROM (SELECT company_id, count(*) AS added FROM new_rows WHERE company_id IS NOT NULL GROUP BY company_id) n
            WHERE c.id = n.company_id;
            RETURN NULL;
        END $$
        """,
        "DROP TRIGGER contacts_count_trigger ON contacts",
        "CREATE TRIGGER contacts_count_trigger AFTER DELETE ON contacts FOR EACH ROW EXECUTE FUNCTION touchbase_contacts_count()",
        """
        CREATE TRIGGER contacts_count_inserted AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION touchbase_contacts_inserted()
        """,
        """
        CREATE FUNCTION touchbase_touchpoints_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE conversations c SET touchpoint_count = c.touchpoint_count + n.added,
                last_touchpoint_at = GREATEST(c.last_touchpoint_at, n.last_at)
            FROM (SELECT conversation_id, count(*) AS added, max(coalesce(sent_at, created_at)) AS last_at
                  FROM new_rows WHERE conversation_id IS NOT NULL GROUP BY conversation_id) n
            WHERE c.id = n.conversation_id;
            UPDATE contacts p SET total_touchpoints = p.total_touchpoints + n.added,
                last_engaged_at = GREATEST(p.last_engaged_at, n.last_at)
            FROM (SELECT contact_id, count(*) AS added, max(coalesce(replied_at, clicked_at, opened_at, sent_at, created_at)) AS last_at
                  FROM new_rows WHERE contact_id IS NOT NULL GROUP BY contact_id) n
            WHERE p.id = n.contact_id;
            RETURN NULL;
        END $$
        """,
        "DROP TRIGGER touchpoints_update_conversation_trigger ON touchpoints",
        "CREATE TRIGGER touchpoints_update_conversation_trigger AFTER DELETE ON touchpoints FOR EACH ROW EXECUTE FUNCTION touchbase_touchpoints_after()",
        """
        CREATE TRIGGER touchpoints_count_inserted AFTER INSERT ON touchpoints REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION touchbase_touchpoints_inserted()
        """,
    ]
}
