// Migration 0004 for SQLite: seed 002's rules as triggers — stages that move themselves, do-not-contact
// holds, versioned drafts, follow-up completion, replies, opportunity attribution, batches.
// SQLite has no stored functions, so the shared pieces are spelled out by these helpers.
// A shipped migration is never edited.

private let nowExpr = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

/// The rank of a stage: automatic moves only go forward; dormant and re_engaged may move on, closed stays.
private func rank(_ s: String) -> String {
    """
    (CASE \(s) WHEN 'new' THEN 0 WHEN 'researched' THEN 1 WHEN 'drafted' THEN 2 WHEN 'sent' THEN 3 WHEN 'follow_up' THEN 4 \
    WHEN 'replied' THEN 5 WHEN 'meeting_booked' THEN 6 WHEN 'meeting_held' THEN 7 WHEN 'opportunity' THEN 8 \
    WHEN 'dormant' THEN -1 WHEN 're_engaged' THEN -1 WHEN 'closed' THEN 100 ELSE 0 END)
    """
}

func advance0004(_ contact: String, _ stage: String) -> String {
    "UPDATE contacts SET stage = \(stage) WHERE id = \(contact) AND \(rank(stage)) > \(rank("stage"));"
}

func isDNC0004(_ contact: String) -> String {
    "EXISTS (SELECT 1 FROM contacts WHERE id = \(contact) AND (do_not_contact = 1 OR status = 'do_not_contact'))"
}

/// Words in a text: runs of non-blank characters (tabs and line breaks count as blanks).
private func wordCount(_ t: String) -> String {
    var s = "replace(replace(replace(coalesce(\(t), ''), char(9), ' '), char(10), ' '), char(13), ' ')"
    for _ in 0..<9 { s = "replace(\(s), '  ', ' ')" }
    s = "trim(\(s))"
    return "(CASE WHEN \(s) = '' THEN 0 ELSE length(\(s)) - length(replace(\(s), ' ', '')) + 1 END)"
}

private let touchContact = "coalesce(NEW.contact_id, (SELECT contact_id FROM conversations WHERE id = NEW.conversation_id))"

private func opportunityFill(_ r: String) -> String {
    let touch = "coalesce(\(r).trigger_touchpoint_id, (SELECT touchpoint_id FROM replies WHERE id = \(r).trigger_reply_id))"
    func fromTouch(_ col: String) -> String { "(SELECT t.\(col) FROM touchpoints t WHERE t.id = \(touch))" }
    func fromDraft(_ col: String) -> String {
        "(SELECT d.\(col) FROM touchpoints t JOIN message_drafts d ON d.id = t.message_draft_id WHERE t.id = \(touch))"
    }
    let created = "(status = 'opportunity_created' OR opportunity_created = 1)"
    return """
        UPDATE opportunities SET
            company_id = coalesce(company_id, (SELECT company_id FROM contacts WHERE id = \(r).contact_id)),
            attribution_channel = coalesce(attribution_channel, \(fromTouch("channel"))),
            attribution_touch_number = coalesce(attribution_touch_number, \(fromTouch("touch_number")), \(fromDraft("touch_number"))),
            attribution_proof_point = coalesce(attribution_proof_point, \(fromDraft("proof_point_used"))),
            attribution_pain_hook = coalesce(attribution_pain_hook, \(fromDraft("pain_hook"))),
            attribution_opener_style = coalesce(attribution_opener_style, \(fromDraft("opener_style"))),
            attribution_personalization_score = coalesce(attribution_personalization_score, \(fromDraft("personalization_score"))),
            attribution_ab_group = coalesce(attribution_ab_group, \(fromDraft("ab_group"))),
            attribution_ab_variable = coalesce(attribution_ab_variable, \(fromDraft("ab_variable"))),
            opportunity_created = CASE WHEN \(created) THEN 1 ELSE 0 END,
            opportunity_created_date = CASE WHEN \(created) THEN coalesce(opportunity_created_date, \(nowExpr)) ELSE opportunity_created_date END,
            meeting_held = CASE WHEN status IN ('meeting_held', 'opportunity_created') THEN 1 ELSE meeting_held END
        WHERE id = \(r).id;
        \(advance0004("\(r).contact_id", "(SELECT CASE WHEN o.opportunity_created = 1 THEN 'opportunity' WHEN o.meeting_held = 1 THEN 'meeting_held' WHEN o.status = 'meeting_booked' THEN 'meeting_booked' ELSE 'new' END FROM opportunities o WHERE o.id = \(r).id)"))
        """
}

