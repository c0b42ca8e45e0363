import Foundation
import HTTPTypes
import Hummingbird
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

/// Seed 002's pipeline over the API, on every engine.
@Suite("Outreach pipeline")
struct OutreachTests {
    func stage(_ api: APIHarness, _ contact: String) async throws -> JSONValue {
        try await api.get("/api/v1/contacts/\(contact)")["stage"]
    }

    @Test("a contact goes from new to opportunity with stage, scores, attribution and audit right at each step", arguments: TestEngine.all)
    func pipeline(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            // Given an ICP profile and a fitting account
            let profile = try await api.call(.put, "/api/v1/icp-profile", [
                "exact_titles": ["Director of QA"], "primary_titles": ["qa", "quality"], "secondary_titles": ["engineering"],
                "top_verticals": ["FinTech"], "adjacent_verticals": ["SaaS"], "size_sweet_spot_min": 200,
                "size_sweet_spot_max": 2000, "size_ok_min": 50, "size_ok_max": 10000, "qa_ownership_keywords": ["qa", "quality"],
                "scoring_version": "v2",
            ])
            #expect(profile.status == .ok, "\(profile.text)")
            let company = try await api.post("/api/v1/companies", ["name": "PayFlow", "domain": "payflow.io", "industry": "FinTech", "employee_count": 800, "buyer_intent": true])
            let maya = try await api.post("/api/v1/contacts", ["company_id": .string(company.id), "first_name": "Maya", "last_name": "Chen", "title": "Director of QA", "seniority_level": "director", "email": "maya@payflow.io"])
            #expect(maya["stage"] == "new")
            #expect(maya["priority_score"] == 3)

            // ICP score: 3 + 2 + 2 + 2 + 1 + 2 = 12, priority 5
            let score = try await api.post("/api/v1/contacts/\(maya.id)/icp-score", [:])
            #expect(score.status == .created, "\(score.text)")
            #expect(score["total_score"] == 12)
            #expect(score["title_match"] == 3 && score["buyer_intent_bonus"] == 2)
            #expect(score["scoring_version"] == "v2")
            let scored = try await api.get("/api/v1/contacts/\(maya.id)")
            #expect(scored["priority_score"] == 5)
            #expect(scored["priority_factors"]["icp_total"] == 12)
            // A signal on the company counts for each of its people (it used to move only a contact it named).
            #expect(try await api.post("/api/v1/signals", ["company_id": .string(company.id), "signal_type": "funding"]).status == .created)
            #expect(try await api.get("/api/v1/contacts/\(maya.id)")["priority_factors"]["active_signals"] == 1)

            // Research → researched
            _ = try await api.post("/api/v1/research-snapshots", ["contact_id": .string(maya.id), "entity_type": "person", "headline": "QA leader", "pain_indicators": ["flaky tests"]])
            #expect(try await stage(api, maya.id) == "researched")

            // A draft → drafted; it cannot be ready before QC passes
            let draft = try await api.post("/api/v1/message-drafts", [
                "contact_id": .string(maya.id), "channel": "email", "touch_type": "email", "touch_number": 1,
                "subject_line": "Flaky tests at PayFlow", "body": "Hi {{first_name}}, quick question.",
                "proof_point_used": "Acme cut flakes 80%", "pain_hook": "flaky tests", "opener_style": "company_metric",
                "personalization_score": 3, "ab_group": "A", "ab_variable": "pain_hook",
            ])
            #expect(draft.status == .created, "\(draft.text)")
            #expect(draft["word_count"] == 4)
            #expect(draft["version"] == 1)
            #expect(try await stage(api, maya.id) == "drafted")
            let early = try await api.patch("/api/v1/message-drafts/\(draft.id)", ["approval_status": "ready"])
            #expect(early.status == .conflict)
            #expect(early.contentType == "application/problem+json")
            #expect(early["detail"].stringValue?.contains("QC") == true)
            let failed = try await api.post("/api/v1/message-drafts/\(draft.id)/qc", [:])
            #expect(failed["passed"] == false)
            let codes = failed["flags"].arrayValue?.compactMap { $0["code"]?.stringValue } ?? []
            #expect(codes.contains("unfilled_placeholder") && codes.contains("too_short"))
            let body = "Hi Maya, I noticed PayFlow is hiring two SDETs while shipping weekly releases. Teams at that pace often lose days to flaky end-to-end suites. Acme cut their flaky failures by eighty percent in one quarter by quarantining unstable tests and fixing the worst ten first. Would a short call next week to compare notes on your release pipeline be useful? I can share the checklist we used."
            let rewritten = try await api.patch("/api/v1/message-drafts/\(draft.id)", ["body": .string(body)])
            #expect(rewritten["version"] == 2)
            #expect(rewritten["word_count"] == .int(Int64(WordCount.of(body))))
            #expect(rewritten["qc_passed"] == .null)
            let versions = try await api.get("/api/v1/message-drafts/\(draft.id)/versions")
            #expect(versions["data"].arrayValue?.map { $0["version"] } == [1])
            #expect(versions["data"].arrayValue?.first?["body"] == "Hi {{first_name}}, quick question.")
            let passed = try await api.post("/api/v1/message-drafts/\(draft.id)/qc", [:])
            #expect(passed["passed"] == true, "\(passed.text)")
            #expect(try await api.patch("/api/v1/message-drafts/\(draft.id)", ["approval_status": "ready"])["approval_status"] == "ready")

            // An outbound touch using it → sent; the draft is sent
            let touch = try await api.post("/api/v1/touchpoints", ["contact_id": .string(maya.id), "channel": "email", "message_draft_id": .string(draft.id), "touch_number": 1, "sent_at": "2026-11-20T09:00:00Z"])
            #expect(touch.status == .created, "\(touch.text)")
            #expect(try await stage(api, maya.id) == "sent")
            #expect(try await api.get("/api/v1/message-drafts/\(draft.id)")["approval_status"] == "sent")

            // A follow-up already due → follow_up, listed as overdue
            let follow = try await api.post("/api/v1/followups", ["contact_id": .string(maya.id), "due_date": "2026-01-05", "touch_number": 2, "channel": "email"])
            #expect(follow.status == .created)
            #expect(follow["state"] == "overdue")
            #expect(try await stage(api, maya.id) == "follow_up")
            let due = try await api.get("/api/v1/followups/due")
            #expect(due["data"].arrayValue?.map { $0["id"] } == [.string(follow.id)])
            #expect(try await api.get("/api/v1/followups?state=overdue")["data"].arrayValue?.count == 1)
            let done = try await api.patch("/api/v1/followups/\(follow.id)", ["state": "completed"])
            #expect(done["completed_at"].stringValue != nil)
            #expect(try await api.get("/api/v1/followups/due")["data"].arrayValue?.isEmpty == true)

            // A positive reply → replied, with the next step
            let reply = try await api.post("/api/v1/replies", ["contact_id": .string(maya.id), "touchpoint_id": .string(touch.id), "intent": "positive", "reply_tag": "pain_hook", "raw_text": "Yes, let's talk"])
            #expect(reply["recommended_next_step"] == "Book a meeting")
            #expect(try await stage(api, maya.id) == "replied")

            // A meeting from that reply → meeting_booked, attributed to the touch and its draft
            let opp = try await api.post("/api/v1/opportunities", ["contact_id": .string(maya.id), "trigger_reply_id": .string(reply.id), "meeting_date": "2026-11-28T15:00:00Z"])
            #expect(opp.status == .created, "\(opp.text)")
            #expect(opp["company_id"] == .string(company.id))
            #expect(opp["attribution_channel"] == "email")
            #expect(opp["attribution_touch_number"] == 1)
            #expect(opp["attribution_proof_point"] == "Acme cut flakes 80%")
            #expect(opp["attribution_pain_hook"] == "flaky tests")
            #expect(opp["attribution_opener_style"] == "company_metric")
            #expect(opp["attribution_personalization_score"] == 3)
            #expect(opp["attribution_ab_group"] == "A")
            #expect(opp["attribution_ab_variable"] == "pain_hook")
            #expect(try await stage(api, maya.id) == "meeting_booked")
            _ = try await api.patch("/api/v1/opportunities/\(opp.id)", ["status": "meeting_held", "meeting_outcome": "qualified"])
            #expect(try await stage(api, maya.id) == "meeting_held")
            let won = try await api.patch("/api/v1/opportunities/\(opp.id)", ["status": "opportunity_created", "pipeline_value": 48000])
            #expect(won["opportunity_created"] == true)
            #expect(won["opportunity_created_date"].stringValue != nil)
            #expect(try await stage(api, maya.id) == "opportunity")

            // Stages never go back by hand, except to dormant, re_engaged or closed
            let back = try await api.patch("/api/v1/contacts/\(maya.id)", ["stage": "new"])
            #expect(back.status == .conflict)
            #expect(try await api.patch("/api/v1/contacts/\(maya.id)", ["stage": "closed"])["stage"] == "closed")

            // The audit trail names who did what
            let trail = try await api.get("/api/v1/audit-log?table_name=contacts&record_id=\(maya.id)&limit=500")
            let entries = trail["data"].arrayValue ?? []
            #expect(entries.first?["action"] == "insert")
            #expect(entries.first?["changed_by"] == "user:test-admin")
            #expect(entries.first?["new_values"]?["first_name"] == "Maya")
            #expect(entries.contains { $0["action"] == "update" && $0["old_values"]?["stage"] == "new" && $0["new_values"]?["stage"] == "researched" })
        }
    }

    @Test("audit log: every write leaves a row naming user, agent run or sql, and the log refuses changes", arguments: TestEngine.all)
    func audit(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let run = try await api.post("/api/v1/agent-runs", ["run_type": "research", "agent_name": "researcher"])
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(api.tokens[.agent]!)"
            headers[HTTPField.Name("X-Agent-Run-Id")!] = run.id
            headers[.contentType] = "application/json"
            let created = try await api.client.execute(uri: "/api/v1/companies", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"Agent Co","domain":"agentco.com"}"#)) { response in
                (try? JSONValue.parse(String(buffer: response.body)))?["id"]?.stringValue ?? ""
            }
            // A contact moves the company's total_contacts: the contact is audited, the counter's move is not.
            let person = try await api.post("/api/v1/contacts", ["company_id": .string(created), "first_name": "Ida", "email": "ida@agentco.com"])
            #expect(try await api.get("/api/v1/companies/\(created)")["total_contacts"] == .int(1))
            #expect(try await api.get("/api/v1/audit-log?table_name=contacts&record_id=\(person.id)")["data"].arrayValue?.count == 1)
            #expect(try await api.get("/api/v1/audit-log?table_name=companies&record_id=\(created)")["data"].arrayValue?.count == 1)
            _ = try await api.call(.delete, "/api/v1/contacts/\(person.id)")
            try await api.sql("UPDATE companies SET industry = 'Retail' WHERE id = '\(created)'")
            _ = try await api.call(.delete, "/api/v1/companies/\(created)", as: .member)
            let rows = try await api.get("/api/v1/audit-log?table_name=companies&record_id=\(created)")["data"].arrayValue ?? []
            #expect(rows.map { $0["action"] } == ["insert", "update", "delete"])
            #expect(rows.map { $0["changed_by"] } == [.string("agent:\(run.id)"), "sql", "user:test-member"])
            #expect(rows[1]["old_values"]?["industry"] == .null)
            #expect(rows[1]["new_values"]?["industry"] == "Retail")
            #expect(rows[2]["old_values"]?["name"] == "Agent Co")
            // Unknown run ids are refused; the log is read-only over the API and append-only in SQL
            headers[HTTPField.Name("X-Agent-Run-Id")!] = UUIDv7.make().lowercased
            let unknown = try await api.client.execute(uri: "/api/v1/companies", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"X"}"#)) { $0.status }
            #expect(unknown == .unprocessableContent)
            #expect(try await api.post("/api/v1/audit-log", ["table_name": "x"]).status == .methodNotAllowed)
            #expect(await refusal { try await api.sql("UPDATE audit_log SET changed_by = 'me'") } == .refused("audit_log is append-only: UPDATE is refused"))
            #expect(await refusal { try await api.sql("DELETE FROM audit_log") } == .refused("audit_log is append-only: DELETE is refused"))
            #expect(try await api.get("/api/v1/audit-log?table_name=companies&record_id=\(created)")["data"].arrayValue?.count == 3)
        }
    }

    @Test("an unsubscribe stops every further outbound action, whoever asks", arguments: TestEngine.all)
    func unsubscribe(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let company = try await api.post("/api/v1/companies", ["name": "Quiet Inc", "domain": "quiet.io"])
            let sam = try await api.post("/api/v1/contacts", ["company_id": .string(company.id), "first_name": "Sam", "email": "sam@quiet.io"])
            let batch = try await api.post("/api/v1/batches", ["ab_variable": "opener_style"])
            let pending = try await api.post("/api/v1/followups", ["contact_id": .string(sam.id), "due_date": "2030-01-01"])
            let draft = try await api.post("/api/v1/message-drafts", ["contact_id": .string(sam.id), "channel": "linkedin", "body": "Hi Sam, saw the Quiet Inc launch last week and wondered how your team handles release testing."])
            #expect(try await api.post("/api/v1/message-drafts/\(draft.id)/qc", [:])["passed"] == true)
            let reply = try await api.post("/api/v1/replies", ["contact_id": .string(sam.id), "intent": "unsubscribe", "raw_text": "Remove me"])
            #expect(reply["recommended_next_step"].stringValue?.contains("Stop") == true)
            let after = try await api.get("/api/v1/contacts/\(sam.id)")
            #expect(after["do_not_contact"] == true)
            #expect(after["status"] == "do_not_contact")
            #expect(after["dnc_reason"].stringValue?.contains(reply.id) == true)
            #expect(try await api.get("/api/v1/followups/\(pending.id)")["state"] == "skipped")
            #expect(try await api.get("/api/v1/message-drafts/\(draft.id)")["approval_status"] == "archived")

            for (path, body) in [
                ("/api/v1/touchpoints", ["contact_id": JSONValue.string(sam.id), "channel": "email"]),
                ("/api/v1/followups", ["contact_id": .string(sam.id), "due_date": "2030-02-01"]),
                ("/api/v1/batch-prospects", ["contact_id": .string(sam.id), "batch_id": .string(batch.id)]),
            ] {
                let refused = try await api.post(path, .object(body))
                #expect(refused.status == .conflict, "\(path): \(refused.text)")
                #expect(refused["detail"].stringValue?.contains("do_not_contact") == true)
            }
            let ready = try await api.patch("/api/v1/message-drafts/\(draft.id)", ["approval_status": "ready"])
            #expect(ready.status == .conflict)
            let plain = await refusal {
                try await api.sql("INSERT INTO touchpoints (contact_id, channel, direction) VALUES ('\(sam.id)', 'call', 'outbound')")
            }
            #expect(plain?.message.hasPrefix("do_not_contact:") == true, "\(String(describing: plain))")
            // Inbound touches are still recorded
            #expect(try await api.post("/api/v1/touchpoints", ["contact_id": .string(sam.id), "channel": "email", "direction": "inbound"]).status == .created)
        }
    }

    @Test("many touches in one statement set off the same rules as one at a time", arguments: TestEngine.all)
    func touchesInOneStatement(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let company = try await api.post("/api/v1/companies", ["name": "Many Co", "domain": "many.co"])
            var people: [String] = []
            for name in ["Ada", "Bea", "Cy", "Dee"] {
                people.append(try await api.post("/api/v1/contacts", ["company_id": .string(company.id), "first_name": .string(name), "email": .string("\(name.lowercased())@many.co")]).id)
            }
            let (ada, bea, cy, dee) = (people[0], people[1], people[2], people[3])
            let draft = try await api.post("/api/v1/message-drafts", ["contact_id": .string(ada), "channel": "email", "body": "Hello Ada"])
            try await api.sql("UPDATE contacts SET stage = 'dormant' WHERE id = '\(cy)'")
            try await api.sql("UPDATE contacts SET stage = 'closed' WHERE id = '\(dee)'")
            try await api.sql("""
                INSERT INTO touchpoints (contact_id, channel, direction, message_draft_id) VALUES
                ('\(ada)', 'email', 'outbound', '\(draft.id)'), ('\(ada)', 'email', 'outbound', NULL),
                ('\(bea)', 'email', 'outbound', NULL), ('\(bea)', 'email', 'inbound', NULL),
                ('\(cy)', 'call', 'outbound', NULL), ('\(dee)', 'email', 'outbound', NULL)
                """)
            // Each contact at the furthest stage its touches reach; closed stays closed; the draft used is sent
            #expect(try await stage(api, ada) == "sent")
            #expect(try await stage(api, bea) == "replied")
            #expect(try await stage(api, cy) == "sent")
            #expect(try await stage(api, dee) == "closed")
            #expect(try await api.get("/api/v1/message-drafts/\(draft.id)")["approval_status"] == "sent")
            #expect(try await api.get("/api/v1/contacts/\(ada)")["total_touchpoints"] == .int(2))
            let audited = try await api.get("/api/v1/audit-log?table_name=contacts&record_id=\(bea)")["data"].arrayValue ?? []
            #expect(audited.contains { $0["new_values"]?["stage"] == "replied" })

            // One refused row refuses the whole statement and leaves everything as it was
            try await api.sql("UPDATE contacts SET do_not_contact = true WHERE id = '\(cy)'")
            try await api.sql("UPDATE contacts SET email_status = 'red' WHERE id = '\(dee)'")
            for (refused, reason) in [(cy, "do_not_contact"), (dee, "email_status_red")] {
                do {
                    try await api.sql("""
                        INSERT INTO touchpoints (contact_id, channel, direction) VALUES
                        ('\(ada)', 'email', 'outbound'), ('\(refused)', 'email', 'outbound')
                        """)
                    Issue.record("a touch for \(refused) went in")
                } catch {
                    let message = (StoreErrors.translate(error) as? DomainError)?.message ?? String(reflecting: error)
                    #expect(message.contains(reason), "\(message)")
                }
            }
            #expect(try await api.get("/api/v1/contacts/\(ada)")["total_touchpoints"] == .int(2))
            #expect(try await api.get("/api/v1/touchpoints?contact_id=\(ada)")["data"].arrayValue?.count == 2)
            // Inbound touches for them still go in
            try await api.sql("INSERT INTO touchpoints (contact_id, channel, direction) VALUES ('\(cy)', 'email', 'inbound'), ('\(dee)', 'email', 'inbound')")
            #expect(try await stage(api, cy) == "replied")
        }
    }

    @Test("replies: next steps from intents; a referral creates and links the referred contact", arguments: TestEngine.all)
    func replies(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let company = try await api.post("/api/v1/companies", ["name": "Refer Co", "domain": "refer.co"])
            let ann = try await api.post("/api/v1/contacts", ["company_id": .string(company.id), "first_name": "Ann", "email": "ann@refer.co"])
            let later = try await api.post("/api/v1/replies", ["contact_id": .string(ann.id), "intent": "not_now", "follow_up_days": 14])
            #expect(later["recommended_next_step"] == "Follow up in 14 days")
            let referral = try await api.post("/api/v1/replies", ["contact_id": .string(ann.id), "intent": "referral", "referral_name": "Bo Diaz Ruiz", "referral_title": "VP Engineering"])
            #expect(referral.status == .created)
            let people = try await api.get("/api/v1/contacts?company_id=\(company.id)")["data"].arrayValue ?? []
            let bo = try #require(people.first { $0["first_name"] == "Bo" })
            #expect(bo["last_name"] == "Diaz Ruiz")
            #expect(bo["title"] == "VP Engineering")
            #expect(bo["source"] == "referral")
            let rels = try await api.get("/api/v1/contacts/\(ann.id)/relationships")["data"].arrayValue ?? []
            #expect(rels.first?["relationship_type"] == "referred_by")
            #expect(rels.first?["contact"]?["first_name"] == "Bo")
            // The same referral again links the existing contact instead of creating another
            _ = try await api.post("/api/v1/replies", ["contact_id": .string(ann.id), "intent": "referral", "referral_name": "bo diaz ruiz"])
            #expect(try await api.get("/api/v1/contacts?company_id=\(company.id)")["data"].arrayValue?.count == 2)
        }
    }

    @Test("batches number themselves, count prospects and assign balanced, reproducible groups", arguments: TestEngine.all)
    func batches(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let b1 = try await api.post("/api/v1/batches", ["ab_variable": "pain_hook"])
            let b2 = try await api.post("/api/v1/batches", [:])
            #expect(b1["batch_number"] == 1 && b2["batch_number"] == 2)
            let company = try await api.post("/api/v1/companies", ["name": "Many", "domain": "many.io"])
            for i in 0..<9 {
                let c = try await api.post("/api/v1/contacts", ["company_id": .string(company.id), "first_name": .string("P\(i)")])
                _ = try await api.post("/api/v1/batch-prospects", ["batch_id": .string(b1.id), "contact_id": .string(c.id), "position_in_batch": .int(Int64(i))])
            }
            #expect(try await api.get("/api/v1/batches/\(b1.id)")["prospect_count"] == 9)
            let first = try await api.post("/api/v1/batches/\(b1.id)/assign-groups", ["groups": ["A", "B", "C"], "seed": 7])
            let groups = first["data"].arrayValue?.compactMap { $0["ab_group"]?.stringValue } ?? []
            #expect(groups.count == 9)
            #expect(["A", "B", "C"].map { g in groups.filter { $0 == g }.count } == [3, 3, 3])
            let again = try await api.post("/api/v1/batches/\(b1.id)/assign-groups", ["groups": ["A", "B", "C"], "seed": 7])
            #expect(again["data"].arrayValue?.compactMap { $0["ab_group"]?.stringValue } == groups)
            let two = try await api.post("/api/v1/batches/\(b1.id)/assign-groups", ["seed": 1])
            let ab = two["data"].arrayValue?.compactMap { $0["ab_group"]?.stringValue } ?? []
            #expect(abs(ab.filter { $0 == "A" }.count - ab.filter { $0 == "B" }.count) == 1)
            #expect(try await api.post("/api/v1/batches/\(b1.id)/assign-groups", ["groups": ["A", "Z"]]).status == .unprocessableContent)
            let member = try await api.get("/api/v1/batch-prospects?batch_id=\(b1.id)&limit=1")["data"].arrayValue?.first?["id"]?.stringValue ?? ""
            _ = try await api.call(.delete, "/api/v1/batch-prospects/\(member)")
            #expect(try await api.get("/api/v1/batches/\(b1.id)")["prospect_count"] == 8)
        }
    }

    @Test("an experiment over two batches names a winner only when the difference is significant", arguments: TestEngine.all)
    func experiment(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let company = try await api.post("/api/v1/companies", ["name": "Exp", "domain": "exp.io"])
            var batchIDs: [String] = []
            // Two batches of 40: A replies 8 of 20 per batch (40%), B 2 of 20 (10%)
            for _ in 0..<2 {
                let batch = try await api.post("/api/v1/batches", ["ab_variable": "pain_hook"])
                batchIDs.append(batch.id)
                for i in 0..<40 {
                    let group = i < 20 ? "A" : "B"
                    let c = try await api.post("/api/v1/contacts", ["company_id": .string(company.id), "first_name": .string("C\(i)")])
                    _ = try await api.post("/api/v1/batch-prospects", ["batch_id": .string(batch.id), "contact_id": .string(c.id), "ab_group": .string(group)])
                    _ = try await api.post("/api/v1/touchpoints", ["contact_id": .string(c.id), "channel": "email"])
                    if (group == "A" && i < 8) || (group == "B" && i >= 20 && i < 22) {
                        _ = try await api.post("/api/v1/replies", ["contact_id": .string(c.id), "intent": "positive"])
                    }
                    if group == "A" && i < 1 {
                        _ = try await api.post("/api/v1/opportunities", ["contact_id": .string(c.id)])
                    }
                }
            }
            let exp = try await api.post("/api/v1/experiments", ["name": "Pain hook", "variable": "pain_hook", "batches_included": .array(batchIDs.map { .string($0) })])
            let results = try await api.get("/api/v1/experiments/\(exp.id)/results")
            #expect(results.status == .ok, "\(results.text)")
            let groups = results["groups"].arrayValue ?? []
            #expect(groups.map { $0["sent"] } == [40, 40])
            #expect(groups.map { $0["replies"] } == [16, 4])
            #expect(results["winner"] == "A")
            #expect(results["verdict"] == "winner_A")
            // z = 0.3 / √(0.25 × 0.75 × 2/40) = 3.098, p = 0.00195
            let p = results["test"]["p_value"]?.doubleValue ?? 1
            #expect(abs(p - 0.00195) < 0.0001)
            #expect((results["test"]["ci95_lower"]?.doubleValue ?? 0) > 0)
            #expect(results["test"]["method"] == "z_test")
            // A GET changes nothing; POST …/conclude stores the verdict.
            #expect(try await api.get("/api/v1/experiments/\(exp.id)")["winner"] == .null)
            let concluded = try await api.call(.post, "/api/v1/experiments/\(exp.id)/conclude")
            #expect(concluded.status == .ok, "\(concluded.text)")
            let stored = try await api.get("/api/v1/experiments/\(exp.id)")
            #expect(stored["group_a_replies"] == 16 && stored["group_b_sent"] == 40 && stored["winner"] == "A" && stored["status"] == "completed")
            // Below the minimum sample the verdict waits and says how many more sends each group needs.
            let strict = try await api.get("/api/v1/experiments/\(exp.id)/results?min_sent=50")
            #expect(strict["verdict"] == "insufficient_data" && strict["winner"] == .null && strict["needed"] == ["A": 10, "B": 10])
            #expect(try await api.call(.post, "/api/v1/experiments/\(exp.id)/conclude?min_sent=50").status == .conflict)
            // Meetings: 2 of 40 against 0 of 40 is not significant at 5% (z = 1.43, p = 0.15)
            let meetings = try await api.get("/api/v1/experiments/\(exp.id)/results?metric=meetings")
            #expect(meetings["verdict"] == "inconclusive")
            #expect(meetings["winner"] == .null)
            #expect((meetings["test"]["p_value"]?.doubleValue ?? 0) > 0.05)
            #expect(meetings["test"]["method"] == "fisher_exact")  // expected meetings per group: 1, too few for a z-test
        }
    }

    @Test("agent runs nest, with token and duration totals", arguments: TestEngine.all)
    func agentRuns(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let root = try await api.post("/api/v1/agent-runs", ["run_type": "batch_build", "tokens_used": 100, "duration_ms": 1000])
            let child = try await api.post("/api/v1/agent-runs", ["run_type": "research", "parent_run_id": .string(root.id), "tokens_used": 50, "duration_ms": 300])
            _ = try await api.post("/api/v1/agent-runs", ["run_type": "draft", "parent_run_id": .string(child.id), "tokens_used": 25, "duration_ms": 200])
            _ = try await api.post("/api/v1/agent-runs", ["run_type": "qc", "parent_run_id": .string(root.id), "tokens_used": 5, "duration_ms": 10])
            let tree = try await api.get("/api/v1/agent-runs/\(root.id)/tree")
            #expect(tree["total_tokens"] == 180)
            #expect(tree["total_duration_ms"] == 1510)
            #expect(tree["run_count"] == 4)
            #expect(tree["children"].arrayValue?.count == 2)
            let sub = try await api.get("/api/v1/agent-runs/\(child.id)/tree")
            #expect(sub["total_tokens"] == 75 && sub["run_count"] == 2)
        }
    }
}
