import SQLKit

// Migration 0026: webhooks (issue 16). `webhooks` are subscriptions (a URL, the event types, active); their signing
// secrets live in `webhook_secrets` (no audit trigger, never exported: the audit log must not hold them).
// `webhook_deliveries` is the outbox: triggers on the changed tables write one pending delivery per subscribed
// active webhook in the same transaction as the change, so that a crash after the commit loses no event and a
// rollback sends none. The job runner POSTs them (unaudited: a delivery is itself a log of attempts).
// A shipped migration is never edited.

extension Migrations {
    /// One event's trigger: the table, when it fires (the SQL after `AFTER`), the extra condition on each engine,
    /// and the columns of the row its data carries.
    struct Outbox0026 {
        let type: String
        let table: String
        let timing: String
        let sqliteWhen: String?
        let postgresWhen: String?
        let columns: [String]

        var triggerName: String { "webhook_" + type.replacingOccurrences(of: ".", with: "_") }
    }

    static let contactPayload0026 = [
        "id", "company_id", "first_name", "last_name", "email", "title", "stage", "status", "email_status", "do_not_contact", "dnc_reason",
        "source", "created_at", "updated_at",
    ]
    /// The contact columns whose change is a contact.updated: all but the keys, the times and what the database keeps
    /// itself (total_touchpoints, last_engaged_at, name_key).
    static let contactChanges0026 = [
        "company_id", "first_name", "last_name", "email", "linkedin_url", "phone", "title", "role", "department", "seniority_level", "status",
        "interests", "research_data", "engagement_score", "is_primary_contact", "is_decision_maker", "is_champion", "persona_type",
        "email_verified", "location", "timezone", "tenure_months", "recently_hired", "previous_company", "previous_title", "stage",
        "priority_score", "priority_factors", "personalization_score", "predicted_objection", "objection_response", "do_not_contact",
        "dnc_reason", "source", "profile_source_url", "last_profile_checked_at", "email_status", "email_confidence", "email_checked_at",
        "email_source_url", "custom_fields", "time_zone",
    ]
    static let touchPayload0026 = ["id", "contact_id", "company_id", "conversation_id", "channel", "direction", "subject", "touch_number", "sent_at"]

    static let outbox0026: [Outbox0026] = [
        Outbox0026(type: "contact.created", table: "contacts", timing: "INSERT ON contacts", sqliteWhen: nil, postgresWhen: nil, columns: contactPayload0026),
        Outbox0026(
            type: "contact.updated", table: "contacts", timing: "UPDATE ON contacts",
            sqliteWhen: "(" + contactChanges0026.map { "OLD.\($0) IS NOT NEW.\($0)" }.joined(separator: " OR ") + ")",
            postgresWhen: "(" + contactChanges0026.map { "OLD.\($0)" }.joined(separator: ", ") + ") IS DISTINCT FROM ("
                + contactChanges0026.map { "NEW.\($0)" }.joined(separator: ", ") + ")",
            columns: contactPayload0026),
        Outbox0026(
            type: "contact.unsubscribed", table: "contacts", timing: "UPDATE OF do_not_contact ON contacts",
            sqliteWhen: "NEW.do_not_contact = 1 AND OLD.do_not_contact = 0", postgresWhen: "NEW.do_not_contact AND NOT OLD.do_not_contact",
            columns: contactPayload0026),
        Outbox0026(
            type: "reply.received", table: "replies", timing: "INSERT ON replies", sqliteWhen: nil, postgresWhen: nil,
            columns: [
                "id", "contact_id", "touchpoint_id", "channel", "intent", "intent_confidence", "classified_by", "reply_tag", "summary", "reply_text",
                "referral_name", "referral_title", "referral_email", "follow_up_days", "replied_at", "created_at",
            ]),
        Outbox0026(
            type: "touchpoint.sent", table: "touchpoints", timing: "INSERT ON touchpoints",
            sqliteWhen: "NEW.direction = 'outbound'", postgresWhen: "NEW.direction = 'outbound'",
            columns: touchPayload0026 + ["outcome", "campaign_id", "created_at"]),
        Outbox0026(
            type: "touchpoint.opened", table: "touchpoints", timing: "UPDATE OF opened_at ON touchpoints",
            sqliteWhen: "OLD.opened_at IS NULL AND NEW.opened_at IS NOT NULL", postgresWhen: "OLD.opened_at IS NULL AND NEW.opened_at IS NOT NULL",
            columns: touchPayload0026 + ["opened_at"]),
        Outbox0026(
            type: "touchpoint.clicked", table: "touchpoints", timing: "UPDATE OF clicked_at ON touchpoints",
            sqliteWhen: "OLD.clicked_at IS NULL AND NEW.clicked_at IS NOT NULL", postgresWhen: "OLD.clicked_at IS NULL AND NEW.clicked_at IS NOT NULL",
            columns: touchPayload0026 + ["opened_at", "clicked_at"]),
        Outbox0026(
            type: "enrollment.stopped", table: "enrollments", timing: "UPDATE OF state ON enrollments",
            sqliteWhen: "NEW.state = 'stopped' AND OLD.state <> 'stopped'", postgresWhen: "NEW.state = 'stopped' AND OLD.state <> 'stopped'",
            columns: ["id", "sequence_id", "contact_id", "mailbox_id", "state", "stop_reason", "current_step", "ended_at", "updated_at"]),
        Outbox0026(
            type: "opportunity.created", table: "opportunities", timing: "INSERT ON opportunities", sqliteWhen: nil, postgresWhen: nil,
            columns: [
                "id", "contact_id", "company_id", "status", "pipeline_value", "meeting_date", "opportunity_created_date", "trigger_touchpoint_id",
                "trigger_reply_id", "attribution_channel", "attribution_touch_number", "ae_name", "created_at",
            ]),
        Outbox0026(
            type: "import.completed", table: "imports", timing: "UPDATE OF status ON imports",
            sqliteWhen: "NEW.status IN ('completed','completed_with_errors') AND OLD.status NOT IN ('completed','completed_with_errors')",
            postgresWhen: "NEW.status IN ('completed','completed_with_errors') AND OLD.status NOT IN ('completed','completed_with_errors')",
            columns: ["id", "kind", "format", "status", "file_name", "rows", "inserted", "updated", "skipped", "failed", "started_at", "finished_at"]),
    ]

