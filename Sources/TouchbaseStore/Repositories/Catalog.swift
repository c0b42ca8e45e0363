import Foundation
import SQLKit
import TouchbaseDomain

/// Solutions mapped to industries, ranked against research (seed 003).
public struct CatalogRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    func evidence(contact: Record) async throws -> [String] {
        var conditions: [(String, JSONValue)] = [("contact_id", .string(contact.id.lowercased))]
        var rows = try await store.select(Entities.researchSnapshots, where: conditions)
        if let company = contact.uuid("company_id") {
            conditions = [("company_id", .string(company.lowercased))]
            rows += try await store.select(Entities.researchSnapshots, where: conditions)
        }
        func text(_ v: JSONValue) -> String {
            switch v {
            case .string(let s): return s
            case .array(let a): return a.map(text).joined(separator: " ")
            case .object(let o): return o.values.map(text).joined(separator: " ")
            case .null: return ""
            default: return v.serialized
            }
        }
        return rows.flatMap { r in
            ["pain_indicators", "key_insights", "tech_stack_signals", "summary", "responsibilities", "hiring_signals",
             "company_news", "company_products", "headline"].map { text(r[$0]) }
        }
    }

    /// Solutions mapped to the contact's industry, ranked by overlap with what research found.
    public func recommendedSolutions(contactID: UUID) async throws -> [JSONValue] {
        let contact = try await store.get(Entities.contacts, contactID)
        guard let companyID = contact.uuid("company_id") else { return [] }
        let company = try await store.get(Entities.companies, companyID)
        var industryID = company.uuid("industry_id")
        if industryID == nil, let name = company.string("industry") {
            let match = try await store.view(
                Entities.industries, where: "lower(t.name) = lower(\(dialect.bind(.string(name), as: .text)))", order: "t.id", limit: 1,
                alias: "t")
            industryID = match.first?.id
        }
        guard let industryID else { return [] }
        let mapped = try await store.select(Entities.industrySolutions, where: [("industry_id", .string(industryID.lowercased))])
        let solutions = try await store.fetchMany(Entities.solutions, mapped.compactMap { $0.uuid("solution_id") })
        let candidates = solutions.map { s in
            SolutionRanking.Candidate(
                id: s.id.lowercased, name: s.string("name") ?? "",
                phrases: ((s["keywords"].arrayValue ?? []) + (s["use_cases"].arrayValue ?? [])).compactMap(\.stringValue))
        }
        let ranked = SolutionRanking.rank(candidates, evidence: try await evidence(contact: contact))
        let byID = Dictionary(solutions.map { ($0.id.lowercased, $0) }, uniquingKeysWith: { a, _ in a })
        return ranked.map { r in
            ["solution": byID[r.id]?.json ?? .null, "solution_id": .string(r.id), "name": .string(r.name), "score": .double(r.score),
             "matched": .array(r.matched.map { .string($0) })]
        }
    }

    /// Stores the ranking on the contact's latest person research (creating one if there is none), with the top
    /// score as its confidence.
    public func storeRecommendations(contactID: UUID) async throws -> Record {
        let ranked = try await recommendedSolutions(contactID: contactID)
        let summary: [JSONValue] = ranked.map { r in
            ["solution_id": r["solution_id"] ?? .null, "name": r["name"] ?? .null, "score": r["score"] ?? .null]
        }
        let confidence: JSONValue = ranked.first?["score"] ?? .null
        let values: [String: JSONValue] = ["recommended_solutions": .array(summary), "recommendation_confidence": confidence]
        if let latest = try await store.select(
            Entities.researchSnapshots, where: [("contact_id", .string(contactID.lowercased))], order: "t.created_at DESC, t.id DESC",
            limit: 1
        ).first {
            return try await store.update(Entities.researchSnapshots, latest.id, values)
        }
        var input = values
        input["contact_id"] = .string(contactID.lowercased)
        input["entity_type"] = "person"
        return try await store.create(Entities.researchSnapshots, input)
    }
}
