import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

/// The domain's rule tables (`StageRules`, `ReplyRules`, `WordCount`) and the database's triggers say the same thing,
/// on both engines: every stage move, every intent, the word counts of awkward texts.
@Suite("Pipeline rules: domain tables and triggers agree")
struct PipelineRulesTests {
    static func company(_ store: RecordStore) async throws -> String {
        try await store.create(Entities.companies, ["name": "Rules Co", "domain": "rules.example"]).id.lowercased
    }

    @Test("every manual stage move is allowed or refused as StageRules says", arguments: TestEngine.all)
    func manualMoves(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let store = RecordStore(database: db)
            let company = try await Self.company(store)
            var disagreements: [String] = []
            for from in Vocabulary.stage {
                for to in Vocabulary.stage where to != from {
                    let contact = try await store.create(
                        Entities.contacts, ["first_name": "M", "last_name": .string("\(from)-\(to)"), "company_id": .string(company), "stage": .string(from)]).id
                    var refusal: String?
                    do {
                        _ = try await store.update(Entities.contacts, contact, ["stage": .string(to)])
                    } catch {
                        refusal = "\(error)"
                    }
                    let stored = try await store.get(Entities.contacts, contact)["stage"].stringValue
                    let allowed = StageRules.allowsManualMove(from: from, to: to)
                    if allowed != (refusal == nil) { disagreements.append("\(from) → \(to): rules say \(allowed), database \(refusal ?? "allowed")") }
                    if let refusal, !refusal.contains("stage cannot move back") { disagreements.append("\(from) → \(to) refused for another reason: \(refusal)") }
                    if stored != (allowed ? to : from) { disagreements.append("\(from) → \(to) left the stage at \(stored ?? "nil")") }
                }
            }
            #expect(disagreements.isEmpty, "\(disagreements.joined(separator: "\n"))")
        }
    }

    @Test("a reply moves a contact to replied exactly when StageRules.advances says so", arguments: TestEngine.all)
    func automaticAdvance(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let store = RecordStore(database: db)
            let company = try await Self.company(store)
            for from in Vocabulary.stage {
                let contact = try await store.create(
                    Entities.contacts, ["first_name": "A", "last_name": .string(from), "company_id": .string(company), "stage": .string(from)]).id
                _ = try await store.create(Entities.replies, ["contact_id": .string(contact.lowercased), "intent": "neutral"])
                let stage = try await store.get(Entities.contacts, contact)["stage"].stringValue
                #expect(stage == (StageRules.advances(from: from, to: "replied") ? "replied" : from), "from \(from)")
            }
        }
    }

    @Test("each intent's next step is the one ReplyRules gives", arguments: TestEngine.all)
    func nextSteps(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let store = RecordStore(database: db)
            let company = try await Self.company(store)
            for intent in Vocabulary.intent {
                for days in [nil, 14] as [Int?] {
                    let contact = try await store.create(
                        Entities.contacts, ["first_name": "R", "last_name": .string(intent), "company_id": .string(company)]).id
                    var input: [String: JSONValue] = ["contact_id": .string(contact.lowercased), "intent": .string(intent), "referral_name": "Pat Doe"]
                    if let days { input["follow_up_days"] = .int(Int64(days)) }
                    let reply = try await store.create(Entities.replies, input)
                    let stored = try await store.get(Entities.replies, reply.id)["recommended_next_step"].stringValue
                    #expect(stored == ReplyRules.nextStep(intent: intent, followUpDays: days), "\(intent), \(String(describing: days)) days")
                }
            }
        }
    }

    @Test("a draft's word count is WordCount's", arguments: TestEngine.all)
    func wordCounts(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let store = RecordStore(database: db)
            let company = try await Self.company(store)
            let contact = try await store.create(Entities.contacts, ["first_name": "W", "company_id": .string(company)]).id
            let texts = [
                "one", "two  words", " lead and trail ", "tabs\tand\nlines\r\nhere", "\r\n\r\nafter blank lines\r\n", "a\u{00A0}b",
                "many" + String(repeating: " ", count: 300) + "spaces", "émoji 😀 count as words", "x\n\n\ny",
            ]
            for text in texts {
                let draft = try await store.create(
                    Entities.messageDrafts, ["contact_id": .string(contact.lowercased), "channel": "email", "body": .string(text)])
                let stored = try await store.get(Entities.messageDrafts, draft.id)["word_count"].intValue
                #expect(stored == Int64(WordCount.of(text)), "\(text.debugDescription)")
            }
        }
    }

    @Test("a company's signal moves the priority of each of its contacts, a contact's signal that contact's", arguments: TestEngine.all)
    func signalPriority(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let store = RecordStore(database: db)
            let rules = WriteRules(database: db)
            let company = try await Self.company(store)
            let ann = try await store.create(Entities.contacts, ["first_name": "Ann", "company_id": .string(company)])
            let bob = try await store.create(Entities.contacts, ["first_name": "Bob", "company_id": .string(company)])
            let other = try await store.create(Entities.contacts, ["first_name": "Other"])
            func signals(_ contact: Record) async throws -> JSONValue? {
                try await store.get(Entities.contacts, contact.id)["priority_factors"]["active_signals"]
            }
            let companySignal = try await store.create(Entities.signals, ["company_id": .string(company), "signal_type": "funding"])
            _ = try await rules.after(Entities.signals, companySignal, created: true)
            #expect(try await signals(ann) == 1)
            #expect(try await signals(bob) == 1)
            #expect(try await signals(other) == nil, "a contact elsewhere is not touched")
            let personal = try await store.create(Entities.signals, ["contact_id": .string(other.id.lowercased), "signal_type": "leadership_change"])
            _ = try await rules.after(Entities.signals, personal, created: true)
            #expect(try await signals(other) == 1)
            #expect(try await store.get(Entities.contacts, other.id)["priority_score"] == 4, "base 3 + a signal")
        }
    }

    @Test("the manual moves a face can offer")
    func offeredMoves() {
        #expect(StageRules.manualMoves(from: "replied") == ["meeting_booked", "meeting_held", "opportunity", "dormant", "re_engaged", "closed"])
        #expect(StageRules.manualMoves(from: "closed") == ["dormant", "re_engaged"])
        #expect(StageRules.manualMoves(from: "dormant").count == Vocabulary.stage.count - 1)
    }
}
