import Foundation
import TouchbaseDomain
import TouchbaseStore

/// A realistic, deterministic demo data set: the same seed always gives the same names, domains, titles,
/// relationships, conversations, touches (with opens, clicks and replies), drafts and signals.
public struct DemoGenerator: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    public struct Counts: Sendable {
        public var companies = 0
        public var contacts = 0
        public var relationships = 0
        public var conversations = 0
        public var touchpoints = 0
        public var drafts = 0
        public var signals = 0
    }

    static let firstNames = ["Ava", "Ben", "Chloe", "Dev", "Elena", "Felix", "Grace", "Hiro", "Isla", "Jonah", "Kira", "Liam", "Maya", "Noah", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara"]
    static let lastNames = ["Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Khan", "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Reyes", "Sato", "Turner", "Weber"]
    static let words = ["North", "Blue", "Bright", "Summit", "Harbor", "Pioneer", "Vertex", "Atlas", "Cedar", "Nimbus", "Orbit", "Quartz"]
    static let suffixes = ["Health", "Pay", "Labs", "Logistics", "Systems", "Cloud", "Foods", "Energy"]
    static let industries = ["Healthcare", "FinTech", "SaaS", "Logistics", "Retail", "Manufacturing", "Energy"]
    static let roles: [(String, String, Bool)] = [
        ("Chief Executive Officer", "c-level", true), ("Chief Financial Officer", "c-level", true), ("VP Engineering", "vp", true),
        ("Director of QA", "director", false), ("QA Manager", "manager", false), ("Head of People", "director", false),
        ("Software Engineer", "individual_contributor", false), ("SDET", "individual_contributor", false),
    ]

    /// Makes `companies` companies with about `contactsPerCompany` people each and `touchesPerConversation` touches
    /// in each conversation, from `seed`.
    public func generate(companies: Int, contactsPerCompany: Int, touchesPerConversation: Int, seed: UInt64,
                         progress: (@Sendable (Int) -> Void)? = nil) async throws -> Counts {
        var rng = SplitMix64(seed: seed)
        func pick<T>(_ list: [T]) -> T { list[Int(rng.next() % UInt64(list.count))] }
        func chance(_ p: Double) -> Bool { Double(rng.next() % 10_000) / 10_000 < p }
        let store = RecordStore(database: database)
        var counts = Counts()
        let now = Date()
        for c in 0..<companies {
            let name = "\(pick(Self.words)) \(pick(Self.suffixes)) \(c + 1)"
            let domain = name.lowercased().replacingOccurrences(of: " ", with: "") + ".example"
            let company = try Entities.companies.validate([
                "name": .string(name), "domain": .string(domain), "industry": .string(pick(Self.industries)),
                "account_tier": .string(pick(Vocabulary.accountTier)), "employee_count": .int(Int64(20 + rng.next() % 5000)),
                "website_url": .string("https://\(domain)"), "renewal_month": .int(Int64(1 + rng.next() % 12)),
            ], mode: .create)
            var plan: [[String: JSONValue]] = []
            for p in 0..<max(1, contactsPerCompany) {
                let (title, seniority, decision) = Self.roles[(p + Int(rng.next() % 3)) % Self.roles.count]
                let first = pick(Self.firstNames)
                let last = pick(Self.lastNames)
                plan.append([
                    "first_name": .string(first), "last_name": .string(last), "title": .string(title),
                    "seniority_level": .string(seniority), "is_decision_maker": .bool(decision), "is_primary_contact": .bool(p == 0),
                    "email": .string("\(first.lowercased()).\(last.lowercased()).\(p)@\(domain)"), "source": "manual",
                    "engagement_score": .int(Int64(rng.next() % 100)),
                ])
            }
            let people0 = plan
            let touchPlan = (0..<plan.count).map { _ in (0..<touchesPerConversation).map { _ in (chance(0.5), chance(0.15), chance(0.08)) } }
            let signal = chance(0.3)
            let made = try await database.transaction { sql -> Counts in
                var k = Counts()
                let companyRecord = try await store.insert(Entities.companies, company, on: sql)
                k.companies = 1
                var people: [Record] = []
                for var person in people0 {
                    person["company_id"] = .string(companyRecord.id.lowercased)
                    people.append(try await store.insert(Entities.contacts, try Entities.contacts.validate(person, mode: .create), on: sql))
                }
                k.contacts = people.count
                for i in 1..<max(1, people.count) {
                    _ = try await store.insert(Entities.relationships, [
                        "contact_id_1": .string(people[i].id.lowercased), "contact_id_2": .string(people[0].id.lowercased),
                        "relationship_type": i % 3 == 0 ? "reports_to" : "colleagues", "strength": .string(["weak", "medium", "strong"][i % 3]),
                    ], on: sql)
                    k.relationships += 1
                }
                for (i, person) in people.enumerated() where touchesPerConversation > 0 {
                    let conversation = try await store.insert(Entities.conversations, [
                        "contact_id": .string(person.id.lowercased), "qualification_tier": .string(Vocabulary.qualificationTier[i % 5]),
                        "next_touchpoint_at": .string(Timestamp.format(now.addingTimeInterval(Double(i % 7 - 3) * 86_400))),
                    ], on: sql)
                    k.conversations += 1
                    for (t, (opened, clicked, replied)) in touchPlan[i].enumerated() {
                        let sent = now.addingTimeInterval(-Double((touchesPerConversation - t) * 3) * 86_400)
                        var touch: [String: JSONValue] = [
                            "conversation_id": .string(conversation.id.lowercased), "channel": t % 3 == 2 ? "linkedin" : "email",
                            "subject": .string("Note \(t + 1) for \(person.string("first_name") ?? "")"),
                            "sent_at": .string(Timestamp.format(sent)), "touch_number": .int(Int64(t + 1)),
                        ]
                        if opened || clicked || replied { touch["opened_at"] = .string(Timestamp.format(sent.addingTimeInterval(3600))) }
                        if clicked { touch["clicked_at"] = .string(Timestamp.format(sent.addingTimeInterval(4000))) }
                        if replied {
                            touch["replied_at"] = .string(Timestamp.format(sent.addingTimeInterval(86_400)))
                            touch["response"] = "Thanks, let's find a time."
                        }
                        _ = try await store.insert(Entities.touchpoints, touch, on: sql)
                        k.touchpoints += 1
                    }
                }
                _ = try await store.insert(Entities.messageDrafts, [
                    "contact_id": .string(people[0].id.lowercased), "channel": "email", "touch_type": "email",
                    "subject_line": .string("Ideas for \(name)"),
                    "body": .string("Hi \(people[0].string("first_name") ?? ""), I noticed \(name) is growing its engineering team."),
                ], on: sql)
                k.drafts = 1
                if signal {
                    _ = try await store.insert(Entities.signals, [
                        "company_id": .string(companyRecord.id.lowercased), "signal_type": "qa_job_posting",
                        "description": .string("\(name) is hiring QA engineers"),
                    ], on: sql)
                    k.signals = 1
                }
                return k
            }
            counts.companies += made.companies
            counts.contacts += made.contacts
            counts.relationships += made.relationships
            counts.conversations += made.conversations
            counts.touchpoints += made.touchpoints
            counts.drafts += made.drafts
            counts.signals += made.signals
            progress?(c + 1)
        }
        return counts
    }
}
