// Migration 0006 for SQLite: seeds 003 and 004 — catalog, events, LLM usage, campaigns, meetings, handoffs,
// company slots, verification, renewals, intake, and their rules and views.
// A shipped migration is never edited.

private typealias Col = SQLiteDDL.Col
private let nowExpr = SQLiteDDL.nowExpr

extension Migrations {
    static let companyColumns0006 = [
        "industry_id", "ein", "news_url", "address_line1", "address_line2", "city", "state_region", "postal_code", "country",
        "renewal_month", "renewal_notice_window_days",
    ]
    static let contactColumns0006 = ["profile_source_url"]
    static let touchpointColumns0006 = ["event_id", "campaign_id", "sentiment"]

    static let sqlite0006: [String] =
        SQLiteDDL.table("industries", [.raw("name TEXT NOT NULL CONSTRAINT ck_industries__name CHECK (length(trim(name)) > 0)")])
        + SQLiteDDL.table("solutions", [
            .raw("name TEXT NOT NULL CONSTRAINT ck_solutions__name CHECK (length(trim(name)) > 0)"), .text("category"),
            .text("description"), .json("use_cases", array: true), .json("keywords", array: true), .text("pricing_model"),
        ])
        + SQLiteDDL.table("industry_solutions", [
            .ref("industry_id", "industries", required: true), .ref("solution_id", "solutions", required: true),
        ])
        + SQLiteDDL.table("events", [
            .text("name"), .raw("event_type TEXT NOT NULL"), .raw("event_date TEXT NOT NULL"), .text("description"),
            .text("location"), .json("target_industries", array: true), .json("target_roles", array: true),
            .json("solutions_featured", array: true),
            .vocab("status", ["planned", "open", "closed", "completed", "cancelled"], default: "planned"),
        ])
        + SQLiteDDL.table("llm_usage", [
            .raw("workflow_name TEXT NOT NULL"), .raw("node_name TEXT NOT NULL"), .raw("model TEXT NOT NULL"),
            .raw("prompt_tokens INTEGER NOT NULL CONSTRAINT ck_llm_usage__prompt_tokens CHECK (prompt_tokens >= 0)"),
            .raw("completion_tokens INTEGER NOT NULL CONSTRAINT ck_llm_usage__completion_tokens CHECK (completion_tokens >= 0)"),
            .int("total_tokens", min: 0),
            .raw("latency_ms INTEGER NOT NULL CONSTRAINT ck_llm_usage__latency_ms CHECK (latency_ms >= 0)"),
            .raw("cost REAL NOT NULL CONSTRAINT ck_llm_usage__cost CHECK (cost >= 0)"),
            .ref("agent_run_id", "agent_runs", cascade: false),
        ])
        + SQLiteDDL.table("campaigns", [
            .raw("name TEXT NOT NULL CONSTRAINT ck_campaigns__name CHECK (length(trim(name)) > 0)"), .text("description"),
            .vocab("status", ["draft", "active", "paused", "completed"], default: "draft"),
        ])
        + SQLiteDDL.table("campaign_contacts", [
            .ref("campaign_id", "campaigns", required: true), .ref("contact_id", "contacts", required: true),
        ])
        + SQLiteDDL.table("meetings", [
            .ref("contact_id", "contacts", required: true), .ref("company_id", "companies"),
            .ref("campaign_id", "campaigns", cascade: false), .raw("event_time TEXT NOT NULL"), .text("source"),
        ])
        + SQLiteDDL.table("handoffs", [
            .ref("company_id", "companies", required: true), .ref("contact_id", "contacts"),
            .ref("campaign_id", "campaigns", cascade: false), .text("notes"),
        ])
        + SQLiteDDL.table("intake_loads", [
            .raw("source TEXT NOT NULL"), .raw("kind TEXT NOT NULL CONSTRAINT ck_intake_loads__kind CHECK (kind IN ('companies','contacts'))"),
            .json("rows", array: true), .vocab("status", ["staged", "promoted", "failed"], default: "staged"), .json("result"),
            .ts("promoted_at"),
        ])
        + SQLiteDDL.table("company_slots", [
            .ref("company_id", "companies", required: true),
            .raw("role_code TEXT NOT NULL CONSTRAINT ck_company_slots__role_code CHECK (role_code IN ('CEO','CFO','HR'))"),
            .raw("contact_id TEXT REFERENCES contacts (id) ON DELETE SET NULL"),
        ])
        + SQLiteDDL.addColumns("companies", [
            .raw("industry_id TEXT REFERENCES industries (id) ON DELETE SET NULL"), .text("ein"), .text("news_url"),
            .text("address_line1"), .text("address_line2"), .text("city"), .text("state_region"), .text("postal_code"),
            .text("country"), .int("renewal_month", min: 1, max: 12), .int("renewal_notice_window_days", default: 120, min: 0, max: 366),
            .ts("last_site_checked_at"), .ts("last_linkedin_checked_at"), .ts("last_news_checked_at"),
        ])
        + SQLiteDDL.addColumns("contacts", [
            .text("profile_source_url"), .ts("last_profile_checked_at"),
            .vocab("email_status", ["green", "yellow", "red", "gray"], default: "gray"),
            .raw("email_confidence REAL CONSTRAINT ck_contacts__email_confidence CHECK (email_confidence BETWEEN 0 AND 100)"),
            .ts("email_checked_at"), .text("email_source_url"),
        ])
        + SQLiteDDL.addColumns("touchpoints", [
            .raw("event_id TEXT REFERENCES events (id) ON DELETE SET NULL"),
            .raw("campaign_id TEXT REFERENCES campaigns (id) ON DELETE SET NULL"),
            .vocab("sentiment", ["positive", "neutral", "negative", "mixed"]),
        ])
        + SQLiteDDL.addColumns("research_snapshots", [
            .json("key_insights", array: true), .json("recommended_solutions", array: true),
            .raw("recommendation_confidence REAL CONSTRAINT ck_research_snapshots__recommendation_confidence CHECK (recommendation_confidence BETWEEN 0 AND 1)"),
        ])
        + SQLiteDDL.addColumns("message_drafts", [.raw("event_id TEXT REFERENCES events (id) ON DELETE SET NULL")])
        + SQLiteDDL.addColumns("signals", [.text("dedupe_key")])
        + SQLiteDDL.retouch("companies", Migrations.companyColumns0001 + companyColumns0003 + companyColumns0006)
        + SQLiteDDL.retouch("contacts", Migrations.contactColumns0001 + contactColumns0003 + contactColumns0006)
        + SQLiteDDL.retouch("touchpoints", Migrations.touchpointColumns0001 + touchpointColumns0003 + touchpointColumns0006)
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
            "CREATE INDEX ix_queue_site ON companies (last_site_checked_at) WHERE website_url IS NOT NULL",
            "CREATE INDEX ix_queue_linkedin ON companies (last_linkedin_checked_at) WHERE linkedin_company_url IS NOT NULL",
            "CREATE INDEX ix_queue_news ON companies (last_news_checked_at) WHERE news_url IS NOT NULL",
            "CREATE INDEX ix_queue_profile ON contacts (last_profile_checked_at) WHERE coalesce(profile_source_url, linkedin_url) IS NOT NULL",
            "CREATE INDEX ix_queue_email ON contacts (email_checked_at) WHERE email IS NOT NULL",
            "CREATE INDEX ix_companies_renewal ON companies (renewal_month) WHERE renewal_month IS NOT NULL",
            // Company slots: three per company from the moment it exists, whoever inserts it; never deleted alone.
            "INSERT INTO company_slots (company_id, role_code) SELECT c.id, r.role FROM companies c, (SELECT 'CEO' AS role UNION ALL SELECT 'CFO' UNION ALL SELECT 'HR') r",
            """
            CREATE TRIGGER companies_slots AFTER INSERT ON companies
            BEGIN INSERT INTO company_slots (company_id, role_code) VALUES (NEW.id, 'CEO'), (NEW.id, 'CFO'), (NEW.id, 'HR'); END
            """,
            """
            CREATE TRIGGER company_slots_keep BEFORE DELETE ON company_slots
            WHEN EXISTS (SELECT 1 FROM companies WHERE id = OLD.company_id)
            BEGIN SELECT RAISE(ABORT, 'company_slots: a company keeps its CEO, CFO and HR slots; clear contact_id instead'); END
            """,
            """
            CREATE TRIGGER company_slots_same_company BEFORE UPDATE OF contact_id ON company_slots
            WHEN NEW.contact_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM contacts WHERE id = NEW.contact_id AND company_id IS NEW.company_id)
            BEGIN SELECT RAISE(ABORT, 'company_slots: the contact must work at the slot''s company'); END
            """,
            """
            CREATE TRIGGER company_slots_fixed BEFORE UPDATE OF company_id, role_code ON company_slots
            WHEN NEW.company_id IS NOT OLD.company_id OR NEW.role_code IS NOT OLD.role_code
            BEGIN SELECT RAISE(ABORT, 'company_slots: a slot''s company and role do not change'); END
            """,
            // A red email is never used for an outbound email touch.
            """
            CREATE TRIGGER touchpoints_red_email BEFORE INSERT ON touchpoints
            WHEN NEW.direction = 'outbound' AND NEW.channel = 'email'
                AND EXISTS (SELECT 1 FROM contacts WHERE id = coalesce(NEW.contact_id, (SELECT contact_id FROM conversations WHERE id = NEW.conversation_id)) AND email_status = 'red')
            BEGIN SELECT RAISE(ABORT, 'email_status_red: the contact''s email is verified invalid (red); an outbound email is refused'); END
            """,
            // LLM usage: total = prompt + completion when not given.
            """
            CREATE TRIGGER llm_usage_total AFTER INSERT ON llm_usage WHEN NEW.total_tokens IS NULL
            BEGIN UPDATE llm_usage SET total_tokens = NEW.prompt_tokens + NEW.completion_tokens WHERE id = NEW.id; END
            """,
            // Meetings take the contact's company when not given.
            """
            CREATE TRIGGER meetings_company AFTER INSERT ON meetings WHEN NEW.company_id IS NULL
            BEGIN UPDATE meetings SET company_id = (SELECT company_id FROM contacts WHERE id = NEW.contact_id) WHERE id = NEW.id; END
            """,
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
                date(x.next_renewal_date, '-' || x.renewal_notice_window_days || ' days') AS campaign_window_start
            FROM (
                SELECT c.id AS company_id, c.name AS company_name, c.renewal_month, c.renewal_notice_window_days,
                    CASE WHEN date(strftime('%Y', 'now') || '-' || printf('%02d', c.renewal_month) || '-01') >= date('now')
                         THEN date(strftime('%Y', 'now') || '-' || printf('%02d', c.renewal_month) || '-01')
                         ELSE date((CAST(strftime('%Y', 'now') AS INTEGER) + 1) || '-' || printf('%02d', c.renewal_month) || '-01') END
                        AS next_renewal_date
                FROM companies c WHERE c.renewal_month IS NOT NULL
            ) x
            """,
            """
            CREATE VIEW due_renewals AS
            SELECT r.*, EXISTS (SELECT 1 FROM company_slots s JOIN contacts p ON p.id = s.contact_id
                                WHERE s.company_id = r.company_id AND p.email_status = 'green') AS has_green_contact
            FROM next_renewals r
            WHERE date('now') >= r.campaign_window_start
            """,
        ]
}
