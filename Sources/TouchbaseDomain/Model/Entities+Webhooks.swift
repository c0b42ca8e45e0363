/// Webhooks (issue 16): subscriptions of other systems to events, and each event's delivery to each of them.
extension Vocabulary {
    public static let webhookDeliveryStatus = ["pending", "delivered", "failed"]
}

/// An event a webhook can subscribe to: what it means, the table whose change writes it, and the columns of the
/// changed row its `data` carries. The database writes a delivery for each subscribed webhook in the same
/// transaction as the change (an outbox), whoever makes it: the API, the web UI, MCP, the CLI or plain SQL.
public struct WebhookEvent: Sendable, Hashable {
    public let type: String
    /// The table whose change writes it; its `data` holds columns of that row (migration 0026 names them).
    public let table: String
    public let summary: String

    public static let all: [WebhookEvent] = [
        WebhookEvent(type: "contact.created", table: "contacts", summary: "A contact was added (any face, an import, or SQL)."),
        WebhookEvent(type: "contact.updated", table: "contacts",
                     summary: "A contact's own fields changed (not the counters the database keeps: total_touchpoints, last_engaged_at)."),
        WebhookEvent(type: "contact.unsubscribed", table: "contacts",
                     summary: "A contact became do-not-contact: an unsubscribe link or reply, a complaint, or a person's word."),
        WebhookEvent(type: "reply.received", table: "replies", summary: "A reply was recorded, with its intent (from inbound email, the API or a person)."),
        WebhookEvent(type: "touchpoint.sent", table: "touchpoints", summary: "An outbound touch was recorded (a sequence's send, or one logged)."),
        WebhookEvent(type: "touchpoint.opened", table: "touchpoints", summary: "A touch was opened for the first time by a person (human tracking hits only)."),
        WebhookEvent(type: "touchpoint.clicked", table: "touchpoints", summary: "A link in a touch was clicked for the first time by a person (human hits only)."),
        WebhookEvent(type: "enrollment.stopped", table: "enrollments", summary: "A sequence enrolment stopped, with its stop_reason (replied, bounced, unsubscribed, …)."),
        WebhookEvent(type: "opportunity.created", table: "opportunities", summary: "An opportunity was created, with its attribution."),
        WebhookEvent(type: "import.completed", table: "imports", summary: "An import job finished (completed, or completed_with_errors), with its counts."),
    ]

    public static let types: [String] = all.map(\.type)

    public static func named(_ type: String) -> WebhookEvent? { all.first { $0.type == type } }
}

extension Entities {
    public static let webhooks = Entity(
        table: "webhooks", singular: "webhook", schemaName: "Webhook",
        summary: "A subscription of another system to events: each event is POSTed to its URL as JSON signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 with the secret shown once at creation).",
        writable: false,
        fields: [
            id,
            Field("url", .text, required: true, "Where events are POSTed: an http:// or https:// URL."),
            Field("event_types", .jsonArray, default: [],
                  "The events sent: any of \(WebhookEvent.types.joined(separator: ", ")), or \"*\" for all."),
            Field("description", .text, "What it is for."),
            Field("active", .boolean, default: true, "Whether events are written and sent; an inactive webhook gets none."),
            Field("secret_hint", .text, access: .readOnly, "The secret's first characters (whsec_ab12…), to recognise it; the secret is shown only at creation."),
            createdAt, updatedAt,
        ])

    public static let webhookDeliveries = Entity(
        table: "webhook_deliveries", singular: "webhook delivery", schemaName: "WebhookDelivery",
        summary: "One event for one webhook: written in the same transaction as the change, POSTed by the server's job runner, retried with exponential backoff for 24 hours, then failed. A delivery can be replayed.",
        writable: false,
        fields: [
            id,
            ref("webhook_id", "webhooks", required: true, "The webhook."),
            Field("event_type", .text, required: true, vocabulary: WebhookEvent.types, "The event (contact.created, reply.received, …)."),
            Field("payload", .jsonObject, default: [:], "The event's data: the changed row's columns the event carries."),
            Field("message_id", .text, "The webhook-id sent (msg_ and the delivery's id; a replay keeps the original's)."),
            Field("status", .text, vocabulary: Vocabulary.webhookDeliveryStatus, default: "pending",
                  "pending (waiting or retrying), delivered (a 2xx answer) or failed (no 2xx within 24 hours)."),
            Field("attempts", .integer, range: 0...10_000, default: 0, "POSTs tried."),
            Field("next_attempt_at", .timestamp, computedDefault: true, "When a pending delivery is tried (again); at once when written."),
            Field("last_attempt_at", .timestamp, "When it was last tried."),
            Field("response_status", .integer, range: 0...999, "The receiver's last HTTP status."),
            Field("response_body", .text, "The start of the receiver's last answer (2 KB at most)."),
            Field("error", .text, "Why the last attempt failed (connection refused, a timeout, a non-2xx status)."),
            Field("delivered_at", .timestamp, "When a 2xx answer came."),
            Field("replay_of", .uuid, "The delivery this one replays."),
            createdAt, updatedAt,
        ])
}
