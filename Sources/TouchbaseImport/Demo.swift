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

    public static let firstNames = ["Ava", "Ben", "Chloe", "Dev", "Elena", "Felix", "Grace", "Hiro", "Isla", "Jonah", "Kira", "Liam", "Maya", "Noah", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara"]
    public static let lastNames = ["Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Khan", "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Reyes", "Sato", "Turner", "Weber"]
    public static let words = ["North", "Blue", "Bright", "Summit", "Harbor", "Pioneer", "Vertex", "Atlas", "Cedar", "Nimbus", "Orbit", "Quartz"]
    public static let suffixes = ["Health", "Pay", "Labs", "Logistics", "Systems", "Cloud", "Foods", "Energy"]
    static let industries = ["Healthcare", "FinTech", "SaaS", "Logistics", "Retail", "Manufacturing", "Energy"]
    static let roles: [(String, String, Bool)] = [
        ("Chief Executive Officer", "c-level", true), ("Chief Financial Officer", "c-level", true), ("VP Engineering", "vp", true),
        ("Director of QA", "director", false), ("QA Manager", "manager", false), ("Head of People", "director", false),
        ("Software Engineer", "individual_contributor", false), ("SDET", "individual_contributor", false),
    ]

    /// Rows made in memory before they are written, in one transaction.
    static let rowsPerBatch = 20_000

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
        var rows: [String: [[String: JSONValue]]] = [:]
        var planned = 0
        func add(_ entity: Entity, _ values: [String: JSONValue]) throws -> String {
            var valid = try entity.validate(values, mode: .create)
            let id = UUIDv7.make().lowercased
            valid["id"] = .string(id)
            rows[entity.table, default: []].append(valid)
            return id
        }
        // Rows are made in memory and written every `companiesPerBatch` companies, table by table in dependency
        // order, with multi-row inserts in one transaction; the database's triggers fill counters, slots and
        // outcomes as for any other write.
        func flush(upTo done: Int) async throws {
            guard !rows.isEmpty else { return }
            let batch = rows
            rows = [:]
            try await database.transaction { sql in
                for entity in [Entities.companies, Entities.contacts, Entities.relationships, Entities.conversations, Entities.touchpoints, Entities.messageDrafts, Entities.signals] {
                    try await store.insertMany(entity, batch[entity.table] ?? [], on: sql)
                }
            }
            progress?(done)
        }
        for c in 0..<companies {
            let name = "\(pick(Self.words)) \(pick(Self.suffixes)) \(c + 1)"
            let domain = name.lowercased().replacingOccurrences(of: " ", with: "") + ".example"
            let companyID = try add(Entities.companies, [
                "name": .string(name), "domain": .string(domain), "industry": .string(pick(Self.industries)),
                "account_tier": .string(pick(Vocabulary.accountTier)), "employee_count": .int(Int64(20 + rng.next() % 5000)),
                "website_url": .string("https://\(domain)"), "renewal_month": .int(Int64(1 + rng.next() % 12)),
            ])
            counts.companies += 1
            var people: [(id: String, first: String)] = []
            for p in 0..<max(1, contactsPerCompany) {
                let (title, seniority, decision) = Self.roles[(p + Int(rng.next() % 3)) % Self.roles.count]
                let first = pick(Self.firstNames)
                let last = pick(Self.lastNames)
                let id = try add(Entities.contacts, [
                    "company_id": .string(companyID), "first_name": .string(first), "last_name": .string(last), "title": .string(title),
                    "seniority_level": .string(seniority), "is_decision_maker": .bool(decision), "is_primary_contact": .bool(p == 0),
                    "email": .string("\(first.lowercased()).\(last.lowercased()).\(p)@\(domain)"), "source": "manual",
                    "engagement_score": .int(Int64(rng.next() % 100)),
                ])
                people.append((id, first))
            }
            counts.contacts += people.count
            for i in 1..<max(1, people.count) {
                _ = try add(Entities.relationships, [
                    "contact_id_1": .string(people[i].id), "contact_id_2": .string(people[0].id),
                    "relationship_type": i % 3 == 0 ? "reports_to" : "colleagues", "strength": .string(["weak", "medium", "strong"][i % 3]),
                ])
                counts.relationships += 1
            }
            for (i, person) in people.enumerated() where touchesPerConversation > 0 {
                let conversationID = try add(Entities.conversations, [
                    "contact_id": .string(person.id), "company_id": .string(companyID), "qualification_tier": .string(Vocabulary.qualificationTier[i % 5]),
                    "next_touchpoint_at": .string(Timestamp.format(now.addingTimeInterval(Double(i % 7 - 3) * 86_400))),
                ])
                counts.conversations += 1
                for t in 0..<touchesPerConversation {
                    let (opened, clicked, replied) = (chance(0.5), chance(0.15), chance(0.08))
                    let sent = now.addingTimeInterval(-Double((touchesPerConversation - t) * 3) * 86_400)
                    // The contact, company and outcome the database would derive are given, so its fill-in is a no-op.
                    var touch: [String: JSONValue] = [
                        "conversation_id": .string(conversationID), "contact_id": .string(person.id), "company_id": .string(companyID),
                        "outcome": replied ? "replied" : clicked ? "clicked" : opened ? "opened" : "sent", "channel": t % 3 == 2 ? "linkedin" : "email",
                        "subject": .string("Note \(t + 1) for \(person.first)"),
                        "sent_at": .string(Timestamp.format(sent)), "touch_number": .int(Int64(t + 1)),
                    ]
                    if opened || clicked || replied { touch["opened_at"] = .string(Timestamp.format(sent.addingTimeInterval(3600))) }
                    if clicked { touch["clicked_at"] = .string(Timestamp.format(sent.addingTimeInterval(4000))) }
                    if replied {
                        touch["replied_at"] = .string(Timestamp.format(sent.addingTimeInterval(86_400)))
                        touch["response"] = "Thanks, let's find a time."
                    }
                    _ = try add(Entities.touchpoints, touch)
                    counts.touchpoints += 1
                }
            }
            _ = try add(Entities.messageDrafts, [
                "contact_id": .string(people[0].id), "channel": "email", "touch_type": "email",
                "subject_line": .string("Ideas for \(name)"),
                "body": .string("Hi \(people[0].first), I noticed \(name) is growing its engineering team."),
            ])
            counts.drafts += 1
            if chance(0.3) {
                _ = try add(Entities.signals, [
                    "company_id": .string(companyID), "signal_type": "qa_job_posting", "description": .string("\(name) is hiring QA engineers"),
                ])
                counts.signals += 1
            }
            planned += 1 + people.count * (2 + touchesPerConversation)
            if planned >= Self.rowsPerBatch {
                try await flush(upTo: c + 1)
                planned = 0
            }
        }
        try await flush(upTo: companies)
        return counts
    }
}
