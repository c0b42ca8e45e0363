import Foundation
import SQLKit
import TouchbaseDomain

/// High-level account queries for orchestration (seed 000's `CompanyGraph`). Every answer is read fresh.
public struct CompanyGraph: Sendable {
    public let store: RecordStore
    let contacts: ContactRepository
    let relationships: RelationshipRepository
    let conversations: ConversationRepository

    public init(database: Database) {
        store = RecordStore(database: database)
        contacts = ContactRepository(database: database)
        relationships = RelationshipRepository(database: database)
        conversations = ConversationRepository(database: database)
    }

    /// The account_overview row of a company (the columns of the live view), read by the company's keys.
    public func overviewRow(_ companyID: UUID) async throws -> Record {
        guard let row = try await store.overviewRow(companyID) else { throw DomainError.notFound(entity: "company", id: companyID.lowercased) }
        return row
    }

    /// Company, contacts by kind, relationships, active conversations and a summary of counts and rates.
    public func accountOverview(_ companyID: UUID) async throws -> JSONValue {
        let company = try await store.get(Entities.companies, companyID)
        let row = try await overviewRow(companyID)
        let people = try await contacts.findByCompany(companyID)
        let active = try await conversations.active(companyID: companyID)
        // Each relationship once, seen from the company's side (from contact 1 when both work here).
        let d = store.dialect
        let relRows = try await store.relationshipsSeen(
            outgoing: "r.contact_id_1 IN (SELECT id FROM contacts WHERE company_id = \(d.bind(companyID)))",
            incoming: "r.contact_id_2 IN (SELECT id FROM contacts WHERE company_id = \(d.bind(companyID)))")
        let names = Dictionary(people.map { ($0.id, $0["full_name"]) }, uniquingKeysWith: { a, _ in a })
        let outsiders = try await store.fetchMany(
            Entities.contacts, Array(Set(relRows.compactMap { $0.uuid("related_contact_id") }).subtracting(names.keys)))
        let allNames = names.merging(outsiders.map { ($0.id, $0["full_name"]) }, uniquingKeysWith: { a, _ in a })
        var rels: [JSONValue] = []
        var seen = Set<UUID>()
        for rel in relRows {
            guard let id = rel.uuid("relationship_id"), let me = rel.uuid("contact_id"), let other = rel.uuid("related_contact_id")
            else { continue }
            if names[other] != nil && rel["direction"] != "outgoing" { continue }
            guard seen.insert(id).inserted else { continue }
            var o = rel.values
            o["contact_name"] = allNames[me] ?? .null
            o["related_contact_name"] = allNames[other] ?? .null
            rels.append(.object(o))
        }
        var summary = row.values
        summary["engagement"] = EngagementMetrics(Views.counts(row)).json
        return [
            "company": company.json,
            "contacts": [
                "total": .int(Int64(row.int("total_contacts"))),
                "primary": .array(people.filter { $0.bool("is_primary_contact") }.map(\.json)),
                "decision_makers": .array(people.filter { $0.bool("is_decision_maker") }.map(\.json)),
                "champions": .array(people.filter { $0.bool("is_champion") }.map(\.json)),
                "all": .array(people.map(\.json)),
            ],
            "relationships": .array(rels),
            "active_conversations": .array(active.map(\.json)),
            "summary": .object(summary),
        ]
    }