    static let deliveryStatuses0026 = ["pending", "delivered", "failed"]

    static func webhookColumns0026<C: DDLColumn>(_: C.Type, text: String, uuid: String) -> (webhooks: [C], deliveries: [C]) {
        (
            webhooks: [
                .raw("url \(text) NOT NULL CONSTRAINT ck_webhooks__url CHECK ((url LIKE 'http://_%' OR url LIKE 'https://_%') AND length(url) <= 2000)"),
                .json("event_types", array: true, nullable: false), .text("description"), .bool("active", default: true), .text("secret_hint"),
            ],
            deliveries: [
                .ref("webhook_id", "webhooks", required: true, cascade: true),
                .raw("event_type \(text) NOT NULL CONSTRAINT ck_webhook_deliveries__event_type CHECK (length(event_type) BETWEEN 1 AND 100)"),
                .json("payload", array: false, nullable: false), .text("message_id"),
                .vocab("status", deliveryStatuses0026, default: "pending"), .int("attempts", default: 0, min: 0, max: nil),
                .ts("next_attempt_at", defaultNow: true), .ts("last_attempt_at", defaultNow: false),
                .int("response_status", default: nil, min: 0, max: 999), .text("response_body"), .text("error"), .ts("delivered_at", defaultNow: false),
                .raw("replay_of \(uuid) REFERENCES webhook_deliveries (id) ON DELETE SET NULL"),
            ]
        )
    }

    static let indexes0026 = [
        // The runner's claim: pending deliveries by when they are due.
        "CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'",
        // A webhook's deliveries, newest first (its list and filter), and its deletes.
        "CREATE INDEX ix_webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id)",
        "CREATE INDEX ix_webhook_deliveries_replay ON webhook_deliveries (replay_of)",
    ]

    static func webhookSecrets0026(key: String) -> String {
        """
        CREATE TABLE webhook_secrets (
            webhook_id \(key) PRIMARY KEY REFERENCES webhooks (id) ON DELETE CASCADE,
            secret \(key == "uuid" ? "text" : "TEXT") NOT NULL
        )
        """
    }

    static let webhooksSQLite0026: [String] = {
        let columns = webhookColumns0026(SQLiteDDL.Col.self, text: "TEXT", uuid: "TEXT")
        let active = "EXISTS (SELECT 1 FROM webhooks WHERE active = 1)"
        return SQLiteDDL.table("webhooks", columns.webhooks) + [webhookSecrets0026(key: "TEXT")]
            + SQLiteDDL.table("webhook_deliveries", columns.deliveries) + indexes0026
            + outbox0026.map { event in
                """
                CREATE TRIGGER \(event.triggerName) AFTER \(event.timing)
                WHEN \(([active] + (event.sqliteWhen.map { [$0] } ?? [])).joined(separator: " AND "))
                BEGIN
                    INSERT INTO webhook_deliveries (webhook_id, event_type, payload)
                    SELECT w.id, '\(event.type)', json_object(\(event.columns.map { "'\($0)', NEW.\($0)" }.joined(separator: ", ")))
                    FROM webhooks w
                    WHERE w.active = 1 AND EXISTS (SELECT 1 FROM json_each(w.event_types) e WHERE e.value IN ('\(event.type)', '*'));
                END
                """
            }
    }()

    static let webhooksPostgres0026: [String] = {
        let columns = webhookColumns0026(PostgresDDL.Col.self, text: "text", uuid: "uuid")
        return PostgresDDL.table("webhooks", columns.webhooks) + [webhookSecrets0026(key: "uuid")]
            + PostgresDDL.table("webhook_deliveries", columns.deliveries) + indexes0026
            + [
                """
                CREATE FUNCTION touchbase_webhook_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    data jsonb;
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM webhooks WHERE active) THEN RETURN NULL; END IF;
                    SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb) INTO data
                    FROM jsonb_each(to_jsonb(NEW)) WHERE key = ANY (TG_ARGV[1]::text[]);
                    INSERT INTO webhook_deliveries (webhook_id, event_type, payload)
                    SELECT w.id, TG_ARGV[0], data FROM webhooks w
                    WHERE w.active AND (w.event_types @> jsonb_build_array(TG_ARGV[0]) OR w.event_types @> '["*"]'::jsonb);
                    RETURN NULL;
                END $$
                """,
            ]
            + outbox0026.map { event in
                """
                CREATE TRIGGER \(event.triggerName) AFTER \(event.timing) FOR EACH ROW\(event.postgresWhen.map { " WHEN (\($0))" } ?? "")
                EXECUTE FUNCTION touchbase_webhook_outbox('\(event.type)', '{\(event.columns.joined(separator: ","))}')
                """
            }
            + ["SELECT touchbase_audit_triggers('webhooks', ARRAY[]::text[])"]
    }()

    /// The audit triggers of `webhooks` (a subscription's changes are audited; its secret and deliveries are not).
    @Sendable static func webhooksAuditTriggers0026(_ sql: any SQLDatabase) async throws -> [String] {
        try await sqliteAuditTriggers(jsonBooleans: sql, tables: ["webhooks"])
    }
}
