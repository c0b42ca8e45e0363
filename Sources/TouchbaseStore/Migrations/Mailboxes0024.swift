import SQLKit

// Migration 0024: mailboxes and sends (issue 14's sending, first part). A mailbox is the team's own address and the
// SMTP server it sends through: `smtp_url` is stored without its password, which lives in `mailbox_secrets` (no
// audit triggers, never read by a face); `password_set` says whether one is kept. Its limits (a day, a minute, a
// recipient domain a day) are what the runner holds sends to. A sequence sends from its mailbox (an enrolment may
// name another); an enrolment that waits says why in `waiting_reason` (its `next_run_at` says until when); a contact
// may have an IANA `time_zone` for the send window. An active enrolment written without a next run (by any face or
// plain SQL) is due at once. A send is one step's message to one enrolment: at most one per
// enrolment and step (so no runner, however many race, sends a step twice); it is written `sending` and committed
// before the SMTP transaction starts, so a send interrupted between the server's acceptance and our commit is found
// still `sending` and marked `uncertain` for a person, never sent again. A send keeps the links its message contained
// (a click redirects only to one of them). Every tracking hit (an open through the pixel, a click through the
// redirect) is a `tracking_events` row, raw (time, IP, user agent, method) and labelled human, privacy_proxy or
// scanner with the reason.
// A shipped migration is never edited.

extension Migrations {
    static let sendStates0024 = ["sending", "sent", "retrying", "failed", "uncertain"]
    static let newTables0024 = ["mailboxes", "sends", "tracking_events"]
    /// The columns the updated_at triggers of 0022's sequences and enrollments cover, with those this migration adds.
    static let sequenceColumns0024 = [
        "name", "description", "status", "time_zone", "send_days", "start_hour", "end_hour", "holidays", "exclusive", "on_account_reply", "mailbox_id",
    ]
    static let enrollmentColumns0024 = [
        "sequence_id", "contact_id", "state", "stop_reason", "current_step", "next_run_at", "paused_until", "ab_group", "ended_at",
        "mailbox_id", "waiting_reason", "last_step_at",
    ]
    static let followupColumns0024 = ["contact_id", "touch_number", "channel", "due_date", "state", "message_draft_id", "reminder_sent", "completed_at"]

    /// A follow-up a sequence made (a call, a LinkedIn touch, a manual email, an action item), completed or skipped,
    /// moves its enrolment past the step: to the next step, due at once (its delay counts from when the runner next
    /// sees it), or finished after the last.
    static func followupMovesOn0024(now: String) -> String {
        """
        UPDATE enrollments SET
            state = CASE WHEN EXISTS (SELECT 1 FROM sequence_steps s WHERE s.sequence_id = enrollments.sequence_id AND s.position > NEW.step_position)
                THEN state ELSE 'finished' END,
            current_step = coalesce((SELECT min(s.position) FROM sequence_steps s WHERE s.sequence_id = enrollments.sequence_id AND s.position > NEW.step_position), current_step),
            last_step_at = NULL, next_run_at = \(now), waiting_reason = NULL
        WHERE id = NEW.enrollment_id AND state IN ('active','paused') AND current_step = NEW.step_position;
        """
    }

    static func mailboxColumns0024<C: DDLColumn>(_: C.Type, text: String) -> (mailboxes: [C], sends: [C], tracking: [C]) {
        (
            mailboxes: [
                .raw("email \(text) NOT NULL CONSTRAINT ck_mailboxes__email CHECK (length(email) BETWEEN 3 AND 320)"),
                .text("display_name"), .text("title"),
                .raw("smtp_url \(text) NOT NULL CONSTRAINT ck_mailboxes__smtp_url CHECK (smtp_url LIKE 'smtp://%' OR smtp_url LIKE 'smtps://%')"),
                .bool("password_set", default: false),
                .int("daily_limit", default: 2000, min: 1, max: 100_000), .int("per_minute_limit", default: 30, min: 1, max: 1_000),
                .int("per_domain_daily_limit", default: 50, min: 1, max: 100_000),
                .text("signature"), .bool("tracking", default: true), .int("scanner_window_seconds", default: 60, min: 0, max: 3_600),
                .vocab("status", ["active", "paused"], default: "active"),
            ],
            sends: [
                .ref("enrollment_id", "enrollments", required: true, cascade: true), .int("step_position", default: 1, min: 1, max: 100),
                .ref("contact_id", "contacts", required: true, cascade: true), .ref("mailbox_id", "mailboxes", required: false, cascade: false),
                .vocab("state", sendStates0024, default: "sending"),
                .raw("message_id \(text) NOT NULL CONSTRAINT ck_sends__message_id CHECK (length(message_id) BETWEEN 3 AND 250)"),
                .raw("token \(text) NOT NULL CONSTRAINT ck_sends__token CHECK (length(token) BETWEEN 20 AND 64)"),
                .ref("touchpoint_id", "touchpoints", required: false, cascade: false),
                .ref("message_draft_id", "message_drafts", required: false, cascade: false),
                .text("recipient"), .text("recipient_domain"), .text("subject"), .vocab("ab_group", ["A", "B"], default: nil),
                .int("attempts", default: 1, min: 1, max: 100), .text("smtp_reply"), .ts("sent_at", defaultNow: false),
                .ts("next_attempt_at", defaultNow: false), .json("links", array: true, nullable: false),
            ],
            tracking: [
                .ref("send_id", "sends", required: true, cascade: true), .ref("contact_id", "contacts", required: false, cascade: true),
                .vocab("kind", ["open", "click"], default: nil), .int("link", default: nil, min: 0, max: 1_000), .text("url"),
                .vocab("method", ["GET", "HEAD", "POST"], default: "GET"), .text("ip"), .text("user_agent"),
                .vocab("label", ["human", "privacy_proxy", "scanner"], default: nil), .text("reason"), .ts("occurred_at", defaultNow: true),
            ]
        )
    }

