import SQLKit

// Migration 0022: sequences (issue 14's model, first part). A sequence is a send window (ISO week days and hours in the
// contact's IANA zone, the sequence's own zone as fallback, and holidays), whether it is exclusive, and what a reply
// from one person at an account does to the account's other enrolments; its steps are numbered from 1, each a kind
// (an automatic or manual email, a call, a LinkedIn touch, an action item), a delay in business days, templates and
// optional A/B variants. An enrolment is one contact in one sequence: its state only moves forward (a stopped or
// finished enrolment stays so, whatever writes late), a stopped one says why, at most one is open (active or paused)
// per contact and sequence, a do-not-contact contact is never enrolled, and a contact open in an exclusive sequence
// is enrolled in no other. Every write is audited, so the audit log is each enrolment's history.
// A shipped migration is never edited.

/// The column notation both dialects share (their enum cases are the requirements), so a migration's tables are
/// listed once.
protocol DDLColumn {
    static func text(_ name: String) -> Self
    static func vocab(_ name: String, _ words: [String], default: String?) -> Self
    static func int(_ name: String, default: Int?, min: Int?, max: Int?) -> Self
    static func bool(_ name: String, default: Bool) -> Self
    static func ts(_ name: String, defaultNow: Bool) -> Self
    static func json(_ name: String, array: Bool, nullable: Bool) -> Self
    static func ref(_ name: String, _ target: String, required: Bool, cascade: Bool) -> Self
    static func raw(_ sql: String) -> Self
}

extension SQLiteDDL.Col: DDLColumn {}
extension PostgresDDL.Col: DDLColumn {}

extension Migrations {
    static let stepKinds0022 = ["auto_email", "manual_email", "call", "linkedin", "action_item"]
    static let enrollmentStates0022 = ["active", "paused", "finished", "stopped"]
    static let stopReasons0022 = [
        "replied", "account_replied", "bounced", "unsubscribed", "do_not_contact", "red_email", "meeting_booked", "opportunity",
        "manual", "failed",
    ]
    static let sequenceTables0022 = ["sequences", "sequence_steps", "enrollments"]

    /// The three tables, listed once in the notation both dialects share; `text` and `integer` are the dialect's type
    /// names and `sendDays` its definition of the JSON column with a default of its own.
    static func sequenceColumns0022<C: DDLColumn>(
        _: C.Type, text: String, integer: String, sendDays: String, inList: ([String]) -> String
    ) -> (sequences: [C], steps: [C], enrollments: [C]) {
        (
            sequences: [
                .raw("name \(text) NOT NULL CONSTRAINT ck_sequences__name CHECK (length(trim(name)) > 0 AND length(name) <= 200)"),
                .text("description"),
                .vocab("status", ["draft", "active", "paused", "archived"], default: "draft"),
                .raw("time_zone \(text) NOT NULL DEFAULT 'UTC' CONSTRAINT ck_sequences__time_zone CHECK (length(time_zone) BETWEEN 1 AND 64)"),
                .raw(sendDays),
                .int("start_hour", default: 9, min: 0, max: 23),
                .raw("end_hour \(integer) NOT NULL DEFAULT 17 CONSTRAINT ck_sequences__end_hour CHECK (end_hour BETWEEN 1 AND 24 AND end_hour > start_hour)"),
                .json("holidays", array: true, nullable: false), .bool("exclusive", default: true),
                .vocab("on_account_reply", ["stop", "pause", "none"], default: "stop"),
            ],
            steps: [
                .ref("sequence_id", "sequences", required: true, cascade: true), .int("position", default: 1, min: 1, max: 100),
                .raw("kind \(text) NOT NULL CONSTRAINT ck_sequence_steps__kind CHECK (kind IN (\(inList(stepKinds0022))))"),
                .int("delay_days", default: 0, min: 0, max: 365), .text("subject"), .text("body"),
                .json("variants", array: true, nullable: false), .bool("same_thread", default: false),
            ],
            enrollments: [
                .ref("sequence_id", "sequences", required: true, cascade: true), .ref("contact_id", "contacts", required: true, cascade: true),
                .vocab("state", enrollmentStates0022, default: "active"),
                .raw("stop_reason \(text) CONSTRAINT ck_enrollments__stop_reason CHECK ((stop_reason IS NULL OR stop_reason IN (\(inList(stopReasons0022)))) AND (state <> 'stopped' OR stop_reason IS NOT NULL))"),
                .int("current_step", default: 1, min: 1, max: 100), .ts("next_run_at", defaultNow: false), .ts("paused_until", defaultNow: false),
                .vocab("ab_group", ["A", "B"], default: nil), .ts("ended_at", defaultNow: false),
            ]
        )
    }

