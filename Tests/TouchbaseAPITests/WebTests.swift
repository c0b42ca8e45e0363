import Foundation
import HTTPTypes
import Hummingbird
import Testing
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore
import TouchbaseTestSupport

/// A browser as a test drives it: a cookie jar, and the CSRF token of the last page it read.
final class WebBrowser: @unchecked Sendable {
    let api: APIHarness
    var cookies: [String: String] = [:]
    var csrf = ""

    init(_ api: APIHarness) { self.api = api }

    @discardableResult
    func get(_ path: String) async throws -> Reply {
        let reply = try await api.send(.get, path, headers: headers())
        take(reply)
        return reply
    }

    @discardableResult
    func post(_ path: String, _ form: [String: String], csrf: String? = nil) async throws -> Reply {
        var values = form
        values["_csrf"] = csrf ?? self.csrf
        let body = values.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        var h = headers()
        h[.contentType] = "application/x-www-form-urlencoded"
        let reply = try await api.send(.post, path, headers: h, body: body)
        take(reply)
        return reply
    }

    func headers() -> HTTPFields {
        var h: HTTPFields = [:]
        if !cookies.isEmpty { h[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        return h
    }

    func take(_ reply: Reply) {
        for header in reply.headers[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || header.contains("Max-Age=0") { cookies.removeValue(forKey: name) } else { cookies[name] = value }
        }
        if let range = reply.text.range(of: #"name="_csrf" value="([0-9a-f]+)""#, options: .regularExpression) {
            csrf = String(reply.text[range].split(separator: "\"")[3])
        }
    }

    /// Signs in with the API token of `role`.
    func signIn(_ role: Role) async throws {
        try await get("/login")
        let reply = try await post("/login", ["token": api.tokens[role]!, "next": "/"])
        #expect(reply.status == .seeOther)
        try await get("/")
    }
}

@Suite("Web UI")
struct WebTests {
    @Test("sign-in: a page without a session goes to /login; a token or a user's password signs in; the cookie is HttpOnly and SameSite=Lax; sign-out ends the session", arguments: TestEngine.all)
    func signIn(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let browser = WebBrowser(api)
            let first = try await browser.get("/companies")
            #expect(first.status == .seeOther)
            #expect(first.headers[.location] == "/login?next=%2Fcompanies")
            let login = try await browser.get("/login")
            #expect(login.status == .ok)
            #expect(login.text.contains("<title>Sign in</title>"))
            // A wrong token, then a sign-in form from elsewhere (no login cookie's token), are refused.
            #expect(try await browser.post("/login", ["token": "tb_nope"]).status == .unauthorized)
            try await browser.get("/login")
            #expect(try await browser.post("/login", ["token": api.tokens[.member]!], csrf: "0000").status == .forbidden)
            try await browser.get("/login")
            let ok = try await browser.post("/login", ["token": api.tokens[.member]!, "next": "/companies"])
            #expect(ok.status == .seeOther)
            #expect(ok.headers[.location] == "/companies")
            let cookie = ok.headers[values: .setCookie].first { $0.hasPrefix("tb_session=") } ?? ""
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"))
            let accounts = try await browser.get("/companies")
            #expect(accounts.status == .ok)
            #expect(accounts.text.contains("test-member"))
            #expect(try await browser.post("/logout", [:]).status == .seeOther)
            #expect(try await browser.get("/companies").status == .seeOther)

            // A user with a password; a wrong one is refused with the same words as an unknown email.
            _ = try await UserStore(database: api.database, rounds: 1000).create(email: "Rob@Example.com", name: "Rob", role: .viewer, password: "correct horse battery")
            await #expect(throws: DomainError.self) {
                _ = try await UserStore(database: api.database).create(email: "rob@example.com", name: nil, role: .viewer, password: "another long one")
            }
            try await browser.get("/login")
            let wrong = try await browser.post("/login", ["email": "rob@example.com", "password": "wrong password"])
            #expect(wrong.status == .unauthorized && wrong.text.contains("The email or the password is wrong."))
            try await browser.get("/login")
            #expect(try await browser.post("/login", ["email": "rob@example.com", "password": "correct horse battery"]).status == .seeOther)
            let today = try await browser.get("/")
            #expect(today.status == .ok && today.text.contains("Rob") && today.text.contains("(viewer)"))
            // Behind TLS the cookie is Secure.
            var h = browser.headers()
            h[HTTPField.Name("X-Forwarded-Proto")!] = "https"
            let tls = try await api.send(.get, "/login", headers: h)
            #expect(tls.headers[values: .setCookie].allSatisfy { $0.contains("; Secure") })
            // Disabling the user ends the session at once.
            _ = try await UserStore(database: api.database).setDisabled("rob@example.com", true)
            #expect(try await browser.get("/").status == .seeOther)
        }
    }