    static let sqliteColumns0024 = mailboxColumns0024(SQLiteDDL.Col.self, text: "TEXT")
    static let postgresColumns0024 = mailboxColumns0024(PostgresDDL.Col.self, text: "text")

    /// The indexes, the same on both engines.
    static let indexes0024 = [
        "CREATE UNIQUE INDEX ux_mailboxes__email ON mailboxes (lower(email))",
        "CREATE UNIQUE INDEX ux_sends__enrollment_step ON sends (enrollment_id, step_position)",
        "CREATE UNIQUE INDEX ux_sends__message_id ON sends (message_id)",
        "CREATE UNIQUE INDEX ux_sends__token ON sends (token)",
        "CREATE UNIQUE INDEX ux_followups__enrollment_step ON followups (enrollment_id, step_position) WHERE enrollment_id IS NOT NULL",
        "CREATE INDEX ix_sends_mailbox ON sends (mailbox_id, sent_at)",
        "CREATE INDEX ix_sends_domain ON sends (mailbox_id, recipient_domain, sent_at)",
        "CREATE INDEX ix_sends_touchpoint ON sends (touchpoint_id)",
        "CREATE INDEX ix_sends_draft ON sends (message_draft_id)",
        "CREATE INDEX ix_sends_open ON sends (state, next_attempt_at) WHERE state IN ('sending','retrying','uncertain')",
        "CREATE INDEX ix_sends_contact ON sends (contact_id, sent_at)",
        "CREATE INDEX ix_sequences_mailbox ON sequences (mailbox_id)",
        "CREATE INDEX ix_enrollments_mailbox ON enrollments (mailbox_id)",
        // The runner resumes paused enrolments whose pause has run out on every pass (every few seconds in serve).
        "CREATE INDEX ix_enrollments_paused ON enrollments (paused_until) WHERE state = 'paused'",
        "CREATE INDEX ix_tracking_events_send ON tracking_events (send_id, occurred_at)",
        "CREATE INDEX ix_tracking_events_contact ON tracking_events (contact_id, occurred_at)",
    ]

