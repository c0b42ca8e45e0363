// Migration 0004 for PostgreSQL: seed 002's rules as triggers — stages that move themselves, do-not-contact
// holds, versioned drafts, follow-up completion, replies, opportunity attribution, batches.
// A shipped migration is never edited.

extension Migrations {
    static let postgres0004: [String] = [
        // Stage order: automatic moves only go forward; dormant and re_engaged may move on, closed stays.
        """
        CREATE FUNCTION touchbase_stage_rank(stage text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE stage WHEN 'new' THEN 0 WHEN 'researched' THEN 1 WHEN 'drafted' THEN 2 WHEN 'sent' THEN 3
                WHEN 'follow_up' THEN 4 WHEN 'replied' THEN 5 WHEN 'meeting_booked' THEN 6 WHEN 'meeting_held' THEN 7
                WHEN 'opportunity' THEN 8 WHEN 'dormant' THEN -1 WHEN 're_engaged' THEN -1 WHEN 'closed' THEN 100 ELSE 0 END
        $$
        """,
        """
        CREATE FUNCTION touchbase_advance_stage(p_contact uuid, p_stage text) RETURNS void LANGUAGE sql AS $$
            UPDATE contacts SET stage = p_stage
            WHERE id = p_contact AND touchbase_stage_rank(p_stage) > touchbase_stage_rank(stage)
        $$
        """,
        """
        CREATE FUNCTION touchbase_contacts_stage_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.stage NOT IN ('dormant', 're_engaged', 'closed')
               AND touchbase_stage_rank(NEW.stage) < touchbase_stage_rank(OLD.stage) THEN
                RAISE EXCEPTION 'stage cannot move back from % to %: only dormant, re_engaged or closed may be set by hand', OLD.stage, NEW.stage;
            END IF;
            IF NEW.do_not_contact AND NOT OLD.do_not_contact THEN
                NEW.status := 'do_not_contact';
            END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER contacts_stage_guard BEFORE UPDATE OF stage, do_not_contact ON contacts
        FOR EACH ROW EXECUTE FUNCTION touchbase_contacts_stage_guard()
        """,
        // Do-not-contact: one check used by every outbound action.
        """
        CREATE FUNCTION touchbase_refuse_if_dnc(p_contact uuid, p_action text) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM contacts WHERE id = p_contact AND (do_not_contact OR status = 'do_not_contact')) THEN
                RAISE EXCEPTION 'do_not_contact: contact % is marked do-not-contact; % refused', p_contact, p_action;
            END IF;
        END $$
        """,
        // Touchpoints: DNC hold for outbound touches; stage sent / replied; a draft used becomes sent.
        """
        CREATE FUNCTION touchbase_touchpoints_rules() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                IF NEW.direction = 'outbound' THEN
                    PERFORM touchbase_refuse_if_dnc(NEW.contact_id, 'an outbound touchpoint');
                    PERFORM touchbase_advance_stage(NEW.contact_id, 'sent');
                    IF NEW.message_draft_id IS NOT NULL THEN
                        UPDATE message_drafts SET approval_status = 'sent' WHERE id = NEW.message_draft_id AND approval_status <> 'sent';
                    END IF;
                ELSE
                    PERFORM touchbase_advance_stage(NEW.contact_id, 'replied');
                END IF;
            END IF;
            IF NEW.replied_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.replied_at IS NULL) THEN
                PERFORM touchbase_advance_stage(NEW.contact_id, 'replied');
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER touchpoints_rules AFTER INSERT OR UPDATE OF replied_at ON touchpoints
        FOR EACH ROW EXECUTE FUNCTION touchbase_touchpoints_rules()
        """,
        // Research moves the stage to researched.
        """
        CREATE FUNCTION touchbase_research_rules() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.contact_id IS NOT NULL THEN PERFORM touchbase_advance_stage(NEW.contact_id, 'researched'); END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER research_snapshots_rules AFTER INSERT ON research_snapshots
        FOR EACH ROW EXECUTE FUNCTION touchbase_research_rules()
        """,
        // Drafts: word count, versions, QC reset on change, ready only after QC, DNC hold; stage drafted.
        """
        CREATE FUNCTION touchbase_word_count(t text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
            SELECT coalesce(array_length(regexp_split_to_array(btrim(coalesce(t, '')), '\\s+'), 1), 0)
                 - CASE WHEN btrim(coalesce(t, '')) = '' THEN 1 ELSE 0 END
        $$
        """,
        """
        CREATE FUNCTION touchbase_drafts_before() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.word_count := touchbase_word_count(NEW.body);
            IF TG_OP = 'UPDATE' AND (NEW.body IS DISTINCT FROM OLD.body OR NEW.subject_line IS DISTINCT FROM OLD.subject_line) THEN
                INSERT INTO message_versions (message_draft_id, version, subject_line, body, word_count)
                VALUES (OLD.id, OLD.version, OLD.subject_line, OLD.body, OLD.word_count);
                NEW.version := OLD.version + 1;
                IF NEW.qc_passed IS NOT DISTINCT FROM OLD.qc_passed THEN
                    NEW.qc_passed := NULL;
                    NEW.qc_flags := '[]'::jsonb;
                END IF;
                IF NEW.approval_status = 'ready' AND NEW.qc_passed IS NULL THEN NEW.approval_status := 'draft'; END IF;
            END IF;
            IF TG_OP = 'INSERT' THEN NEW.version := 1; END IF;
            IF NEW.approval_status = 'ready' AND (TG_OP = 'INSERT' OR OLD.approval_status <> 'ready') THEN
                IF NEW.qc_passed IS NOT TRUE THEN
                    RAISE EXCEPTION 'draft_not_qc_passed: a draft becomes ready only after a QC check passed (run POST /api/v1/message-drafts/%/qc)', NEW.id;
                END IF;
                PERFORM touchbase_refuse_if_dnc(NEW.contact_id, 'a ready draft');
            END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER message_drafts_before BEFORE INSERT OR UPDATE ON message_drafts
        FOR EACH ROW EXECUTE FUNCTION touchbase_drafts_before()
        """,
        """
        CREATE FUNCTION touchbase_drafts_after() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM touchbase_advance_stage(NEW.contact_id, 'drafted');
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER message_drafts_after AFTER INSERT ON message_drafts
        FOR EACH ROW EXECUTE FUNCTION touchbase_drafts_after()
        """,
        // Follow-ups: DNC hold, stage follow_up, completed_at when completed or skipped.
        """
        CREATE FUNCTION touchbase_followups_before() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' AND NEW.state IN ('pending', 'overdue') THEN
                PERFORM touchbase_refuse_if_dnc(NEW.contact_id, 'a follow-up');
            END IF;
            IF NEW.state IN ('completed', 'skipped') THEN
                IF TG_OP = 'INSERT' OR OLD.state NOT IN ('completed', 'skipped') THEN NEW.completed_at := coalesce(NEW.completed_at, now()); END IF;
            ELSE
                NEW.completed_at := NULL;
            END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER followups_before BEFORE INSERT OR UPDATE OF state ON followups
        FOR EACH ROW EXECUTE FUNCTION touchbase_followups_before()
        """,
        """
        CREATE FUNCTION touchbase_followups_after() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.state IN ('pending', 'overdue') THEN PERFORM touchbase_advance_stage(NEW.contact_id, 'follow_up'); END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER followups_after AFTER INSERT ON followups
        FOR EACH ROW EXECUTE FUNCTION touchbase_followups_after()
        """,
        // Replies: next step from the intent; unsubscribe sets do-not-contact and stops pending work;
        // a referral with a name creates (or finds) the referred contact and links the two.
        """
        CREATE FUNCTION touchbase_replies_before() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.recommended_next_step IS NULL THEN
                NEW.recommended_next_step := CASE NEW.intent
                    WHEN 'positive' THEN 'Book a meeting'
                    WHEN 'neutral' THEN 'Answer their question and send a soft follow-up'
                    WHEN 'not_now' THEN 'Follow up in ' || coalesce(NEW.follow_up_days, 30) || ' days'
                    WHEN 'referral' THEN 'Create the referred contact and reach out, mentioning who referred you'
                    WHEN 'unsubscribe' THEN 'Stop all outreach: the contact is now do-not-contact'
                    WHEN 'negative' THEN 'Close the contact; do not follow up'
                    ELSE NULL END;
            END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER replies_before BEFORE INSERT OR UPDATE OF intent, follow_up_days ON replies
        FOR EACH ROW EXECUTE FUNCTION touchbase_replies_before()
        """,
        """
        CREATE FUNCTION touchbase_replies_after() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            v_company uuid;
            v_referred uuid;
            v_name text := btrim(coalesce(NEW.referral_name, ''));
        BEGIN
            PERFORM touchbase_advance_stage(NEW.contact_id, 'replied');
            IF NEW.intent = 'unsubscribe' THEN
                UPDATE contacts SET do_not_contact = true, status = 'do_not_contact',
                    dnc_reason = coalesce(dnc_reason, 'Unsubscribed in reply ' || NEW.id)
                WHERE id = NEW.contact_id;
                UPDATE followups SET state = 'skipped' WHERE contact_id = NEW.contact_id AND state IN ('pending', 'overdue');
                UPDATE message_drafts SET approval_status = 'archived' WHERE contact_id = NEW.contact_id AND approval_status IN ('draft', 'ready');
            ELSIF NEW.intent = 'referral' AND v_name <> '' AND TG_OP = 'INSERT' THEN
                SELECT company_id INTO v_company FROM contacts WHERE id = NEW.contact_id;
                SELECT id INTO v_referred FROM contacts
                WHERE company_id IS NOT DISTINCT FROM v_company AND lower(full_name) = lower(v_name) AND id <> NEW.contact_id LIMIT 1;
                IF v_referred IS NULL THEN
                    INSERT INTO contacts (company_id, first_name, last_name, title, source)
                    VALUES (v_company, split_part(v_name, ' ', 1),
                            nullif(btrim(substring(v_name FROM length(split_part(v_name, ' ', 1)) + 1)), ''),
                            NEW.referral_title, 'referral')
                    RETURNING id INTO v_referred;
                END IF;
                IF NOT EXISTS (SELECT 1 FROM relationships WHERE LEAST(contact_id_1, contact_id_2) = LEAST(v_referred, NEW.contact_id)
                               AND GREATEST(contact_id_1, contact_id_2) = GREATEST(v_referred, NEW.contact_id)) THEN
                    INSERT INTO relationships (contact_id_1, contact_id_2, relationship_type, strength, metadata)
                    VALUES (v_referred, NEW.contact_id, 'referred_by', 'medium', jsonb_build_object('reply_id', NEW.id));
                END IF;
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER replies_after AFTER INSERT OR UPDATE OF intent ON replies
        FOR EACH ROW EXECUTE FUNCTION touchbase_replies_after()
        """,
        // Opportunities: company from the contact, attribution from the trigger touch and its draft, stages.
        """
        CREATE FUNCTION touchbase_opportunities_before() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            v_touch uuid := NEW.trigger_touchpoint_id;
        BEGIN
            IF NEW.company_id IS NULL THEN SELECT company_id INTO NEW.company_id FROM contacts WHERE id = NEW.contact_id; END IF;
            IF v_touch IS NULL AND NEW.trigger_reply_id IS NOT NULL THEN
                SELECT touchpoint_id INTO v_touch FROM replies WHERE id = NEW.trigger_reply_id;
            END IF;
            IF v_touch IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.trigger_touchpoint_id IS DISTINCT FROM OLD.trigger_touchpoint_id
                                        OR NEW.trigger_reply_id IS DISTINCT FROM OLD.trigger_reply_id) THEN
                SELECT coalesce(NEW.attribution_channel, t.channel), coalesce(NEW.attribution_touch_number, t.touch_number, d.touch_number),
                       coalesce(NEW.attribution_proof_point, d.proof_point_used), coalesce(NEW.attribution_pain_hook, d.pain_hook),
                       coalesce(NEW.attribution_opener_style, d.opener_style),
                       coalesce(NEW.attribution_personalization_score, d.personalization_score),
                       coalesce(NEW.attribution_ab_group, d.ab_group), coalesce(NEW.attribution_ab_variable, d.ab_variable)
                INTO NEW.attribution_channel, NEW.attribution_touch_number, NEW.attribution_proof_point, NEW.attribution_pain_hook,
                     NEW.attribution_opener_style, NEW.attribution_personalization_score, NEW.attribution_ab_group,
                     NEW.attribution_ab_variable
                FROM touchpoints t LEFT JOIN message_drafts d ON d.id = t.message_draft_id
                WHERE t.id = v_touch;
            END IF;
            IF NEW.status = 'opportunity_created' OR NEW.opportunity_created THEN
                NEW.opportunity_created := true;
                NEW.opportunity_created_date := coalesce(NEW.opportunity_created_date, now());
            END IF;
            IF NEW.status IN ('meeting_held', 'opportunity_created') THEN NEW.meeting_held := true; END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER opportunities_before BEFORE INSERT OR UPDATE ON opportunities
        FOR EACH ROW EXECUTE FUNCTION touchbase_opportunities_before()
        """,
        """
        CREATE FUNCTION touchbase_opportunities_after() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM touchbase_advance_stage(NEW.contact_id, CASE
                WHEN NEW.opportunity_created THEN 'opportunity'
                WHEN NEW.meeting_held THEN 'meeting_held'
                WHEN NEW.status = 'meeting_booked' THEN 'meeting_booked'
                ELSE 'new' END);
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER opportunities_after AFTER INSERT OR UPDATE OF status, meeting_held, opportunity_created ON opportunities
        FOR EACH ROW EXECUTE FUNCTION touchbase_opportunities_after()
        """,
        // Batches: sequential numbers; prospect_count kept by trigger; DNC hold on membership.
        """
        CREATE FUNCTION touchbase_batches_number() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(7423012);
            NEW.batch_number := coalesce((SELECT max(batch_number) FROM batches), 0) + 1;
            NEW.prospect_count := 0;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER batches_number BEFORE INSERT ON batches
        FOR EACH ROW EXECUTE FUNCTION touchbase_batches_number()
        """,
        """
        CREATE FUNCTION touchbase_batch_prospects_rules() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                PERFORM touchbase_refuse_if_dnc(NEW.contact_id, 'batch membership');
                UPDATE batches SET prospect_count = prospect_count + 1 WHERE id = NEW.batch_id;
            ELSIF TG_OP = 'DELETE' THEN
                UPDATE batches SET prospect_count = prospect_count - 1 WHERE id = OLD.batch_id;
            ELSIF NEW.batch_id IS DISTINCT FROM OLD.batch_id THEN
                UPDATE batches SET prospect_count = prospect_count - 1 WHERE id = OLD.batch_id;
                UPDATE batches SET prospect_count = prospect_count + 1 WHERE id = NEW.batch_id;
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER batch_prospects_rules AFTER INSERT OR DELETE OR UPDATE OF batch_id ON batch_prospects
        FOR EACH ROW EXECUTE FUNCTION touchbase_batch_prospects_rules()
        """,
    ]
}
