import Foundation
import HTTPTypes
import Hummingbird
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

/// Issue 14's model over the API, on every engine: sequences, steps and enrollments with their rules.
@Suite("Sequences model")
struct SequenceModelTests {
    @Test("sequences, steps and enrollments: defaults, validation, forward-only state, DNC and exclusivity refused, audited", arguments: TestEngine.all)
    func model(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let company = try await api.post("/api/v1/companies", ["name": "Northwind", "domain": "northwind.example"])
            let sue = try await api.post("/api/v1/contacts", ["company_id": .string(company.id), "first_name": "Sue", "email": "sue@northwind.example"])
            let bob = try await api.post("/api/v1/contacts", ["company_id": .string(company.id), "first_name": "Bob", "email": "bob@northwind.example", "do_not_contact": true])

            // A sequence gets a working window by default; a bad zone or an empty window is refused by field.
            let sequence = try await api.post("/api/v1/sequences", ["name": "Q1 renewals", "time_zone": "Europe/Berlin"])
            #expect(sequence.status == .created, "\(sequence.text)")
            #expect(sequence["send_days"] == [1, 2, 3, 4, 5])
            #expect(sequence["start_hour"] == 9 && sequence["end_hour"] == 17)
            #expect(sequence["exclusive"] == true && sequence["on_account_reply"] == "stop" && sequence["status"] == "draft")
            let zone = try await api.post("/api/v1/sequences", ["name": "x", "time_zone": "Mars/Olympus"])
            #expect(zone.status == .unprocessableContent)
            #expect(zone.text.contains("time_zone") && zone.text.contains("IANA"))
            let window = try await api.post("/api/v1/sequences", ["name": "x", "start_hour": 18, "end_hour": 9])
            #expect(window.status == .unprocessableContent, "\(window.text)")
            #expect(window.text.contains("end_hour"))
            let days = try await api.post("/api/v1/sequences", ["name": "x", "send_days": [1, 8]])
            #expect(days.status == .unprocessableContent)
            #expect(days.text.contains("send_days") && days.text.contains("item 1"), "\(days.text)")
            let holidays = try await api.post("/api/v1/sequences", ["name": "x", "holidays": ["2026-12-25", "Christmas"]])
            #expect(holidays.status == .unprocessableContent)
            #expect(holidays.text.contains("holidays") && holidays.text.contains("item 1"), "\(holidays.text)")

            // Steps: numbered once per sequence, kinds from the vocabulary.
            let first = try await api.post("/api/v1/sequence-steps", [
                "sequence_id": .string(sequence.id), "position": 1, "kind": "auto_email",
                "subject": "{{colleague.first_name}} mentioned you", "body": "Hi {{first_name}}",
            ])
            #expect(first.status == .created, "\(first.text)")
            #expect(first["delay_days"] == 0 && first["same_thread"] == false)
            let again = try await api.post("/api/v1/sequence-steps", ["sequence_id": .string(sequence.id), "position": 1, "kind": "call"])
            #expect(again.status == .conflict)
            #expect(again["field"] == "position" || again.text.contains("position"), "\(again.text)")
            let kind = try await api.post("/api/v1/sequence-steps", ["sequence_id": .string(sequence.id), "position": 2, "kind": "fax"])
            #expect(kind.status == .unprocessableContent)
            #expect(try await api.post("/api/v1/sequence-steps", ["sequence_id": .string(sequence.id), "position": 2, "kind": "call", "delay_days": 2]).status == .created)

            // Enrolment: active by default; a do-not-contact contact and a second open enrolment are refused with why.
            let enrolled = try await api.post("/api/v1/enrollments", ["sequence_id": .string(sequence.id), "contact_id": .string(sue.id)])
            #expect(enrolled.status == .created, "\(enrolled.text)")
            #expect(enrolled["state"] == "active" && enrolled["current_step"] == 1)
            let dnc = try await api.post("/api/v1/enrollments", ["sequence_id": .string(sequence.id), "contact_id": .string(bob.id)])
            #expect(dnc.status == .conflict)
            #expect(dnc["detail"].stringValue?.contains("do-not-contact") == true, "\(dnc.text)")
            let twice = try await api.post("/api/v1/enrollments", ["sequence_id": .string(sequence.id), "contact_id": .string(sue.id)])
            #expect(twice.status == .conflict, "\(twice.text)")
            let other = try await api.post("/api/v1/sequences", ["name": "Events", "exclusive": false])
            let exclusive = try await api.post("/api/v1/enrollments", ["sequence_id": .string(other.id), "contact_id": .string(sue.id)])
            #expect(exclusive.status == .conflict)
            #expect(exclusive["detail"].stringValue?.contains("exclusive") == true, "\(exclusive.text)")

            // Pause and resume; stopping needs a reason; a stopped enrolment never becomes active again.
            #expect(try await api.patch("/api/v1/enrollments/\(enrolled.id)", ["state": "paused", "paused_until": "2027-01-04T09:00:00Z"])["state"] == "paused")
            #expect(try await api.patch("/api/v1/enrollments/\(enrolled.id)", ["state": "active", "next_run_at": "2027-01-04T09:00:00Z"])["state"] == "active")
            let reasonless = try await api.patch("/api/v1/enrollments/\(enrolled.id)", ["state": "stopped"])
            #expect(reasonless.status == .unprocessableContent)
            #expect(reasonless.text.contains("stop_reason"), "\(reasonless.text)")
            let stopped = try await api.patch("/api/v1/enrollments/\(enrolled.id)", ["state": "stopped", "stop_reason": "manual"])
            #expect(stopped["state"] == "stopped", "\(stopped.text)")
            #expect(stopped["ended_at"].stringValue != nil && stopped["next_run_at"] == .null)
            let late = try await api.patch("/api/v1/enrollments/\(enrolled.id)", ["state": "active"])
            #expect(late.status == .unprocessableContent, "\(late.text)")
            #expect(late.text.contains("state"))
            #expect(try await api.get("/api/v1/enrollments/\(enrolled.id)")["state"] == "stopped")
            let moved = try await api.patch("/api/v1/enrollments/\(enrolled.id)", ["contact_id": .string(bob.id)])
            #expect(moved.status == .unprocessableContent)
            // Plain SQL meets the same rule.
            await #expect(throws: (any Error).self) { try await api.sql("UPDATE enrollments SET state = 'active' WHERE id = '\(enrolled.id)'") }
            #expect(try await api.get("/api/v1/enrollments/\(enrolled.id)")["state"] == "stopped")

            // Once stopped, the contact may be enrolled again; the other, non-exclusive sequence still refuses while
            // the exclusive one is open.
            let second = try await api.post("/api/v1/enrollments", ["sequence_id": .string(sequence.id), "contact_id": .string(sue.id)])
            #expect(second.status == .created, "\(second.text)")
            let list = try await api.get("/api/v1/enrollments?contact_id=\(sue.id)")
            #expect(list["data"].arrayValue?.count == 2)

            // Every write is in the audit log: the enrolment's history.
            let history = try await api.get("/api/v1/audit-log?table_name=enrollments&record_id=\(enrolled.id)")
            let actions = history["data"].arrayValue?.compactMap { $0["action"]?.stringValue } ?? []
            // (On SQLite the trigger that makes a new enrolment due at once is one more update row, written in the
            // same millisecond as the insert, so the order of the two is not fixed.)
            #expect(actions.filter { $0 == "insert" }.count == 1, "\(history.text)")
            #expect(actions.filter { $0 == "update" }.count >= 3, "\(history.text)")
        }
    }

    @Test("enrol by ids or by filter, each refused with why; stop, pause and resume; the overview counts by state", arguments: TestEngine.all)
    func operations(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let company = try await api.post("/api/v1/companies", ["name": "Contoso", "domain": "contoso.example"])
            var people: [String] = []
            for name in ["Ann", "Ben", "Cat"] {
                people.append(try await api.post("/api/v1/contacts", ["company_id": .string(company.id), "first_name": .string(name), "email": .string("\(name.lowercased())@contoso.example")]).id)
            }
            let dnc = try await api.post("/api/v1/contacts", ["first_name": "Dan", "email": "dan@else.example", "do_not_contact": true]).id
            let sequence = try await api.post("/api/v1/sequences", ["name": "Intro", "status": "active"])
            _ = try await api.post("/api/v1/sequence-steps", ["sequence_id": .string(sequence.id), "position": 1, "kind": "auto_email", "subject": "Hi", "body": "Hi {{first_name}}", "variants": [["subject": "Hello", "body": "Hello {{first_name}}"]]])

            // By ids: the first enrolled, the DNC contact, a repeat and an unknown id refused with why.
            let unknown = UUID().uuidString.lowercased()
            let byIDs = try await api.post("/api/v1/sequences/\(sequence.id)/enrollments", ["contact_ids": [.string(people[0]), .string(dnc), .string(unknown)]])
            #expect(byIDs.status == .ok, "\(byIDs.text)")
            let rows = byIDs["data"].arrayValue ?? []
            #expect(rows.map { $0["enrolled"] } == [true, false, false], "\(byIDs.text)")
            #expect(rows.first?["enrollment"]?["ab_group"]?.stringValue != nil, "a sequence with variants splits A/B")
            #expect(rows[1]["refused"]?.stringValue?.contains("do-not-contact") == true)
            #expect(rows[2]["refused"]?.stringValue?.contains(unknown) == true, "\(rows[2])")
            // By filter: the company's people; the one already in is refused, the others enrolled.
            let byFilter = try await api.post("/api/v1/sequences/\(sequence.id)/enrollments", ["filters": ["company_id": .string(company.id)]])
            #expect((byFilter["data"].arrayValue ?? []).filter { $0["enrolled"] == true }.count == 2, "\(byFilter.text)")
            #expect((byFilter["data"].arrayValue ?? []).filter { $0["enrolled"] == false }.count == 1)
            let bad = try await api.post("/api/v1/sequences/\(sequence.id)/enrollments", ["contact_ids": ["nope"]])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("contact_ids[0]"))
            let neither = try await api.post("/api/v1/sequences/\(sequence.id)/enrollments", [:])
            #expect(neither.status == .unprocessableContent)
            #expect(try await api.post("/api/v1/sequences/\(UUID().uuidString)/enrollments", ["contact_ids": [.string(people[0])]]).status == .notFound)

            let first = rows.first?["enrollment"]?["id"]?.stringValue ?? ""
            let paused = try await api.post("/api/v1/enrollments/\(first)/pause", ["until": "2027-02-01T08:00:00Z"])
            #expect(paused["state"] == "paused" && paused["paused_until"] == "2027-02-01T08:00:00.000Z", "\(paused.text)")
            #expect(try await api.post("/api/v1/enrollments/\(first)/resume", [:])["state"] == "active")
            let stopped = try await api.post("/api/v1/enrollments/\(first)/stop", [:])
            #expect(stopped["state"] == "stopped" && stopped["stop_reason"] == "manual", "\(stopped.text)")
            #expect(try await api.post("/api/v1/enrollments/\(first)/stop", ["reason": "replied"])["stop_reason"] == "manual", "stopping twice changes nothing")
            #expect(try await api.post("/api/v1/enrollments/\(first)/pause", [:]).status == .conflict)
            #expect(try await api.post("/api/v1/enrollments/\(first)/resume", [:]).status == .conflict)

            let overview = try await api.get("/api/v1/sequences/\(sequence.id)/overview")
            #expect(overview["enrollments"]["active"] == 2 && overview["enrollments"]["stopped"] == 1, "\(overview.text)")
            #expect(overview["steps"].arrayValue?.count == 1)
            let active = try await api.get("/api/v1/enrollments?sequence_id=\(sequence.id)&state=active")
            #expect(active["data"].arrayValue?.count == 2)
        }
    }

    @Test("enrolments stop themselves on a reply (and by the account rule), an unsubscribe, do-not-contact, a red email, a bounce, a meeting and an opportunity", arguments: TestEngine.all)
    func stops(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let company = try await api.post("/api/v1/companies", ["name": "Fabrikam", "domain": "fabrikam.example"])
            func person(_ name: String, at company: String? = nil) async throws -> String {
                var body: [String: JSONValue] = ["first_name": .string(name), "email": .string("\(name.lowercased())@\(company == nil ? "solo" : "fabrikam").example")]
                if let company { body["company_id"] = .string(company) }
                return try await api.post("/api/v1/contacts", .object(body)).id
            }
            let (ann, ben, cat) = (try await person("Ann", at: company.id), try await person("Ben", at: company.id), try await person("Cat", at: company.id))
            let solo = try await person("Dee")
            let (eve, fay, gus, hal, ivy) = (try await person("Eve"), try await person("Fay"), try await person("Gus"), try await person("Hal"), try await person("Ivy"))
            let stop = try await api.post("/api/v1/sequences", ["name": "Stops the account", "exclusive": false]).id
            let pause = try await api.post("/api/v1/sequences", ["name": "Pauses the account", "exclusive": false, "on_account_reply": "pause"]).id
            let none = try await api.post("/api/v1/sequences", ["name": "Leaves the account", "exclusive": false, "on_account_reply": "none"]).id
            func enrol(_ sequence: String, _ contacts: [String]) async throws -> [String: String] {
                let reply = try await api.post("/api/v1/sequences/\(sequence)/enrollments", ["contact_ids": .array(contacts.map { .string($0) })])
                var ids: [String: String] = [:]
                for row in reply["data"].arrayValue ?? [] {
                    if let contact = row["contact_id"]?.stringValue, let id = row["enrollment"]?["id"]?.stringValue { ids[contact] = id }
                }
                #expect(ids.count == contacts.count, "\(reply.text)")
                return ids
            }
            let inStop = try await enrol(stop, [ann, ben, solo, eve, fay, gus, hal, ivy])
            let inPause = try await enrol(pause, [ben, cat])
            let inNone = try await enrol(none, [cat])
            func state(_ id: String?) async throws -> (JSONValue, JSONValue) {
                let row = try await api.get("/api/v1/enrollments/\(id ?? "")")
                return (row["state"], row["stop_reason"])
            }

            // Ann replies: hers stop as replied; Ben's in the stopping sequence stop as account_replied, his and Cat's in
            // the pausing one pause, Cat's in the other stays active.
            #expect(try await api.post("/api/v1/replies", ["contact_id": .string(ann), "intent": "positive"]).status == .created)
            #expect(try await state(inStop[ann]) == ("stopped", "replied"))
            #expect(try await state(inStop[ben]) == ("stopped", "account_replied"))
            #expect(try await state(inPause[ben]) == ("paused", .null))
            #expect(try await state(inPause[cat]) == ("paused", .null))
            #expect(try await state(inNone[cat]) == ("active", .null))

            // Each other cause, by whatever route it is recorded.
            #expect(try await api.post("/api/v1/replies", ["contact_id": .string(solo), "intent": "unsubscribe"]).status == .created)
            #expect(try await state(inStop[solo]) == ("stopped", "unsubscribed"))
            #expect(try await api.patch("/api/v1/contacts/\(eve)", ["do_not_contact": true]).status == .ok)
            #expect(try await state(inStop[eve]) == ("stopped", "do_not_contact"))
            #expect(try await api.call(.put, "/api/v1/contacts/\(fay)/verification", ["email_status": "red"]).status == .ok)
            #expect(try await state(inStop[fay]) == ("stopped", "red_email"))
            let touch = try await api.post("/api/v1/touchpoints", ["contact_id": .string(gus), "channel": "email", "direction": "outbound"])
            #expect(try await api.post("/api/v1/touchpoints/\(touch.id)/events", ["type": "bounced"]).status == .ok)
            #expect(try await state(inStop[gus]) == ("stopped", "bounced"))
            #expect(try await api.post("/api/v1/meetings", ["contact_id": .string(hal), "event_time": "2027-01-12T15:00:00Z"]).status == .created)
            #expect(try await state(inStop[hal]) == ("stopped", "meeting_booked"))
            #expect(try await api.post("/api/v1/opportunities", ["contact_id": .string(ivy)]).status == .created)
            #expect(try await state(inStop[ivy]) == ("stopped", "opportunity"))
            // A stopped enrolment stays stopped when another cause comes later.
            #expect(try await api.patch("/api/v1/contacts/\(ann)", ["do_not_contact": true]).status == .ok)
            #expect(try await state(inStop[ann]) == ("stopped", "replied"))
        }
    }
}