    static let mailboxesSQLite0024: [String] =
        SQLiteDDL.table("mailboxes", sqliteColumns0024.mailboxes)
        + [
            """
            CREATE TABLE mailbox_secrets (
                owner_id TEXT NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
                field TEXT NOT NULL,
                secret TEXT NOT NULL,
                PRIMARY KEY (owner_id, field)
            )
            """,
        ]
        + SQLiteDDL.table("sends", sqliteColumns0024.sends)
        + SQLiteDDL.table("tracking_events", sqliteColumns0024.tracking)
        + SQLiteDDL.addColumns("sequences", [.ref("mailbox_id", "mailboxes", required: false, cascade: false)])
        + SQLiteDDL.addColumns("enrollments", [
            .ref("mailbox_id", "mailboxes", required: false, cascade: false), .text("waiting_reason"), .ts("last_step_at", defaultNow: false),
        ])
        + SQLiteDDL.addColumns("followups", [
            .ref("enrollment_id", "enrollments", required: false, cascade: false), .int("step_position", default: nil, min: 1, max: 100),
        ])
        + SQLiteDDL.addColumns("contacts", [.raw("time_zone TEXT CONSTRAINT ck_contacts__time_zone CHECK (length(time_zone) BETWEEN 1 AND 64)")])
        + indexes0024
        + SQLiteDDL.retouch("sequences", sequenceColumns0024)
        + SQLiteDDL.retouch("enrollments", enrollmentColumns0024)
        + SQLiteDDL.retouch("followups", followupColumns0024 + ["enrollment_id", "step_position"])
        + [
            """
            CREATE TRIGGER enrollments_due_at_once AFTER INSERT ON enrollments
            WHEN NEW.next_run_at IS NULL AND NEW.state = 'active'
            BEGIN UPDATE enrollments SET next_run_at = NEW.created_at WHERE id = NEW.id; END
            """,
            """
            CREATE TRIGGER followups_move_enrollment AFTER UPDATE OF state ON followups
            WHEN NEW.enrollment_id IS NOT NULL AND NEW.state IN ('completed','skipped') AND OLD.state NOT IN ('completed','skipped')
            BEGIN
                \(followupMovesOn0024(now: SQLiteDDL.nowExpr))
            END
            """,
        ]
        + SQLiteDDL.retouch("contacts", contactColumns0001 + contactColumns0003 + contactColumns0006 + columns0012 + ["time_zone"])

    static let mailboxesPostgres0024: [String] =
        PostgresDDL.table("mailboxes", postgresColumns0024.mailboxes)
        + [
            """
            CREATE TABLE mailbox_secrets (
                owner_id uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
                field text NOT NULL,
                secret text NOT NULL,
                PRIMARY KEY (owner_id, field)
            )
            """,
        ]
        + PostgresDDL.table("sends", postgresColumns0024.sends)
        + PostgresDDL.table("tracking_events", postgresColumns0024.tracking)
        + PostgresDDL.addColumns("sequences", [.ref("mailbox_id", "mailboxes", required: false, cascade: false)])
        + PostgresDDL.addColumns("enrollments", [
            .ref("mailbox_id", "mailboxes", required: false, cascade: false), .text("waiting_reason"), .ts("last_step_at", defaultNow: false),
        ])
        + PostgresDDL.addColumns("followups", [
            .ref("enrollment_id", "enrollments", required: false, cascade: false), .int("step_position", default: nil, min: 1, max: 100),
        ])
        + PostgresDDL.addColumns("contacts", [.raw("time_zone text CONSTRAINT ck_contacts__time_zone CHECK (length(time_zone) BETWEEN 1 AND 64)")])
        + indexes0024
        + PostgresDDL.retouch("sequences", sequenceColumns0024)
        + PostgresDDL.retouch("enrollments", enrollmentColumns0024)
        + PostgresDDL.retouch("followups", followupColumns0024 + ["enrollment_id", "step_position"])
        + [
            """
            CREATE FUNCTION touchbase_enrollments_due_at_once() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.next_run_at IS NULL AND NEW.state = 'active' THEN NEW.next_run_at := now(); END IF;
                RETURN NEW;
            END $$
            """,
            """
            CREATE TRIGGER enrollments_due_at_once BEFORE INSERT ON enrollments
            FOR EACH ROW EXECUTE FUNCTION touchbase_enrollments_due_at_once()
            """,
            """
            CREATE FUNCTION touchbase_followups_move_enrollment() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                \(followupMovesOn0024(now: "now()"))
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER followups_move_enrollment AFTER UPDATE OF state ON followups FOR EACH ROW
            WHEN (NEW.enrollment_id IS NOT NULL AND NEW.state IN ('completed','skipped') AND OLD.state NOT IN ('completed','skipped'))
            EXECUTE FUNCTION touchbase_followups_move_enrollment()
            """,
        ]
        + PostgresDDL.retouch("contacts", contactColumns0001 + contactColumns0003 + contactColumns0006 + columns0012 + ["time_zone"])
        + (newTables0024 + ["sequences", "enrollments", "followups"]).map { "SELECT touchbase_audit_triggers('\($0)', ARRAY[]::text[])" }
        + ["SELECT touchbase_audit_triggers('contacts', ARRAY[" + (rollupColumns0012["contacts"] ?? []).map { "'\($0)'" }.joined(separator: ", ") + "]::text[])"]

    /// The audit triggers of the new tables and of those with new columns; contacts keep 0012's rollups.
    @Sendable static func mailboxesAuditTriggers0024(_ sql: any SQLDatabase) async throws -> [String] {
        try await sqliteAuditTriggers(
            jsonBooleans: sql, tables: newTables0024 + ["sequences", "enrollments", "followups", "contacts"], rollups: rollupColumns0012)
    }
}