    /// Colleagues related to the primary contact by at least `minStrength`, ranked by `ExpansionPriority`.
    public func expansionTargets(primaryContactID: UUID, minStrength: String = "medium") async throws -> [JSONValue] {
        guard Vocabulary.strength.contains(minStrength) else {
            throw DomainError.invalid("min_strength", "must be one of weak, medium, strong; got '\(minStrength)'")
        }
        let minRank = ExpansionPriority.strengthRank(minStrength)
        let candidates = try await relationships.relationships(of: primaryContactID).filter {
            ExpansionPriority.strengthRank($0.relationship.string("strength") ?? "weak") >= minRank
        }
        // Every candidate's conversations in one query.
        let ids = store.dialect.list(candidates.map(\.contact.id))
        let conversationsByContact = candidates.isEmpty ? [:] : Dictionary(
            grouping: try await store.view(
                Entities.conversations, where: SQLQueryString("t.contact_id IN (") + ids + ")", order: "t.id", alias: "t"),
            by: { $0.uuid("contact_id") })
        var targets: [(Double, JSONValue)] = []
        for related in candidates {
            let strength = related.relationship.string("strength") ?? "weak"
            let contact = related.contact
            let convs = conversationsByContact[contact.id] ?? []
            let state: ExpansionCandidate.ConversationState =
                convs.contains { $0.string("status") == "active" } ? .active : (convs.isEmpty ? .none : .inactive)
            let score = ExpansionPriority.score(
                ExpansionCandidate(
                    strength: strength, confidence: related.relationship.double("confidence_score"),
                    seniority: contact.string("seniority_level"), isDecisionMaker: contact.bool("is_decision_maker"),
                    isChampion: contact.bool("is_champion"), conversationState: state))
            let json: JSONValue = [
                "contact": contact.json,
                "relationship_to_primary": [
                    "relationship_id": related.relationship["relationship_id"],
                    "relationship_type": related.relationship["relationship_type"],
                    "strength": .string(strength), "confidence_score": related.relationship["confidence_score"],
                    "direction": related.relationship["direction"],
                ],
                "engagement_status": [
                    "conversation_state": .string(state.rawValue), "conversations": .int(Int64(convs.count)),
                    "total_touchpoints": contact["total_touchpoints"], "last_engaged_at": contact["last_engaged_at"],
                    "engagement_score": contact["engagement_score"],
                ],
                "priority_score": .double(score),
            ]
            targets.append((score, json))
        }
        return targets.sorted { $0.0 > $1.0 }.map(\.1)
    }

    /// What an agent needs to write to a contact: the person, their company, conversations, engagement, relationships.
    public func conversationContext(_ contactID: UUID, includeCompany: Bool = true, includeRelationships: Bool = true)
        async throws -> JSONValue
    {
        let contact = try await store.get(Entities.contacts, contactID)
        let convs = try await store.select(
            Entities.conversations, where: [("contact_id", .string(contactID.lowercased))], order: "t.created_at DESC, t.id DESC")
        let counts = try await store.engagementCounts(column: "contact_id", id: contactID)
        var result: [String: JSONValue] = [
            "contact": contact.json,
            "conversations": [
                "total": .int(Int64(convs.count)),
                "active": .int(Int64(convs.filter { $0.string("status") == "active" }.count)),
                "list": .array(convs.map(\.json)),
            ],
            "engagement": [
                "total_touchpoints": contact["total_touchpoints"], "last_engaged_at": contact["last_engaged_at"],
                "engagement_score": contact["engagement_score"], "metrics": EngagementMetrics(counts).json,
            ],
        ]
        if includeCompany {
            if let companyID = contact.uuid("company_id") {
                result["company"] = try await store.get(Entities.companies, companyID).json
            } else {
                result["company"] = .null
            }
        }
        if includeRelationships {
            let colleagues = try await relationships.colleagues(of: contactID)
            let related = try await relationships.relationships(of: contactID)
            result["relationships"] = [
                "colleagues": .array(colleagues.map { c in
                    var o = c.values
                    o["name"] = c["full_name"]
                    return .object(o)
                }),
                "related": .array(related.map(\.json)),
            ]
        }
        return .object(result)
    }

    /// The account health score with its breakdown, status and recommendations.
    public func accountHealth(_ companyID: UUID, now: Date = Date()) async throws -> AccountHealth {
        let row = try await overviewRow(companyID)
        let days = row.string("last_engaged_at").flatMap(Timestamp.parse).map { Int(now.timeIntervalSince($0) / 86_400) }
        return AccountHealth(
            AccountHealthInput(
                totalContacts: row.int("total_contacts"), decisionMakers: row.int("decision_makers"),
                activeConversations: row.int("active_conversations"), wonConversations: row.int("won_conversations"),
                relationships: row.int("relationship_count"), engagement: Views.counts(row),
                daysSinceLastEngagement: days.map { max(0, $0) }))
    }
}
