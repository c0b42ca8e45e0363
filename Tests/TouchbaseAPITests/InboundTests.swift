import Foundation
import HTTPTypes
import Hummingbird
import Testing
import TouchbaseDomain
import TouchbaseMail
import TouchbaseService
import TouchbaseStore
import TouchbaseTestSupport

/// A transport that takes every message (the round trip through a real SMTP server is in the command tests).
struct AcceptingTransport: MailTransport {
    func send(smtpURL: String, helo: String, from: String, to: [String], message: [UInt8]) async throws -> SMTPReply {
        SMTPReply(code: 250, lines: ["2.0.0 Ok: queued"])
    }
}

extension APIHarness {
    /// Posts a raw message to the inbound endpoint.
    func inbound(_ bytes: [UInt8], contentType: String = "message/rfc822", as role: Role = .member) async throws -> Reply {
        var headers: HTTPFields = [.contentType: contentType]
        headers[.authorization] = "Bearer \(tokens[role]!)"
        return try await client.execute(uri: "/api/v1/inbound-messages", method: .post, headers: headers, body: ByteBuffer(bytes: bytes)) { response in
            Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }
}

/// Issue 15's corpus taken in through the API on both engines: each message's parse, match and effect, after a
/// sequence has sent to every contact (our real Message-IDs and tokens).
@Suite("Inbound email")
struct InboundTests {
    static func message(_ name: String, messageID: String, contact: String) throws -> [UInt8] {
        MailCorpus.bytes(name, messageID: messageID, contact: contact)
    }

    /// Who gets which message.
    static let people: [(first: String, file: String)] = [
        ("Maya", "gmail_reply.eml"), ("Tom", "outlook_reply.eml"), ("Lena", "apple_mail_reply.eml"), ("Sam", "html_only_reply.eml"),
        ("Priya", "unsubscribe_reply.eml"), ("Oscar", "ooo_exchange.eml"), ("Greta", "ooo_gmail_de.eml"), ("Claire", "ooo_rfc3834_fr.eml"),
        ("Hank", "dsn_postfix_hard.eml"), ("Dora", "dsn_postfix_delayed.eml"), ("Ed", "dsn_exim_plain.eml"), ("Xena", "dsn_exchange.eml"),
        ("Gil", "dsn_gmail_full.eml"), ("Carl", "arf_complaint.eml"), ("Uma", "mailto_unsubscribe.eml"), ("Olga", "own_sent.eml"),
    ]

