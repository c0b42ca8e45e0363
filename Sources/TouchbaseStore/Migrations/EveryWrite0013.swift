// Migration 0013: the rules hold on every write, not only on INSERT.
// - The do-not-contact and red-email holds refuse an UPDATE that makes a touch outbound (or an email), or points an
//   outbound touch at another contact or conversation, as they refuse the INSERT. A write that leaves those alone
//   (an open recorded on an old email) is not refused.
// - A touch's contact is its conversation's contact: given both, they must agree (422 on `contact_id`); moved to
//   another conversation, a touch takes that conversation's contact and company (unless the same write sets them);
//   a conversation given to another contact or company takes its touches along.
// - Moving a touch moves the counters and `last_*` times that depend on it: `touchpoint_count` and
//   `last_touchpoint_at` of both conversations, `total_touchpoints` and `last_engaged_at` of both contacts (the one
//   it leaves is worked out again from its own touches), and the new contact's stage moves as an insert would move it.
// - Every reference a list filters on has an index (16 had none; each such filter walked its table).
// - Follow-ups due are a walk of a partial index of the open ones (`ix_followups_open`).
// - SQLite's audit log refuses `INSERT OR REPLACE` over an existing row, as it refuses UPDATE and DELETE.
// - The touchpoint indexes on direction, channel and outcome go, and the conversations' on status: a handful of
//   values over every row, they served no query better than a walk and led the planners astray (every outbound
//   touch walked for one company's overview; every active conversation sorted for the follow-ups due, which the
//   partial index on next_touchpoint_at serves).
// A shipped migration is never edited.

extension Migrations {
    /// The contact an updated touch will have: its new conversation's when only the conversation changes.
    private static let movedContact = """
        (CASE WHEN NEW.conversation_id IS NOT NULL AND NEW.conversation_id IS NOT OLD.conversation_id AND NEW.contact_id IS OLD.contact_id
              THEN (SELECT contact_id FROM conversations WHERE id = NEW.conversation_id)
              ELSE coalesce(NEW.contact_id, (SELECT contact_id FROM conversations WHERE id = NEW.conversation_id)) END)
        """
    private static let touchMoved = "(NEW.contact_id IS NOT OLD.contact_id OR NEW.conversation_id IS NOT OLD.conversation_id)"
    static let contactMismatch0013 =
        "invalid contact_id: is not the contact of the touchpoint's conversation (leave it out to take the conversation's)"
    /// References (and one name) a list may filter on that had no index: each such filter walked its whole table.
    /// `ListPlanTests` checks every key filter of every entity on both engines.
    static let keyIndexes0013: [String] = [
        ("agent_runs", "batch_id"),
        ("agent_runs", "contact_id"),
        ("followups", "message_draft_id"),
        ("handoffs", "campaign_id"),
        ("handoffs", "contact_id"),
        ("industries", "name"),
        ("llm_usage", "agent_run_id"),
        ("meetings", "campaign_id"),
        ("message_drafts", "agent_run_id"),
        ("message_drafts", "event_id"),
        ("message_drafts", "qc_run_id"),
        ("opportunities", "company_id"),
        ("opportunities", "trigger_reply_id"),
        ("opportunities", "trigger_touchpoint_id"),
        ("replies", "touchpoint_id"),
        ("research_snapshots", "agent_run_id")
    ].map { table, column in "CREATE INDEX ix_\(table)_\(column) ON \(table) (\(column))" }

    /// Follow-ups still to do, by due date: the queue of follow-ups due walks this (done ones are most of the table).
    static let openFollowups0013 = "CREATE INDEX ix_followups_open ON followups (due_date, id) WHERE state IN ('pending', 'overdue')"
    private static let lastTouch = "max(coalesce(sent_at, created_at))"
    private static let lastEngaged = "max(coalesce(replied_at, clicked_at, opened_at, sent_at, created_at))"

