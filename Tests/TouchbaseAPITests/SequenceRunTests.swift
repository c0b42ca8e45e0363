import Foundation
import Testing
import TouchbaseDomain
import TouchbaseMail
import TouchbaseService
import TouchbaseStore
import TouchbaseTestSupport

/// Issue 14's sending, against a real SMTP server on loopback (aiosmtpd) and on both engines: run-due stepped through
/// days, across a weekend, a holiday and a daylight-saving change.
@Suite("Sequences that send")
struct SequenceRunTests {
    /// The header block of a received message, unfolded, by lowercased name.
    static func headers(_ bytes: [UInt8]) -> [String: String] {
        let text = String(decoding: bytes, as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
        var out: [String: String] = [:]
        var last: String?
        for line in head.components(separatedBy: "\r\n") {
            if line.hasPrefix(" ") || line.hasPrefix("\t"), let last {
                out[last, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                out[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                last = name
            }
        }
        return out.mapValues { $0.trimmingCharacters(in: .whitespaces) }
    }

    static let firstBody = """
        Hi {{first_name}},

        {{colleague.first_name}} mentioned that the team at {{company.name}} is looking again at how renewals and \
        expansion are tracked across accounts. We help revenue teams see every contact, every touch and every reply in \
        one place, so nobody at an account is emailed twice and nobody is forgotten. Teams like yours usually start with \
        one sequence and a single mailbox, then grow into account plans. Would a short call next week be useful to see \
        whether it fits what {{colleague.first_name}} described?

        {{sender.first_name}}
        """

    @Test("a three-step sequence: window, business days, weekend, holiday and DST; bytes, threading, a task that moves it on",
          .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)), arguments: TestEngine.all)
    func threeSteps(engine: TestEngine) async throws {
        let smtp = try SMTPPeer.start("plain")
        defer { smtp.stop() }
        try await APIHarness.run(engine) { api in
            // A mailbox: the password is kept apart, never returned, never audited.
            let mailbox = try await api.post("/api/v1/mailboxes", [
                "email": "rob@touchbase.test", "display_name": "Rob Lane", "title": "Account Executive",
                "smtp_url": .string("smtp://rob:secret@127.0.0.1:\(smtp.port)?starttls=never"),
            ])
            #expect(mailbox.status == .created, "\(mailbox.text)")
            #expect(mailbox["smtp_url"] == .string("smtp://rob@127.0.0.1:\(smtp.port)?starttls=never"), "\(mailbox.text)")
            #expect(mailbox["password_set"] == true && mailbox["daily_limit"] == 2000 && mailbox["per_minute_limit"] == 30)
            #expect(!(try await api.get("/api/v1/mailboxes/\(mailbox.id)")).text.contains("secret"))
            #expect(!(try await api.get("/api/v1/audit-log?table_name=mailboxes")).text.contains("secret"))
            let badURL = try await api.post("/api/v1/mailboxes", ["email": "x@touchbase.test", "smtp_url": "http://example.com"])
            #expect(badURL.status == .unprocessableContent && badURL.text.contains("smtp_url"), "\(badURL.text)")

            let company = try await api.post("/api/v1/companies", ["name": "Northwind Clinics", "domain": "northwind.example"])
            let sue = try await api.post("/api/v1/contacts", [
                "company_id": .string(company.id), "first_name": "Sue", "last_name": "Park", "email": "sue@northwind.example",
                "time_zone": "America/New_York",
            ])
            let xavier = try await api.post("/api/v1/contacts", [
                "company_id": .string(company.id), "first_name": "Xavier", "last_name": "Young", "title": "Chief Medical Officer",
                "email": "xavier@northwind.example", "engagement_score": 40,
            ])
            #expect(try await api.post("/api/v1/relationships", [
                "contact_id_1": .string(sue.id), "contact_id_2": .string(xavier.id), "strength": "strong",
            ]).status == .created)
            let loner = try await api.post("/api/v1/contacts", ["first_name": "Lena", "email": "lena@elsewhere.example"])
            #expect(try await api.post("/api/v1/contacts", ["first_name": "x", "time_zone": "Mars/Base"]).status == .unprocessableContent)