    @Test("every page renders from the operations, escapes what users wrote, and refuses a form without its CSRF token or beyond the role", arguments: TestEngine.all)
    func pages(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let evil = "<script>alert(1)</script>"
            let company = try await api.post("/api/v1/companies", ["name": .string(evil), "domain": "evil.example", "industry": "Software"]).id
            let boss = try await api.post(
                "/api/v1/contacts",
                ["first_name": "Avery", "last_name": .string(evil), "company_id": .string(company), "email": "boss@evil.example", "is_decision_maker": true]
            ).id
            let peer = try await api.post("/api/v1/contacts", ["first_name": "Pat", "last_name": "Peer", "company_id": .string(company)]).id
            _ = try await api.post(
                "/api/v1/relationships",
                ["contact_id_1": .string(peer), "contact_id_2": .string(boss), "relationship_type": "reports_to", "strength": "strong"])
            let draft = try await api.post(
                "/api/v1/message-drafts",
                ["contact_id": .string(boss), "channel": "linkedin", "touch_number": 1, "body": .string("Hi \(evil), saw your team is growing fast.")]
            ).id
            let browser = WebBrowser(api)
            try await browser.signIn(.member)
            for path in ["/", "/companies", "/companies?q=script", "/companies/\(company)", "/contacts/\(boss)", "/contacts/\(peer)", "/audit/companies/\(company)",
                "/do/create_company"]
            {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path): \(page.status)")
                #expect(page.contentType.hasPrefix("text/html"))
                #expect(!page.text.contains(evil), "\(path) shows the name unescaped")
                #expect(page.text.contains("<main id=\"main\""))
            }
            let trail = try await browser.get("/audit/companies/\(company)")
            #expect(trail.text.contains("user:test-admin") && trail.text.contains(Timestamp.formatDate(Date())))
            let account = try await browser.get("/companies/\(company)")
            #expect(account.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(account.text.contains("<svg class=\"map\""))
            #expect(account.text.contains("reports to"))
            #expect(account.text.contains("class=\"ev-change\"") && account.text.contains("by user:test-admin"), "the timeline shows the account's changes")
            let northwind = try await api.post("/api/v1/companies", ["name": "Northwind Traders", "domain": "northwind.example"]).id
            let found = try await browser.get("/companies?q=northwind")
            #expect(found.text.contains("/companies/\(northwind)") && !found.text.contains("/companies/\(company)\""))
            let newest = try await browser.get("/companies?sort=newest").text
            let n = try #require(newest.range(of: "/companies/\(northwind)")), e = try #require(newest.range(of: "/companies/\(company)\""))
            #expect(n.lowerBound < e.lowerBound, "newest first lists Northwind before the first company")
            // Newest-first pages walk back by cursor through every row, each once.
            var seen: [UUID] = []
            var query = ListQuery(limit: 1)
            query.descending = true
            while true {
                let page = try await RecordStore(database: api.database).list(Entities.companies, query)
                seen += page.records.map(\.id)
                guard let next = page.nextCursor else { break }
                query.cursor = UUID(uuidString: next)
            }
            #expect(seen.map(\.uuidString) == [northwind, company].map { $0.uppercased() })
            #expect(try await browser.get("/companies/not-an-id").status == .notFound)
            #expect(try await browser.get("/contacts/\(UUID().uuidString)").status == .notFound)