    static let sqlite0013: [String] = keyIndexes0013 + [
        "DROP INDEX ix_touchpoints_direction",
        "DROP INDEX ix_touchpoints_channel",
        "DROP INDEX ix_touchpoints_outcome",
        "DROP INDEX ix_conversations_status",
        openFollowups0013,
        """
        CREATE TRIGGER touchpoints_dnc_update BEFORE UPDATE OF direction, contact_id, conversation_id ON touchpoints
        WHEN NEW.direction = 'outbound' AND (OLD.direction IS NOT 'outbound' OR \(touchMoved)) AND \(isDNC0004(movedContact))
        BEGIN SELECT RAISE(ABORT, 'do_not_contact: the contact is marked do-not-contact; an outbound touchpoint is refused'); END
        """,
        """
        CREATE TRIGGER touchpoints_red_email_update BEFORE UPDATE OF direction, channel, contact_id, conversation_id ON touchpoints
        WHEN NEW.direction = 'outbound' AND NEW.channel = 'email'
            AND (OLD.direction IS NOT 'outbound' OR OLD.channel IS NOT 'email' OR \(touchMoved))
            AND EXISTS (SELECT 1 FROM contacts WHERE id = \(movedContact) AND email_status = 'red')
        BEGIN SELECT RAISE(ABORT, 'email_status_red: the contact''s email is verified invalid (red); an outbound email is refused'); END
        """,
        """
        CREATE TRIGGER touchpoints_contact_of_conversation BEFORE INSERT ON touchpoints
        WHEN NEW.conversation_id IS NOT NULL AND NEW.contact_id IS NOT NULL
            AND NEW.contact_id IS NOT (SELECT contact_id FROM conversations WHERE id = NEW.conversation_id)
        BEGIN SELECT RAISE(ABORT, '\(contactMismatch0013.replacingOccurrences(of: "'", with: "''"))'); END
        """,
        """
        CREATE TRIGGER touchpoints_contact_of_conversation_update BEFORE UPDATE OF contact_id, conversation_id ON touchpoints
        WHEN NEW.conversation_id IS NOT NULL AND NEW.contact_id IS NOT OLD.contact_id
            AND NEW.contact_id IS NOT (SELECT contact_id FROM conversations WHERE id = NEW.conversation_id)
        BEGIN SELECT RAISE(ABORT, '\(contactMismatch0013.replacingOccurrences(of: "'", with: "''"))'); END
        """,
        // (The contact filled in by touchpoints_after_insert moves from NULL: that is the insert, counted there.)
        // A touch moved to another conversation: both conversations' counts and last times; the new one's contact and
        // company (the contact's change fires touchpoints_contact_moved).
        """
        CREATE TRIGGER touchpoints_conversation_moved AFTER UPDATE OF conversation_id ON touchpoints
        WHEN NEW.conversation_id IS NOT OLD.conversation_id
        BEGIN
            UPDATE conversations SET touchpoint_count = touchpoint_count - 1,
                last_touchpoint_at = (SELECT \(lastTouch) FROM touchpoints WHERE conversation_id = OLD.conversation_id)
            WHERE id = OLD.conversation_id;
            UPDATE conversations SET touchpoint_count = touchpoint_count + 1,
                last_touchpoint_at = (SELECT \(lastTouch) FROM touchpoints WHERE conversation_id = NEW.conversation_id)
            WHERE id = NEW.conversation_id;
            UPDATE touchpoints SET company_id = (
                    SELECT coalesce(v.company_id, (SELECT p.company_id FROM contacts p WHERE p.id = v.contact_id))
                    FROM conversations v WHERE v.id = NEW.conversation_id)
            WHERE id = NEW.id AND NEW.conversation_id IS NOT NULL AND NEW.company_id IS OLD.company_id;
            UPDATE touchpoints SET contact_id = (SELECT contact_id FROM conversations WHERE id = NEW.conversation_id)
            WHERE id = NEW.id AND NEW.conversation_id IS NOT NULL AND NEW.contact_id IS OLD.contact_id
                AND contact_id IS NOT (SELECT contact_id FROM conversations WHERE id = NEW.conversation_id);
        END
        """,
        """
        CREATE TRIGGER touchpoints_contact_moved AFTER UPDATE OF contact_id ON touchpoints
        WHEN OLD.contact_id IS NOT NULL AND NEW.contact_id IS NOT OLD.contact_id
        BEGIN
            UPDATE contacts SET total_touchpoints = total_touchpoints - 1,
                last_engaged_at = (SELECT \(lastEngaged) FROM touchpoints WHERE contact_id = OLD.contact_id)
            WHERE id = OLD.contact_id;
            UPDATE contacts SET total_touchpoints = total_touchpoints + 1,
                last_engaged_at = nullif(max(coalesce(last_engaged_at, ''),
                    coalesce(NEW.replied_at, NEW.clicked_at, NEW.opened_at, NEW.sent_at, NEW.created_at)), '')
            WHERE id = NEW.contact_id;
            UPDATE touchpoints SET company_id = (SELECT company_id FROM contacts WHERE id = NEW.contact_id)
            WHERE id = NEW.id AND NEW.conversation_id IS NULL AND NEW.company_id IS OLD.company_id;
            \(advance0004("NEW.contact_id", "CASE WHEN NEW.direction = 'outbound' AND NEW.replied_at IS NULL THEN 'sent' ELSE 'replied' END"))
        END
        """,
        // A conversation given to another contact or company takes its touches along.
        """
        CREATE TRIGGER conversations_moved AFTER UPDATE OF contact_id, company_id ON conversations
        WHEN NEW.contact_id IS NOT OLD.contact_id OR NEW.company_id IS NOT OLD.company_id
        BEGIN
            UPDATE touchpoints SET contact_id = NEW.contact_id
            WHERE conversation_id = NEW.id AND NEW.contact_id IS NOT OLD.contact_id AND contact_id IS NOT NEW.contact_id;
            UPDATE touchpoints SET company_id = NEW.company_id
            WHERE conversation_id = NEW.id AND NEW.company_id IS NOT OLD.company_id AND company_id IS OLD.company_id;
        END
        """,
        """
        CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
        WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: REPLACE is refused'); END
        """,
    ]