            let sequence = try await api.post("/api/v1/sequences", [
                "name": "Referral", "time_zone": "America/New_York", "status": "active", "mailbox_id": .string(mailbox.id),
                "holidays": ["2027-03-17"],
            ])
            #expect(sequence.status == .created, "\(sequence.text)")
            for step: JSONValue in [
                ["position": 1, "kind": "auto_email", "subject": "{{colleague.first_name}} suggested I write, {{first_name}}", "body": .string(Self.firstBody)],
                ["position": 2, "kind": "call", "delay_days": 2],
                ["position": 3, "kind": "auto_email", "delay_days": 1, "same_thread": true, "body": "Hi {{first_name}}, any thoughts on my note below? {{sender.first_name}}"],
            ] {
                var step = step.objectValue!
                step["sequence_id"] = .string(sequence.id)
                #expect(try await api.post("/api/v1/sequence-steps", .object(step)).status == .created)
            }
            let enrolled = try await api.post("/api/v1/sequences/\(sequence.id)/enrollments", ["contact_ids": [.string(sue.id), .string(loner.id)]])
            #expect(enrolled.status == .ok, "\(enrolled.text)")
            let enrollments = try await api.get("/api/v1/enrollments?sequence_id=\(sequence.id)")["data"].arrayValue ?? []
            let sueEnrollment = try #require(enrollments.first { $0["contact_id"] == .string(sue.id) }?["id"]?.stringValue)
            let lenaEnrollment = try #require(enrollments.first { $0["contact_id"] == .string(loner.id) }?["id"]?.stringValue)

            func run(_ now: String) async throws -> [JSONValue] {
                let reply = try await api.post("/api/v1/sequences/run-due", ["now": .string(now)])
                #expect(reply.status == .ok, "\(reply.text)")
                return reply["items"].arrayValue ?? []
            }
            func item(_ items: [JSONValue], _ enrollment: String) -> JSONValue? { items.first { $0["enrollment_id"] == .string(enrollment) } }
            #expect(try await api.post("/api/v1/sequences/run-due", ["now": "2027-03-12T12:00:00Z"], as: .member).status == .forbidden)

            // Friday 07:00 in New York: before the window (Lena has no zone of her own: the sequence's is New York too).
            var items = try await run("2027-03-12T12:00:00Z")
            for enrollment in [sueEnrollment, lenaEnrollment] {
                #expect(item(items, enrollment)?["action"] == "delayed", "\(items)")
                #expect(item(items, enrollment)?["until"] == "2027-03-12T14:00:00.000Z", "\(items)")
                #expect(item(items, enrollment)?["detail"]?.stringValue?.contains("send window") == true)
            }
            #expect(try smtp.received().isEmpty)