private let refName = "trim(NEW.referral_name)"
private let refFirst = "(CASE WHEN instr(\(refName), ' ') > 0 THEN substr(\(refName), 1, instr(\(refName), ' ') - 1) ELSE \(refName) END)"
private let refRest = "nullif(trim(CASE WHEN instr(\(refName), ' ') > 0 THEN substr(\(refName), instr(\(refName), ' ') + 1) ELSE '' END), '')"
private let refMatch = "x.company_id IS c.company_id AND lower(x.full_name) = lower(\(refName)) AND x.id <> NEW.contact_id"

extension Migrations {
    static let sqlite0004: [String] = [
        // Contacts: stages never move back by hand except to dormant, re_engaged or closed; DNC sets the status.
        """
        CREATE TRIGGER contacts_stage_guard BEFORE UPDATE OF stage ON contacts
        WHEN NEW.stage NOT IN ('dormant', 're_engaged', 'closed') AND \(rank("NEW.stage")) < \(rank("OLD.stage"))
        BEGIN SELECT RAISE(ABORT, 'stage cannot move back: only dormant, re_engaged or closed may be set by hand'); END
        """,
        """
        CREATE TRIGGER contacts_dnc_status AFTER UPDATE OF do_not_contact ON contacts
        WHEN NEW.do_not_contact = 1 AND OLD.do_not_contact = 0
        BEGIN UPDATE contacts SET status = 'do_not_contact' WHERE id = NEW.id; END
        """,
        // Touchpoints.
        """
        CREATE TRIGGER touchpoints_dnc BEFORE INSERT ON touchpoints
        WHEN NEW.direction = 'outbound' AND \(isDNC0004(touchContact))
        BEGIN SELECT RAISE(ABORT, 'do_not_contact: the contact is marked do-not-contact; an outbound touchpoint is refused'); END
        """,
        """
        CREATE TRIGGER touchpoints_rules AFTER INSERT ON touchpoints
        BEGIN
            \(advance0004(touchContact, "CASE WHEN NEW.direction = 'outbound' AND NEW.replied_at IS NULL THEN 'sent' ELSE 'replied' END"))
            UPDATE message_drafts SET approval_status = 'sent'
            WHERE NEW.direction = 'outbound' AND id = NEW.message_draft_id AND approval_status <> 'sent';
        END
        """,
        """
        CREATE TRIGGER touchpoints_replied AFTER UPDATE OF replied_at ON touchpoints
        WHEN OLD.replied_at IS NULL AND NEW.replied_at IS NOT NULL
        BEGIN \(advance0004("NEW.contact_id", "'replied'")) END
        """,
        // Research.
        """
        CREATE TRIGGER research_snapshots_rules AFTER INSERT ON research_snapshots WHEN NEW.contact_id IS NOT NULL
        BEGIN \(advance0004("NEW.contact_id", "'researched'")) END
        """,
        // Drafts.
        """
        CREATE TRIGGER message_drafts_ready_insert BEFORE INSERT ON message_drafts
        WHEN NEW.approval_status = 'ready' AND NEW.qc_passed IS NOT 1
        BEGIN SELECT RAISE(ABORT, 'draft_not_qc_passed: a draft becomes ready only after a QC check passed (POST /api/v1/message-drafts/{id}/qc)'); END
        """,
        """
        CREATE TRIGGER message_drafts_ready_update BEFORE UPDATE OF approval_status ON message_drafts
        WHEN NEW.approval_status = 'ready' AND OLD.approval_status <> 'ready' AND NEW.qc_passed IS NOT 1
        BEGIN SELECT RAISE(ABORT, 'draft_not_qc_passed: a draft becomes ready only after a QC check passed (POST /api/v1/message-drafts/{id}/qc)'); END
        """,
        """
        CREATE TRIGGER message_drafts_ready_dnc BEFORE UPDATE OF approval_status ON message_drafts
        WHEN NEW.approval_status = 'ready' AND OLD.approval_status <> 'ready' AND \(isDNC0004("NEW.contact_id"))
        BEGIN SELECT RAISE(ABORT, 'do_not_contact: the contact is marked do-not-contact; a ready draft is refused'); END
        """,
        """
        CREATE TRIGGER message_drafts_after_insert AFTER INSERT ON message_drafts
        BEGIN
            UPDATE message_drafts SET word_count = \(wordCount("NEW.body")), version = 1 WHERE id = NEW.id;
            \(advance0004("NEW.contact_id", "'drafted'"))
        END
        """,
        """
        CREATE TRIGGER message_drafts_versions AFTER UPDATE OF body, subject_line ON message_drafts
        WHEN NEW.body IS NOT OLD.body OR NEW.subject_line IS NOT OLD.subject_line
        BEGIN
            INSERT INTO message_versions (message_draft_id, version, subject_line, body, word_count)
            VALUES (OLD.id, OLD.version, OLD.subject_line, OLD.body, OLD.word_count);
            UPDATE message_drafts SET
                version = OLD.version + 1,
                word_count = \(wordCount("NEW.body")),
                qc_passed = CASE WHEN NEW.qc_passed IS OLD.qc_passed THEN NULL ELSE NEW.qc_passed END,
                qc_flags = CASE WHEN NEW.qc_passed IS OLD.qc_passed THEN '[]' ELSE NEW.qc_flags END,
                approval_status = CASE WHEN NEW.approval_status = 'ready' AND NEW.qc_passed IS OLD.qc_passed THEN 'draft' ELSE NEW.approval_status END
            WHERE id = NEW.id;
        END
        """,
        // Follow-ups.
        """
        CREATE TRIGGER followups_dnc BEFORE INSERT ON followups
        WHEN NEW.state IN ('pending', 'overdue') AND \(isDNC0004("NEW.contact_id"))
        BEGIN SELECT RAISE(ABORT, 'do_not_contact: the contact is marked do-not-contact; a follow-up is refused'); END
        """,
        """
        CREATE TRIGGER followups_after_insert AFTER INSERT ON followups
        BEGIN
            UPDATE followups SET completed_at = coalesce(NEW.completed_at, \(nowExpr))
            WHERE id = NEW.id AND NEW.state IN ('completed', 'skipped');
            UPDATE contacts SET stage = 'follow_up'
            WHERE NEW.state IN ('pending', 'overdue') AND id = NEW.contact_id AND \(rank("'follow_up'")) > \(rank("stage"));
        END
        """,
        """
        CREATE TRIGGER followups_state AFTER UPDATE OF state ON followups WHEN NEW.state IS NOT OLD.state
        BEGIN
            UPDATE followups SET completed_at = CASE
                WHEN NEW.state IN ('completed', 'skipped') AND OLD.state NOT IN ('completed', 'skipped') THEN coalesce(NEW.completed_at, \(nowExpr))
                WHEN NEW.state NOT IN ('completed', 'skipped') THEN NULL
                ELSE NEW.completed_at END
            WHERE id = NEW.id;
        END
        """,
        // Replies.
        """
        CREATE TRIGGER replies_after_insert AFTER INSERT ON replies
        BEGIN
            UPDATE replies SET recommended_next_step = CASE NEW.intent
                    WHEN 'positive' THEN 'Book a meeting'
                    WHEN 'neutral' THEN 'Answer their question and send a soft follow-up'
                    WHEN 'not_now' THEN 'Follow up in ' || coalesce(NEW.follow_up_days, 30) || ' days'
                    WHEN 'referral' THEN 'Create the referred contact and reach out, mentioning who referred you'
                    WHEN 'unsubscribe' THEN 'Stop all outreach: the contact is now do-not-contact'
                    WHEN 'negative' THEN 'Close the contact; do not follow up'
                    ELSE NULL END
            WHERE id = NEW.id AND NEW.recommended_next_step IS NULL AND NEW.intent IS NOT NULL;
            \(advance0004("NEW.contact_id", "'replied'"))
            INSERT INTO contacts (company_id, first_name, last_name, title, source)
            SELECT c.company_id, \(refFirst), \(refRest), NEW.referral_title, 'referral' FROM contacts c
            WHERE c.id = NEW.contact_id AND NEW.intent = 'referral' AND trim(coalesce(NEW.referral_name, '')) <> ''
              AND NOT EXISTS (SELECT 1 FROM contacts x WHERE \(refMatch));
            INSERT INTO relationships (contact_id_1, contact_id_2, relationship_type, strength, metadata)
            SELECT x.id, NEW.contact_id, 'referred_by', 'medium', json_object('reply_id', NEW.id)
            FROM contacts c JOIN contacts x ON \(refMatch)
            WHERE c.id = NEW.contact_id AND NEW.intent = 'referral' AND trim(coalesce(NEW.referral_name, '')) <> ''
              AND NOT EXISTS (SELECT 1 FROM relationships r WHERE min(r.contact_id_1, r.contact_id_2) = min(x.id, NEW.contact_id)
                                                             AND max(r.contact_id_1, r.contact_id_2) = max(x.id, NEW.contact_id))
            LIMIT 1;
        END
        """,
        """
        CREATE TRIGGER replies_next_step AFTER UPDATE OF intent, follow_up_days ON replies
        WHEN NEW.recommended_next_step IS NULL AND NEW.intent IS NOT NULL
        BEGIN
            UPDATE replies SET recommended_next_step = CASE NEW.intent
                    WHEN 'positive' THEN 'Book a meeting'
                    WHEN 'neutral' THEN 'Answer their question and send a soft follow-up'
                    WHEN 'not_now' THEN 'Follow up in ' || coalesce(NEW.follow_up_days, 30) || ' days'
                    WHEN 'referral' THEN 'Create the referred contact and reach out, mentioning who referred you'
                    WHEN 'unsubscribe' THEN 'Stop all outreach: the contact is now do-not-contact'
                    WHEN 'negative' THEN 'Close the contact; do not follow up'
                    ELSE NULL END
            WHERE id = NEW.id;
        END
        """,
        // Unsubscribe, on insert or when the intent is changed to it.
        """
        CREATE TRIGGER replies_unsubscribe_insert AFTER INSERT ON replies WHEN NEW.intent = 'unsubscribe'
        BEGIN
            UPDATE contacts SET do_not_contact = 1, status = 'do_not_contact', dnc_reason = coalesce(dnc_reason, 'Unsubscribed in reply ' || NEW.id)
            WHERE id = NEW.contact_id;
            UPDATE followups SET state = 'skipped' WHERE contact_id = NEW.contact_id AND state IN ('pending', 'overdue');
            UPDATE message_drafts SET approval_status = 'archived' WHERE contact_id = NEW.contact_id AND approval_status IN ('draft', 'ready');
        END
        """,
        """
        CREATE TRIGGER replies_unsubscribe_update AFTER UPDATE OF intent ON replies
        WHEN NEW.intent = 'unsubscribe' AND OLD.intent IS NOT 'unsubscribe'
        BEGIN
            UPDATE contacts SET do_not_contact = 1, status = 'do_not_contact', dnc_reason = coalesce(dnc_reason, 'Unsubscribed in reply ' || NEW.id)
            WHERE id = NEW.contact_id;
            UPDATE followups SET state = 'skipped' WHERE contact_id = NEW.contact_id AND state IN ('pending', 'overdue');
            UPDATE message_drafts SET approval_status = 'archived' WHERE contact_id = NEW.contact_id AND approval_status IN ('draft', 'ready');
        END
        """,
        // Opportunities.
        "CREATE TRIGGER opportunities_after_insert AFTER INSERT ON opportunities BEGIN \(opportunityFill("NEW")) END",
        """
        CREATE TRIGGER opportunities_after_update AFTER UPDATE OF status, meeting_held, opportunity_created, trigger_touchpoint_id, trigger_reply_id
        ON opportunities BEGIN \(opportunityFill("NEW")) END
        """,
        // Batches.
        """
        CREATE TRIGGER batches_number AFTER INSERT ON batches
        BEGIN
            UPDATE batches SET batch_number = (SELECT coalesce(max(batch_number), 0) + 1 FROM batches WHERE id <> NEW.id),
                prospect_count = 0
            WHERE id = NEW.id;
        END
        """,
        """
        CREATE TRIGGER batch_prospects_dnc BEFORE INSERT ON batch_prospects WHEN \(isDNC0004("NEW.contact_id"))
        BEGIN SELECT RAISE(ABORT, 'do_not_contact: the contact is marked do-not-contact; batch membership is refused'); END
        """,
        "CREATE TRIGGER batch_prospects_insert AFTER INSERT ON batch_prospects BEGIN UPDATE batches SET prospect_count = prospect_count + 1 WHERE id = NEW.batch_id; END",
        "CREATE TRIGGER batch_prospects_delete AFTER DELETE ON batch_prospects BEGIN UPDATE batches SET prospect_count = prospect_count - 1 WHERE id = OLD.batch_id; END",
        """
        CREATE TRIGGER batch_prospects_move AFTER UPDATE OF batch_id ON batch_prospects WHEN NEW.batch_id IS NOT OLD.batch_id
        BEGIN
            UPDATE batches SET prospect_count = prospect_count - 1 WHERE id = OLD.batch_id;
            UPDATE batches SET prospect_count = prospect_count + 1 WHERE id = NEW.batch_id;
        END
        """,
    ]
}