    @Test("the corpus: replies, out-of-office, bounces, a complaint, unsubscribes, our own copy, duplicates and broken messages", arguments: TestEngine.all)
    func corpus(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let mailbox = try await api.post("/api/v1/mailboxes", [
                "email": "rob@touchbase.example", "display_name": "Rob Lane", "smtp_url": "smtp://rob:secret@127.0.0.1:2525?starttls=never",
            ])
            #expect(mailbox.status == .created, "\(mailbox.text)")
            let company = try await api.post("/api/v1/companies", ["name": "Acme", "domain": "acme.example"])
            var contacts: [String: (id: String, email: String)] = [:]
            for person in Self.people {
                let email = "\(person.first.lowercased())@acme.example"
                let c = try await api.post("/api/v1/contacts", [
                    "company_id": .string(company.id), "first_name": .string(person.first), "last_name": "Example", "email": .string(email),
                ])
                #expect(c.status == .created, "\(c.text)")
                contacts[person.first] = (c.id, email)
            }
            let sequence = try await api.post("/api/v1/sequences", [
                "name": "QA hiring", "time_zone": "UTC", "status": "active", "send_days": [1, 2, 3, 4, 5, 6, 7], "start_hour": 0, "end_hour": 24, "mailbox_id": .string(mailbox.id), "on_account_reply": "none",
            ])
            for (position, delay) in [(1, 0), (2, 3)] {
                #expect(try await api.post("/api/v1/sequence-steps", [
                    "sequence_id": .string(sequence.id), "position": .int(Int64(position)), "kind": "auto_email", "delay_days": .int(Int64(delay)),
                    "subject": "Quick question about QA at {{company.name}}", "same_thread": position == 2 ? true : false,
                    "body": "Hi {{first_name}},\n\nSaw that {{company.name}} is hiring three QA engineers, which usually means the release train is getting longer than anyone would like. We help teams like yours keep every test run, flaky check and release gate in one place. Worth a short chat next week to see whether it fits?\n\nRob",
                ]).status == .created)
            }
            for person in Self.people {
                let enrolled = try await api.post("/api/v1/sequences/\(sequence.id)/enrollments", ["contact_ids": [.string(contacts[person.first]!.id)]])
                #expect(enrolled.status == .ok && enrolled.text.contains("\"enrolled\":true"), "\(person.first): \(enrolled.text)")
            }
            let runner = SequenceRunner(database: api.database, transport: AcceptingTransport(), publicURL: "http://127.0.0.1:8080")
            let report = try await runner.runDue(now: Date().addingTimeInterval(1))
            #expect(report.count("sent") == Self.people.count, "\(report.json.serialized)")

            func send(_ first: String) async throws -> JSONValue {
                try #require(try await api.get("/api/v1/sends?contact_id=\(contacts[first]!.id)")["data"].arrayValue?.first)
            }
            func take(_ first: String) async throws -> Reply {
                let person = Self.people.first { $0.first == first }!
                let messageID = try await send(first)["message_id"]!.stringValue!
                let reply = try await api.inbound(try Self.message(person.file, messageID: messageID, contact: contacts[first]!.email))
                #expect(reply.status == .created, "\(person.file): \(reply.text)")
                return reply
            }
            func enrollment(_ first: String) async throws -> JSONValue {
                try #require(try await api.get("/api/v1/enrollments?contact_id=\(contacts[first]!.id)")["data"].arrayValue?.first)
            }
            func contact(_ first: String) async throws -> Reply { try await api.get("/api/v1/contacts/\(contacts[first]!.id)") }
            func replies(_ first: String) async throws -> [JSONValue] {
                try await api.get("/api/v1/replies?contact_id=\(contacts[first]!.id)")["data"].arrayValue ?? []
            }

            // A Gmail reply: threaded by In-Reply-To, its own words kept, positive, the touch replied, the enrolment stopped.
            let maya = try await take("Maya")
            #expect(maya["status"] == "processed" && maya["kind"] == "reply" && maya["matched_by"] == "in_reply_to", "\(maya.text)")
            #expect(maya["send_id"] == (try await send("Maya"))["id"], "\(maya.text)")
            let mayaReply = try #require(try await replies("Maya").first)
            #expect(mayaReply["intent"] == "positive" && mayaReply["classified_by"] == "rules" && mayaReply["intent_confidence"] == 0.75, "\(mayaReply)")
            #expect(mayaReply["reply_text"]?.stringValue?.hasSuffix("Tuesday or Wednesday afternoon works best.\n\nMaya") == true)
            #expect(mayaReply["raw_text"]?.stringValue?.contains("> Saw that Acme") == true, "the full text is kept")
            #expect(mayaReply["replied_at"] == "2026-12-02T14:14:03.000Z", "\(mayaReply)")
            #expect(try await enrollment("Maya")["stop_reason"] == "replied")
            #expect(try await contact("Maya")["stage"] == "replied")
            let touch = try await api.get("/api/v1/touchpoints/\(maya["touchpoint_id"].stringValue ?? "")")
            #expect(touch["replied_at"] == "2026-12-02T14:14:03.000Z" && touch["outcome"] == "replied", "\(touch.text)")
            // The same message again: taken once.
            let again = try await api.inbound(try Self.message("gmail_reply.eml", messageID: (try await send("Maya"))["message_id"]!.stringValue!, contact: contacts["Maya"]!.email))
            #expect(again.status == .ok && again.id == maya.id, "\(again.text)")
            #expect(try await replies("Maya").count == 1)

            // Outlook (Windows-1252, X-Auto-Response-Suppress): a referral — the referred contact made, with title and email.
            let tom = try await take("Tom")
            #expect(tom["kind"] == "reply", "\(tom.text)")
            let tomReply = try #require(try await replies("Tom").first)
            #expect(tomReply["intent"] == "referral" && tomReply["referral_name"] == "Jane Doe" && tomReply["referral_title"] == "VP Engineering", "\(tomReply)")
            #expect(tomReply["referral_email"] == "jane.doe@acme.example")
            let jane = try #require(try await api.get("/api/v1/contacts?email=jane.doe@acme.example")["data"].arrayValue?.first)
            #expect(jane["full_name"] == "Jane Doe" && jane["title"] == "VP Engineering" && jane["company_id"] == .string(company.id), "\(jane)")
            let referred = try await api.get("/api/v1/relationships?contact_id_1=\(jane["id"]!.stringValue!)")["data"].arrayValue ?? []
            #expect(referred.first?["relationship_type"] == "referred_by", "\(referred)")

            // Apple Mail: not now, until next quarter — a follow-up on its first day.
            _ = try await take("Lena")
            #expect(try await replies("Lena").first?["intent"] == "not_now")
            let followups = try await api.get("/api/v1/followups?contact_id=\(contacts["Lena"]!.id)")["data"].arrayValue ?? []
            #expect(followups.contains { $0["due_date"] == "2027-01-01" }, "\(followups)")

            // HTML only, no threading headers: the sender's open conversation; negative.
            let sam = try await take("Sam")
            #expect(sam["matched_by"] == "sender" && sam["status"] == "processed", "\(sam.text)")
            #expect(try await replies("Sam").first?["intent"] == "negative")

            // An unsubscribe in words: do-not-contact and stopped.
            _ = try await take("Priya")
            #expect(try await replies("Priya").first?["intent"] == "unsubscribe")
            #expect(try await contact("Priya")["do_not_contact"] == true)
            #expect(try await enrollment("Priya")["stop_reason"] == "unsubscribed")

            // Out-of-office: paused to the next business day after the return date (seven days when none), no reply, no stage move.
            for (first, until) in [("Oscar", "2026-12-14"), ("Greta", "2027-01-08"), ("Claire", "2026-12-08")] {
                let ooo = try await take(first)
                #expect(ooo["kind"] == "auto_reply" && ooo["status"] == "processed", "\(first): \(ooo.text)")
                let e = try await enrollment(first)
                #expect(e["state"] == "paused" && e["paused_until"]?.stringValue?.hasPrefix(until) == true, "\(first): \(e)")
                #expect(try await replies(first).isEmpty, "\(first): an auto-reply is not a reply")
                #expect(try await contact(first)["stage"] == "sent", "\(first)")
            }

            // Hard bounces: the touch bounced, the email red with the diagnostic, the enrolment stopped.
            for first in ["Hank", "Ed", "Xena"] {
                let bounce = try await take(first)
                #expect(bounce["kind"] == "bounce" && bounce["bounce_type"] == "hard" && bounce["status"] == "processed", "\(first): \(bounce.text)")
                let c = try await contact(first)
                #expect(c["email_status"] == "red" && c["email_source_url"].stringValue?.hasPrefix("bounce 5.1.") == true, "\(first): \(c.text)")
                #expect(try await enrollment(first)["stop_reason"] == "bounced", "\(first)")
                #expect(try await api.get("/api/v1/touchpoints/\(bounce["touchpoint_id"].stringValue ?? "")")["outcome"] == "bounced", "\(first)")
            }
            // Soft ones (a delay, a full mailbox): recorded, nothing stopped.
            for first in ["Dora", "Gil"] {
                let bounce = try await take(first)
                #expect(bounce["bounce_type"] == "soft", "\(first): \(bounce.text)")
                #expect(try await contact(first)["email_status"] == "gray", "\(first)")
                #expect(try await enrollment(first)["state"] == "active", "\(first)")
            }

            // A complaint and a mailto: unsubscribe: do-not-contact at once.
            let carl = try await take("Carl")
            #expect(carl["kind"] == "complaint" && carl["matched_by"] == "report", "\(carl.text)")
            #expect(try await contact("Carl")["do_not_contact"] == true)
            let uma = try await take("Uma")
            #expect(uma["kind"] == "unsubscribe" && uma["matched_by"] == "sender", "\(uma.text)")
            #expect(try await contact("Uma")["do_not_contact"] == true)
            #expect(try await enrollment("Uma")["stop_reason"] == "unsubscribed")

            // Our own mail (a synced Sent folder): ignored, never a reply.
            let own = try await take("Olga")
            #expect(own["status"] == "ignored" && own["kind"] == "own", "\(own.text)")
            #expect(try await replies("Olga").isEmpty)
            #expect(try await enrollment("Olga")["state"] == "active")

            // Broken messages are stored unparsed with the reason, shown, never dropped.
            for (file, reason) in [("broken_no_headers.eml", "no header fields"), ("broken_base64.eml", "base64 is not valid")] {
                let broken = try await api.inbound(try Self.message(file, messageID: "x", contact: "x@acme.example"))
                #expect(broken.status == .created && broken["status"] == "unparsed" && broken["reason"].stringValue?.contains(reason) == true, "\(broken.text)")
                let raw = try await api.get("/api/v1/inbound-messages/\(broken.id)/raw")
                let sent = String(decoding: try Self.message(file, messageID: "x", contact: "x@acme.example"), as: UTF8.self)
                #expect(raw.status == .ok && raw.contentType == "message/rfc822" && raw.text == sent)
            }
            let big = try await api.inbound(Array(repeating: UInt8(ascii: "a"), count: 30 * 1024 * 1024))
            #expect(big.status == .created && big["status"] == "unparsed" && big["size_bytes"] == .int(30 * 1024 * 1024), "\(big.text.prefix(500))")
            #expect(big["reason"].stringValue?.contains("TOUCHBASE_MAX_MESSAGE") == true)
            #expect(try await api.inbound(Array("x".utf8), contentType: "application/json").status == .unsupportedMediaType)
            #expect(try await api.inbound([], contentType: "message/rfc822").status == .badRequest)

            // An unknown charset: read, said so; from nobody we know: unmatched, then assigned by a person.
            let odd = try await api.inbound(try Self.message("unknown_charset.eml", messageID: "x", contact: "x"))
            #expect(odd["status"] == "unmatched" && odd["notes"].arrayValue?.first?.stringValue?.contains("x-klingon") == true, "\(odd.text)")
            let unmatched = try await api.get("/api/v1/inbound-messages?status=unmatched")["data"].arrayValue ?? []
            #expect(unmatched.map { $0["id"] } == [.string(odd.id)], "\(unmatched.map { ($0["subject"], $0["reason"]) })")
            // The web UI: Today lists it to assign; a person assigns it by the contact's email.
            let web = WebBrowser(api)
            try await web.signIn(.member)
            let today = try await web.get("/")
            #expect(today.text.contains("Email to assign") && today.text.contains("/inbound/\(odd.id)") && today.text.contains("Odd charset"), "Today lacks the message to assign")
            #expect(try await web.get("/inbound").text.contains("/inbound/\(odd.id)"))
            #expect(try await web.post("/do/assign_inbound", ["inbound_message_id": odd.id, "contact_email": "nobody@nowhere.example", "_back": "/"]).text.contains("no contact has the email"))
            #expect(try await web.post("/do/assign_inbound", ["inbound_message_id": odd.id, "contact_email": contacts["Olga"]!.email, "_back": "/"]).status == .seeOther)
            let assigned = try await api.get("/api/v1/inbound-messages/\(odd.id)")
            #expect(assigned["status"] == "processed" && assigned["matched_by"] == "assigned", "\(assigned.text)")
            #expect(assigned["assigned_by"].stringValue?.hasPrefix("user:") == true, "\(assigned.text)")
            #expect(try await replies("Olga").first?["intent"] == "neutral")
            #expect(try await api.post("/api/v1/inbound-messages/\(odd.id)/assign", ["contact_id": .string(contacts["Olga"]!.id)]).status == .conflict)

            // A person reclassifies a reply: kept with who did it.
            let reclassified = try await api.post("/api/v1/replies/\(mayaReply["id"]!.stringValue!)/classify", ["intent": "not_now", "follow_up_days": 14])
            #expect(reclassified["intent"] == "not_now" && reclassified["intent_confidence"] == 1 && reclassified["classified_by"] != "rules", "\(reclassified.text)")
            #expect(reclassified["recommended_next_step"] == "Follow up in 14 days", "\(reclassified.text)")
            let detail = try await api.get("/api/v1/inbound-messages/\(maya.id)/detail")
            #expect(detail["reply"]["intent"] == "not_now" && detail["send"]["id"] == maya["send_id"], "\(detail.text)")
            #expect(try await api.inbound(Array("x".utf8), as: .viewer).status == .forbidden)
            // A message's page: their words, the thread, what it set off; Today's one-click reclassify.
            let page = try await web.get("/inbound/\(tom.id)")
            for part in ["Their words", "What it set off", "referred contact Jane Doe", "Reclassify", "matched by in_reply_to", "It answers the touch"] {
                #expect(page.text.contains(part), "the message page lacks \(part)")
            }
            #expect(try await web.get("/").text.contains("/inbound/\(tom.id)"), "Today links a reply to its thread")
            #expect(try await web.post("/do/classify_reply", ["reply_id": tomReply["id"]!.stringValue!, "intent": "positive", "_back": "/"]).status == .seeOther)
            let byPerson = try await api.get("/api/v1/replies/\(tomReply["id"]!.stringValue!)")
            #expect(byPerson["intent"] == "positive" && byPerson["classified_by"].stringValue?.hasPrefix("user:") == true, "\(byPerson.text)")
        }
    }

    @Test("a binary body with NUL bytes (what the fuzzer sent) is stored unparsed, never refused", arguments: TestEngine.all)
    func nulBytes(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            // A JPEG's first bytes: NUL bytes in what would be the header and the body.
            let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x0A] + Array("Subject: x\u{0}y\n\nbody\u{0}".utf8)
            for contentType in ["message/rfc822", "application/octet-stream"] {
                let reply = try await api.inbound(bytes + Array(contentType.utf8), contentType: contentType)
                #expect(reply.status == .created, "\(reply.text)")
                #expect(reply["status"].stringValue == "unparsed" && !reply.text.contains("\\u0000"))
                let raw = try await api.get("/api/v1/inbound-messages/\(reply.id)/raw")
                #expect(raw.status == .ok && raw.text.contains("Subject: x\u{0}y") && raw.text.hasSuffix(contentType))  // the bytes as they came, NUL included
            }
        }
    }

    @Test("the same message delivered six times at once is taken once: one row, one reply", arguments: TestEngine.all)
    func racingDeliveries(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let contact = try await api.post("/api/v1/contacts", ["first_name": "Sam", "last_name": "Ortiz", "email": "sam@acme.example"])
            #expect(try await api.post("/api/v1/conversations", ["contact_id": .string(contact.id), "status": "active"]).status == .created)
            let message = try Self.message("html_only_reply.eml", messageID: "x", contact: "sam@acme.example")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<6 { group.addTask { try await api.inbound(message).status } }
                var out: [HTTPResponse.Status] = []
                for try await status in group { out.append(status) }
                return out
            }
            #expect(statuses.filter { $0 == .created }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .ok }.count == 5, "\(statuses)")
            #expect((try await api.get("/api/v1/inbound-messages")["data"].arrayValue ?? []).count == 1)
            let replies = try await api.get("/api/v1/replies?contact_id=\(contact.id)")["data"].arrayValue ?? []
            #expect(replies.count == 1 && replies.first?["intent"] == "negative", "\(replies)")
        }
    }
}