            // 09:30 New York: the first email goes, relationship-aware, with our headers. Lena has no engaged colleague:
            // her step pauses, naming the field, and nothing goes to her as "Hi ,".
            items = try await run("2027-03-12T14:30:00Z")
            #expect(item(items, sueEnrollment)?["action"] == "sent", "\(items)")
            #expect(item(items, lenaEnrollment)?["action"] == "paused", "\(items)")
            #expect(item(items, lenaEnrollment)?["detail"]?.stringValue?.contains("{{colleague.first_name}}") == true, "\(items)")
            let lena = try await api.get("/api/v1/enrollments/\(lenaEnrollment)")
            #expect(lena["state"] == "paused" && lena["waiting_reason"].stringValue?.contains("colleague") == true)
            var received = try smtp.received()
            try #require(received.count == 1)
            let first = Self.headers(received[0].bytes)
            let firstText = String(decoding: received[0].bytes, as: UTF8.self)
            #expect(first["from"] == "Rob Lane <rob@touchbase.test>", "\(first)")
            #expect(first["to"] == "Sue Park <sue@northwind.example>")
            #expect(first["subject"] == "Xavier suggested I write, Sue")
            #expect(first["date"] == "Fri, 12 Mar 2027 14:30:00 +0000")
            #expect(first["list-unsubscribe-post"] == "List-Unsubscribe=One-Click")
            #expect(first["content-type"]?.hasPrefix("multipart/alternative") == true)
            #expect(firstText.contains("Hi Sue,") && firstText.contains("Northwind Clinics") && !firstText.contains("{{"))
            #expect(received[0].envelope["login"] as? String == "rob", "\(received[0].envelope)")
            let sends = try await api.get("/api/v1/sends?enrollment_id=\(sueEnrollment)")["data"].arrayValue ?? []
            let send = try #require(sends.first)
            #expect(send["state"] == "sent" && send["step_position"] == 1)
            let messageID = try #require(send["message_id"]?.stringValue)
            let token = try #require(send["token"]?.stringValue)
            #expect(first["message-id"] == "<\(messageID)>")
            #expect(first["list-unsubscribe"] == "<http://127.0.0.1:8080/u/\(token)>, <mailto:rob@touchbase.test?subject=unsubscribe>", "\(first)")
            let touch = try await api.get("/api/v1/touchpoints/\(send["touchpoint_id"]?.stringValue ?? "")")
            #expect(touch["channel"] == "email" && touch["direction"] == "outbound" && touch["touch_number"] == 1, "\(touch.text)")
            #expect(touch["metadata"]["message_id"] == .string(messageID))
            #expect(try await api.get("/api/v1/contacts/\(sue.id)")["total_touchpoints"] == 1)

            // The call is two business days on: the weekend does not count, so it is a task due Tuesday.
            items = try await run("2027-03-12T15:00:00Z")
            #expect(item(items, sueEnrollment)?["action"] == "task", "\(items)")
            let followups = try await api.get("/api/v1/followups?contact_id=\(sue.id)")["data"].arrayValue ?? []
            let call = try #require(followups.first)
            #expect(call["due_date"] == "2027-03-16" && call["channel"] == "call" && call["enrollment_id"] == .string(sueEnrollment), "\(followups)")
            #expect(try await run("2027-03-16T13:00:00Z").isEmpty, "a step waiting for its task is not due")
            #expect(try await api.patch("/api/v1/followups/\(call["id"]?.stringValue ?? "")", ["state": "completed"]).status == .ok)
            let moved = try await api.get("/api/v1/enrollments/\(sueEnrollment)")
            #expect(moved["current_step"] == 3 && moved["state"] == "active", "\(moved.text)")

            // Tuesday 09:00 New York is 13:00 UTC after the change to daylight saving; one business day on is Thursday
            // (Wednesday is a holiday), 09:00 local again.
            items = try await run("2027-03-16T13:00:00Z")
            #expect(item(items, sueEnrollment)?["action"] == "delayed", "\(items)")
            #expect(item(items, sueEnrollment)?["until"] == "2027-03-18T13:00:00.000Z", "\(items)")
            #expect(try await run("2027-03-17T15:00:00Z").isEmpty)
            items = try await run("2027-03-18T13:05:00Z")
            #expect(item(items, sueEnrollment)?["action"] == "sent", "\(items)")
            received = try smtp.received()
            try #require(received.count == 2)
            let third = Self.headers(received[1].bytes)
            #expect(third["subject"] == "Re: Xavier suggested I write, Sue", "\(third)")
            #expect(third["in-reply-to"] == "<\(messageID)>" && third["references"] == "<\(messageID)>")
            let done = try await api.get("/api/v1/enrollments/\(sueEnrollment)")
            #expect(done["state"] == "finished" && done["ended_at"].stringValue != nil, "\(done.text)")
            #expect(try await run("2027-03-25T15:00:00Z").isEmpty)
            #expect(try smtp.received().count == 2, "nothing is sent twice")
        }
    }
}
