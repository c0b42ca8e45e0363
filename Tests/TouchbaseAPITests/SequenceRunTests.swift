import Foundation
import HTTPTypes
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
                ["position": 1, "kind": "auto_email", "subject": "{{colleague.first_name}} suggested I write, {{first_name}}", "body": .string(Self.firstBody),
                 "variants": [["subject": "{{colleague.first_name}} said you'd want this, {{first_name}}"]]],
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

            // The web page: the steps by day, who waits and why, what was sent; the list links to it.
            let web = WebBrowser(api)
            try await web.signIn(.member)
            #expect(try await web.get("/sequences").text.contains("/sequences/\(sequence.id)"))
            let board = try await web.get("/sequences/\(sequence.id)")
            #expect(board.status == .ok)
            for part in ["Steps by day", "1. auto email", "2. call", "+2 business days", "Lena", "no value for {{colleague.first_name}}",
                         "from rob@touchbase.test", "America/New_York", "Opens and clicks", "1 sent"] {
                #expect(board.text.contains(part), "the sequence page lacks \(part)")
            }
            #expect(try await web.get("/sequences/\(UUID().uuidString)").status == .notFound)
            // Lena's enrolment stopped from the page's form, audited as the person who pressed it.
            #expect(try await web.post("/do/stop_enrollment", ["enrollment_id": lenaEnrollment, "_back": "/sequences/\(sequence.id)"]).status == .seeOther)
            let lenaStopped = try await api.get("/api/v1/enrollments/\(lenaEnrollment)")
            #expect(lenaStopped["state"] == "stopped" && lenaStopped["stop_reason"] == "manual", "\(lenaStopped.text)")
            var received = try smtp.received()
            try #require(received.count == 1)
            let first = Self.headers(received[0].bytes)
            let firstText = String(decoding: received[0].bytes, as: UTF8.self)
            #expect(first["from"] == "Rob Lane <rob@touchbase.test>", "\(first)")
            #expect(first["to"] == "Sue Park <sue@northwind.example>")
            // The A/B group is fixed by the contact's id; group B gets the step's variant.
            let group = try await api.get("/api/v1/enrollments/\(sueEnrollment)")["ab_group"].stringValue
            let firstSubject = group == "B" ? "Xavier said you'd want this, Sue" : "Xavier suggested I write, Sue"
            #expect(group == "A" || group == "B")
            #expect(first["subject"] == firstSubject)
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
            // Byte for byte: what the server received is the message as it should be built, written out here.
            let text = Self.firstBody.replacingOccurrences(of: "{{first_name}}", with: "Sue").replacingOccurrences(of: "{{colleague.first_name}}", with: "Xavier")
                .replacingOccurrences(of: "{{company.name}}", with: "Northwind Clinics").replacingOccurrences(of: "{{sender.first_name}}", with: "Rob")
            let paragraphs = text.components(separatedBy: "\n\n").map { "<p>" + $0.replacingOccurrences(of: "\n", with: "<br>\n") + "</p>" }
            let html = "<!DOCTYPE html>\n<html><body>\n" + paragraphs.joined(separator: "\n") + "\n"
                + "<a href=\"http://127.0.0.1:8080/t/c/\(token)/0\" style=\"display:none\" aria-hidden=\"true\" tabindex=\"-1\"></a>\n"
                + "<img src=\"http://127.0.0.1:8080/t/o/\(token)\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0\">\n"
                + "</body></html>\n"
            var expected = MailMessage(
                from: try MailAddress("rob@touchbase.test", name: "Rob Lane"), to: [try MailAddress("sue@northwind.example", name: "Sue Park")],
                subject: firstSubject, text: text, html: html, messageID: messageID, date: Timestamp.parse("2027-03-12T14:30:00Z")!)
            expected.headers = [
                ("List-Unsubscribe", "<http://127.0.0.1:8080/u/\(token)>, <mailto:rob@touchbase.test?subject=unsubscribe>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ]
            expected.boundary = "tb-" + token
            #expect(received[0].bytes == expected.rendered(), "\(firstText)")
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
            #expect(third["subject"] == "Re: " + firstSubject, "\(third)")
            #expect(third["in-reply-to"] == "<\(messageID)>" && third["references"] == "<\(messageID)>")
            let done = try await api.get("/api/v1/enrollments/\(sueEnrollment)")
            #expect(done["state"] == "finished" && done["ended_at"].stringValue != nil, "\(done.text)")
            #expect(try await run("2027-03-25T15:00:00Z").isEmpty)
            #expect(try smtp.received().count == 2, "nothing is sent twice")
        }
    }

    static let linkBody = """
        Hi {{first_name}}, I put together two pages for the team at {{company.name}}: the case study of a clinic group \
        that moved its renewals into one place, https://example.com/case-study, and the pricing for a team of your size, \
        https://example.com/pricing. Both take a couple of minutes to read, and either one is a good starting point for \
        a short conversation next week about how your accounts are followed today. Would Tuesday or Wednesday suit you?
        """

    /// A mailbox on the peer, an always-open sequence of `steps` email steps (one business day apart) from it, and
    /// `emails` enrolled; returns the mailbox, the sequence and the enrolments by email.
    static func setUp(
        _ api: APIHarness, smtp: SMTPPeer, emails: [String], steps: Int = 1, mailbox extra: [String: JSONValue] = [:]
    ) async throws -> (mailbox: String, sequence: String, enrollments: [String: String], contacts: [String: String]) {
        var box: [String: JSONValue] = [
            "email": "rob@touchbase.test", "display_name": "Rob Lane", "smtp_url": .string("smtp://127.0.0.1:\(smtp.port)?starttls=never"),
        ]
        box.merge(extra) { _, new in new }
        let mailbox = try await api.post("/api/v1/mailboxes", .object(box))
        #expect(mailbox.status == .created, "\(mailbox.text)")
        let company = try await api.post("/api/v1/companies", ["name": "Acme Health", "domain": "acme.example"])
        let sequence = try await api.post("/api/v1/sequences", [
            "name": "Always open", "status": "active", "mailbox_id": .string(mailbox.id), "send_days": [1, 2, 3, 4, 5, 6, 7],
            "start_hour": 0, "end_hour": 24, "on_account_reply": "none",
        ])
        for position in 1...steps {
            #expect(try await api.post("/api/v1/sequence-steps", [
                "sequence_id": .string(sequence.id), "position": .int(Int64(position)), "kind": "auto_email", "delay_days": position == 1 ? 0 : 1,
                "subject": "A note for {{company.name}}", "body": .string(Self.linkBody),
            ]).status == .created)
        }
        var contacts: [String: String] = [:]
        for email in emails {
            let name = String(email.split(separator: "@")[0]).capitalized
            contacts[email] = try await api.post("/api/v1/contacts", ["company_id": .string(company.id), "first_name": .string(name), "email": .string(email)]).id
        }
        let enrolled = try await api.post("/api/v1/sequences/\(sequence.id)/enrollments", ["contact_ids": .array(emails.map { .string(contacts[$0]!) })])
        #expect(enrolled.status == .ok, "\(enrolled.text)")
        var enrollments: [String: String] = [:]
        for outcome in enrolled["data"].arrayValue ?? [] {
            if let email = contacts.first(where: { $0.value == outcome["contact_id"]?.stringValue })?.key {
                enrollments[email] = outcome["enrollment"]?["id"]?.stringValue
            }
        }
        return (mailbox.id, sequence.id, enrollments, contacts)
    }

    @Test("tracking you can trust: proxies and scanners labelled and not counted, clicks only to the message's links; one-click unsubscribe",
          .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)), arguments: TestEngine.all)
    func trackingAndUnsubscribe(engine: TestEngine) async throws {
        let smtp = try SMTPPeer.start("plain")
        defer { smtp.stop() }
        try await APIHarness.run(engine) { api in
            let set = try await Self.setUp(api, smtp: smtp, emails: ["ann@acme.example", "ben@acme.example", "cat@acme.example", "dan@acme.example"], steps: 2)
            let runner = SequenceRunner(database: api.database, publicURL: "https://tb.example.com", lease: 60)
            let report = try await runner.runDue(now: Date())
            #expect(report.count("sent") == 4, "\(report.json)")
            let received = try smtp.received()
            try #require(received.count == 4)
            let sends = try await api.get("/api/v1/sends")["data"].arrayValue ?? []
            func send(_ email: String) -> JSONValue? { sends.first { $0["recipient"] == .string(email) } }
            let ann = try #require(send("ann@acme.example")), ben = try #require(send("ben@acme.example"))
            let annToken = try #require(ann["token"]?.stringValue), benToken = try #require(ben["token"]?.stringValue)
            #expect(ann["links"] == ["https://example.com/case-study", "https://example.com/pricing"], "\(ann)")
            let annMail = String(decoding: try #require(received.first { Self.headers($0.bytes)["to"]?.contains("ann@") == true }).bytes, as: UTF8.self)
            // The HTML is quoted-printable: the links, the honeypot and the pixel are there once decoded.
            let html = annMail.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
            #expect(html.contains("href=\"https://tb.example.com/t/c/\(annToken)/1\""), "\(html)")
            #expect(html.contains("https://tb.example.com/t/c/\(annToken)/0") && html.contains("display:none"))
            #expect(html.contains("src=\"https://tb.example.com/t/o/\(annToken)\""))

            let browser = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
            func hit(_ method: HTTPRequest.Method, _ path: String, agent: String) async throws -> Reply {
                try await api.send(method, path, headers: [.userAgent: agent])
            }
            // Gmail's proxy fetching the pixel is a privacy proxy, not an open.
            let proxied = try await hit(.get, "/t/o/\(annToken)", agent: "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)")
            #expect(proxied.status == .ok && proxied.contentType == "image/gif")
            // A HEAD and a click seconds after the send are a scanner's; the click still lands on the message's link.
            #expect(try await hit(.head, "/t/c/\(annToken)/1", agent: browser).status == .found)
            let early = try await hit(.get, "/t/c/\(annToken)/1", agent: browser)
            #expect(early.status == .found && early.headers[.location] == "https://example.com/case-study")
            // No open redirect: only the message's own links, by number.
            #expect(try await hit(.get, "/t/c/\(annToken)/3", agent: browser).status == .notFound)
            #expect(try await hit(.get, "/t/c/\(String(repeating: "0", count: 32))/1", agent: browser).status == .notFound)
            #expect(try await hit(.get, "/t/c/\(annToken)/..%2F..%2Fevil", agent: browser).status == .notFound)
            var touch = try await api.get("/api/v1/touchpoints/\(ann["touchpoint_id"]?.stringValue ?? "")")
            #expect(touch["opened_at"] == .null && touch["clicked_at"] == .null, "machine hits set nothing: \(touch.text)")

            // Past the scanner window, a person's open and click count.
            #expect(try await api.patch("/api/v1/mailboxes/\(set.mailbox)", ["scanner_window_seconds": 0]).status == .ok)
            #expect(try await hit(.get, "/t/o/\(annToken)", agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.0").status == .ok)
            #expect(try await hit(.get, "/t/c/\(annToken)/1", agent: browser).headers[.location] == "https://example.com/case-study")
            touch = try await api.get("/api/v1/touchpoints/\(ann["touchpoint_id"]?.stringValue ?? "")")
            #expect(touch["opened_at"] != .null && touch["clicked_at"] != .null, "\(touch.text)")

            // Ben's message: every link hit within seconds, then the hidden link: all of it a scanner's, nothing counted.
            #expect(try await hit(.get, "/t/c/\(benToken)/1", agent: browser).status == .found)
            #expect(try await hit(.get, "/t/c/\(benToken)/2", agent: browser).status == .found)
            #expect(try await hit(.get, "/t/c/\(benToken)/0", agent: browser).status == .ok)
            let benTouch = try await api.get("/api/v1/touchpoints/\(ben["touchpoint_id"]?.stringValue ?? "")")
            #expect(benTouch["clicked_at"] == .null && benTouch["opened_at"] == .null, "\(benTouch.text)")
            let events = try await api.get("/api/v1/tracking-events?send_id=\(ben["id"]?.stringValue ?? "")")["data"].arrayValue ?? []
            #expect(events.count == 3 && events.allSatisfy { $0["label"] == "scanner" }, "\(events)")
            let labels = (try await api.get("/api/v1/tracking-events?send_id=\(ann["id"]?.stringValue ?? "")")["data"].arrayValue ?? []).map { $0["label"]?.stringValue ?? "" }
            #expect(labels == ["privacy_proxy", "scanner", "scanner", "human", "human"], "\(labels)")
            let overview = try await api.get("/api/v1/sequences/\(set.sequence)/overview")
            #expect(overview["tracking"]["open"] == ["human": 1, "privacy_proxy": 1, "scanner": 0, "human_sends": 1], "\(overview.text)")
            #expect(overview["tracking"]["click"]?["human_sends"] == 1 && overview["tracking"]["click"]?["scanner"] == 5, "\(overview.text)")

            // Unsubscribe: the page asks and changes nothing; the one-click POST (no token, no cookie) does it at once.
            let page = try await api.send(.get, "/u/\(annToken)", headers: [:])
            #expect(page.status == .ok && page.text.contains("a***@acme.example") && page.text.contains("method=\"post\""), "\(page.text)")
            #expect(try await api.get("/api/v1/contacts/\(set.contacts["ann@acme.example"]!)")["do_not_contact"] == false)
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            #expect(try await api.send(.post, "/u/\(annToken)", headers: form, body: "List-Unsubscribe=Nope").status == .badRequest)
            #expect(try await api.get("/api/v1/contacts/\(set.contacts["ann@acme.example"]!)")["do_not_contact"] == false)
            let done = try await api.send(.post, "/u/\(annToken)", headers: form, body: "List-Unsubscribe=One-Click")
            #expect(done.status == .ok && done.text.contains("unsubscribed"), "\(done.text)")
            #expect(try await api.get("/api/v1/contacts/\(set.contacts["ann@acme.example"]!)")["do_not_contact"] == true)
            let stopped = try await api.get("/api/v1/enrollments/\(set.enrollments["ann@acme.example"]!)")
            #expect(stopped["state"] == "stopped" && stopped["stop_reason"] == "unsubscribed", "\(stopped.text)")
            #expect(try await api.send(.post, "/u/\(annToken)", headers: form, body: "List-Unsubscribe=One-Click").status == .ok)
            #expect(try await api.send(.post, "/u/\(String(repeating: "a", count: 32))", headers: form, body: "List-Unsubscribe=One-Click").status == .notFound)
            let audit = try await api.get("/api/v1/audit-log?table_name=contacts&record_id=\(set.contacts["ann@acme.example"]!)")
            #expect(audit.text.contains("unsubscribe:\(ann["id"]?.stringValue ?? "")"), "\(audit.text)")
            // Cat replies (any face: here the API) and Dan's message bounces: their enrolments stop with that reason.
            #expect(try await api.post("/api/v1/replies", ["contact_id": .string(set.contacts["cat@acme.example"]!), "intent": "positive"]).status == .created)
            let danTouch = try #require(send("dan@acme.example")?["touchpoint_id"]?.stringValue)
            #expect(try await api.post("/api/v1/touchpoints/\(danTouch)/events", ["type": "bounced"]).status == .ok)
            #expect(try await api.get("/api/v1/enrollments/\(set.enrollments["cat@acme.example"]!)")["stop_reason"] == "replied")
            #expect(try await api.get("/api/v1/enrollments/\(set.enrollments["dan@acme.example"]!)")["stop_reason"] == "bounced")
            // Ben's second step goes the next business day; Ann's, Cat's and Dan's never do.
            let later = try await runner.runDue(now: Date().addingTimeInterval(3 * 86_400))
            let sentLater = try smtp.received().count
            #expect(later.count("sent") == 1 && sentLater == 5, "\(later.json)")
            #expect(later.items.first { $0.action == "sent" }?.enrollmentID.lowercased == set.enrollments["ben@acme.example"])
        }
    }

    /// Sends through SMTP; once the server has taken a message, stops as a process killed before its commit would
    /// (nothing after it runs).
    struct AcceptThenDie: MailTransport {
        func send(smtpURL: String, helo: String, from: String, to: [String], message: [UInt8]) async throws -> SMTPReply {
            _ = try await SMTPTransport().send(smtpURL: smtpURL, helo: helo, from: from, to: to, message: message)
            throw CancellationError()
        }
    }

    @Test("caps delay sends and say why; 4xx is retried, 5xx stops with the reply; an interrupted send is uncertain, never sent twice; runners racing send each step once",
          .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)), arguments: TestEngine.all)
    func capsFailuresAndRaces(engine: TestEngine) async throws {
        let smtp = try SMTPPeer.start("plain")
        defer { smtp.stop() }
        try await APIHarness.run(engine) { api in
            let emails = ["busy@acme.example", "nobody@acme.example", "ann@acme.example", "ben@acme.example", "cat@acme.example", "dan@acme.example"]
            let set = try await Self.setUp(api, smtp: smtp, emails: emails, mailbox: ["per_minute_limit": 2, "daily_limit": 3, "tracking": false])
            let runner = SequenceRunner(database: api.database, publicURL: "https://tb.example.com", lease: 60)
            let monday = Timestamp.parse("2027-04-05T10:00:00Z")!
            var report = try await runner.runDue(now: monday)
            func action(_ email: String) -> SequenceRunner.Item? { report.items.first { $0.enrollmentID.lowercased == set.enrollments[email] } }
            #expect(action("busy@acme.example")?.action == "retrying", "\(report.json)")
            #expect(action("busy@acme.example")?.detail.contains("451") == true)
            #expect(action("busy@acme.example")?.until == monday.addingTimeInterval(300))
            #expect(action("nobody@acme.example")?.action == "failed")
            let nobody = try await api.get("/api/v1/enrollments/\(set.enrollments["nobody@acme.example"]!)")
            #expect(nobody["state"] == "stopped" && nobody["stop_reason"] == "failed" && nobody["waiting_reason"].stringValue?.contains("550") == true, "\(nobody.text)")
            #expect(action("ann@acme.example")?.action == "sent" && action("ben@acme.example")?.action == "sent")
            #expect(action("cat@acme.example")?.action == "delayed" && action("cat@acme.example")?.detail.contains("last minute") == true, "\(report.json)")
            #expect(action("cat@acme.example")?.until == monday.addingTimeInterval(60))
            #expect(try await api.get("/api/v1/enrollments/\(set.enrollments["dan@acme.example"]!)")["waiting_reason"].stringValue?.contains("minute") == true)

            // A minute on: the third message of the day goes; the fourth waits for the next UTC day.
            report = try await runner.runDue(now: monday.addingTimeInterval(61))
            #expect(action("cat@acme.example")?.action == "sent", "\(report.json)")
            #expect(action("dan@acme.example")?.action == "delayed" && action("dan@acme.example")?.detail.contains("3 messages today") == true, "\(report.json)")
            #expect(action("dan@acme.example")?.until == Timestamp.parse("2027-04-06T00:00:00Z"))
            #expect(try smtp.received().count == 3)
            // Tracking is off for this mailbox: no pixel, no redirects, no honeypot; the links are the message's own.
            let plain = String(decoding: try smtp.received()[0].bytes, as: UTF8.self).replacingOccurrences(of: "=\r\n", with: "")
            #expect(!plain.contains("/t/o/") && !plain.contains("/t/c/") && plain.contains("href=3D\"https://example.com/pricing\""), "\(plain)")

            // The next day: the retry is a new SMTP transaction for the same send (still 451: tried again later); Dan's
            // message is taken by the server, and the runner dies before its commit.
            let dying = SequenceRunner(database: api.database, transport: AcceptThenDie(), publicURL: "https://tb.example.com", lease: 0)
            await #expect(throws: CancellationError.self) { try await dying.runDue(now: Timestamp.parse("2027-04-06T10:00:00Z")!) }
            let busySends = try await api.get("/api/v1/sends?enrollment_id=\(set.enrollments["busy@acme.example"]!)")["data"].arrayValue ?? []
            #expect(busySends.count == 1 && busySends.first?["attempts"] == 2 && busySends.first?["state"] == "retrying", "\(busySends)")
            // The retry sent the draft the first attempt made: one draft for the person, however many tries.
            let busyDrafts = try await api.get("/api/v1/message-drafts?contact_id=\(set.contacts["busy@acme.example"]!)")["data"].arrayValue ?? []
            #expect(busyDrafts.count == 1 && busySends.first?["message_draft_id"] == busyDrafts.first?["id"], "\(busyDrafts)")
            #expect(try smtp.received().count == 4)
            // The next run finds Dan's send still in flight past its lease: uncertain, waiting for a person, never resent.
            report = try await runner.runDue(now: Timestamp.parse("2027-04-06T10:01:00Z")!)
            #expect(action("dan@acme.example")?.action == "uncertain", "\(report.json)")
            let dan = try await api.get("/api/v1/enrollments/\(set.enrollments["dan@acme.example"]!)")
            #expect(dan["state"] == "active" && dan["next_run_at"] == .null && dan["waiting_reason"].stringValue?.contains("uncertain") == true, "\(dan.text)")
            #expect(try await runner.runDue(now: Timestamp.parse("2027-04-07T10:00:00Z")!).items.allSatisfy { $0.enrollmentID.lowercased != set.enrollments["dan@acme.example"] })
            #expect(try smtp.received().count == 4, "an uncertain send is not sent again")
            // A person finds it in the Sent folder: it is recorded as sent, with its touchpoint, and the enrolment ends.
            let danSend = try #require((try await api.get("/api/v1/sends?enrollment_id=\(set.enrollments["dan@acme.example"]!)")["data"].arrayValue ?? []).first)
            #expect(danSend["state"] == "uncertain")
            let resolved = try await api.post("/api/v1/sends/\(danSend["id"]?.stringValue ?? "")/resolve", ["outcome": "sent"])
            #expect(resolved.status == .ok && resolved["state"] == "sent" && resolved["touchpoint_id"] != .null, "\(resolved.text)")
            #expect(try await api.get("/api/v1/enrollments/\(set.enrollments["dan@acme.example"]!)")["state"] == "finished")
            let again = try await api.post("/api/v1/sends/\(danSend["id"]?.stringValue ?? "")/resolve", ["outcome": "not_sent"])
            #expect(again.status == .conflict, "\(again.text)")
        }
    }

    @Test("two runners racing send each step exactly once", .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)), arguments: TestEngine.all)
    func racingRunners(engine: TestEngine) async throws {
        let smtp = try SMTPPeer.start("plain")
        defer { smtp.stop() }
        try await APIHarness.run(engine) { api in
            let emails = (1...12).map { "person\($0)@racer\($0 % 3).example" }
            _ = try await Self.setUp(api, smtp: smtp, emails: emails, mailbox: ["per_minute_limit": 1_000, "tracking": false])
            let now = Timestamp.parse("2027-04-05T10:00:00Z")!
            let reports = try await withThrowingTaskGroup(of: SequenceRunner.Report.self) { group in
                for _ in 0..<3 {
                    group.addTask { try await SequenceRunner(database: api.database, publicURL: "https://tb.example.com").runDue(now: now) }
                }
                var all: [SequenceRunner.Report] = []
                for try await report in group { all.append(report) }
                return all
            }
            #expect(reports.map { $0.count("sent") }.reduce(0, +) == 12, "\(reports.map(\.json))")
            let recipients = try smtp.received().flatMap { ($0.envelope["to"] as? [String]) ?? [] }
            #expect(recipients.sorted() == emails.sorted(), "each person once: \(recipients)")
        }
    }

    @Test("a recipient domain's daily cap delays the rest until the next UTC day, saying so",
          .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)), arguments: TestEngine.all)
    func domainCap(engine: TestEngine) async throws {
        let smtp = try SMTPPeer.start("plain")
        defer { smtp.stop() }
        try await APIHarness.run(engine) { api in
            let emails = ["ann@acme.example", "ben@acme.example", "cat@acme.example", "dan@other.example"]
            let set = try await Self.setUp(api, smtp: smtp, emails: emails, mailbox: ["per_domain_daily_limit": 2, "tracking": false])
            let report = try await SequenceRunner(database: api.database, publicURL: "https://tb.example.com").runDue(now: Timestamp.parse("2027-04-05T10:00:00Z")!)
            #expect(report.count("sent") == 3, "\(report.json)")
            let cat = report.items.first { $0.enrollmentID.lowercased == set.enrollments["cat@acme.example"] }
            #expect(cat?.action == "delayed" && cat?.detail.contains("went to acme.example today") == true, "\(report.json)")
            #expect(cat?.until == Timestamp.parse("2027-04-06T00:00:00Z"))
            #expect(try smtp.received().count == 3)
        }
    }
}