            // Edit → QC → approve → mark sent, each a form of an operation.
            try await browser.get("/contacts/\(boss)")
            let saved = try await browser.post(
                "/do/update_draft", ["draft_id": draft, "body": "Hi Avery, saw your team is growing fast. Worth a chat?", "_back": "/contacts/\(boss)"])
            #expect(saved.status == .seeOther && saved.headers[.location] == "/contacts/\(boss)")
            let after = try await browser.get("/contacts/\(boss)")
            #expect(after.text.contains("Draft saved") || after.text.contains("done"))
            #expect(after.text.contains("Earlier versions"))
            #expect(try await browser.post("/do/run_draft_qc", ["draft_id": draft]).status == .seeOther)
            let qc = try await api.get("/api/v1/message-drafts/\(draft)")
            #expect(qc["qc_passed"] == true, "QC flags: \(qc["qc_flags"])")
            let approved = try await browser.post("/do/update_draft", ["draft_id": draft, "approval_status": "ready"])
            #expect(approved.status == .seeOther, "\(approved.text.prefix(3000))")
            try await browser.get("/")
            #expect(try await browser.post(
                "/do/log_touchpoint",
                ["contact_id": boss, "message_draft_id": draft, "channel": "linkedin", "direction": "outbound", "sent_at": "now"]
            ).status == .seeOther)
            #expect(try await api.get("/api/v1/message-drafts/\(draft)")["approval_status"] == "sent")
            let audit = try await api.get("/api/v1/audit-log?table_name=message_drafts&record_id=\(draft)")
            #expect(audit["data"].arrayValue?.contains { $0["changed_by"] == "user:test-member" } == true)

            // A referral reply: recorded from the contact page, shown on Today under its intent.
            #expect(try await browser.post(
                "/do/record_reply",
                ["contact_id": boss, "channel": "linkedin", "intent": "referral", "referral_name": "Quinn Ops", "referral_title": "COO", "replied_at": "now"]
            ).status == .seeOther)
            let today = try await browser.get("/")
            #expect(today.text.contains("referral") && today.text.contains("Quinn Ops"))

            // Bad values come back on the form, each message beside its field, and nothing is stored.
            let bad = try await browser.post("/do/schedule_followup", ["contact_id": boss, "due_date": "not a day", "_back": "/contacts/\(boss)"])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("f-due_date-err"))
            #expect(try await api.get("/api/v1/followups?contact_id=\(boss)")["data"].arrayValue?.isEmpty == true)

            // Without the CSRF token, or with another session's, a form is refused and changes nothing.
            let forged = try await browser.post("/do/update_company", ["company_id": company, "name": "Forged"], csrf: "")
            #expect(forged.status == .forbidden)
            #expect(try await api.get("/api/v1/companies/\(company)")["name"] == .string(evil))

            // A viewer sees no write buttons and is refused on POST.
            let viewer = WebBrowser(api)
            try await viewer.signIn(.viewer)
            let page = try await viewer.get("/contacts/\(boss)")
            #expect(page.status == .ok && !page.text.contains("action=\"/do/record_reply\"") && !page.text.contains("Mark sent"))
            let refused = try await viewer.post("/do/update_company", ["company_id": company, "name": "Viewer was here"])
            #expect(refused.status == .forbidden)
            #expect(try await api.get("/api/v1/companies/\(company)")["name"] == .string(evil))
        }
    }

    @Test("a do-not-contact contact is shown loudly and offered no outbound action; the database refuses one anyway", arguments: TestEngine.all)
    func doNotContact(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let contact = try await api.post("/api/v1/contacts", ["first_name": "Dana", "last_name": "Stop", "do_not_contact": true]).id
            let browser = WebBrowser(api)
            try await browser.signIn(.admin)
            let page = try await browser.get("/contacts/\(contact)")
            #expect(page.text.contains("Do not contact."))
            #expect(!page.text.contains("action=\"/do/log_touchpoint\"") && !page.text.contains("action=\"/do/schedule_followup\""))
            let forced = try await browser.post("/do/log_touchpoint", ["contact_id": contact, "channel": "email", "direction": "outbound"])
            #expect(forced.status == .unprocessableContent)
            #expect(forced.text.contains("do-not-contact"))
            #expect(try await api.get("/api/v1/touchpoints?contact_id=\(contact)")["data"].arrayValue?.isEmpty == true)
        }
    }
}

