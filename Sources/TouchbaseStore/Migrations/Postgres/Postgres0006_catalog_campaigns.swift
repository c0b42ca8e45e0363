// Migration 0006 for PostgreSQL: seeds 003 and 004 — catalog, events, LLM usage, campaigns, meetings, handoffs,
// company slots, verification, renewals, intake, and their rules and views.
// A shipped migration is never edited.

private typealias Col = PostgresDDL.Col

extension Migrations {
    static let postgres0006: [String] =
        PostgresDDL.table("industries", [.raw("name text NOT NULL CONSTRAINT ck_industries__name CHECK (length(btrim(name)) > 0)")])
        + PostgresDDL.table("solutions", [
            .raw("name text NOT NULL CONSTRAINT ck_solutions__name CHECK (length(btrim(name)) > 0)"), .text("category"),
            .text("description"), .json("use_cases", array: true), .json("keywords", array: true), .text("pricing_model"),
        ])
        + PostgresDDL.table("industry_solutions", [
            .ref("industry_id", "industries", required: true), .ref("solution_id", "solutions", required: true),
        ])
        + PostgresDDL.table("events", [
            .text("name"), .raw("event_type TEXT NOT NULL"), .raw("event_date timestamptz NOT NULL"), .text("description"),
            .text("location"), .json("target_industries", array: true), .json("target_roles", array: true),
            .json("solutions_featured", array: true),
            .vocab("status", ["planned", "open", "closed", "completed", "cancelled"], default: "planned"),
        ])
        + PostgresDDL.table("llm_usage", [
            .raw("workflow_name TEXT NOT NULL"), .raw("node_name TEXT NOT NULL"), .raw("model TEXT NOT NULL"),
            .raw("prompt_tokens INTEGER NOT NULL CONSTRAINT ck_llm_usage__prompt_tokens CHECK (prompt_tokens >= 0)"),
            .raw("completion_tokens INTEGER NOT NULL CONSTRAINT ck_llm_usage__completion_tokens CHECK (completion_tokens >= 0)"),
            .int("total_tokens", min: 0),
            .raw("latency_ms INTEGER NOT NULL CONSTRAINT ck_llm_usage__latency_ms CHECK (latency_ms >= 0)"),
            .raw("cost double precision NOT NULL CONSTRAINT ck_llm_usage__cost CHECK (cost >= 0)"),
            .ref("agent_run_id", "agent_runs", cascade: false),
        ])
        + PostgresDDL.table("campaigns", [
            .raw("name text NOT NULL CONSTRAINT ck_campaigns__name CHECK (length(btrim(name)) > 0)"), .text("description"),
            .vocab("status", ["draft", "active", "paused", "completed"], default: "draft"),
        ])
        + PostgresDDL.table("campaign_contacts", [
            .ref("campaign_id", "campaigns", required: true), .ref("contact_id", "contacts", required: true),
        ])
        + PostgresDDL.table("meetings", [
            .ref("contact_id", "contacts", required: true), .ref("company_id", "companies"),
            .ref("campaign_id", "campaigns", cascade: false), .raw("event_time timestamptz NOT NULL"), .text("source"),
        ])
        + PostgresDDL.table("handoffs", [
            .ref("company_id", "companies", required: true), .ref("contact_id", "contacts"),
            .ref("campaign_id", "campaigns", cascade: false), .text("notes"),
        ])
        + PostgresDDL.table("intake_loads", [
            .raw("source TEXT NOT NULL"), .raw("kind TEXT NOT NULL CONSTRAINT ck_intake_loads__kind CHECK (kind IN ('companies','contacts'))"),
            .json("rows", array: true), .vocab("status", ["staged", "promoted", "failed"], default: "staged"), .json("result"),
            .ts("promoted_at"),
        ])
        + PostgresDDL.table("company_slots", [
            .ref("company_id", "companies", required: true),
            .raw("role_code TEXT NOT NULL CONSTRAINT ck_company_slots__role_code CHECK (role_code IN ('CEO','CFO','HR'))"),
            .raw("contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL"),
        ])
        + PostgresDDL.addColumns("companies", [
            .raw("industry_id uuid REFERENCES industries (id) ON DELETE SET NULL"), .text("ein"), .text("news_url"),
            .text("address_line1"), .text("address_line2"), .text("city"), .text("state_region"), .text("postal_code"),
            .text("country"), .int("renewal_month", min: 1, max: 12), .int("renewal_notice_window_days", default: 120, min: 0, max: 366),
            .ts("last_site_checked_at"), .ts("last_linkedin_checked_at"), .ts("last_news_checked_at"),
        ])
        + PostgresDDL.addColumns("contacts", [
            .text("profile_source_url"), .ts("last_profile_checked_at"),
            .vocab("email_status", ["green", "yellow", "red", "gray"], default: "gray"),
            .raw("email_confidence numeric(5,2) CONSTRAINT ck_contacts__email_confidence CHECK (email_confidence BETWEEN 0 AND 100)"),
            .ts("email_checked_at"), .text("email_source_url"),
        ])
        + PostgresDDL.addColumns("touchpoints", [
            .raw("event_id uuid REFERENCES events (id) ON DELETE SET NULL"),
            .raw("campaign_id uuid REFERENCES campaigns (id) ON DELETE SET NULL"),
            .vocab("sentiment", ["positive", "neutral", "negative", "mixed"]),
        ])
        + PostgresDDL.addColumns("research_snapshots", [
            .json("key_insights", array: true), .json("recommended_solutions", array: true),
            .raw("recommendation_confidence double precision CONSTRAINT ck_research_snapshots__recommendation_confidence CHECK (recommendation_confidence BETWEEN 0 AND 1)"),
        ])
        + PostgresDDL.addColumns("message_drafts", [.raw("event_id uuid REFERENCES events (id) ON DELETE SET NULL")])
        + PostgresDDL.addColumns("signals", [.text("dedupe_key")])
        + PostgresDDL.retouch("companies", Migrations.companyColumns0001 + companyColumns0003 + companyColumns0006)
        + PostgresDDL.retouch("contacts", Migrations.contactColumns0001 + contactColumns0003 + contactColumns0006)
        + PostgresDDL.retouch("touchpoints", Migrations.touchpointColumns0001 + touchpointColumns0003 + touchpointColumns0006)
        + [
            "CREATE UNIQUE INDEX ux_industries__name ON industries (lower(name))",
            "CREATE UNIQUE INDEX ux_industry_solutions__solution_id ON industry_solutions (industry_id, solution_id)",
            "CREATE INDEX ix_industry_solutions_solution ON industry_solutions (solution_id)",
            "CREATE INDEX ix_companies_industry_id ON companies (industry_id)",
            "CREATE INDEX ix_events_date ON events (event_date)",
            "CREATE INDEX ix_llm_usage_created ON llm_usage (created_at)",
            "CREATE INDEX ix_llm_usage_workflow ON llm_usage (workflow_name, created_at)",
            "CREATE UNIQUE INDEX ux_campaign_contacts__contact_id ON campaign_contacts (campaign_id, contact_id)",
            "CREATE INDEX ix_campaign_contacts_contact ON campaign_contacts (contact_id)",
            "CREATE INDEX ix_meetings_company ON meetings (company_id)",
            "CREATE INDEX ix_meetings_contact ON meetings (contact_id)",
            "CREATE INDEX ix_handoffs_company ON handoffs (company_id)",
            "CREATE UNIQUE INDEX ux_company_slots__role_code ON company_slots (company_id, role_code)",
            "CREATE INDEX ix_company_slots_contact ON company_slots (contact_id)",
            "CREATE INDEX ix_touchpoints_campaign ON touchpoints (campaign_id) WHERE campaign_id IS NOT NULL",
            "CREATE INDEX ix_touchpoints_event ON touchpoints (event_id) WHERE event_id IS NOT NULL",
            "CREATE UNIQUE INDEX ux_signals__dedupe_key ON signals (dedupe_key) WHERE dedupe_key IS NOT NULL",
            // The zero-wandering queues, each served by a partial index in queue order.
            "CREATE INDEX ix_queue_site ON companies (last_site_checked_at NULLS FIRST) WHERE website_url IS NOT NULL",
            "CREATE INDEX ix_queue_linkedin ON companies (last_linkedin_checked_at NULLS FIRST) WHERE linkedin_company_url IS NOT NULL",
            "CREATE INDEX ix_queue_news ON companies (last_news_checked_at NULLS FIRST) WHERE news_url IS NOT NULL",
            "CREATE INDEX ix_queue_profile ON contacts (last_profile_checked_at NULLS FIRST) WHERE coalesce(profile_source_url, linkedin_url) IS NOT NULL",
            "CREATE INDEX ix_queue_email ON contacts (email_checked_at NULLS FIRST) WHERE email IS NOT NULL",
            "CREATE INDEX ix_companies_renewal ON companies (renewal_month) WHERE renewal_month IS NOT NULL",
            // Company slots: three per company from the moment it exists, whoever inserts it; never deleted alone.
            "INSERT INTO company_slots (company_id, role_code) SELECT c.id, r.role FROM companies c CROSS JOIN (VALUES ('CEO'), ('CFO'), ('HR')) AS r(role)",
            """
            CREATE FUNCTION touchbase_companies_slots() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO company_slots (company_id, role_code) VALUES (NEW.id, 'CEO'), (NEW.id, 'CFO'), (NEW.id, 'HR');
                RETURN NULL;
            END $$
            """,
            "CREATE TRIGGER companies_slots AFTER INSERT ON companies FOR EACH ROW EXECUTE FUNCTION touchbase_companies_slots()",
            """
            CREATE FUNCTION touchbase_company_slots_rules() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    IF EXISTS (SELECT 1 FROM companies WHERE id = OLD.company_id) THEN
                        RAISE EXCEPTION 'company_slots: a company keeps its CEO, CFO and HR slots; clear contact_id instead';
                    END IF;
                    RETURN OLD;
                END IF;
                IF NEW.company_id IS DISTINCT FROM OLD.company_id OR NEW.role_code IS DISTINCT FROM OLD.role_code THEN
                    RAISE EXCEPTION 'company_slots: a slot''s company and role do not change';
                END IF;
                IF NEW.contact_id IS NOT NULL AND NEW.contact_id IS DISTINCT FROM OLD.contact_id
                   AND NOT EXISTS (SELECT 1 FROM contacts WHERE id = NEW.contact_id AND company_id IS NOT DISTINCT FROM NEW.company_id) THEN
                    RAISE EXCEPTION 'company_slots: the contact must work at the slot''s company';
                END IF;
                RETURN NEW;
            END $$
            """,
            "CREATE TRIGGER company_slots_rules BEFORE UPDATE OR DELETE ON company_slots FOR EACH ROW EXECUTE FUNCTION touchbase_company_slots_rules()",
            // A red email is never used for an outbound email touch (contact_id is filled by the earlier BEFORE trigger).
            """
            CREATE FUNCTION touchbase_touchpoints_red_email() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.direction = 'outbound' AND NEW.channel = 'email'
                   AND EXISTS (SELECT 1 FROM contacts WHERE id = NEW.contact_id AND email_status = 'red') THEN
                    RAISE EXCEPTION 'email_status_red: the contact''s email is verified invalid (red); an outbound email is refused';
                END IF;
                RETURN NULL;
            END $$
            """,
            "CREATE TRIGGER touchpoints_red_email AFTER INSERT ON touchpoints FOR EACH ROW EXECUTE FUNCTION touchbase_touchpoints_red_email()",
            """
            CREATE FUNCTION touchbase_llm_usage_total() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.total_tokens := coalesce(NEW.total_tokens, NEW.prompt_tokens + NEW.completion_tokens);
                RETURN NEW;
            END $$
            """,
            "CREATE TRIGGER llm_usage_total BEFORE INSERT ON llm_usage FOR EACH ROW EXECUTE FUNCTION touchbase_llm_usage_total()",
            """
            CREATE FUNCTION touchbase_meetings_company() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.company_id IS NULL THEN SELECT company_id INTO NEW.company_id FROM contacts WHERE id = NEW.contact_id; END IF;
                RETURN NEW;
            END $$
            """,
            "CREATE TRIGGER meetings_company BEFORE INSERT ON meetings FOR EACH ROW EXECUTE FUNCTION touchbase_meetings_company()",
            // Seed 004's views.
            """
            CREATE VIEW company_slots_view AS
            SELECT s.id AS slot_id, s.company_id, c.name AS company_name, s.role_code, s.contact_id, p.full_name, p.title,
                p.email, p.email_status
            FROM company_slots s JOIN companies c ON c.id = s.company_id LEFT JOIN contacts p ON p.id = s.contact_id
            """,
            """
            CREATE VIEW next_renewals AS
            SELECT x.company_id, x.company_name, x.renewal_month, x.renewal_notice_window_days, x.next_renewal_date,
                (x.next_renewal_date - x.renewal_notice_window_days) AS campaign_window_start
            FROM (
                SELECT c.id AS company_id, c.name AS company_name, c.renewal_month, c.renewal_notice_window_days,
                    CASE WHEN make_date(extract(year FROM current_date)::int, c.renewal_month, 1) >= current_date
                         THEN make_date(extract(year FROM current_date)::int, c.renewal_month, 1)
                         ELSE make_date(extract(year FROM current_date)::int + 1, c.renewal_month, 1) END AS next_renewal_date
                FROM companies c WHERE c.renewal_month IS NOT NULL
            ) x
            """,
            """
            CREATE VIEW due_renewals AS
            SELECT r.*, EXISTS (SELECT 1 FROM company_slots s JOIN contacts p ON p.id = s.contact_id
                                WHERE s.company_id = r.company_id AND p.email_status = 'green') AS has_green_contact
            FROM next_renewals r
            WHERE current_date >= r.campaign_window_start
            """,
        ] + ["industries", "solutions", "industry_solutions", "events", "llm_usage", "campaigns", "campaign_contacts",
             "meetings", "handoffs", "intake_loads", "company_slots"].map { table in
            "CREATE TRIGGER \(table)_audit AFTER INSERT OR UPDATE OR DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION touchbase_audit()"
        }
}
