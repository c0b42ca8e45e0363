import Foundation
import TouchbaseDomain
import TouchbaseStore

/// Inbound email (issue 15): the messages taken in, a person's or an agent's word on them.
extension Catalogue {
    static let inboundDetail = Shape.model(
        "InboundMessageDetail",
        .object("A message taken in, with what it matched: the reply recorded for it, our send and the touch it answers.", [
            ("message", .record(Entities.inboundMessages)),
            ("reply", .nullable(.record(Entities.replies))),
            ("send", .nullable(.record(Entities.sends))),
            ("touchpoint", .nullable(.record(Entities.touchpoints))),
            ("contact", .nullable(.record(Entities.contacts))),
        ]))

    static func inboundOperations(database: Database) -> [Operation] {
        let store = RecordStore(database: database)
        let inbound = InboundMail.fromEnvironment(database: database)
        return [
            Operation(
                "list_inbound", title: "Inbound messages", access: .read, idempotent: true,
                input: .fields([
                    Field("status", .text, vocabulary: Vocabulary.inboundStatus, "Only this status (unmatched: waiting to be assigned)."),
                    Field("kind", .text, vocabulary: Vocabulary.inboundKind, "Only this kind."),
                    id("contact_id", "contact", required: false),
                    limitField(), Field("cursor", .uuid, "The next_cursor of the previous page."),
                ]),
                output: .page(.record(Entities.inboundMessages)),
                description: "Email taken in, newest first: replies, auto-replies, bounces, complaints, unsubscribes and our own copies, each with its status (processed, unmatched, unparsed, ignored), what it matched and what it set off. Filter status=unmatched for those a person must assign."
            ) { args in
                var query = ListQuery(limit: args.int("limit") ?? 100)
                query.cursor = args.optionalUUID("cursor")
                query.descending = true
                for name in ["status", "kind", "contact_id"] where args.string(name) != nil { query.filters[name] = args.values[name] }
                let page = try await store.list(Entities.inboundMessages, query)
                return .records(page.records, nextCursor: page.nextCursor)
            },
            Operation(
                "get_inbound_message", title: "Inbound message", access: .read, idempotent: true,
                input: .fields([id("inbound_message_id", "inbound message")]),
                output: inboundDetail,
                description: "One message taken in: its parsed headers, full and stripped text, kind and why, how it was threaded, what it set off, and the reply, send, touch and contact it is linked to."
            ) { args in
                let message = try await store.get(Entities.inboundMessages, try args.uuid("inbound_message_id"))
                let links: [(String, Entity, String)] = [
                    ("reply", Entities.replies, "reply_id"), ("send", Entities.sends, "send_id"),
                    ("touchpoint", Entities.touchpoints, "touchpoint_id"), ("contact", Entities.contacts, "contact_id"),
                ]
                var detail: [String: JSONValue] = ["message": message.json]
                // The linked records on one connection.
                let found = try await database.withConnection { sql in
                    var out: [String: JSONValue] = [:]
                    for (key, entity, column) in links {
                        out[key] = try await message.uuid(column).asyncFlatMap { try await store.fetch(entity, $0, on: sql) }?.json ?? .null
                    }
                    return out
                }
                detail.merge(found) { _, new in new }
                return .json(.object(detail))
            },
            Operation(
                "classify_reply", title: "Reclassify a reply", access: .write,
                input: .fields([
                    id("reply_id", "reply"),
                    Field("intent", .text, required: true, vocabulary: Vocabulary.intent, "positive, neutral, not_now, referral, unsubscribe or negative."),
                    Field("follow_up_days", .integer, range: 1...365, "For not_now: when to follow up, in days."),
                    Field("referral_name", .text, "For referral: who they named."),
                    Field("referral_title", .text, "Their title."),
                ]),
                output: .record(Entities.replies),
                description: "Set a reply's intent by your own judgement (the rules' guess is replaced; confidence 1, classified_by is you). Unsubscribe sets do-not-contact at once; the next step is worked out again."
            ) { args in
                var patch: [String: JSONValue] = [
                    "intent": args["intent"], "intent_confidence": .double(1), "classified_by": .string(AuditContext.actor ?? "api"),
                    "recommended_next_step": .null,
                ]
                for name in ["follow_up_days", "referral_name", "referral_title"] where args.values[name] != nil && args[name] != .null { patch[name] = args[name] }
                return .record(try await store.update(Entities.replies, try args.uuid("reply_id"), patch))
            },
            Operation(
                "assign_inbound", title: "Assign a message", access: .write,
                input: .fields([
                    id("inbound_message_id", "inbound message"), id("contact_id", "contact it is from or about", required: false),
                    Field("contact_email", .text, "Or the contact's email (one of contact_id and contact_email)."),
                ]),
                output: .record(Entities.inboundMessages),
                description: "Assign an unmatched message to a contact: it is threaded to the contact's open conversation and acted on as if it had matched (a reply is recorded and classified, an auto-reply pauses, a bounce turns the email red, an unsubscribe sets do-not-contact). 409 unless the message is unmatched."
            ) { args in
                var contact = args.optionalUUID("contact_id")
                if contact == nil, let email = args.string("contact_email")?.trimmed.lowercased(), !email.isEmpty {
                    contact = try await inbound.contact(email: email, openConversation: false)
                    if contact == nil { throw DomainError.invalid("contact_email", "no contact has the email \(email)") }
                }
                guard let contact else { throw DomainError.invalid("contact_id", "is required (or contact_email)") }
                return .record(try await inbound.assign(try args.uuid("inbound_message_id"), contact: contact, by: AuditContext.actor ?? "api"))
            },
        ]
    }
}
