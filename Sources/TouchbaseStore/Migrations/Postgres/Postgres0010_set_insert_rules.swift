// Migration 0010 for PostgreSQL: the rules an inserted touchpoint sets off run once per statement (and so does the
// count of active conversations a new conversation moves, as 0009 did for the other counters).
// Migration 0004's row-level rules (do-not-contact hold, red-email hold, stage `sent`/`replied`, the draft used
// becoming `sent`) ran a few statements per new touch; a multi-row insert of thousands of touches (the demo, an
// agent's batch) spent most of its time there. Now a statement trigger, beside the one 0009 gave the counters,
// applies the rules over the statement's new rows: one check per hold, one UPDATE of the contacts whose stage moves,
// one of the drafts used. The outcome of a statement is the one the row rules gave: a refused row
// refuses the statement with the same message; each contact ends at the furthest stage its new touches reach
// (stages only move forward, so one move to the furthest equals the row rules' moves one after another). The audit
// log records that contact's change once per statement, not once per step. Updates of `replied_at` keep their
// row-level rule. SQLite keeps its row-level triggers (it has no statement triggers).
// A shipped migration is never edited.

extension Migrations {
    static let postgres0010: [String] = [
        """
        CREATE FUNCTION touchbase_touchpoints_rules_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            v_contact uuid;
        BEGIN
            IF EXISTS (SELECT 1 FROM new_rows n JOIN contacts c ON c.id = n.contact_id
                       WHERE n.direction = 'outbound' AND n.channel = 'email' AND c.email_status = 'red') THEN
                RAISE EXCEPTION 'email_status_red: the contact''s email is verified invalid (red); an outbound email is refused';
            END IF;
            SELECT c.id INTO v_contact FROM new_rows n JOIN contacts c ON c.id = n.contact_id
            WHERE n.direction = 'outbound' AND (c.do_not_contact OR c.status = 'do_not_contact') LIMIT 1;
            IF v_contact IS NOT NULL THEN
                PERFORM touchbase_refuse_if_dnc(v_contact, 'an outbound touchpoint');
            END IF;
            -- An outbound touch moves its contact to sent; an inbound one, or one already replied to, to replied.
            -- Only contacts that move are written (a write of stage would move updated_at even when it stays).
            UPDATE contacts p SET stage = n.reached
            FROM (SELECT contact_id,
                         CASE WHEN bool_or(direction IS DISTINCT FROM 'outbound' OR replied_at IS NOT NULL) THEN 'replied' ELSE 'sent' END AS reached
                  FROM new_rows WHERE contact_id IS NOT NULL GROUP BY contact_id) n
            WHERE p.id = n.contact_id AND touchbase_stage_rank(n.reached) > touchbase_stage_rank(p.stage);
            UPDATE message_drafts d SET approval_status = 'sent'
            FROM (SELECT DISTINCT message_draft_id FROM new_rows WHERE direction = 'outbound' AND message_draft_id IS NOT NULL) n
            WHERE d.id = n.message_draft_id AND d.approval_status <> 'sent';
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER touchpoints_rules_inserted AFTER INSERT ON touchpoints REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION touchbase_touchpoints_rules_inserted()
        """,
        // A new active conversation counts on its company: once per statement too.
        """
        CREATE FUNCTION touchbase_conversations_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE companies c SET active_conversations = c.active_conversations + n.added
            FROM (SELECT company_id, count(*) AS added FROM new_rows WHERE status = 'active' AND company_id IS NOT NULL GROUP BY company_id) n
            WHERE c.id = n.company_id;
            RETURN NULL;
        END $$
        """,
        "DROP TRIGGER conversations_count_trigger ON conversations",
        "CREATE TRIGGER conversations_count_trigger AFTER DELETE ON conversations FOR EACH ROW EXECUTE FUNCTION touchbase_conversations_count()",
        """
        CREATE TRIGGER conversations_count_inserted AFTER INSERT ON conversations REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION touchbase_conversations_inserted()
        """,
        "DROP TRIGGER touchpoints_red_email ON touchpoints",
        "DROP FUNCTION touchbase_touchpoints_red_email()",
        "DROP TRIGGER touchpoints_rules ON touchpoints",
        "CREATE TRIGGER touchpoints_rules AFTER UPDATE OF replied_at ON touchpoints FOR EACH ROW EXECUTE FUNCTION touchbase_touchpoints_rules()",
    ]
}