    static let sqliteColumns0022 = sequenceColumns0022(
        SQLiteDDL.Col.self, text: "TEXT", integer: "INTEGER",
        sendDays: "send_days TEXT NOT NULL DEFAULT '[1,2,3,4,5]' CONSTRAINT ck_sequences__send_days CHECK (json_valid(send_days) AND json_type(send_days) = 'array')",
        inList: SQLiteDDL.inList)
    static let postgresColumns0022 = sequenceColumns0022(
        PostgresDDL.Col.self, text: "text", integer: "integer",
        sendDays: "send_days jsonb NOT NULL DEFAULT '[1,2,3,4,5]'::jsonb CONSTRAINT ck_sequences__send_days CHECK (jsonb_typeof(send_days) = 'array')",
        inList: PostgresDDL.inList)

    static let sequencesSQLite0022: [String] =
        SQLiteDDL.table("sequences", sqliteColumns0022.sequences)
        + SQLiteDDL.table("sequence_steps", sqliteColumns0022.steps)
        + SQLiteDDL.table("enrollments", sqliteColumns0022.enrollments)
        + [
            "CREATE UNIQUE INDEX ux_sequence_steps__sequence_position ON sequence_steps (sequence_id, position)",
            "CREATE UNIQUE INDEX ux_enrollments__sequence_contact ON enrollments (sequence_id, contact_id) WHERE state IN ('active','paused')",
            "CREATE INDEX ix_enrollments_contact ON enrollments (contact_id, state)",
            "CREATE INDEX ix_enrollments_sequence ON enrollments (sequence_id, state, current_step)",
            "CREATE INDEX ix_enrollments_due ON enrollments (next_run_at, id) WHERE state = 'active'",
            """
            CREATE TRIGGER enrollments_dnc BEFORE INSERT ON enrollments
            WHEN EXISTS (SELECT 1 FROM contacts WHERE id = NEW.contact_id AND (do_not_contact = 1 OR status = 'do_not_contact'))
            BEGIN SELECT RAISE(ABORT, 'do_not_contact: the contact is marked do-not-contact; enrolling is refused'); END
            """,
            """
            CREATE TRIGGER enrollments_exclusive BEFORE INSERT ON enrollments
            WHEN NEW.state IN ('active','paused') AND EXISTS (
                SELECT 1 FROM enrollments e JOIN sequences s ON s.id = e.sequence_id
                WHERE e.contact_id = NEW.contact_id AND e.sequence_id <> NEW.sequence_id AND e.state IN ('active','paused')
                  AND (s.exclusive = 1 OR (SELECT exclusive FROM sequences WHERE id = NEW.sequence_id) = 1))
            BEGIN SELECT RAISE(ABORT, 'exclusive: the contact is already enrolled in another sequence and one of the two is exclusive; enrolling is refused'); END
            """,
            """
            CREATE TRIGGER enrollments_forward BEFORE UPDATE OF state ON enrollments
            WHEN OLD.state IN ('finished','stopped') AND NEW.state IS NOT OLD.state
            BEGIN SELECT RAISE(ABORT, 'invalid state: a finished or stopped enrollment keeps its state; enrol the contact again instead'); END
            """,
            """
            CREATE TRIGGER enrollments_moved BEFORE UPDATE OF sequence_id, contact_id ON enrollments
            WHEN NEW.sequence_id IS NOT OLD.sequence_id OR NEW.contact_id IS NOT OLD.contact_id
            BEGIN SELECT RAISE(ABORT, 'invalid contact_id: an enrollment keeps its sequence and contact; stop it and enrol again'); END
            """,
            """
            CREATE TRIGGER enrollments_ended AFTER UPDATE OF state ON enrollments
            WHEN NEW.state IN ('finished','stopped') AND OLD.state NOT IN ('finished','stopped')
            BEGIN UPDATE enrollments SET ended_at = \(SQLiteDDL.nowExpr), next_run_at = NULL WHERE id = NEW.id; END
            """,
        ]

