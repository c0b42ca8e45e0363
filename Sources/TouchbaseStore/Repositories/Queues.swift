import Foundation
import SQLKit
import TouchbaseDomain

/// The zero-wandering work queues: company URLs, profile URLs and emails to check again (seed 004).
public struct QueueRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    public static let queues = ["company-urls", "profile-urls", "email-recheck"]

    /// The queries of a queue, each with the shape of its rows.
    func queueQueries(_ name: String, cutoff: Date, limit: Int) throws -> [(SQLQueryString, [Field])] {
        let at = dialect.bind(.string(Timestamp.format(cutoff)), as: .timestamp)
        switch name {
        case "company-urls":
            let shape = [
                Field("company_id", .uuid), Field("company_name", .text), Field("url_type", .text), Field("url", .text),
                Field("last_checked_at", .timestamp),
            ]
            return [
                ("site", "website_url", "last_site_checked_at"), ("linkedin", "linkedin_company_url", "last_linkedin_checked_at"),
                ("news", "news_url", "last_news_checked_at"),
            ].map { kind, urlColumn, checked in
                (SQLQueryString(
                    """
                    SELECT id AS company_id, name AS company_name, '\(unsafeRaw: kind)' AS url_type, \(ident: urlColumn) AS url,
                        \(ident: checked) AS last_checked_at
                    FROM companies WHERE \(ident: urlColumn) IS NOT NULL AND (\(ident: checked) IS NULL OR \(ident: checked) < \(at))
                    ORDER BY \(ident: checked) NULLS FIRST LIMIT \(literal: limit)
                    """), shape)
            }
        case "profile-urls":
            return [(SQLQueryString(
                """
                SELECT id AS contact_id, full_name, coalesce(profile_source_url, linkedin_url) AS url, last_profile_checked_at AS last_checked_at
                FROM contacts WHERE coalesce(profile_source_url, linkedin_url) IS NOT NULL
                    AND (last_profile_checked_at IS NULL OR last_profile_checked_at < \(at))
                ORDER BY last_profile_checked_at NULLS FIRST LIMIT \(literal: limit)
                """),
                [Field("contact_id", .uuid), Field("full_name", .text), Field("url", .text), Field("last_checked_at", .timestamp)])]
        case "email-recheck":
            return [(SQLQueryString(
                """
                SELECT id AS contact_id, full_name, email, email_status, email_checked_at AS last_checked_at
                FROM contacts WHERE email IS NOT NULL AND (email_checked_at IS NULL OR email_checked_at < \(at))
                ORDER BY email_checked_at NULLS FIRST LIMIT \(literal: limit)
                """),
                [Field("contact_id", .uuid), Field("full_name", .text), Field("email", .text), Field("email_status", .text),
                 Field("last_checked_at", .timestamp)])]
        default:
            throw DomainError.notFound(entity: "queue", id: name)
        }
    }

    /// What needs checking: items whose last check is missing or older than `days`, oldest first.
    public func queue(_ name: String, days: Int = 30, limit: Int = 100) async throws -> [JSONValue] {
        guard days >= 0, days <= 3650 else { throw DomainError.invalid("days", "must be from 0 to 3650") }
        let queries = try queueQueries(name, cutoff: Date().addingTimeInterval(-Double(days) * 86_400), limit: limit)
        let d = dialect
        var items: [Record] = []
        for (query, fields) in queries {
            let shape = Entity(table: "queue", singular: "item", schemaName: "QueueItem", summary: "", fields: fields)
            items += try await database.withConnection { sql in try await sql.raw(query).all().map { try d.record($0, shape) } }
        }
        if queries.count > 1 {
            items.sort { ($0.string("last_checked_at") ?? "") < ($1.string("last_checked_at") ?? "") }
        }
        return items.prefix(limit).map(\.json)
    }

    /// How many items a queue holds, counted by the engine without reading them.
    /// How many items wait in the queue; with `cap`, counting stops there (a bounded walk for a page).
    public func queueSize(_ name: String, days: Int = 30, cap: Int? = nil) async throws -> Int {
        let queries = try queueQueries(name, cutoff: Date().addingTimeInterval(-Double(days) * 86_400), limit: cap ?? Int(Int32.max))
        var total = 0
        for (query, _) in queries {
            let count = SQLQueryString("SELECT count(*) AS n FROM (") + query + ") q"
            total += try await database.withConnection { sql in
                try await sql.raw(count).first()?.decode(column: "n", as: Int.self) ?? 0
            }
        }
        return cap.map { min(total, $0) } ?? total
    }

    /// The engine's plan for each query of a queue, one text per query, for checking that an index serves it.
    /// On PostgreSQL sequential scans are disabled for the check, so the answer says whether an index *can*
    /// serve the query whatever the table's size.
    public func queuePlans(_ name: String) async throws -> [String] {
        let queries = try queueQueries(name, cutoff: Date(), limit: 100)
        let engine = database.engine
        return try await database.transaction { sql in
            if engine == .postgres { try await sql.raw("SET LOCAL enable_seqscan = off").run() }
            var plans: [String] = []
            for (query, _) in queries {
                let explain = SQLQueryString(engine == .sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") + query
                let rows = try await sql.raw(explain).all()
                plans.append(try rows.map { row in
                    engine == .sqlite ? try row.decode(column: "detail", as: String.self) : try row.decode(column: "QUERY PLAN", as: String.self)
                }.joined(separator: "\n"))
            }
            return plans
        }
    }

    /// Records that a company's site, LinkedIn page or news was checked now.
    public func companyChecked(_ id: UUID, kind: String) async throws -> Record {
        let columns = ["site": "last_site_checked_at", "linkedin": "last_linkedin_checked_at", "news": "last_news_checked_at"]
        guard let column = columns[kind] else { throw DomainError.invalid("kind", "must be site, linkedin or news; got '\(kind)'") }
        return try await database.transaction { sql in
            try await store.apply(Entities.companies, id, [column: .string(Timestamp.format(Date()))], on: sql)
        }
    }

    /// Records that a contact's profile or email was checked now (an email check may carry its verification).
    public func contactChecked(_ id: UUID, kind: String, body: [String: JSONValue]) async throws -> Record {
        switch kind {
        case "profile":
            return try await database.transaction { sql in
                try await store.apply(Entities.contacts, id, ["last_profile_checked_at": .string(Timestamp.format(Date()))], on: sql)
            }
        case "email":
            var verification = body
            verification["kind"] = nil
            if verification["email_status"] == nil {
                verification["email_status"] = try await store.get(Entities.contacts, id)["email_status"]
            }
            return try await SlotRepository(database: database).verify(contactID: id, verification)
        default:
            throw DomainError.invalid("kind", "must be profile or email; got '\(kind)'")
        }
    }
}
