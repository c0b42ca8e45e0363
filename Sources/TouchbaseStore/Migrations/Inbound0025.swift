import SQLKit

// Migration 0025: inbound email (issue 15). Every message taken in — by the API, `touchbase inbound` or a maildir —
// is one `inbound_messages` row: its parsed headers, status (processed, unmatched, unparsed, ignored), kind (reply,
// auto_reply, bounce, complaint, unsubscribe, own), what it matched and how, and what it set off. The raw message
// is kept apart in `inbound_message_raw` (no audit trigger: a message may be 25 MB). One message is taken once: its
// `dedup_key` (the Message-ID, else a hash of the bytes) is unique. A reply keeps its stripped text, the rules'
// confidence and who classified it; a referral's email. A mailbox may have a reply address (replies+TOKEN@…).
// A shipped migration is never edited.

extension Migrations {
    static let inboundStatuses0025 = ["processed", "unmatched", "unparsed", "ignored"]
    static let inboundKinds0025 = ["reply", "auto_reply", "bounce", "complaint", "unsubscribe", "own"]
    static let matchedBy0025 = ["in_reply_to", "references", "reply_token", "report", "sender", "assigned"]
    static let replyColumns0025 = [
        "contact_id", "touchpoint_id", "channel", "intent", "reply_tag", "summary", "raw_text", "referral_name", "referral_title",
        "follow_up_days", "recommended_next_step", "next_step_taken", "replied_at", "handled_at",
        "reply_text", "intent_confidence", "classified_by", "referral_email",
    ]
    static let mailboxColumns0025 = [
        "email", "display_name", "title", "smtp_url", "password_set", "daily_limit", "per_minute_limit", "per_domain_daily_limit", "signature",
        "tracking", "scanner_window_seconds", "status", "reply_address",
    ]

    static func inboundColumns0025<C: DDLColumn>(_: C.Type, text: String, real: String) -> (inbound: [C], replies: [C], mailboxes: [C]) {
        (
            inbound: [
                .text("message_id"),
                .raw("dedup_key \(text) NOT NULL CONSTRAINT ck_inbound_messages__dedup_key CHECK (length(dedup_key) BETWEEN 1 AND 300)"),
                .vocab("source", ["api", "cli", "maildir"], default: "api"),
                .vocab("status", inboundStatuses0025, default: "unmatched"), .vocab("kind", inboundKinds0025, default: nil),
                .text("reason"), .text("from_address"), .text("from_name"), .json("to_addresses", array: true, nullable: false),
                .text("subject"), .ts("sent_at", defaultNow: false), .ts("received_at", defaultNow: true),
                .json("thread_ids", array: true, nullable: false), .json("headers", array: true, nullable: false),
                .int("size_bytes", default: 0, min: 0, max: nil), .text("body_text"), .text("reply_text"),
                .json("notes", array: true, nullable: false),
                .vocab("matched_by", matchedBy0025, default: nil),
                .ref("contact_id", "contacts", required: false, cascade: false),
                .ref("conversation_id", "conversations", required: false, cascade: false),
                .ref("touchpoint_id", "touchpoints", required: false, cascade: false),
                .ref("enrollment_id", "enrollments", required: false, cascade: false),
                .ref("send_id", "sends", required: false, cascade: false),
                .ref("reply_id", "replies", required: false, cascade: false),
                .ref("mailbox_id", "mailboxes", required: false, cascade: false),
                .vocab("bounce_type", ["hard", "soft"], default: nil), .text("bounce_status"), .text("bounced_recipient"), .text("diagnostic"),
                .ts("paused_until", defaultNow: false), .json("effects", array: true, nullable: false), .text("assigned_by"),
            ],
            replies: [
                .text("reply_text"),
                .raw("intent_confidence \(real) CONSTRAINT ck_replies__intent_confidence CHECK (intent_confidence BETWEEN 0 AND 1)"),
                .text("classified_by"), .text("referral_email"),
            ],
            mailboxes: [
                .raw("reply_address \(text) CONSTRAINT ck_mailboxes__reply_address CHECK (reply_address LIKE '_%@_%' AND length(reply_address) <= 320)"),
            ]
        )
    }

    static let sqliteColumns0025 = inboundColumns0025(SQLiteDDL.Col.self, text: "TEXT", real: "REAL")
    static let postgresColumns0025 = inboundColumns0025(PostgresDDL.Col.self, text: "text", real: "double precision")

    static let indexes0025 = [
        "CREATE UNIQUE INDEX ux_inbound_messages__dedup_key ON inbound_messages (dedup_key)",
        // Today's list by status (unmatched to assign) newest first; every reference, for its filter and its deletes.
        "CREATE INDEX ix_inbound_status ON inbound_messages (status, received_at, id)",
        "CREATE INDEX ix_inbound_contact ON inbound_messages (contact_id, received_at)",
        "CREATE INDEX ix_inbound_conversation ON inbound_messages (conversation_id)",
        "CREATE INDEX ix_inbound_touchpoint ON inbound_messages (touchpoint_id)",
        "CREATE INDEX ix_inbound_enrollment ON inbound_messages (enrollment_id)",
        "CREATE INDEX ix_inbound_send ON inbound_messages (send_id)",
        "CREATE INDEX ix_inbound_reply ON inbound_messages (reply_id)",
        "CREATE INDEX ix_inbound_mailbox ON inbound_messages (mailbox_id)",
        // A reply address (replies+TOKEN@domain) is found by its part before the plus.
        "CREATE INDEX ix_mailboxes_reply_address ON mailboxes (lower(reply_address)) WHERE reply_address IS NOT NULL",
    ]

    /// The statements of both engines, from each dialect's table, column and trigger helpers.
    static func inbound0025(
        table: [String], rawKey: String, blob: String, addedColumns: [String], retouch: (String, [String]) -> [String]
    ) -> [String] {
        table
            + [
                """
                CREATE TABLE inbound_message_raw (
                    inbound_message_id \(rawKey) REFERENCES inbound_messages (id) ON DELETE CASCADE,
                    raw \(blob) NOT NULL
                )
                """,
            ]
            + addedColumns + indexes0025 + retouch("replies", replyColumns0025) + retouch("mailboxes", mailboxColumns0025)
    }

    static let inboundSQLite0025: [String] = inbound0025(
        table: SQLiteDDL.table("inbound_messages", sqliteColumns0025.inbound), rawKey: "TEXT PRIMARY KEY NOT NULL", blob: "BLOB",
        addedColumns: SQLiteDDL.addColumns("replies", sqliteColumns0025.replies) + SQLiteDDL.addColumns("mailboxes", sqliteColumns0025.mailboxes),
        retouch: SQLiteDDL.retouch)

    static let inboundPostgres0025: [String] = inbound0025(
        table: PostgresDDL.table("inbound_messages", postgresColumns0025.inbound), rawKey: "uuid PRIMARY KEY", blob: "bytea",
        addedColumns: PostgresDDL.addColumns("replies", postgresColumns0025.replies) + PostgresDDL.addColumns("mailboxes", postgresColumns0025.mailboxes),
        retouch: PostgresDDL.retouch)
        + ["inbound_messages", "replies", "mailboxes"].map { "SELECT touchbase_audit_triggers('\($0)', ARRAY[]::text[])" }

    /// The audit triggers of the new table and of those with new columns.
    @Sendable static func inboundAuditTriggers0025(_ sql: any SQLDatabase) async throws -> [String] {
        try await sqliteAuditTriggers(jsonBooleans: sql, tables: ["inbound_messages", "replies", "mailboxes"])
    }
}
