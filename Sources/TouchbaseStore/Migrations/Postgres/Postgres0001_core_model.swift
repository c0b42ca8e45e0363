// Migration 0001 for PostgreSQL: the core ABM model of seeds 000 and 001.
// A shipped migration is never edited; later changes go into a new numbered migration.

private func inList(_ words: [String]) -> String { words.map { "'\($0)'" }.joined(separator: ",") }

private func vocab(_ table: String, _ name: String, _ words: [String], default value: String? = nil) -> String {
    let def = value.map { " NOT NULL DEFAULT '\($0)'" } ?? ""
    return "\(name) text\(def) CONSTRAINT ck_\(table)__\(name) CHECK (\(name) IN (\(inList(words))))"
}

private func json(_ table: String, _ name: String, array: Bool = false) -> String {
    let kind = array ? "array" : "object"
    return "\(name) jsonb NOT NULL DEFAULT '\(array ? "[]" : "{}")'::jsonb CONSTRAINT ck_\(table)__\(name) CHECK (jsonb_typeof(\(name)) = '\(kind)')"
}

/// `updated_at` moves when a writable column changes, whoever writes.
private func touchUpdatedAt(_ table: String, _ columns: [String]) -> String {
    """
    CREATE TRIGGER \(table)_updated_at BEFORE UPDATE OF \(columns.joined(separator: ", ")) ON \(table)
    FOR EACH ROW EXECUTE FUNCTION touchbase_touch_updated_at()
    """
}

private let closed = inList(["closed", "won", "lost"])

