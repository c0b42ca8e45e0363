import Foundation
import SQLKit
import TouchbaseDomain

/// Data-quality counts and samples.
public struct DataQualityRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    /// What is missing across the whole database, each with an exact count and a sample of 50: companies whose CEO, CFO
    /// or HR slot holds no contact, contacts with an email never verified, contacts known only by an email or LinkedIn
    /// URL (no name), and the queue sizes. With `cap`, each count stops at `cap` rows (a bounded walk, for a page that
    /// must answer in milliseconds at any size; "at least cap" is then what a count of `cap` means), and `capped` says so.
    public func dataQuality(cap: Int? = nil) async throws -> JSONValue {
        func count(_ query: SQLQueryString) async throws -> Int {
            try await database.withConnection { sql in try await sql.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0 }
        }
        func rows(_ from: String) -> SQLQueryString {
            guard let cap else { return SQLQueryString("SELECT count(*) AS n FROM \(unsafeRaw: from)") }
            return SQLQueryString("SELECT count(*) AS n FROM (SELECT 1 FROM \(unsafeRaw: from) LIMIT \(literal: cap)) q")
        }
        let openSlots = try await count(
            cap == nil
                ? "SELECT count(DISTINCT company_id) AS n FROM company_slots WHERE contact_id IS NULL"
                : SQLQueryString("SELECT count(*) AS n FROM (SELECT DISTINCT company_id FROM company_slots\(unsafeRaw: dialect.indexedBy("ix_company_slots_empty")) WHERE contact_id IS NULL LIMIT \(literal: cap!)) q"))
        // The first 50 companies by id with an empty slot: a walk of ix_company_slots_empty (0021) that stops at the
        // 50th company, then their names by id.
        let emptyByCompany = try await database.withConnection { sql in
            try await sql.raw(
                """
                SELECT company_id, count(*) AS empty FROM company_slots\(unsafeRaw: dialect.indexedBy("ix_company_slots_empty")) WHERE contact_id IS NULL
                GROUP BY company_id ORDER BY company_id LIMIT 50
                """
            ).all().map { row -> (String, Int64) in
                ((try dialect.decode(row, "company_id", as: .uuid).stringValue ?? "").lowercased(), try row.decode(column: "empty", as: Int64.self))
            }
        }
        let companies = try await store.records(Entities.companies, ids: emptyByCompany.map(\.0))
        let slotSample: [JSONValue] = emptyByCompany.map { id, empty in
            ["company_id": .string(id), "company_name": .string(companies[id]?.string("name") ?? ""), "empty_slots": .int(empty)]
        }
        let unverifiedCount = try await count(rows("contacts\(dialect.indexedBy("ix_contacts_unverified")) WHERE email IS NOT NULL AND email_checked_at IS NULL"))
        let unverified = try await store.view(
            Entities.contacts, where: "t.email IS NOT NULL AND t.email_checked_at IS NULL", order: "t.id", limit: 50, alias: "t", indexedBy: "ix_contacts_unverified")
        let namelessCount = try await count(rows("contacts t\(dialect.indexedBy("ix_contacts_nameless")) WHERE t.first_name = '' AND coalesce(t.last_name, '') = ''"))
        let namelessSample = try await store.view(
            Entities.contacts, where: "t.first_name = '' AND coalesce(t.last_name, '') = ''", order: "t.id", limit: 50,
            alias: "t", indexedBy: "ix_contacts_nameless")
        var sizes: [String: JSONValue] = [:]
        let queues = QueueRepository(database: database)
        for q in QueueRepository.queues { sizes[q] = .int(Int64(try await queues.queueSize(q, cap: cap))) }
        return [
            "companies_with_empty_slots": ["count": .int(Int64(openSlots)), "sample": .array(slotSample)],
            "contacts_with_email_but_no_verification": [
                "count": .int(Int64(unverifiedCount)),
                "sample": .array(unverified.map { ["contact_id": .string($0.id.lowercased), "full_name": $0["full_name"], "email": $0["email"]] }),
            ],
            "contacts_without_name": [
                "count": .int(Int64(namelessCount)),
                "sample": .array(namelessSample.map { ["contact_id": .string($0.id.lowercased), "email": $0["email"], "linkedin_url": $0["linkedin_url"]] }),
            ],
            "queue_sizes": .object(sizes),
            "capped": cap.map { .int(Int64($0)) } ?? .null,
        ]
    }
}
