import Foundation
import Hummingbird
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

/// Seeds 003 and 004 over the API, on every engine.
@Suite("Catalog, events, slots, campaigns, renewals, queues, intake")
struct AccountTests {
    @Test("recommended solutions rank the industry's solutions by overlap with research, and can be stored", arguments: TestEngine.all)
    func solutions(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let fintech = try await api.post("/api/v1/industries", ["name": "FinTech"])
            #expect(try await api.post("/api/v1/industries", ["name": "fintech"]).status == .conflict)
            let flaky = try await api.post("/api/v1/solutions", ["name": "Flake Shield", "category": "testing", "keywords": ["flaky tests", "CI pipeline"], "use_cases": ["release testing"]])
            let payroll = try await api.post("/api/v1/solutions", ["name": "Payroll QA", "keywords": ["payroll"]])
            _ = try await api.post("/api/v1/solutions", ["name": "Unmapped", "keywords": ["flaky tests"]])
            for s in [flaky, payroll] {
                #expect(try await api.post("/api/v1/industry-solutions", ["industry_id": .string(fintech.id), "solution_id": .string(s.id)]).status == .created)
            }
            #expect(try await api.post("/api/v1/industry-solutions", ["industry_id": .string(fintech.id), "solution_id": .string(flaky.id)]).status == .conflict)
            let company = try await api.post("/api/v1/companies", ["name": "PayFlow", "domain": "payflow.io", "industry_id": .string(fintech.id)])
            let maya = try await api.post("/api/v1/contacts", ["company_id": .string(company.id), "first_name": "Maya"])
            _ = try await api.post("/api/v1/research-snapshots", ["contact_id": .string(maya.id), "entity_type": "person", "pain_indicators": ["Flaky tests block the CI pipeline"], "key_insights": ["weekly release testing"]])
            let ranked = try await api.get("/api/v1/contacts/\(maya.id)/recommended-solutions")["data"].arrayValue ?? []
            #expect(ranked.map { $0["name"] } == ["Flake Shield", "Payroll QA"])
            #expect(ranked.first?["score"] == 1.0)
            #expect(ranked.last?["score"] == 0.0)
            let stored = try await api.post("/api/v1/contacts/\(maya.id)/recommended-solutions", [:])
            #expect(stored["recommendation_confidence"] == 1.0)
            #expect(stored["recommended_solutions"].arrayValue?.first?["name"] == "Flake Shield")
            // A company that only names its industry in text is matched by name
            let other = try await api.post("/api/v1/companies", ["name": "Other", "domain": "other.io", "industry": "fintech"])
            let bo = try await api.post("/api/v1/contacts", ["company_id": .string(other.id), "first_name": "Bo"])
            #expect(try await api.get("/api/v1/contacts/\(bo.id)/recommended-solutions")["data"].arrayValue?.count == 2)
        }
    }

    @Test("event invitees fit industry and role and are never do-not-contact", arguments: TestEngine.all)
    func invitees(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let fin = try await api.post("/api/v1/companies", ["name": "FinCo", "domain": "finco.io", "industry": "FinTech"])
            let retail = try await api.post("/api/v1/companies", ["name": "Shop", "domain": "shop.io", "industry": "Retail"])
            let maya = try await api.post("/api/v1/contacts", ["company_id": .string(fin.id), "first_name": "Maya", "title": "Director of QA"])
            _ = try await api.post("/api/v1/contacts", ["company_id": .string(fin.id), "first_name": "Bob", "title": "CFO"])
            _ = try await api.post("/api/v1/contacts", ["company_id": .string(retail.id), "first_name": "Ana", "title": "QA Lead"])
            let sam = try await api.post("/api/v1/contacts", ["company_id": .string(fin.id), "first_name": "Sam", "title": "Quality Manager"])
            _ = try await api.patch("/api/v1/contacts/\(sam.id)", ["do_not_contact": true, "dnc_reason": "asked"])
            let event = try await api.post("/api/v1/events", ["name": "QA Summit", "event_type": "conference", "event_date": "2027-03-01T09:00:00Z", "location": "Berlin", "target_industries": ["fintech"], "target_roles": ["qa", "quality"]])
            #expect(event.status == .created, "\(event.text)")
            let invited = try await api.get("/api/v1/events/\(event.id)/invitees")["data"].arrayValue ?? []
            #expect(invited.map { $0["first_name"] } == ["Maya"])
            let touch = try await api.post("/api/v1/touchpoints", ["contact_id": .string(maya.id), "channel": "email", "event_id": .string(event.id), "subject": "QA Summit invite", "sentiment": "positive"])
            #expect(touch["event_id"] == .string(event.id))
            let draft = try await api.post("/api/v1/message-drafts", ["contact_id": .string(maya.id), "channel": "email", "body": "Join us", "event_id": .string(event.id)])
            #expect(draft["event_id"] == .string(event.id))
        }
    }

    @Test("LLM usage sums tokens and cost and gives latency percentiles per group", arguments: TestEngine.all)
    func llmUsage(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            for (workflow, latency, cost) in [("research", 100, 0.01), ("research", 200, 0.02), ("research", 300, 0.03), ("research", 400, 0.04), ("draft", 50, 0.5)] {
                let row = try await api.post("/api/v1/llm-usage", ["workflow_name": .string(workflow), "node_name": "n1", "model": "m", "prompt_tokens": 100, "completion_tokens": 20, "latency_ms": .int(Int64(latency)), "cost": .double(cost)])
                #expect(row["total_tokens"] == 120, "\(row.text)")
            }
            let summary = try await api.get("/api/v1/llm-usage/summary?group_by=workflow")["data"].arrayValue ?? []
            #expect(summary.map { $0["key"] } == ["draft", "research"])
            let research = summary[1]
            #expect(research["calls"] == 4 && research["total_tokens"] == 480 && research["prompt_tokens"] == 400)
            #expect(research["cost"] == 0.1)
            #expect(research["latency_p50_ms"] == 200 && research["latency_p95_ms"] == 400)
            let byDay = try await api.get("/api/v1/llm-usage/summary?group_by=day&since=2020-01-01")["data"].arrayValue ?? []
            #expect(byDay.count == 1 && byDay.first?["calls"] == 5)
            #expect(try await api.get("/api/v1/llm-usage/summary?since=2999-01-01")["data"].arrayValue?.isEmpty == true)
            #expect(try await api.get("/api/v1/llm-usage/summary?group_by=colour").status == .unprocessableContent)
        }
    }

    @Test("every company has exactly its CEO, CFO and HR slots; slots take the company's contacts", arguments: TestEngine.all)
    func slots(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let acme = try await api.post("/api/v1/companies", ["name": "Acme", "domain": "acme.com"])
            try await api.sql("INSERT INTO companies (name, domain) VALUES ('Plain', 'plain.io')")
            let all = try await api.get("/api/v1/company-slots")["data"].arrayValue ?? []
            #expect(all.count == 6)
            let slots = try await api.get("/api/v1/companies/\(acme.id)/slots")["data"].arrayValue ?? []
            #expect(slots.map { $0["role_code"] } == ["CEO", "CFO", "HR"])
            let cfo = try await api.post("/api/v1/contacts", ["company_id": .string(acme.id), "first_name": "Cara", "title": "Chief Financial Officer", "email": "cara@acme.com"])
            _ = try await api.post("/api/v1/contacts", ["company_id": .string(acme.id), "first_name": "Hal", "title": "Head of People"])
            let suggestions = try await api.get("/api/v1/companies/\(acme.id)/slots/suggestions")["data"].arrayValue ?? []
            #expect(suggestions.first { $0["role_code"] == "CFO" }?["candidates"]?.arrayValue?.first?["contact_id"] == .string(cfo.id))
            #expect(suggestions.first { $0["role_code"] == "HR" }?["candidates"]?.arrayValue?.count == 1)
            let assigned = try await api.call(.put, "/api/v1/companies/\(acme.id)/slots/CFO", ["contact_id": .string(cfo.id)])
            #expect(assigned["full_name"] == "Cara")
            #expect(assigned["email_status"] == "gray")
            let outsider = try await api.post("/api/v1/contacts", ["first_name": "Out"])
            #expect(try await api.call(.put, "/api/v1/companies/\(acme.id)/slots/CEO", ["contact_id": .string(outsider.id)]).status == .unprocessableContent)
            #expect(try await api.call(.put, "/api/v1/companies/\(acme.id)/slots/COO", ["contact_id": .string(cfo.id)]).status == .unprocessableContent)
            #expect(try await api.call(.put, "/api/v1/companies/\(acme.id)/slots/CFO", ["contact_id": nil])["contact_id"] == .null)
            #expect(await refusal { try await api.sql("DELETE FROM company_slots WHERE company_id = '\(acme.id)'") }
                == .refused("company_slots: a company keeps its CEO, CFO and HR slots; clear contact_id instead"))
            _ = try await api.call(.delete, "/api/v1/companies/\(acme.id)")
            #expect(try await api.get("/api/v1/company-slots")["data"].arrayValue?.count == 3)
            let quality = try await api.get("/api/v1/data-quality")
            #expect(quality["companies_with_empty_slots"]["count"] == 1)  // the company left has three empty slots
        }
    }

    @Test("verification: gray by default; a red email is never emailed", arguments: TestEngine.all)
    func verification(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let c = try await api.post("/api/v1/contacts", ["first_name": "Red", "email": "red@bounce.io"])
            #expect(c["email_status"] == "gray")
            #expect(try await api.get("/api/v1/data-quality")["contacts_with_email_but_no_verification"]["count"] == 1)
            let red = try await api.call(.put, "/api/v1/contacts/\(c.id)/verification", ["email_status": "red", "email_confidence": 97.5, "email_source_url": "https://verifier.example/r/1"])
            #expect(red["email_status"] == "red" && red["email_confidence"] == 97.5)
            #expect(red["email_checked_at"].stringValue != nil)
            #expect(try await api.call(.put, "/api/v1/contacts/\(c.id)/verification", ["email_status": "blue"]).status == .unprocessableContent)
            let refused = try await api.post("/api/v1/touchpoints", ["contact_id": .string(c.id), "channel": "email"])
            #expect(refused.status == .conflict)
            #expect(refused["detail"].stringValue?.contains("red") == true)
            #expect(try await api.post("/api/v1/touchpoints", ["contact_id": .string(c.id), "channel": "call"]).status == .created)
            #expect(try await api.get("/api/v1/data-quality")["contacts_with_email_but_no_verification"]["count"] == 0)
        }
    }

    @Test("campaigns: members from green slot contacts, once each; meetings and handoffs", arguments: TestEngine.all)
    func campaigns(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let acme = try await api.post("/api/v1/companies", ["name": "Acme", "domain": "acme.com"])
            var ids: [String: String] = [:]
            for (role, name, status) in [("CEO", "Ceo", "green"), ("CFO", "Cfo", "yellow"), ("HR", "Hr", "green")] {
                let c = try await api.post("/api/v1/contacts", ["company_id": .string(acme.id), "first_name": .string(name), "email": .string("\(name.lowercased())@acme.com")])
                _ = try await api.call(.put, "/api/v1/contacts/\(c.id)/verification", ["email_status": .string(status)])
                _ = try await api.call(.put, "/api/v1/companies/\(acme.id)/slots/\(role)", ["contact_id": .string(c.id)])
                ids[role] = c.id
            }
            let campaign = try await api.post("/api/v1/campaigns", ["name": "Q1 Renewals"])
            let added = try await api.post("/api/v1/campaigns/\(campaign.id)/members/from-slots", ["company_id": .string(acme.id)])
            #expect(added["added"] == 2)
            #expect(Set(added["members"].arrayValue?.compactMap { $0["contact_id"]?.stringValue } ?? []) == [ids["CEO"]!, ids["HR"]!])
            #expect(try await api.post("/api/v1/campaigns/\(campaign.id)/members/from-slots", ["company_id": .string(acme.id)])["added"] == 0)
            #expect(try await api.post("/api/v1/campaign-contacts", ["campaign_id": .string(campaign.id), "contact_id": .string(ids["CEO"]!)]).status == .conflict)
            let meeting = try await api.post("/api/v1/meetings", ["contact_id": .string(ids["CEO"]!), "event_time": "2027-01-10T10:00:00Z", "source": "calendly", "campaign_id": .string(campaign.id)])
            #expect(meeting["company_id"] == .string(acme.id))
            #expect(try await api.post("/api/v1/handoffs", ["company_id": .string(acme.id), "contact_id": .string(ids["CEO"]!), "notes": "Renewal call booked"]).status == .created)
            let touch = try await api.post("/api/v1/touchpoints", ["contact_id": .string(ids["CEO"]!), "channel": "email", "campaign_id": .string(campaign.id)])
            #expect(touch["campaign_id"] == .string(campaign.id))
        }
    }

    @Test("renewals: next dates, due companies with a green contact, and one signal per renewal", arguments: TestEngine.all)
    func renewals(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let month = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date()).month!
            let nextMonth = month % 12 + 1
            let later = (month + 5) % 12 + 1
            let soon = try await api.post("/api/v1/companies", ["name": "Soon", "domain": "soon.io", "renewal_month": .int(Int64(nextMonth))])
            _ = try await api.post("/api/v1/companies", ["name": "Later", "domain": "later.io", "renewal_month": .int(Int64(later)), "renewal_notice_window_days": 30])
            let next = try await api.get("/api/v1/renewals/next")["data"].arrayValue ?? []
            #expect(next.count == 2)
            let soonRow = try #require(next.first { $0["company_name"] == "Soon" })
            let renewal = try #require(soonRow["next_renewal_date"]?.stringValue.flatMap(Timestamp.parse))
            let start = try #require(soonRow["campaign_window_start"]?.stringValue.flatMap(Timestamp.parse))
            #expect(renewal.timeIntervalSince(start) == 120 * 86_400)
            #expect(soonRow["next_renewal_date"]?.stringValue?.hasSuffix("-01") == true)
            // In its window but no green contact yet: not due
            #expect(try await api.get("/api/v1/renewals/due")["data"].arrayValue?.isEmpty == true)
            let ceo = try await api.post("/api/v1/contacts", ["company_id": .string(soon.id), "first_name": "Ceo", "email": "ceo@soon.io"])
            _ = try await api.call(.put, "/api/v1/contacts/\(ceo.id)/verification", ["email_status": "green"])
            _ = try await api.call(.put, "/api/v1/companies/\(soon.id)/slots/CEO", ["contact_id": .string(ceo.id)])
            let due = try await api.get("/api/v1/renewals/due")["data"].arrayValue ?? []
            #expect(due.map { $0["company_name"] } == ["Soon"])
            #expect(due.first?["has_green_contact"] == true)
            // The scan raises the signal once
            let first = try await api.post("/api/v1/signals/scan", [:])["data"].arrayValue ?? []
            #expect(first.count == 1)
            #expect(first.first?["signal_type"] == "renewal_window_open_120d")
            #expect(first.first?["company_id"] == .string(soon.id))
            #expect(try await api.post("/api/v1/signals/scan", [:])["data"].arrayValue?.isEmpty == true)
            #expect(try await api.get("/api/v1/signals?signal_type=renewal_window_open_120d")["data"].arrayValue?.count == 1)
        }
    }

    @Test("zero-wandering queues: items leave once checked and return after the TTL", arguments: TestEngine.all)
    func queues(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let acme = try await api.post("/api/v1/companies", ["name": "Acme", "domain": "acme.com", "website_url": "https://acme.com", "linkedin_company_url": "https://www.linkedin.com/company/acme"])
            let jo = try await api.post("/api/v1/contacts", ["company_id": .string(acme.id), "first_name": "Jo", "email": "jo@acme.com", "linkedin_url": "https://linkedin.com/in/jo"])
            #expect(try await api.get("/api/v1/queues/company-urls")["data"].arrayValue?.map { $0["url_type"] } == ["site", "linkedin"])
            _ = try await api.post("/api/v1/companies/\(acme.id)/checked", ["kind": "site"])
            let after = try await api.get("/api/v1/queues/company-urls")["data"].arrayValue ?? []
            #expect(after.map { $0["url_type"] } == ["linkedin"])
            #expect(try await api.get("/api/v1/queues/company-urls?days=0")["data"].arrayValue?.count == 2)
            #expect(try await api.post("/api/v1/companies/\(acme.id)/checked", ["kind": "fax"]).status == .unprocessableContent)
            #expect(try await api.get("/api/v1/queues/profile-urls")["data"].arrayValue?.first?["url"] == "https://www.linkedin.com/in/jo")
            _ = try await api.post("/api/v1/contacts/\(jo.id)/checked", ["kind": "profile"])
            #expect(try await api.get("/api/v1/queues/profile-urls")["data"].arrayValue?.isEmpty == true)
            #expect(try await api.get("/api/v1/queues/email-recheck")["data"].arrayValue?.first?["email"] == "jo@acme.com")
            let checked = try await api.post("/api/v1/contacts/\(jo.id)/checked", ["kind": "email", "email_status": "green", "email_confidence": 92])
            #expect(checked["email_status"] == "green")
            #expect(try await api.get("/api/v1/queues/email-recheck")["data"].arrayValue?.isEmpty == true)
            let quality = try await api.get("/api/v1/data-quality")
            #expect(quality["queue_sizes"]["company-urls"] == 1)
            #expect(quality["queue_sizes"]["email-recheck"] == 0)
        }
    }

    @Test("intake loads promote rows with per-row errors, dedupe, and change nothing when promoted again", arguments: TestEngine.all)
    func intake(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let load = try await api.post("/api/v1/intake-loads", ["source": "ingestor", "kind": "companies", "rows": [
                ["company_name": "Intake Co", "website": "https://www.intake.co/home"],
                ["name": "Bad Tier", "account_tier": "gold"],
                ["name": "Intake Duplicate", "domain": "INTAKE.co", "industry": "Retail", "city": "Austin"],
                "not an object",
            ]])
            #expect(load.status == .created, "\(load.text)")
            let first = try await api.post("/api/v1/intake-loads/\(load.id)/promote", [:])
            #expect(first["inserted"] == 1 && first["updated"] == 1 && first["failed"] == 2 && first["skipped"] == 0)
            #expect(first["errors"].arrayValue?.map { $0["row"] } == [2, 4])
            let companies = try await api.get("/api/v1/companies?domain=intake.co")["data"].arrayValue ?? []
            #expect(companies.count == 1)
            #expect(companies.first?["name"] == "Intake Co")
            #expect(companies.first?["industry"] == "Retail")
            let again = try await api.post("/api/v1/intake-loads/\(load.id)/promote", [:])
            #expect(again["inserted"] == 0 && again["updated"] == 0 && again["skipped"] == 2 && again["failed"] == 2)
            let stored = try await api.get("/api/v1/intake-loads/\(load.id)")
            #expect(stored["status"] == "promoted")
            #expect(stored["result"]["skipped"] == 2)

            let people = try await api.post("/api/v1/intake-loads", ["source": "sheet", "kind": "contacts", "rows": [
                ["full_name": "Ann Lee", "email": "ANN@intake.co", "title": "CEO"],
                ["first_name": "Bad", "email": "not-an-email"],
                ["first_name": "Ann", "email": "ann@intake.co", "phone": "+1 555 0100"],
                ["first_name": "Neu", "email": "neu@newco.io", "company_name": "NewCo"],
            ]])
            let result = try await api.post("/api/v1/intake-loads/\(people.id)/promote", [:])
            #expect(result["inserted"] == 2 && result["updated"] == 1 && result["failed"] == 1, "\(result.text)")
            let ann = try await api.get("/api/v1/contacts?email=ann@intake.co")["data"].arrayValue?.first
            #expect(ann?["company_id"] == companies.first?["id"])
            #expect(ann?["last_name"] == "Lee" && ann?["phone"] == "+1 555 0100")
            // The row's company name wins over its email domain: NewCo is found or made by its name.
            #expect(try await api.get("/api/v1/companies?domain=newco.io")["data"].arrayValue?.isEmpty == true)
            #expect(try await api.get("/api/v1/companies?name=NewCo")["data"].arrayValue?.count == 1)
            let repeatResult = try await api.post("/api/v1/intake-loads/\(people.id)/promote", [:])
            #expect(repeatResult["inserted"] == 0 && repeatResult["updated"] == 0 && repeatResult["skipped"] == 3)
        }
    }
}