extension Migrations {
    static let postgres0001: [String] = [
        // Time-ordered UUIDs (version 7) for rows inserted without an id; gen_random_uuid is built in since 13.
        """
        CREATE FUNCTION touchbase_uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
            SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING
                substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
        $$
        """,
        """
        CREATE FUNCTION touchbase_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN NEW.updated_at := now(); END IF;
            RETURN NEW;
        END $$
        """,

        // companies
        """
        CREATE TABLE companies (
            id uuid PRIMARY KEY DEFAULT touchbase_uuid_v7(),
            name text NOT NULL CONSTRAINT ck_companies__name CHECK (length(btrim(name)) > 0),
            domain text,
            industry text,
            size text,
            \(json("companies", "research_data")),
            \(vocab("companies", "account_tier", ["strategic", "tier1", "tier2", "tier3"])),
            \(vocab("companies", "account_status", ["prospecting", "engaged", "customer", "churned"], default: "prospecting")),
            total_contacts integer NOT NULL DEFAULT 0,
            active_conversations integer NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            search_vector tsvector GENERATED ALWAYS AS (
                to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(domain, '') || ' ' || coalesce(industry, ''))) STORED
        )
        """,
        "CREATE UNIQUE INDEX ux_companies__domain ON companies (lower(domain)) WHERE domain IS NOT NULL",
        "CREATE INDEX ix_companies_industry ON companies (industry)",
        "CREATE INDEX ix_companies_account_tier ON companies (account_tier)",
        "CREATE INDEX ix_companies_account_status ON companies (account_status)",
        "CREATE INDEX ix_companies_research_data ON companies USING gin (research_data)",
        "CREATE INDEX ix_companies_search ON companies USING gin (search_vector)",
        touchUpdatedAt("companies", Migrations.companyColumns0001),

        // contacts
        """
        CREATE TABLE contacts (
            id uuid PRIMARY KEY DEFAULT touchbase_uuid_v7(),
            company_id uuid REFERENCES companies (id) ON DELETE CASCADE,
            first_name text NOT NULL,
            last_name text,
            full_name text GENERATED ALWAYS AS (btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) STORED,
            email text,
            linkedin_url text,
            phone text,
            title text,
            role text,
            department text,
            \(vocab("contacts", "seniority_level", ["c-level", "vp", "director", "manager", "individual_contributor"])),
            \(vocab("contacts", "status", ["active", "dormant", "bounced", "do_not_contact"], default: "active")),
            \(json("contacts", "interests", array: true)),
            \(json("contacts", "research_data")),
            engagement_score integer NOT NULL DEFAULT 0 CONSTRAINT ck_contacts__engagement_score CHECK (engagement_score BETWEEN 0 AND 100),
            is_primary_contact boolean NOT NULL DEFAULT false,
            is_decision_maker boolean NOT NULL DEFAULT false,
            is_champion boolean NOT NULL DEFAULT false,
            total_touchpoints integer NOT NULL DEFAULT 0,
            last_engaged_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            search_vector tsvector GENERATED ALWAYS AS (
                to_tsvector('simple', coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(title, ''))) STORED
        )
        """,
        "CREATE UNIQUE INDEX ux_contacts__email ON contacts (lower(email)) WHERE email IS NOT NULL",
        "CREATE UNIQUE INDEX ux_contacts__linkedin_url ON contacts (linkedin_url) WHERE linkedin_url IS NOT NULL",
        "CREATE INDEX ix_contacts_company_role ON contacts (company_id, role)",
        "CREATE INDEX ix_contacts_role ON contacts (role)",
        "CREATE INDEX ix_contacts_status ON contacts (status)",
        "CREATE INDEX ix_contacts_primary ON contacts (company_id) WHERE is_primary_contact",
        "CREATE INDEX ix_contacts_decision_maker ON contacts (company_id) WHERE is_decision_maker",
        "CREATE INDEX ix_contacts_interests ON contacts USING gin (interests)",
        "CREATE INDEX ix_contacts_research_data ON contacts USING gin (research_data)",
        "CREATE INDEX ix_contacts_search ON contacts USING gin (search_vector)",
        touchUpdatedAt("contacts", Migrations.contactColumns0001),
        """
        CREATE FUNCTION touchbase_contacts_count() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.company_id IS NOT NULL THEN
                UPDATE companies SET total_contacts = total_contacts - 1 WHERE id = OLD.company_id;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.company_id IS NOT NULL THEN
                UPDATE companies SET total_contacts = total_contacts + 1 WHERE id = NEW.company_id;
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER contacts_count_trigger AFTER INSERT OR DELETE ON contacts
        FOR EACH ROW EXECUTE FUNCTION touchbase_contacts_count()
        """,
        """
        CREATE TRIGGER contacts_count_move AFTER UPDATE OF company_id ON contacts
        FOR EACH ROW WHEN (OLD.company_id IS DISTINCT FROM NEW.company_id) EXECUTE FUNCTION touchbase_contacts_count()
        """,

        // relationships
        """
        CREATE TABLE relationships (
            id uuid PRIMARY KEY DEFAULT touchbase_uuid_v7(),
            contact_id_1 uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
            contact_id_2 uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
            \(vocab("relationships", "relationship_type", ["colleagues", "reports_to", "manager_of", "peer", "assistant_to", "referred_by", "former_colleagues", "influencer", "other"], default: "colleagues")),
            \(vocab("relationships", "strength", ["weak", "medium", "strong"], default: "medium")),
            confidence_score numeric(4,3) DEFAULT 1.0 CONSTRAINT ck_relationships__confidence_score CHECK (confidence_score BETWEEN 0 AND 1),
            \(json("relationships", "metadata")),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT ck_relationships__contact_id_2 CHECK (contact_id_1 <> contact_id_2),
            CONSTRAINT ux_relationships__contact_id_1_contact_id_2 UNIQUE (contact_id_1, contact_id_2)
        )
        """,
        // One row per unordered pair: the reverse of an existing pair is a duplicate.
        "CREATE UNIQUE INDEX ux_relationships__pair ON relationships (LEAST(contact_id_1, contact_id_2), GREATEST(contact_id_1, contact_id_2))",
        "CREATE INDEX ix_relationships_contact_2 ON relationships (contact_id_2)",
        "CREATE INDEX ix_relationships_type ON relationships (relationship_type)",
        "CREATE INDEX ix_relationships_metadata ON relationships USING gin (metadata)",
        """
        CREATE FUNCTION touchbase_relationships_no_reverse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM relationships WHERE contact_id_1 = NEW.contact_id_2 AND contact_id_2 = NEW.contact_id_1) THEN
                RAISE EXCEPTION 'the reverse relationship already exists'
                    USING ERRCODE = 'unique_violation', CONSTRAINT = 'ux_relationships__pair';
            END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER relationships_no_reverse BEFORE INSERT OR UPDATE OF contact_id_1, contact_id_2 ON relationships
        FOR EACH ROW EXECUTE FUNCTION touchbase_relationships_no_reverse()
        """,
        touchUpdatedAt("relationships", Migrations.relationshipColumns0001),

        // conversations
        """
        CREATE TABLE conversations (
            id uuid PRIMARY KEY DEFAULT touchbase_uuid_v7(),
            contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
            company_id uuid REFERENCES companies (id) ON DELETE CASCADE,
            \(vocab("conversations", "status", ["active", "paused", "closed", "won", "lost", "nurturing"], default: "active")),
            \(vocab("conversations", "qualification_tier", ["scorching", "hot", "warm", "cool", "cold"])),
            subject text,
            touchpoint_count integer NOT NULL DEFAULT 0,
            last_touchpoint_at timestamptz,
            next_touchpoint_at timestamptz,
            sequence_step integer NOT NULL DEFAULT 0 CONSTRAINT ck_conversations__sequence_step CHECK (sequence_step >= 0),
            \(json("conversations", "context")),
            \(json("conversations", "metadata")),
            estimated_value numeric(18,2) CONSTRAINT ck_conversations__estimated_value CHECK (estimated_value >= 0),
            actual_value numeric(18,2) CONSTRAINT ck_conversations__actual_value CHECK (actual_value >= 0),
            outcome text,
            closed_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        "CREATE INDEX ix_conversations_contact_status ON conversations (contact_id, status)",
        "CREATE INDEX ix_conversations_company_status ON conversations (company_id, status)",
        "CREATE INDEX ix_conversations_status ON conversations (status)",
        "CREATE INDEX ix_conversations_tier ON conversations (qualification_tier)",
        "CREATE INDEX ix_conversations_next_touchpoint ON conversations (next_touchpoint_at) WHERE status = 'active' AND next_touchpoint_at IS NOT NULL",
        "CREATE INDEX ix_conversations_context ON conversations USING gin (context)",
        "CREATE INDEX ix_conversations_metadata ON conversations USING gin (metadata)",
        touchUpdatedAt("conversations", Migrations.conversationColumns0001),
        // Company filled from the contact; closed_at set on closed/won/lost and cleared on reopening.
        """
        CREATE FUNCTION touchbase_conversations_before() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' AND NEW.company_id IS NULL THEN
                SELECT company_id INTO NEW.company_id FROM contacts WHERE id = NEW.contact_id;
            END IF;
            IF NEW.status IN (\(closed)) THEN
                IF (TG_OP = 'INSERT' OR OLD.status NOT IN (\(closed))) AND NEW.closed_at IS NULL THEN
                    NEW.closed_at := now();
                END IF;
            ELSIF TG_OP = 'UPDATE' THEN
                NEW.closed_at := NULL;
            END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER conversations_closed_at_trigger BEFORE INSERT OR UPDATE OF status ON conversations
        FOR EACH ROW EXECUTE FUNCTION touchbase_conversations_before()
        """,
        """
        CREATE FUNCTION touchbase_conversations_count() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.status = 'active' AND OLD.company_id IS NOT NULL THEN
                UPDATE companies SET active_conversations = active_conversations - 1 WHERE id = OLD.company_id;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'active' AND NEW.company_id IS NOT NULL THEN
                UPDATE companies SET active_conversations = active_conversations + 1 WHERE id = NEW.company_id;
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER conversations_count_trigger AFTER INSERT OR DELETE ON conversations
        FOR EACH ROW EXECUTE FUNCTION touchbase_conversations_count()
        """,
        """
        CREATE TRIGGER conversations_count_update AFTER UPDATE OF status, company_id ON conversations
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.company_id IS DISTINCT FROM NEW.company_id)
        EXECUTE FUNCTION touchbase_conversations_count()
        """,

        // touchpoints
        """
        CREATE TABLE touchpoints (
            id uuid PRIMARY KEY DEFAULT touchbase_uuid_v7(),
            conversation_id uuid REFERENCES conversations (id) ON DELETE CASCADE,
            contact_id uuid REFERENCES contacts (id) ON DELETE CASCADE,
            company_id uuid REFERENCES companies (id) ON DELETE CASCADE,
            \(vocab("touchpoints", "channel", ["email", "sms", "call", "linkedin", "mail", "whatsapp", "meeting"])) NOT NULL,
            \(vocab("touchpoints", "direction", ["outbound", "inbound"], default: "outbound")),
            subject text,
            content text,
            response text,
            sent_at timestamptz,
            delivered_at timestamptz,
            opened_at timestamptz,
            clicked_at timestamptz,
            replied_at timestamptz,
            \(vocab("touchpoints", "outcome", ["sent", "delivered", "opened", "clicked", "replied", "bounced", "failed", "connected", "voicemail", "no_answer", "wrong_number"])),
            \(json("touchpoints", "metadata")),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT ck_touchpoints__contact_id CHECK (conversation_id IS NOT NULL OR contact_id IS NOT NULL)
        )
        """,
        "CREATE INDEX ix_touchpoints_conversation_created ON touchpoints (conversation_id, created_at)",
        "CREATE INDEX ix_touchpoints_conversation_channel ON touchpoints (conversation_id, channel)",
        "CREATE INDEX ix_touchpoints_contact ON touchpoints (contact_id)",
        "CREATE INDEX ix_touchpoints_company ON touchpoints (company_id)",
        "CREATE INDEX ix_touchpoints_channel ON touchpoints (channel)",
        "CREATE INDEX ix_touchpoints_direction ON touchpoints (direction)",
        "CREATE INDEX ix_touchpoints_outcome ON touchpoints (outcome)",
        "CREATE INDEX ix_touchpoints_sent_at ON touchpoints (sent_at)",
        "CREATE INDEX ix_touchpoints_replied_at ON touchpoints (replied_at) WHERE replied_at IS NOT NULL",
        "CREATE INDEX ix_touchpoints_metadata ON touchpoints USING gin (metadata)",
        touchUpdatedAt("touchpoints", Migrations.touchpointColumns0001),
        // Contact and company filled from the conversation; outcome raised from the event timestamps.
        """
        CREATE FUNCTION touchbase_touchpoints_before() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                IF NEW.contact_id IS NULL THEN
                    SELECT contact_id INTO NEW.contact_id FROM conversations WHERE id = NEW.conversation_id;
                END IF;
                IF NEW.company_id IS NULL THEN
                    SELECT company_id INTO NEW.company_id FROM conversations WHERE id = NEW.conversation_id;
                END IF;
                IF NEW.company_id IS NULL THEN
                    SELECT company_id INTO NEW.company_id FROM contacts WHERE id = NEW.contact_id;
                END IF;
            END IF;
            NEW.outcome := CASE
                WHEN NEW.outcome IN ('bounced','failed','connected','voicemail','no_answer','wrong_number') THEN NEW.outcome
                WHEN NEW.replied_at IS NOT NULL OR NEW.outcome = 'replied' THEN 'replied'
                WHEN NEW.clicked_at IS NOT NULL OR NEW.outcome = 'clicked' THEN 'clicked'
                WHEN NEW.opened_at IS NOT NULL OR NEW.outcome = 'opened' THEN 'opened'
                WHEN NEW.delivered_at IS NOT NULL OR NEW.outcome = 'delivered' THEN 'delivered'
                WHEN NEW.sent_at IS NOT NULL OR NEW.outcome = 'sent' THEN 'sent'
                ELSE NEW.outcome END;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER touchpoints_outcome_trigger BEFORE INSERT OR UPDATE OF sent_at, delivered_at, opened_at, clicked_at, replied_at, outcome
        ON touchpoints FOR EACH ROW EXECUTE FUNCTION touchbase_touchpoints_before()
        """,
        """
        CREATE FUNCTION touchbase_touchpoints_after() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE conversations SET touchpoint_count = touchpoint_count + 1,
                    last_touchpoint_at = GREATEST(last_touchpoint_at, coalesce(NEW.sent_at, NEW.created_at))
                WHERE id = NEW.conversation_id;
                UPDATE contacts SET total_touchpoints = total_touchpoints + 1,
                    last_engaged_at = GREATEST(last_engaged_at, coalesce(NEW.replied_at, NEW.clicked_at, NEW.opened_at, NEW.sent_at, NEW.created_at))
                WHERE id = NEW.contact_id;
            ELSIF TG_OP = 'UPDATE' THEN
                UPDATE contacts SET last_engaged_at = GREATEST(last_engaged_at, NEW.replied_at, NEW.clicked_at, NEW.opened_at)
                WHERE id = NEW.contact_id;
            ELSE
                UPDATE conversations SET touchpoint_count = touchpoint_count - 1,
                    last_touchpoint_at = (SELECT max(coalesce(sent_at, created_at)) FROM touchpoints WHERE conversation_id = OLD.conversation_id)
                WHERE id = OLD.conversation_id;
                UPDATE contacts SET total_touchpoints = total_touchpoints - 1 WHERE id = OLD.contact_id;
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER touchpoints_update_conversation_trigger AFTER INSERT OR DELETE ON touchpoints
        FOR EACH ROW EXECUTE FUNCTION touchbase_touchpoints_after()
        """,
        """
        CREATE TRIGGER touchpoints_engagement_trigger AFTER UPDATE OF opened_at, clicked_at, replied_at ON touchpoints
        FOR EACH ROW WHEN (OLD.opened_at IS DISTINCT FROM NEW.opened_at OR OLD.clicked_at IS DISTINCT FROM NEW.clicked_at
                           OR OLD.replied_at IS DISTINCT FROM NEW.replied_at)
        EXECUTE FUNCTION touchbase_touchpoints_after()
        """,
    ] + Migrations.sharedViews0001(now: "now()") + [
        // The dashboard's materialized overview; the API reads account_overview_live so it is always fresh.
        "CREATE MATERIALIZED VIEW account_overview AS SELECT * FROM account_overview_live",
        "CREATE UNIQUE INDEX ux_account_overview__company_id ON account_overview (company_id)",
        """
        CREATE FUNCTION refresh_account_overview() RETURNS void LANGUAGE sql AS $$
            REFRESH MATERIALIZED VIEW CONCURRENTLY account_overview
        $$
        """,
        // Seed 000's helper functions, over the same views the repositories read.
        """
        CREATE FUNCTION get_contact_relationships(p_contact_id uuid) RETURNS SETOF contact_relationships
        LANGUAGE sql STABLE AS $$ SELECT * FROM contact_relationships WHERE contact_id = p_contact_id $$
        """,
        """
        CREATE FUNCTION get_colleagues(p_contact_id uuid) RETURNS SETOF contact_colleagues
        LANGUAGE sql STABLE AS $$ SELECT * FROM contact_colleagues WHERE contact_id = p_contact_id $$
        """,
        """
        CREATE FUNCTION get_active_conversations(p_company_id uuid) RETURNS SETOF conversations
        LANGUAGE sql STABLE AS $$
            SELECT * FROM conversations WHERE company_id = p_company_id AND status = 'active' ORDER BY last_touchpoint_at DESC NULLS LAST
        $$
        """,
        """
        CREATE FUNCTION get_conversations_needing_followup() RETURNS SETOF conversations_needing_followup
        LANGUAGE sql STABLE AS $$ SELECT * FROM conversations_needing_followup ORDER BY next_touchpoint_at $$
        """,
        """
        CREATE FUNCTION get_touchpoint_history(p_conversation_id uuid) RETURNS SETOF touchpoints
        LANGUAGE sql STABLE AS $$
            SELECT * FROM touchpoints WHERE conversation_id = p_conversation_id ORDER BY coalesce(sent_at, created_at), id
        $$
        """,
        """
        CREATE FUNCTION get_conversation_engagement_metrics(p_conversation_id uuid)
        RETURNS TABLE (total_touchpoints bigint, outbound_touchpoints bigint, inbound_touchpoints bigint, emails_sent bigint,
                       delivered bigint, opened bigint, clicked bigint, replied bigint, bounced bigint,
                       open_rate numeric, click_rate numeric, reply_rate numeric)
        LANGUAGE sql STABLE AS $$
            SELECT m.*, round(100.0 * m.opened / nullif(m.outbound_touchpoints, 0), 1),
                   round(100.0 * m.clicked / nullif(m.outbound_touchpoints, 0), 1),
                   round(100.0 * m.replied / nullif(m.outbound_touchpoints, 0), 1)
            FROM (SELECT \(Migrations.engagementCounts0001("t.conversation_id = p_conversation_id"))) m
        $$
        """,
    ]
}
