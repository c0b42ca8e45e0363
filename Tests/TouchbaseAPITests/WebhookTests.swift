import Foundation
import Testing
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore
import TouchbaseTestSupport

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Webhooks: an outbox written with the change, signed deliveries, retries, replays")
struct WebhookTests {
    @Test("a receiver gets signed events for a reply and an unsubscribe, including after it was down an hour", arguments: TestEngine.all)
    func deliveries(engine: TestEngine) async throws {
        let receiver = try WebhookReceiverPeer()
        try await receiver.start()
        defer { receiver.stop() }
        try await APIHarness.run(engine) { api in
            // Subscriptions are an admin's; the URL and the event types are checked.
            #expect(try await api.post("/api/v1/webhooks", ["url": .string(receiver.url), "event_types": ["reply.received"]], as: .member).status == .forbidden)
            let badURL = try await api.post("/api/v1/webhooks", ["url": "ftp://127.0.0.1/x", "event_types": ["reply.received"]])
            #expect(badURL.status == .unprocessableContent && badURL.text.contains("url"))
            let badType = try await api.post("/api/v1/webhooks", ["url": .string(receiver.url), "event_types": ["reply.recieved"]])
            #expect(badType.status == .unprocessableContent && badType.text.contains("event_types") && badType.text.contains("reply.recieved"))
            let created = try await api.post("/api/v1/webhooks", [
                "url": .string(receiver.url), "event_types": ["contact.created", "reply.received", "contact.unsubscribed", "enrollment.stopped"],
                "description": "CRM sync",
            ])
            #expect(created.status == .created)
            let secret = try #require(created["secret"].stringValue)
            #expect(secret.hasPrefix("whsec_") && WebhookSignature.key(secret)?.count == 24)
            let webhookID = try #require(created["webhook"]["id"]?.stringValue)
            try receiver.set("secret", secret)
            // The secret is shown once: reading the webhook gives its hint only.
            let read = try await api.get("/api/v1/webhooks/\(webhookID)")
            #expect(read.status == .ok && !read.text.contains(secret) && read["secret_hint"].stringValue == WebhookSignature.hint(secret))

            let deliverer = WebhookDeliverer(database: api.database)
            let company = try await api.post("/api/v1/companies", ["name": "Hookworth", "domain": "hookworth.example"])
            let contact = try await api.post("/api/v1/contacts", [
                "first_name": "Nia", "last_name": "Olsen", "email": "nia@hookworth.example", "company_id": .string(company.id),
            ])
            // A write that fails writes no event: the duplicate email is refused, its delivery rolled back with it.
            #expect(try await api.post("/api/v1/contacts", ["first_name": "Dup", "last_name": "Licate", "email": "nia@hookworth.example"]).status == .conflict)
            let pending = try await api.get("/api/v1/webhook-deliveries?webhook_id=\(webhookID)")
            #expect(pending["data"].arrayValue?.count == 1)
            #expect(pending["data"].arrayValue?.first?["status"]?.stringValue == "pending")
            var report = try await deliverer.deliverDue()
            #expect(report.delivered == 1)
            let first = try #require(receiver.events("contact.created").first)
            #expect(first["valid"]?.boolValue == true && first["content_type"]?.stringValue == "application/json")
            #expect(first["body"]?["data"]?["email"]?.stringValue == "nia@hookworth.example")
            #expect(first["body"]?["data"]?["do_not_contact"] == .bool(false))
            #expect(first["body"]?["data"]?["created_at"]?.stringValue?.hasSuffix("Z") == true)
            #expect(first["id"]?.stringValue?.hasPrefix("msg_") == true)
            let delivered = try await api.get("/api/v1/webhook-deliveries?webhook_id=\(webhookID)")
            #expect(delivered["data"].arrayValue?.first?["status"]?.stringValue == "delivered")
            #expect(delivered["data"].arrayValue?.first?["response_status"]?.intValue == 204)

            // The receiver goes down (its process stopped): a reply and an unsubscribe wait, retried with backoff.
            receiver.stop()
            let touch = try await api.post("/api/v1/touchpoints", ["contact_id": .string(contact.id), "channel": "email", "direction": "outbound", "subject": "Hi"])
            let reply = try await api.post("/api/v1/replies", [
                "contact_id": .string(contact.id), "touchpoint_id": .string(touch.id), "intent": "positive", "raw_text": "Yes, let's talk",
            ])
            #expect(reply.status == .created)
            #expect(try await api.patch("/api/v1/contacts/\(contact.id)", ["do_not_contact": true, "dnc_reason": "asked"]).status == .ok)
            let start = Date()
            report = try await deliverer.deliverDue(now: { start })
            #expect(report.delivered == 0 && report.retrying == 1)  // the first fails to connect; the other waits with it, untried
            let waiting = try await api.get("/api/v1/webhook-deliveries?webhook_id=\(webhookID)&status=pending")
            let rows = waiting["data"].arrayValue ?? []
            #expect(rows.count == 2)
            #expect(rows.contains { $0["attempts"]?.intValue == 1 && ($0["error"]?.stringValue ?? "").contains("connect") })
            // Still down ten minutes later: tried again, still pending.
            report = try await deliverer.deliverDue(now: { start.addingTimeInterval(600) })
            #expect(report.retrying >= 1 && report.delivered == 0)
            // Back an hour later: every waiting event arrives, once, signed, in one run.
            try await receiver.start()
            report = try await deliverer.deliverDue(now: { start.addingTimeInterval(3_600) })
            #expect(report.delivered == 2)
            let replies = receiver.events("reply.received")
            #expect(replies.count == 1)
            #expect(replies.first?["valid"]?.boolValue == true)
            #expect(replies.first?["body"]?["data"]?["intent"]?.stringValue == "positive")
            #expect(replies.first?["body"]?["data"]?["contact_id"]?.stringValue == contact.id)
            let unsubscribed = receiver.events("contact.unsubscribed")
            #expect(unsubscribed.count == 1)
            #expect(unsubscribed.first?["body"]?["data"]?["do_not_contact"] == .bool(true))
            #expect(try await deliverer.deliverDue(now: { start.addingTimeInterval(3_700) }).total == 0)

            // A replay sends the same event with the same webhook-id.
            let replyDelivery = try #require(
                try await api.get("/api/v1/webhook-deliveries?webhook_id=\(webhookID)")["data"].arrayValue?
                    .first { $0["event_type"]?.stringValue == "reply.received" })
            let replay = try await api.post("/api/v1/webhook-deliveries/\(replyDelivery["id"]?.stringValue ?? "")/replay", [:])
            #expect(replay.status == .created && replay["status"].stringValue == "pending")
            #expect(replay["replay_of"].stringValue == replyDelivery["id"]?.stringValue)
            #expect(try await deliverer.deliverDue().delivered == 1)
            let again = receiver.events("reply.received")
            #expect(again.count == 2 && again[0]["id"] == again[1]["id"] && again[1]["valid"]?.boolValue == true)

            // A receiver that answers 500 for more than 24 hours: the delivery fails for good.
            try receiver.set("status", "500")
            _ = try await api.post("/api/v1/contacts", ["first_name": "Ola", "last_name": "Berg", "email": "ola@hookworth.example"])
            report = try await deliverer.deliverDue()
            #expect(report.retrying == 1)
            report = try await deliverer.deliverDue(now: { Date().addingTimeInterval(25 * 3_600) })
            #expect(report.failed == 1)
            let failed = try await api.get("/api/v1/webhook-deliveries?webhook_id=\(webhookID)&status=failed")
            #expect(failed["data"].arrayValue?.first?["response_status"]?.intValue == 500)
            #expect(failed["data"].arrayValue?.first?["error"]?.stringValue?.contains("500") == true)

            // An inactive webhook gets no new events; a new secret signs from then on.
            try receiver.set("status", "204")
            #expect(try await api.patch("/api/v1/webhooks/\(webhookID)", ["active": false]).status == .ok)
            _ = try await api.post("/api/v1/contacts", ["first_name": "Per", "last_name": "Lund", "email": "per@hookworth.example"])
            let count = try await api.get("/api/v1/webhook-deliveries?webhook_id=\(webhookID)&limit=100")["data"].arrayValue?.count
            #expect(count == 5)
            let rotated = try await api.post("/api/v1/webhooks/\(webhookID)/rotate-secret", [:])
            let newSecret = try #require(rotated["secret"].stringValue)
            #expect(newSecret != secret && rotated["webhook"]["secret_hint"]?.stringValue == WebhookSignature.hint(newSecret))
            #expect(try await api.call(.delete, "/api/v1/webhooks/\(webhookID)").status == .ok)
            #expect(try await api.get("/api/v1/webhook-deliveries?webhook_id=\(webhookID)")["data"].arrayValue?.isEmpty == true)
        }
    }

    @Test("the outbox is written by the database for plain SQL too, and typed alike on both engines", arguments: TestEngine.all)
    func outboxBySQL(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let created = try await api.post("/api/v1/webhooks", ["url": "http://127.0.0.1:9/x", "event_types": ["*"]])
            let webhookID = try #require(created["webhook"]["id"]?.stringValue)
            try await api.sql("INSERT INTO contacts (first_name, last_name, email) VALUES ('Sql', 'Writer', 'sql@writer.example')")
            // Only the counters the database keeps changing: no contact.updated.
            try await api.sql("UPDATE contacts SET total_touchpoints = 5 WHERE email = 'sql@writer.example'")
            try await api.sql("UPDATE contacts SET title = 'CTO' WHERE email = 'sql@writer.example'")
            let rows = try await api.get("/api/v1/webhook-deliveries?webhook_id=\(webhookID)&limit=100")["data"].arrayValue ?? []
            #expect(rows.compactMap { $0["event_type"]?.stringValue }.sorted() == ["contact.created", "contact.updated"])
            let updated = try #require(rows.first { $0["event_type"]?.stringValue == "contact.updated" })
            let body = WebhookDeliverer.body(
                type: "contact.updated", occurredAt: Date(timeIntervalSince1970: 0), payload: updated["payload"] ?? .null)
            let json = try JSONValue.parse(String(decoding: body, as: UTF8.self))
            #expect(json["type"]?.stringValue == "contact.updated" && json["timestamp"]?.stringValue == "1970-01-01T00:00:00.000Z")
            #expect(json["data"]?["title"]?.stringValue == "CTO" && json["data"]?["do_not_contact"] == .bool(false))
            #expect(json["data"]?["updated_at"]?.stringValue.flatMap(Timestamp.parse) != nil)
            #expect(json["data"]?["updated_at"]?.stringValue?.hasSuffix("Z") == true)

            // Every other event, by the API or plain SQL: each writes its one delivery.
            let contact = try await api.get("/api/v1/contacts?email=sql@writer.example")["data"].arrayValue?.first?["id"]?.stringValue ?? ""
            let touch = try await api.post("/api/v1/touchpoints", ["contact_id": .string(contact), "channel": "email", "direction": "outbound", "subject": "Hello"])
            try await api.sql("UPDATE touchpoints SET opened_at = created_at WHERE id = '\(touch.id)'")
            try await api.sql("UPDATE touchpoints SET clicked_at = created_at WHERE id = '\(touch.id)'")
            try await api.sql("UPDATE touchpoints SET clicked_at = created_at WHERE id = '\(touch.id)'")  // not a first click: nothing
            _ = try await api.post("/api/v1/replies", ["contact_id": .string(contact), "touchpoint_id": .string(touch.id), "intent": "not_now", "raw_text": "Later"])
            let sequence = try await api.post("/api/v1/sequences", ["name": "Hooks"])
            let enrollment = try await api.post("/api/v1/enrollments", ["sequence_id": .string(sequence.id), "contact_id": .string(contact)])
            #expect(try await api.post("/api/v1/enrollments/\(enrollment.id)/stop", [:]).status == .ok)
            #expect(try await api.post("/api/v1/opportunities", ["contact_id": .string(contact), "pipeline_value": 12500.5]).status == .created)
            try await api.sql("INSERT INTO imports (kind, format, status) VALUES ('contacts', 'generic', 'running')")
            try await api.sql("UPDATE imports SET status = 'completed', inserted = 3")
            try await api.sql("UPDATE contacts SET do_not_contact = \(engine == .postgres ? "true" : "1") WHERE id = '\(contact)'")
            let all = try await api.get("/api/v1/webhook-deliveries?webhook_id=\(webhookID)&limit=100")["data"].arrayValue ?? []
            let counts = Dictionary(grouping: all.compactMap { $0["event_type"]?.stringValue }, by: { $0 }).mapValues(\.count)
            for type in WebhookEvent.types where type != "contact.updated" {
                #expect(counts[type] == 1, "\(type): \(counts[type] ?? 0)")
            }
            let opportunity = try #require(all.first { $0["event_type"]?.stringValue == "opportunity.created" })
            let oppBody = try JSONValue.parse(String(decoding: WebhookDeliverer.body(type: "opportunity.created", occurredAt: Date(), payload: opportunity["payload"] ?? .null), as: UTF8.self))
            #expect(oppBody["data"]?["pipeline_value"]?.doubleValue == 12500.5)
            let stopped = try #require(all.first { $0["event_type"]?.stringValue == "enrollment.stopped" })
            #expect(stopped["payload"]?["stop_reason"]?.stringValue == "manual")
            let imported = try #require(all.first { $0["event_type"]?.stringValue == "import.completed" })
            #expect(imported["payload"]?["inserted"]?.intValue == 3)
        }
    }

    @Test("signatures follow the Standard Webhooks scheme")
    func signature() throws {
        // The key is the base64 part of the secret; the signed content is id.timestamp.body.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let body = Array(#"{"test": 2432232314}"#.utf8)
        #expect(WebhookSignature.sign(secret: secret, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body)
            == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(WebhookSignature.sign(secret: "not-a-secret", id: "x", timestamp: 1, body: body) == nil)
        #expect(WebhookDeliverer.delay(afterAttempt: 1) == 5 && WebhookDeliverer.delay(afterAttempt: 2) == 10)
        #expect(WebhookDeliverer.delay(afterAttempt: 30) == WebhookDeliverer.maxDelay)
    }
}
