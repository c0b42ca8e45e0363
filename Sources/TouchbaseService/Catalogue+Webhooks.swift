import Foundation
import SQLKit
import TouchbaseDomain
import TouchbaseStore

/// Webhooks (issue 16): subscriptions, their secrets (shown once), replays and a delivery run; admins only.
extension Catalogue {
    static let webhookWithSecret = Shape.model(
        "WebhookWithSecret",
        .object("A webhook and its signing secret: the secret is shown only now; keep it where the receiver checks signatures.", [
            ("webhook", .record(Entities.webhooks)),
            ("secret", .text("The signing secret (whsec_…): HMAC-SHA256 key of the Standard Webhooks signature.")),
        ]))

    static func webhookFields(required: Bool) -> [Field] {
        var events = Field("event_types", .jsonArray, required: required, "Events to send: \(WebhookEvent.types.joined(separator: ", ")), or [\"*\"] for all.")
        events.items = [Field("event_type", .text, vocabulary: WebhookEvent.types + ["*"], "An event type, or * for all.")]
        return [
            Field("url", .text, required: required, "Where events are POSTed: an http:// or https:// URL (up to 2,000 characters)."),
            events,
            Field("description", .text, "What it is for."),
            Field("active", .boolean, "Whether events are written and sent (default true)."),
        ]
    }

    /// The subscription's columns from the arguments, checked: the URL's form and the event types' names.
    static func webhookValues(_ args: Arguments) throws -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        if let url = args.string("url")?.trimmed {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  let host = components.host, !host.isEmpty, url.count <= 2_000, components.user == nil
            else { throw DomainError.invalid("url", "must be an http:// or https:// URL with a host and no user or password (up to 2,000 characters)") }
            values["url"] = .string(url)
        }
        if args.values["event_types"] != nil {
            guard let list = args["event_types"].arrayValue, !list.isEmpty else {
                throw DomainError.invalid("event_types", "must list at least one event type (or \"*\")")
            }
            var types: [String] = []
            for item in list {
                guard let type = item.stringValue, type == "*" || WebhookEvent.named(type) != nil else {
                    throw DomainError.invalid("event_types", "'\(item.stringValue ?? item.serialized)' is not an event type; use \(WebhookEvent.types.joined(separator: ", ")) or \"*\"")
                }
                if !types.contains(type) { types.append(type) }
            }
            values["event_types"] = .array(types.map { .string($0) })
        }
        if args.values["description"] != nil { values["description"] = args["description"] }
        if let active = args.bool("active") { values["active"] = .bool(active) }
        return values
    }

    static func webhookOperations(database: Database) -> [Operation] {
        let store = RecordStore(database: database)
        let d = database.dialect
        @Sendable func keepSecret(_ secret: String, of webhook: UUID, on sql: any SQLDatabase) async throws {
            try await sql.raw("DELETE FROM webhook_secrets WHERE webhook_id = \(d.bind(webhook))").run()
            try await sql.raw("INSERT INTO webhook_secrets (webhook_id, secret) VALUES (\(d.bind(webhook)), \(bind: secret))").run()
        }
        return [
            Operation(
                "create_webhook", title: "Create a webhook", access: .admin,
                input: .fields(webhookFields(required: true)),
                output: webhookWithSecret,
                description: "Subscribe a URL to events. Each event is POSTed as JSON {type, timestamp, data} with the Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature (v1,base64 HMAC-SHA256 of id.timestamp.body with the secret). The secret is returned only now."
            ) { args in
                var values = try webhookValues(args)
                let secret = WebhookSignature.makeSecret()
                values["secret_hint"] = .string(WebhookSignature.hint(secret))
                let final = values
                let record = try await database.transaction { sql in
                    let row = try await store.insert(Entities.webhooks, final, on: sql)
                    try await keepSecret(secret, of: row.id, on: sql)
                    return row
                }
                return .json(["webhook": record.json, "secret": .string(secret)])
            },
            Operation(
                "update_webhook", title: "Change a webhook", access: .admin,
                input: .fields([id("webhook_id", "webhook")] + webhookFields(required: false)),
                output: .record(Entities.webhooks),
                description: "Change a webhook's URL, event types, description or active flag. Deliveries already written keep going to it."
            ) { args in
                let webhook = try args.uuid("webhook_id")
                let values = try webhookValues(args)
                return .record(try await database.transaction { sql in try await store.apply(Entities.webhooks, webhook, values, on: sql) })
            },
            Operation(
                "delete_webhook", title: "Delete a webhook", access: .admin,
                input: .fields([id("webhook_id", "webhook")]),
                output: .record(Entities.webhooks),
                description: "Delete a webhook with its secret and its deliveries; returns it as it was."
            ) { args in
                let webhook = try args.uuid("webhook_id")
                let record = try await store.get(Entities.webhooks, webhook)
                try await store.delete(Entities.webhooks, webhook)
                return .record(record)
            },
            Operation(
                "rotate_webhook_secret", title: "New webhook secret", access: .admin,
                input: .fields([id("webhook_id", "webhook")]),
                output: webhookWithSecret,
                description: "Give a webhook a new signing secret (returned only now); deliveries from now on are signed with it. A restored database needs this: secrets are never exported."
            ) { args in
                let webhook = try args.uuid("webhook_id")
                let secret = WebhookSignature.makeSecret()
                let record = try await database.transaction { sql in
                    let row = try await store.apply(Entities.webhooks, webhook, ["secret_hint": .string(WebhookSignature.hint(secret))], on: sql)
                    try await keepSecret(secret, of: webhook, on: sql)
                    return row
                }
                return .json(["webhook": record.json, "secret": .string(secret)])
            },
            Operation(
                "replay_webhook_delivery", title: "Replay a delivery", access: .admin,
                input: .fields([id("delivery_id", "webhook delivery")]),
                output: .record(Entities.webhookDeliveries),
                description: "Send a delivery's event again (whatever became of it): a new pending delivery with the same event, data and webhook-id, so that a receiver that keeps ids sees the same message."
            ) { args in
                let original = try await store.get(Entities.webhookDeliveries, try args.uuid("delivery_id"))
                return .record(try await database.transaction { sql in
                    try await store.insert(Entities.webhookDeliveries, [
                        "webhook_id": original["webhook_id"], "event_type": original["event_type"], "payload": original["payload"],
                        "message_id": .string(original.string("message_id") ?? "msg_" + original.id.lowercased), "replay_of": .string(original.id.lowercased),
                    ], on: sql)
                })
            },
            Operation(
                "deliver_webhooks", title: "Deliver due webhooks", access: .admin,
                input: .fields([]),
                output: Shape.model("WebhookRun", .freeform("What the run did: {delivered, retrying, failed}.")),
                description: "POST every webhook delivery due now, once (the server does this itself every few seconds)."
            ) { _ in
                let report = try await WebhookDeliverer(database: database).deliverDue()
                return .json(["delivered": .int(Int64(report.delivered)), "retrying": .int(Int64(report.retrying)), "failed": .int(Int64(report.failed))])
            },
        ]
    }
}