    static let sequencesPostgres0022: [String] =
        PostgresDDL.table("sequences", postgresColumns0022.sequences)
        + PostgresDDL.table("sequence_steps", postgresColumns0022.steps)
        + PostgresDDL.table("enrollments", postgresColumns0022.enrollments)
        + [
            "CREATE UNIQUE INDEX ux_sequence_steps__sequence_position ON sequence_steps (sequence_id, position)",
            "CREATE UNIQUE INDEX ux_enrollments__sequence_contact ON enrollments (sequence_id, contact_id) WHERE state IN ('active','paused')",
            "CREATE INDEX ix_enrollments_contact ON enrollments (contact_id, state)",
            "CREATE INDEX ix_enrollments_sequence ON enrollments (sequence_id, state, current_step)",
            "CREATE INDEX ix_enrollments_due ON enrollments (next_run_at, id) WHERE state = 'active'",
            """
            CREATE FUNCTION touchbase_enrollments_rules() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    IF EXISTS (SELECT 1 FROM contacts WHERE id = NEW.contact_id AND (do_not_contact OR status = 'do_not_contact')) THEN
                        RAISE EXCEPTION 'do_not_contact: the contact is marked do-not-contact; enrolling is refused';
                    END IF;
                    IF NEW.state IN ('active','paused') THEN
                        -- One writer at a time per contact, so two concurrent enrolments cannot both pass the check.
                        PERFORM 1 FROM contacts WHERE id = NEW.contact_id FOR UPDATE;
                        IF EXISTS (
                            SELECT 1 FROM enrollments e JOIN sequences s ON s.id = e.sequence_id
                            WHERE e.contact_id = NEW.contact_id AND e.sequence_id <> NEW.sequence_id AND e.state IN ('active','paused')
                              AND (s.exclusive OR (SELECT exclusive FROM sequences WHERE id = NEW.sequence_id))) THEN
                            RAISE EXCEPTION 'exclusive: the contact is already enrolled in another sequence and one of the two is exclusive; enrolling is refused';
                        END IF;
                    END IF;
                    RETURN NEW;
                END IF;
                IF OLD.state IN ('finished','stopped') AND NEW.state IS DISTINCT FROM OLD.state THEN
                    RAISE EXCEPTION 'invalid state: a finished or stopped enrollment keeps its state; enrol the contact again instead';
                END IF;
                IF NEW.sequence_id IS DISTINCT FROM OLD.sequence_id OR NEW.contact_id IS DISTINCT FROM OLD.contact_id THEN
                    RAISE EXCEPTION 'invalid contact_id: an enrollment keeps its sequence and contact; stop it and enrol again';
                END IF;
                IF NEW.state IN ('finished','stopped') AND OLD.state NOT IN ('finished','stopped') THEN
                    NEW.ended_at := now();
                    NEW.next_run_at := NULL;
                END IF;
                RETURN NEW;
            END $$
            """,
            """
            CREATE TRIGGER enrollments_rules BEFORE INSERT OR UPDATE ON enrollments
            FOR EACH ROW EXECUTE FUNCTION touchbase_enrollments_rules()
            """,
        ]
        + sequenceTables0022.map { "SELECT touchbase_audit_triggers('\($0)', ARRAY[]::text[])" }

    /// The three tables' audit triggers, from 0005's generator with booleans written as JSON true/false (as 0012 does
    /// for the tables before).
    @Sendable static func sequencesAuditTriggers0022(_ sql: any SQLDatabase) async throws -> [String] {
        let booleans = ["sequences": ["exclusive"], "sequence_steps": ["same_thread"]]
        var statements = try await sqliteAuditTriggers(sql, tables: sequenceTables0022, changesOnly: true)
        for (table, columns) in booleans {
            for i in statements.indices where statements[i].contains(" ON \(table) ") {
                for column in columns {
                    for row in ["NEW", "OLD"] {
                        let json = "'\(column)', CASE WHEN \(row).\(column) IS NULL THEN NULL WHEN \(row).\(column) THEN json('true') ELSE json('false') END"
                        for end in [",", ")"] {
                            statements[i] = statements[i].replacingOccurrences(of: "'\(column)', \(row).\(column)\(end)", with: json + end)
                        }
                    }
                }
            }
        }
        return statements
    }
}
