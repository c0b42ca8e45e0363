import Foundation
import TouchbaseDomain
import TouchbaseStore

/// A morning's work on top of the demo data, so that the first sign-in shows a real day: replies of every intent (a
/// referral among them), follow-ups late, due today and upcoming, drafts that passed QC and wait for approval and one
/// approved, two batches in an A/B experiment, buyer-intent and renewal signals, renewals due, a bounced email, a
/// do-not-contact contact, agent runs with their LLM usage and an intake load waiting to be promoted. Every row goes
/// through the record store, so the database's rules (stages, counters, holds, audit) apply as for any write.
/// The demo's people by place, wrapping round when there are fewer than the morning asks for.
struct Ring {
    let all: [Record]
    init(_ all: [Record]) { self.all = all }
    subscript(_ i: Int) -> Record { all[i % all.count] }
}

extension DemoGenerator {
    public struct Morning: Sendable {
        public var replies = 0, followups = 0, drafts = 0, batches = 0, agentRuns = 0
    }

    /// The same rows every time (names come from the demo data it is made on).
    public func morning() async throws -> Morning {
        let store = RecordStore(database: database)
        let outreach = OutreachRepository(database: database)
        var made = Morning()
        let people = try await store.list(Entities.contacts, ListQuery(limit: 120)).records
        // The morning needs people enough for its parts not to share them (the default demo has 100).
        guard people.count >= 80 else { return made }
        let contacts = Ring(people)
        var companies: [String: Record] = [:]
        for c in people {
            if let id = c.string("company_id"), companies[id] == nil, let uuid = UUID(uuidString: id) { companies[id] = try await store.get(Entities.companies, uuid) }
        }
        func company(_ contact: Record) -> String { contact.string("company_id").flatMap { companies[$0]?.string("name") } ?? "your team" }
        let now = Date()
        func day(_ offset: Int) -> JSONValue { .string(Timestamp.formatDate(now.addingTimeInterval(Double(offset) * 86_400))) }
        func at(_ hours: Double) -> JSONValue { .string(Timestamp.format(now.addingTimeInterval(-hours * 3600))) }

        // Replies of every intent; the referral names who to reach, the unsubscribe makes its contact do-not-contact.
        let texts: [(String, String, String)] = [
            ("positive", "Yes, this is timely. Can we talk Thursday afternoon?", "Wants a call on Thursday"),
            ("neutral", "Thanks for the note. What does onboarding look like?", "Asks about onboarding"),
            ("not_now", "We are mid-migration; try me again next quarter.", "Busy until next quarter"),
            ("referral", "Not my area — Morgan Lee runs QA platform work here.", "Points to Morgan Lee"),
            ("unsubscribe", "Please remove me from your list.", "Asked to be removed"),
            ("negative", "We built this in-house and are happy with it.", "Built in-house"),
            ("positive", "Send over the case study, happy to share it with my VP.", "Will forward to VP"),
        ]
        for (i, (intent, text, summary)) in texts.enumerated() {
            let contact = contacts[1 + i * 2]
            var reply: [String: JSONValue] = [
                "contact_id": .string(contact.id.lowercased), "channel": "email", "intent": .string(intent), "raw_text": .string(text),
                "summary": .string(summary), "replied_at": at(Double(2 + i * 3)),
            ]
            if intent == "referral" { reply["referral_name"] = "Morgan Lee"; reply["referral_title"] = "Head of QA Platform" }
            _ = try await store.create(Entities.replies, reply)
            made.replies += 1
        }
        // One more person asked, by phone, not to be contacted.
        _ = try await store.update(Entities.contacts, contacts[20].id, ["do_not_contact": true])

        // Follow-ups: two late, two due today, three upcoming.
        for (i, offset) in [-3, -1, 0, 0, 1, 3, 5].enumerated() {
            let contact = contacts[30 + i]
            _ = try await store.create(
                Entities.followups,
                ["contact_id": .string(contact.id.lowercased), "due_date": day(offset), "channel": i % 2 == 0 ? "email" : "linkedin", "touch_number": .int(Int64(2 + i % 3))])
            made.followups += 1
        }

        // Drafts written by an agent run, QC'd: most pass and wait for approval, one is approved, one fails QC.
        let runID = try await store.create(
            Entities.agentRuns,
            ["run_type": "draft", "agent_name": "drafting-agent", "status": "success", "tokens_used": 18_400, "duration_ms": 41_000,
             "started_at": at(5), "completed_at": at(4.9)]
        ).id
        // The drafting agent's writes are audited as its run, so its ledger lists what it changed.
        try await AuditContext.$actor.withValue("agent:\(runID.lowercased)") {
        for i in 0..<6 {
            let contact = contacts[40 + i]
            let first = contact.string("first_name") ?? "there", name = company(contact)
            let body = i == 5
                ? "Hi, quick question — free trial?"
                : "Hi \(first), I saw that \(name) is hiring QA engineers again, which usually means release pressure is building. Teams like yours cut regression time by a third after moving their flaky suites onto our platform, without rewriting tests. Would it be useful if I sent a two-minute walkthrough of how the Cedar Labs team did it, and you can judge whether it fits your roadmap?"
            let draft = try await store.create(
                Entities.messageDrafts,
                ["contact_id": .string(contact.id.lowercased), "channel": "email", "touch_number": 1, "touch_type": "email",
                 "subject_line": .string("QA hiring at \(name)"), "body": .string(body), "agent_run_id": .string(runID.lowercased)])
            _ = try await outreach.qc(draftID: draft.id, runID: runID)
            if i == 0 { _ = try await store.update(Entities.messageDrafts, draft.id, ["approval_status": "ready"]) }
            made.drafts += 1
        }
        }
        for (i, (node, model, prompt, completion, cost)) in [
            ("research", "claude-sonnet-4-5", 9_200, 1_400, 0.048), ("draft", "claude-sonnet-4-5", 5_100, 2_300, 0.050), ("qc", "claude-haiku-4-5", 3_000, 400, 0.005),
        ].enumerated() {
            let run = i == 1 ? runID : try await store.create(
                Entities.agentRuns,
                ["run_type": .string(node), "agent_name": .string("\(node)-agent"), "status": "success", "tokens_used": .int(Int64(prompt + completion)),
                 "duration_ms": .int(Int64(8_000 + i * 9_000)), "started_at": at(6 - Double(i)), "completed_at": at(5.9 - Double(i))]
            ).id
            _ = try await store.create(
                Entities.llmUsage,
                ["workflow_name": "outreach", "node_name": .string(node), "model": .string(model), "prompt_tokens": .int(Int64(prompt)),
                 "completion_tokens": .int(Int64(completion)), "latency_ms": .int(Int64(2_000 + i * 700)), "cost": .double(cost),
                 "agent_run_id": .string(run.lowercased)])
            made.agentRuns += 1
        }

        // Two batches of an A/B experiment on the opener, with sends and a few replies.
        var batchIDs: [String] = []
        for b in 0..<2 {
            let batch = try await store.create(
                Entities.batches,
                ["created_date": day(-7 + b * 3), "ab_variable": "opener_style",
                 "ab_description": "A: a question about their hiring; B: a peer's result", "status": b == 0 ? "completed" : "active",
                 "pre_brief": "Mid-size SaaS and FinTech teams hiring QA. Lead with the hiring signal; keep it under 120 words.",
                 "mix_ratio": ["c-level": 2, "director": 3, "manager": 5]])
            batchIDs.append(batch.id.lowercased)
            for p in 0..<10 {
                let contact = contacts[60 + b * 10 + p]
                _ = try await store.create(
                    Entities.batchProspects,
                    ["batch_id": .string(batch.id.lowercased), "contact_id": .string(contact.id.lowercased), "position_in_batch": .int(Int64(p + 1)),
                     "ab_group": p % 2 == 0 ? "A" : "B", "sequence_status": [0, 1, 4, 8].contains(p) ? "replied" : "in_progress"])
                // Each prospect's draft for this batch, written in its group's opener and QC'd; the first batch's are sent.
                let first = contact.string("first_name") ?? "there", name = company(contact)
                let opener = p % 2 == 0
                    ? "Hi \(first), is \(name) still hiring QA engineers this quarter? When teams add testers that fast, flaky suites usually grow with them."
                    : "Hi \(first), a team much like \(name) cut its regression runs from nine hours to three last quarter without rewriting a single test."
                let draft = try await store.create(
                    Entities.messageDrafts,
                    ["contact_id": .string(contact.id.lowercased), "batch_id": .string(batch.id.lowercased), "channel": "email", "touch_number": 1,
                     "touch_type": "email", "ab_group": p % 2 == 0 ? "A" : "B", "ab_variable": "opener_style",
                     "subject_line": .string(p % 2 == 0 ? "QA hiring at \(name)" : "Regression runs at \(name)"),
                     "body": .string(opener + " We help teams keep their existing tests and run them reliably in parallel. Would a short walkthrough of how that works be useful for your roadmap this quarter?")])
                _ = try await outreach.qc(draftID: draft.id)
                if b == 0 || p < 4 { _ = try await store.update(Entities.messageDrafts, draft.id, ["approval_status": "ready"]) }
                if b == 0 {
                    _ = try await store.create(
                        Entities.touchpoints,
                        ["contact_id": .string(contact.id.lowercased), "message_draft_id": .string(draft.id.lowercased), "channel": "email",
                         "direction": "outbound", "subject": .string("QA at \(name)"), "sent_at": at(Double(100 + p))])
                }
                // Group A (even places) gets three replies, B one: already handled, so they are not on Today.
                if [0, 1, 4, 8].contains(p) {
                    _ = try await store.create(
                        Entities.replies,
                        ["contact_id": .string(contact.id.lowercased), "channel": "email", "intent": "positive", "summary": "Interested",
                         "replied_at": at(Double(30 + p)), "handled_at": at(Double(29 + p))])
                }
            }
            made.batches += 1
        }
        _ = try await store.create(
            Entities.experiments,
            ["name": "Opener: question vs peer result", "variable": "opener_style", "group_a_desc": "A question about their QA hiring",
             "group_b_desc": "A peer company's result", "status": "active", "batches_included": .array(batchIDs.map { .string($0) })])

        // Signals: buyer intent on a few accounts; renewals: a renewal window opening now at two accounts with a
        // verified (green) contact; one email bounced.
        for i in 0..<3 {
            let contact = contacts[80 + i * 3]
            _ = try await store.create(
                Entities.signals,
                ["company_id": contact["company_id"], "contact_id": .string(contact.id.lowercased), "signal_type": "buyer_intent",
                 "description": .string("\(company(contact)) read the pricing page three times this week")])
        }
        let month = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: now.addingTimeInterval(60 * 86_400)).month ?? 1
        for i in 0..<2 {
            let contact = contacts[100 + i * 15]
            let slots = SlotRepository(database: database)
            _ = try await slots.verify(contactID: contact.id, ["email_status": "green", "email_confidence": 97])
            if let id = contact.string("company_id").flatMap(UUID.init(uuidString:)) {
                _ = try await store.update(Entities.companies, id, ["renewal_month": .int(Int64(month)), "account_status": "customer"])
                _ = try await slots.assignSlot(companyID: id, role: "CFO", contactID: contact.id)
            }
        }
        _ = try await RenewalRepository(database: database).scanSignals()
        let bounced = contacts[110]
        _ = try await store.create(
            Entities.touchpoints,
            ["contact_id": .string(bounced.id.lowercased), "channel": "email", "direction": "outbound", "subject": "Quick idea",
             "sent_at": at(20), "outcome": "bounced"])
        _ = try await store.create(
            Entities.intakeLoads,
            ["source": "conference-badge-scan", "kind": "contacts",
             "rows": [["first_name": "Jamie", "last_name": "Ortiz", "email": "jamie.ortiz@harborcloud.example", "title": "QA Lead"],
                      ["first_name": "Riley", "last_name": "Ng", "email": "riley.ng@summitpay.example", "title": "VP Engineering"]]])
        return made
    }
}