    static let postgres0013: [String] = keyIndexes0013 + [
        "DROP INDEX ix_touchpoints_direction",
        "DROP INDEX ix_touchpoints_channel",
        "DROP INDEX ix_touchpoints_outcome",
        "DROP INDEX ix_conversations_status",
        openFollowups0013,
        // Before an update that moves a touch or changes its direction or channel: the contact and company it takes,
        // the contact of its conversation, and the holds.
        """
        CREATE FUNCTION touchbase_touchpoints_moving() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            v_contact uuid;
            v_company uuid;
        BEGIN
            IF NEW.conversation_id IS NOT NULL AND NEW.conversation_id IS DISTINCT FROM OLD.conversation_id THEN
                SELECT contact_id, company_id INTO v_contact, v_company FROM conversations WHERE id = NEW.conversation_id;
                IF NEW.contact_id IS NOT DISTINCT FROM OLD.contact_id THEN
                    NEW.contact_id := v_contact;
                END IF;
                IF NEW.company_id IS NOT DISTINCT FROM OLD.company_id THEN
                    NEW.company_id := coalesce(v_company, (SELECT company_id FROM contacts WHERE id = NEW.contact_id));
                END IF;
            ELSIF NEW.contact_id IS DISTINCT FROM OLD.contact_id AND NEW.conversation_id IS NULL
                AND NEW.company_id IS NOT DISTINCT FROM OLD.company_id THEN
                NEW.company_id := (SELECT company_id FROM contacts WHERE id = NEW.contact_id);
            END IF;
            IF NEW.conversation_id IS NOT NULL AND NEW.contact_id IS DISTINCT FROM OLD.contact_id
                AND NEW.contact_id IS DISTINCT FROM (SELECT contact_id FROM conversations WHERE id = NEW.conversation_id) THEN
                RAISE EXCEPTION '\(contactMismatch0013.replacingOccurrences(of: "'", with: "''"))';
            END IF;
            IF NEW.direction = 'outbound' AND (OLD.direction IS DISTINCT FROM 'outbound' OR NEW.contact_id IS DISTINCT FROM OLD.contact_id) THEN
                PERFORM touchbase_refuse_if_dnc(NEW.contact_id, 'an outbound touchpoint');
            END IF;
            IF NEW.direction = 'outbound' AND NEW.channel = 'email'
                AND (OLD.direction IS DISTINCT FROM 'outbound' OR OLD.channel IS DISTINCT FROM 'email' OR NEW.contact_id IS DISTINCT FROM OLD.contact_id)
                AND EXISTS (SELECT 1 FROM contacts WHERE id = NEW.contact_id AND email_status = 'red') THEN
                RAISE EXCEPTION 'email_status_red: the contact''s email is verified invalid (red); an outbound email is refused';
            END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER touchpoints_moving BEFORE UPDATE OF direction, channel, contact_id, conversation_id, company_id ON touchpoints
        FOR EACH ROW EXECUTE FUNCTION touchbase_touchpoints_moving()
        """,
        // After a touch moved: the counters and last times of what it left and of what it joined.
        """
        CREATE FUNCTION touchbase_touchpoints_moved() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.conversation_id IS DISTINCT FROM OLD.conversation_id THEN
                UPDATE conversations SET touchpoint_count = touchpoint_count - 1,
                    last_touchpoint_at = (SELECT \(lastTouch) FROM touchpoints WHERE conversation_id = OLD.conversation_id)
                WHERE id = OLD.conversation_id;
                UPDATE conversations SET touchpoint_count = touchpoint_count + 1,
                    last_touchpoint_at = (SELECT \(lastTouch) FROM touchpoints WHERE conversation_id = NEW.conversation_id)
                WHERE id = NEW.conversation_id;
            END IF;
            IF NEW.contact_id IS DISTINCT FROM OLD.contact_id THEN
                UPDATE contacts SET total_touchpoints = total_touchpoints - 1,
                    last_engaged_at = (SELECT \(lastEngaged) FROM touchpoints WHERE contact_id = OLD.contact_id)
                WHERE id = OLD.contact_id;
                UPDATE contacts SET total_touchpoints = total_touchpoints + 1,
                    last_engaged_at = GREATEST(last_engaged_at, coalesce(NEW.replied_at, NEW.clicked_at, NEW.opened_at, NEW.sent_at, NEW.created_at))
                WHERE id = NEW.contact_id;
                PERFORM touchbase_advance_stage(NEW.contact_id,
                    CASE WHEN NEW.direction = 'outbound' AND NEW.replied_at IS NULL THEN 'sent' ELSE 'replied' END);
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER touchpoints_moved AFTER UPDATE OF contact_id, conversation_id ON touchpoints
        FOR EACH ROW WHEN (OLD.contact_id IS DISTINCT FROM NEW.contact_id OR OLD.conversation_id IS DISTINCT FROM NEW.conversation_id)
        EXECUTE FUNCTION touchbase_touchpoints_moved()
        """,
        // A new touch given both a conversation and a contact: they agree (checked once per statement).
        """
        CREATE FUNCTION touchbase_touchpoints_contact_checked() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM new_rows n JOIN conversations v ON v.id = n.conversation_id WHERE n.contact_id IS DISTINCT FROM v.contact_id) THEN
                RAISE EXCEPTION '\(contactMismatch0013.replacingOccurrences(of: "'", with: "''"))';
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER touchpoints_contact_checked AFTER INSERT ON touchpoints REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION touchbase_touchpoints_contact_checked()
        """,
        """
        CREATE FUNCTION touchbase_conversations_moved() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.contact_id IS DISTINCT FROM OLD.contact_id THEN
                UPDATE touchpoints SET contact_id = NEW.contact_id WHERE conversation_id = NEW.id AND contact_id IS DISTINCT FROM NEW.contact_id;
            END IF;
            IF NEW.company_id IS DISTINCT FROM OLD.company_id THEN
                UPDATE touchpoints SET company_id = NEW.company_id WHERE conversation_id = NEW.id AND company_id IS NOT DISTINCT FROM OLD.company_id;
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER conversations_moved AFTER UPDATE OF contact_id, company_id ON conversations
        FOR EACH ROW WHEN (OLD.contact_id IS DISTINCT FROM NEW.contact_id OR OLD.company_id IS DISTINCT FROM NEW.company_id)
        EXECUTE FUNCTION touchbase_conversations_moved()
        """,
    ]
}