@Suite("Web UI: work pages")
struct WebWorkPagesTests {
    @Test("batches, the experiment, queues, renewals, intake, data quality, imports and agents render from the demo's morning; an upload runs as a job; forms are refused without CSRF or beyond the role", arguments: TestEngine.all)
    func workPages(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let demo = DemoGenerator(database: api.database)
            _ = try await demo.generate(companies: 10, contactsPerCompany: 10, touchesPerConversation: 2, seed: 5)
            let morning = try await demo.morning()
            #expect(morning.replies == 7 && morning.batches == 2 && morning.drafts == 6)
            let store = RecordStore(database: api.database)
            let batch = try #require(try await store.select(Entities.batches, limit: 1).first).id.lowercased
            let experiment = try #require(try await store.select(Entities.experiments, limit: 1).first).id.lowercased
            let run = try #require(try await store.select(Entities.agentRuns, where: [("run_type", "draft")], limit: 1).first).id.lowercased
            let load = try #require(try await store.select(Entities.intakeLoads, limit: 1).first).id.lowercased
            let evil = "<script>alert(1)</script>"
            _ = try await store.create(Entities.intakeLoads, ["source": .string(evil), "kind": "companies", "rows": [["name": .string(evil)]]])

            let browser = WebBrowser(api)
            try await browser.signIn(.member)
            let today = try await browser.get("/")
            for part in ["Replies to handle", "referral", "Morgan Lee", "Late", "Upcoming", "Drafts to approve", "Approved, to send", "Bounced emails", "Renewals due"] {
                #expect(today.text.contains(part), "Today lacks \(part)")
            }
            let pages: [(String, [String])] = [
                ("/batches", ["Batch 1", "Opener: question vs peer result"]),
                ("/batches/\(batch)", ["Pre-brief", "group A", "QC passed", "Print"]),
                ("/experiments/\(experiment)", ["Not enough data yet", "p-value", "<svg class=\"chart\"", "Group A"]),
                ("/queues", ["Mark checked"]), ("/queues?queue=email-recheck", ["Mark checked", "email_status"]),
                ("/renewals", ["Due: campaign window open", "Create a campaign"]),
                ("/intake", ["conference-badge-scan", "Promote into contacts", "&lt;script&gt;"]),
                ("/data-quality", ["Data quality"]), ("/imports", ["Import a CSV", "multipart/form-data"]),
                ("/agents", ["LLM cost per day", "claude-sonnet-4-5", "drafting-agent"]),
                ("/agent-runs/\(run)", ["drafting-agent", "Records changed", "message_drafts"]),
            ]
            for (path, parts) in pages {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path): \(page.status)")
                #expect(!page.text.contains(evil), "\(path) shows a value unescaped")
                for part in parts { #expect(page.text.contains(part), "\(path) lacks \(part)") }
            }
            #expect(try await browser.get("/batches/\(UUID().uuidString)").status == .notFound)
            // The page's counts stop at a cap; uncapped they are exact.
            let exact = try await DataQualityRepository(database: api.database).dataQuality()
            let capped = try await DataQualityRepository(database: api.database).dataQuality(cap: 3)
            #expect(exact["companies_with_empty_slots"]?["count"] == 10 && capped["companies_with_empty_slots"]?["count"] == 3 && capped["capped"] == 3)
            #expect((capped["queue_sizes"]?["email-recheck"]?.intValue ?? 99) <= 3)

            // Promote the intake load from its page; mark a queue item checked.
            try await browser.get("/intake")
            #expect(try await browser.post("/do/promote_intake_load", ["load_id": load, "_back": "/intake"]).status == .seeOther)
            #expect(try await store.get(Entities.intakeLoads, UUID(uuidString: load)!)["promoted_at"] != .null)

            // Renewals into a campaign, made from the page's form.
            #expect(try await browser.post("/do/create_campaign", ["name": "Renewals Q1", "_back": "/renewals"]).status == .seeOther)
            let renewals = try await browser.get("/renewals")
            #expect(renewals.text.contains("Add green slot contacts to campaign"))

            // An upload: the form's fields and the file as multipart; it runs as a job audited as the user.
            let boundary = "----touchbase\(UUID().uuidString.prefix(8))"
            func multipart(csrf: String, kind: String) -> String {
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(csrf)\r\n"
                    + "--\(boundary)\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n\(kind)\r\n"
                    + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(evil).csv\"\r\nContent-Type: text/csv\r\n\r\n"
                    + "First Name,Last Name,Email\nJamie,Ortiz,jamie.ortiz@harbor.example\nBad,Row,not-an-email\n\r\n--\(boundary)--\r\n"
            }
            var headers = browser.headers()
            headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
            let forged = try await api.send(.post, "/imports", headers: headers, body: multipart(csrf: "nope", kind: "contacts"))
            #expect(forged.status == .forbidden)
            let sent = try await api.send(.post, "/imports", headers: headers, body: multipart(csrf: browser.csrf, kind: "contacts"))
            #expect(sent.status == .seeOther)
            let location = try #require(sent.headers[.location])
            var job = try await browser.get(location)
            for _ in 0..<100 where job.text.contains("http-equiv=\"refresh\"") {
                try await Task.sleep(for: .milliseconds(100))
                job = try await browser.get(location)
            }
            #expect(job.text.contains("completed with errors") && job.text.contains("Download the refused rows"))
            #expect(!job.text.contains(evil) && job.text.contains("&lt;script&gt;"))
            let errors = try await browser.get(location + "/errors")
            #expect(errors.contentType.hasPrefix("text/csv") && errors.text.contains("not-an-email"))
            let jobRecord = try await store.get(Entities.importJobs, UUID(uuidString: String(location.split(separator: "/").last!))!)
            #expect(jobRecord["created_by"] == "user:test-member")

            // A viewer sees the pages without their write forms and is refused an upload.
            let viewer = WebBrowser(api)
            try await viewer.signIn(.viewer)
            let batchPage = try await viewer.get("/batches/\(batch)")
            #expect(batchPage.status == .ok && !batchPage.text.contains("action=\"/do/log_touchpoint\""))
            #expect(!(try await viewer.get("/imports")).text.contains("multipart/form-data"))
            var viewerHeaders = viewer.headers()
            viewerHeaders[.contentType] = "multipart/form-data; boundary=\(boundary)"
            let refused = try await api.send(.post, "/imports", headers: viewerHeaders, body: multipart(csrf: viewer.csrf, kind: "contacts"))
            #expect(refused.status == .forbidden)
        }
    }
}
