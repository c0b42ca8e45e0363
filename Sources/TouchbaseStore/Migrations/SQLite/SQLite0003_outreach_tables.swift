// Migration 0003 for SQLite: the tables and columns of seed 002 (outreach command center).
// A shipped migration is never edited; later changes go into a new numbered migration.

extension Migrations {
    private typealias Col = SQLiteDDL.Col

    static let companyColumns0003: [String] = [
        "sub_industry", "employee_count", "employee_band", "segment", "known_tools", "linkedin_company_url", "website_url",
        "buyer_intent", "buyer_intent_date", "annual_revenue", "funding_stage", "last_funding_date", "last_funding_amount",
        "hq_location", "notes", "research_freshness",
    ]
    static let contactColumns0003: [String] = [
        "persona_type", "email_verified", "location", "timezone", "tenure_months", "recently_hired", "previous_company",
        "previous_title", "stage", "personalization_score", "predicted_objection", "objection_response", "do_not_contact",
        "dnc_reason", "source",
    ]
    static let touchpointColumns0003: [String] = [
        "message_draft_id", "touch_number", "call_duration_seconds", "call_notes", "confirmed_by_user",
    ]

    static let sqlite0003: [String] =
        SQLiteDDL.table("batches", [
            .int("batch_number", min: 1), .date("created_date", defaultToday: true), .int("prospect_count", default: 0),
            .text("ab_variable"), .text("ab_description"), .text("pre_brief"), .json("mix_ratio"),
            .vocab("status", ["building", "ready", "active", "completed"], default: "building"), .text("html_file_path"),
            .json("metrics"),
        ])
        + SQLiteDDL.table("agent_runs", [
            .raw("run_type TEXT NOT NULL CONSTRAINT ck_agent_runs__run_type CHECK (run_type IN (\(SQLiteDDL.inList(["research", "draft", "qc", "analysis", "pre_brief", "batch_build", "reply_triage", "call_prep", "signal_scan"]))))"),
            .text("agent_name"), .ref("contact_id", "contacts", cascade: false), .ref("batch_id", "batches", cascade: false),
            .json("inputs"), .json("outputs"), .json("sources_used", array: true), .json("decisions"),
            .int("tokens_used", min: 0), .int("duration_ms", min: 0),
            .vocab("status", ["running", "success", "partial", "error"], default: "running"), .text("error_message"),
            .ref("parent_run_id", "agent_runs", cascade: false), .ts("started_at", defaultNow: true), .ts("completed_at"),
        ])
        + SQLiteDDL.table("message_drafts", [
            .ref("contact_id", "contacts", required: true), .ref("batch_id", "batches", cascade: false),
            .raw("channel TEXT NOT NULL CONSTRAINT ck_message_drafts__channel CHECK (channel IN ('linkedin','email','call','sms','whatsapp','mail'))"),
            .int("touch_number", min: 1, max: 20),
            .vocab("touch_type", ["inmail", "email", "call_snippet", "breakup", "re_engagement", "reply_draft"]),
            .text("subject_line"), .raw("body TEXT NOT NULL CONSTRAINT ck_message_drafts__body CHECK (instr(body, char(0)) = 0)"),
            .int("version", default: 1, min: 1), .int("personalization_score", min: 1, max: 3), .text("proof_point_used"),
            .text("pain_hook"), .vocab("opener_style", ["career_reference", "company_metric", "activity_reference"]),
            .vocab("ask_style", ["direct_ask", "soft_offer", "value_add"]), .int("word_count", min: 0),
            .raw("qc_passed INTEGER CONSTRAINT ck_message_drafts__qc_passed CHECK (qc_passed IN (0, 1))"),
            .json("qc_flags", array: true), .ref("qc_run_id", "agent_runs", cascade: false),
            .vocab("approval_status", ["draft", "ready", "sent", "archived"], default: "draft"),
            .vocab("ab_group", ["A", "B", "C"]), .text("ab_variable"), .ref("agent_run_id", "agent_runs", cascade: false),
        ])
        + SQLiteDDL.table("message_versions", [
            .ref("message_draft_id", "message_drafts", required: true), .raw("version INTEGER NOT NULL CONSTRAINT ck_message_versions__version CHECK (version >= 1)"),
            .text("subject_line"), .text("body"), .int("word_count", min: 0),
        ])
        + SQLiteDDL.table("icp_profiles", [
            .raw("name TEXT NOT NULL DEFAULT 'default'"), .json("exact_titles", array: true), .json("primary_titles", array: true),
            .json("secondary_titles", array: true), .json("top_verticals", array: true), .json("adjacent_verticals", array: true),
            .int("size_sweet_spot_min", default: 200, min: 0), .int("size_sweet_spot_max", default: 5000, min: 0),
            .int("size_ok_min", default: 50, min: 0), .int("size_ok_max", default: 20000, min: 0), .json("seniority_map"),
            .json("qa_ownership_keywords", array: true), .raw("scoring_version TEXT NOT NULL DEFAULT 'v1'"),
        ])
        + SQLiteDDL.table("icp_scores", [
            .ref("contact_id", "contacts", required: true), .int("title_match", default: 0, min: 0, max: 3),
            .int("vertical_match", default: 0, min: 0, max: 2), .int("company_size_fit", default: 0, min: 0, max: 2),
            .int("seniority_fit", default: 0, min: 0, max: 2), .bool("software_qa_confirmed", default: false),
            .int("buyer_intent_bonus", default: 0, min: 0, max: 2),
            .raw("total_score INTEGER GENERATED ALWAYS AS (title_match + vertical_match + company_size_fit + seniority_fit + software_qa_confirmed + buyer_intent_bonus) VIRTUAL"),
            .ts("scored_at", defaultNow: true), .text("scoring_version"),
        ])
        + SQLiteDDL.table("signals", [
            .ref("company_id", "companies"), .ref("contact_id", "contacts"),
            .raw("signal_type TEXT NOT NULL CONSTRAINT ck_signals__signal_type CHECK (signal_type IN (\(SQLiteDDL.inList(["buyer_intent", "qa_job_posting", "funding", "leadership_change", "product_launch", "competitor_eval", "renewal_window_open_120d", "executive_movement", "funding_raised", "job_postings", "other"]))))"),
            .text("description"), .text("source_url"), .json("payload"), .ts("detected_at", defaultNow: true),
            .date("expires_at"), .bool("acted_on", default: false), .ts("processed_at"),
        ])
        + SQLiteDDL.table("research_snapshots", [
            .ref("contact_id", "contacts"), .ref("company_id", "companies"),
            .raw("entity_type TEXT NOT NULL CONSTRAINT ck_research_snapshots__entity_type CHECK (entity_type IN ('person','company'))"),
            .text("headline"), .text("summary"), .json("career_history", array: true), .text("responsibilities"),
            .json("tech_stack_signals", array: true), .json("pain_indicators", array: true), .text("recent_activity"),
            .text("company_products"), .text("company_metrics"), .text("company_news"), .text("hiring_signals"),
            .json("sources", array: true), .int("confidence_score", min: 1, max: 5), .ref("agent_run_id", "agent_runs", cascade: false),
        ], extra: ["CONSTRAINT ck_research_snapshots__contact_id CHECK (contact_id IS NOT NULL OR company_id IS NOT NULL)"])
        + SQLiteDDL.table("replies", [
            .ref("contact_id", "contacts", required: true), .ref("touchpoint_id", "touchpoints", cascade: false),
            .vocab("channel", SQLiteDDL.channels), .vocab("intent", ["positive", "neutral", "not_now", "referral", "unsubscribe", "negative"]),
            .vocab("reply_tag", ["opener", "pain_hook", "proof_point", "timing", "referral", "not_interested", "unknown"]),
            .text("summary"), .text("raw_text"), .text("referral_name"), .text("referral_title"),
            .int("follow_up_days", min: 1, max: 365), .text("recommended_next_step"), .text("next_step_taken"),
            .ts("replied_at", defaultNow: true), .ts("handled_at"),
        ])
        + SQLiteDDL.table("followups", [
            .ref("contact_id", "contacts", required: true), .int("touch_number", min: 1, max: 20), .vocab("channel", SQLiteDDL.channels),
            .raw("due_date TEXT NOT NULL"), .vocab("state", ["pending", "completed", "skipped", "overdue"], default: "pending"),
            .ref("message_draft_id", "message_drafts", cascade: false), .bool("reminder_sent", default: false), .ts("completed_at"),
        ])
        + SQLiteDDL.table("opportunities", [
            .ref("contact_id", "contacts", required: true), .ref("company_id", "companies"), .ts("meeting_date"),
            .bool("meeting_held", default: false), .vocab("meeting_outcome", ["qualified", "disqualified", "no_show", "rescheduled"]),
            .ts("opportunity_created_date"), .bool("opportunity_created", default: false),
            .vocab("status", ["meeting_booked", "meeting_held", "opportunity_created", "disqualified", "lost"], default: "meeting_booked"),
            .real("pipeline_value", min: 0), .ref("trigger_touchpoint_id", "touchpoints", cascade: false),
            .ref("trigger_reply_id", "replies", cascade: false), .text("attribution_channel"), .int("attribution_touch_number"),
            .text("attribution_proof_point"), .text("attribution_pain_hook"), .text("attribution_opener_style"),
            .int("attribution_personalization_score"), .text("attribution_ab_group"), .text("attribution_ab_variable"),
            .text("ae_name"), .text("ae_feedback"), .text("disqualification_reason"), .text("notes"),
        ])
        + SQLiteDDL.table("batch_prospects", [
            .ref("batch_id", "batches", required: true), .ref("contact_id", "contacts", required: true),
            .vocab("ab_group", ["A", "B", "C"]),
            .vocab("sequence_status", ["not_started", "in_progress", "replied", "paused", "completed"], default: "not_started"),
            .int("position_in_batch", min: 0),
        ])
        + SQLiteDDL.table("experiments", [
            .raw("name TEXT NOT NULL CONSTRAINT ck_experiments__name CHECK (length(trim(name)) > 0)"),
            .vocab("variable", ["pain_hook", "proof_point_style", "opener_style", "ask_intensity", "message_length"]),
            .text("group_a_desc"), .text("group_b_desc"), .text("group_c_desc"),
            .vocab("status", ["active", "completed", "inconclusive"], default: "active"), .json("batches_included", array: true),
            .int("group_a_sent", default: 0), .int("group_a_replies", default: 0), .int("group_a_meetings", default: 0),
            .int("group_a_opps", default: 0), .int("group_b_sent", default: 0), .int("group_b_replies", default: 0),
            .int("group_b_meetings", default: 0), .int("group_b_opps", default: 0), .vocab("winner", ["A", "B", "C"]),
            .text("conclusion"),
        ])
        + SQLiteDDL.table("audit_log", [
            .raw("table_name TEXT NOT NULL"), .raw("record_id TEXT NOT NULL"),
            .raw("action TEXT NOT NULL CONSTRAINT ck_audit_log__action CHECK (action IN ('insert','update','delete'))"),
            .raw("changed_by TEXT NOT NULL"), .json("old_values", nullable: true), .json("new_values", nullable: true),
            .ts("timestamp", defaultNow: true),
        ])
        + SQLiteDDL.addColumns("companies", [
            .text("sub_industry"), .int("employee_count", min: 0), .vocab("employee_band", ["1-50", "51-200", "201-1000", "1001-5000", "5000+"]),
            .vocab("segment", ["Enterprise", "Mid-Market", "SMB"]), .json("known_tools", array: true), .text("linkedin_company_url"),
            .text("website_url"), .bool("buyer_intent", default: false), .date("buyer_intent_date"), .text("annual_revenue"),
            .text("funding_stage"), .date("last_funding_date"), .text("last_funding_amount"), .text("hq_location"), .text("notes"),
            .date("research_freshness"),
        ])
        + SQLiteDDL.addColumns("contacts", [
            .text("persona_type"), .bool("email_verified", default: false), .text("location"), .text("timezone"),
            .int("tenure_months", min: 0), .bool("recently_hired", default: false), .text("previous_company"),
            .text("previous_title"),
            .vocab("stage", ["new", "researched", "drafted", "sent", "follow_up", "replied", "meeting_booked", "meeting_held", "opportunity", "dormant", "re_engaged", "closed"], default: "new"),
            .int("priority_score", default: 3, min: 1, max: 5), .json("priority_factors"),
            .int("personalization_score", min: 1, max: 3), .text("predicted_objection"), .text("objection_response"),
            .bool("do_not_contact", default: false), .text("dnc_reason"),
            .vocab("source", ["sales_nav", "apollo", "manual", "referral", "hubspot", "linkedin", "import", "api"]),
        ])
        + SQLiteDDL.addColumns("touchpoints", [
            .raw("message_draft_id TEXT REFERENCES message_drafts (id) ON DELETE SET NULL"), .int("touch_number", min: 1, max: 20),
            .int("call_duration_seconds", min: 0), .text("call_notes"), .bool("confirmed_by_user", default: true),
        ])
        + SQLiteDDL.retouch("companies", Migrations.companyColumns0001 + companyColumns0003)
        + SQLiteDDL.retouch("contacts", Migrations.contactColumns0001 + contactColumns0003)
        + SQLiteDDL.retouch("touchpoints", Migrations.touchpointColumns0001 + touchpointColumns0003)
        + [
            "CREATE INDEX ix_contacts_stage ON contacts (stage)",
            "CREATE INDEX ix_contacts_priority ON contacts (priority_score DESC)",
            "CREATE INDEX ix_touchpoints_message_draft ON touchpoints (message_draft_id) WHERE message_draft_id IS NOT NULL",
            "CREATE INDEX ix_research_contact ON research_snapshots (contact_id)",
            "CREATE INDEX ix_research_company ON research_snapshots (company_id)",
            "CREATE INDEX ix_messages_contact ON message_drafts (contact_id)",
            "CREATE INDEX ix_messages_batch ON message_drafts (batch_id)",
            "CREATE UNIQUE INDEX ux_message_versions__version ON message_versions (message_draft_id, version)",
            "CREATE INDEX ix_replies_contact ON replies (contact_id)",
            "CREATE INDEX ix_followups_due ON followups (due_date, state)",
            "CREATE INDEX ix_followups_contact ON followups (contact_id)",
            "CREATE INDEX ix_opportunities_contact ON opportunities (contact_id)",
            "CREATE INDEX ix_opportunities_status ON opportunities (status)",
            "CREATE INDEX ix_signals_company ON signals (company_id)",
            "CREATE INDEX ix_signals_contact ON signals (contact_id)",
            "CREATE UNIQUE INDEX ux_batch_prospects__contact_id ON batch_prospects (batch_id, contact_id)",
            "CREATE INDEX ix_batch_prospects_contact ON batch_prospects (contact_id)",
            "CREATE UNIQUE INDEX ux_batches__batch_number ON batches (batch_number)",
            "CREATE INDEX ix_agent_runs_type ON agent_runs (run_type)",
            "CREATE INDEX ix_agent_runs_parent ON agent_runs (parent_run_id)",
            "CREATE INDEX ix_icp_scores_contact ON icp_scores (contact_id, scored_at)",
            "CREATE INDEX ix_audit_table ON audit_log (table_name, record_id)",
            "INSERT INTO icp_profiles (name) VALUES ('default')",
        ]
}
