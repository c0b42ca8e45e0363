import Foundation
import SQLKit
import TouchbaseDomain

/// Seeds 003 and 004 beyond plain CRUD: solution recommendations, event invitees, LLM cost summaries,
/// company slots, email verification, campaigns from slots, renewal signals, the zero-wandering queues,
/// intake promotion and data-quality checks.
public struct AccountRepository: Sendable {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    var database: Database { store.database }
    var dialect: Dialect { store.dialect }

    public static let slotView = Entity(
        table: "company_slots_view", singular: "company slot", schemaName: "CompanySlotView",
        summary: "A company's slot with its contact and email status (seed 004's vw_company_slots).",
        fields: [
            Field("slot_id", .uuid), Field("company_id", .uuid), Field("company_name", .text), Field("role_code", .text),
            Field("contact_id", .uuid), Field("full_name", .text), Field("title", .text), Field("email", .text),
            Field("email_status", .text),
        ])

    public static let nextRenewals = Entity(
        table: "next_renewals", singular: "renewal", schemaName: "NextRenewal",
        summary: "A company's next renewal date and campaign window start (seed 004's vw_next_renewal).",
        fields: [
            Field("company_id", .uuid), Field("company_name", .text), Field("renewal_month", .integer),
            Field("renewal_notice_window_days", .integer), Field("next_renewal_date", .date), Field("campaign_window_start", .date),
        ])

    public static let dueRenewals = Entity(
        table: "due_renewals", singular: "renewal", schemaName: "DueRenewal",
        summary: "A company in its renewal window (seed 004's vw_due_renewals_ready).",
        fields: nextRenewals.fields + [Field("has_green_contact", .boolean)])

    // MARK: catalog

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

    // MARK: events

    /// Contacts who fit an event: their company's industry is a target industry and their title, role or persona
    /// contains a target role; never one marked do-not-contact. An empty target list does not filter.
    public func invitees(eventID: UUID, limit: Int = 200) async throws -> [Record] {
        let event = try await store.get(Entities.events, eventID)
        let d = dialect
        let industries = (event["target_industries"].arrayValue ?? []).compactMap(\.stringValue).map { $0.lowercased() }
        let roles = (event["target_roles"].arrayValue ?? []).compactMap(\.stringValue).map { $0.lowercased() }.filter { !$0.isEmpty }
        var condition = SQLQueryString("t.do_not_contact = \(d.bind(.bool(false), as: .boolean)) AND t.status <> 'do_not_contact'")
        if !industries.isEmpty {
            var list = SQLQueryString("")
            for (i, name) in industries.enumerated() { list += i == 0 ? "\(bind: name)" : ", \(bind: name)" }
            condition += " AND t.company_id IN (SELECT c.id FROM companies c LEFT JOIN industries i ON i.id = c.industry_id WHERE lower(coalesce(i.name, c.industry, '')) IN (" + list + "))"
        }
        if !roles.isEmpty {
            condition += " AND ("
            for (i, role) in roles.enumerated() {
                let pattern = "%" + role.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
                if i > 0 { condition += " OR " }
                condition += "lower(coalesce(t.title, '') || ' ' || coalesce(t.role, '') || ' ' || coalesce(t.persona_type, '')) LIKE \(bind: pattern) ESCAPE '\\'"
            }
            condition += ")"
        }
        return try await store.view(Entities.contacts, where: condition, order: "t.full_name, t.id", limit: limit, alias: "t")
    }

    // MARK: LLM usage

    /// Token and cost sums, call counts and p50/p95 latency per workflow, node, model or day since a time.
    public func llmSummary(groupBy: String, since: Date?) async throws -> [JSONValue] {
        let keys = ["workflow": "workflow_name", "node": "node_name", "model": "model", "day": "created_at"]
        guard let column = keys[groupBy] else {
            throw DomainError.invalid("group_by", "must be one of workflow, node, model, day; got '\(groupBy)'")
        }
        var condition = SQLQueryString("1 = 1")
        if let since { condition += " AND t.created_at >= \(dialect.bind(.string(Timestamp.format(since)), as: .timestamp))" }
        let rows = try await store.view(Entities.llmUsage, where: condition, order: "t.created_at, t.id", alias: "t")
        var groups: [String: [Record]] = [:]
        for r in rows {
            let key = groupBy == "day" ? String((r.string(column) ?? "").prefix(10)) : (r.string(column) ?? "")
            groups[key, default: []].append(r)
        }
        return groups.keys.sorted().map { key in
            let g = groups[key]!
            let latencies = g.map { Double($0.int("latency_ms")) }
            let cost = g.reduce(0.0) { $0 + ($1.double("cost") ?? 0) }
            return [
                "key": .string(key), "calls": .int(Int64(g.count)),
                "prompt_tokens": .int(Int64(g.reduce(0) { $0 + $1.int("prompt_tokens") })),
                "completion_tokens": .int(Int64(g.reduce(0) { $0 + $1.int("completion_tokens") })),
                "total_tokens": .int(Int64(g.reduce(0) { $0 + $1.int("total_tokens") })),
                "cost": .double((cost * 1_000_000).rounded() / 1_000_000),
                "latency_p50_ms": Percentile.of(latencies, 50).map { .double($0) } ?? .null,
                "latency_p95_ms": Percentile.of(latencies, 95).map { .double($0) } ?? .null,
            ]
        }
    }

    // MARK: slots and verification

    /// Slots in slot order (a page after `after`), or a company's in role order when `companyID` is given and no
    /// page is asked for (`paged` false).
    public func slots(companyID: UUID? = nil, limit: Int = 500, after: UUID? = nil, paged: Bool = false) async throws -> [Record] {
        let d = dialect
        var condition = SQLQueryString("1 = 1")
        if let companyID { condition += " AND company_id = \(d.bind(companyID))" }
        if let after { condition += " AND slot_id > \(d.bind(after))" }
        return try await store.view(Self.slotView, where: condition, order: companyID == nil || paged ? "slot_id" : "role_code", limit: limit)
    }

    /// One slot by its id.
    public func slot(_ id: UUID) async throws -> Record {
        guard let found = try await store.view(Self.slotView, where: "slot_id = \(dialect.bind(id))", order: "slot_id", limit: 1).first else {
            throw DomainError.notFound(entity: "company slot", id: id.lowercased)
        }
        return found
    }

    /// Puts a contact of the company in the slot, or clears it with nil.
    public func assignSlot(companyID: UUID, role: String, contactID: UUID?) async throws -> Record {
        guard Vocabulary.slotRole.contains(role) else {
            throw DomainError.invalid("role", "must be one of CEO, CFO, HR; got '\(role)'")
        }
        _ = try await store.get(Entities.companies, companyID)
        if let contactID {
            guard let contact = try? await store.get(Entities.contacts, contactID) else {
                throw DomainError.invalid("contact_id", "no contact with id \(contactID.lowercased)")
            }
            guard contact.uuid("company_id") == companyID else {
                throw DomainError.invalid("contact_id", "the contact does not work at this company")
            }
        }
        let slot = try await store.select(
            Entities.companySlots, where: [("company_id", .string(companyID.lowercased)), ("role_code", .string(role))], limit: 1
        ).first
        guard let slot else { throw DomainError.notFound(entity: "company slot", id: "\(companyID.lowercased)/\(role)") }
        _ = try await database.transaction { sql in
            try await store.apply(Entities.companySlots, slot.id, ["contact_id": contactID.map { .string($0.lowercased) } ?? .null], on: sql)
        }
        return try await slots(companyID: companyID).first { $0.string("role_code") == role }!
    }

    /// For each empty slot, the company's contacts whose titles fit the role, best first.
    public func slotSuggestions(companyID: UUID) async throws -> [JSONValue] {
        let current = try await slots(companyID: companyID)
        let taken = Set(current.compactMap { $0.uuid("contact_id") })
        let people = try await store.select(Entities.contacts, where: [("company_id", .string(companyID.lowercased))])
        return current.filter { $0["contact_id"].isNull }.map { slot in
            let role = slot.string("role_code") ?? ""
            let ranked = people.filter { !taken.contains($0.id) }
                .compactMap { p in SlotSuggestion.score(role: role, title: p.string("title")).map { (p, $0) } }
                .sorted { ($0.1, $1.0.string("full_name") ?? "") > ($1.1, $0.0.string("full_name") ?? "") }
            return [
                "role_code": .string(role),
                "candidates": .array(ranked.map { p, s in
                    ["contact_id": .string(p.id.lowercased), "full_name": p["full_name"], "title": p["title"], "fit": .int(Int64(s))]
                }),
            ]
        }
    }

    /// Records an email verification.
    public func verify(contactID: UUID, _ body: [String: JSONValue]) async throws -> Record {
        var issues: [FieldIssue] = []
        for key in body.keys where !["email_status", "email_confidence", "email_source_url", "email_checked_at"].contains(key) {
            issues.append(FieldIssue(field: key, message: "is not a verification field"))
        }
        var values: [String: JSONValue] = ["email_checked_at": .string(Timestamp.format(Date()))]
        for name in ["email_status", "email_confidence", "email_source_url", "email_checked_at"] {
            guard let value = body[name], let field = Entities.contacts.field(name) else { continue }
            do { values[name] = try field.check(value) } catch { issues.append(FieldIssue(field: name, message: error.message)) }
        }
        if body["email_status"] == nil { issues.append(FieldIssue(field: "email_status", message: "is required: green, yellow, red or gray")) }
        if !issues.isEmpty { throw DomainError.validation(issues) }
        let final = values
        return try await database.transaction { sql in try await store.apply(Entities.contacts, contactID, final, on: sql) }
    }

    // MARK: campaigns

    /// Adds the company's slot contacts whose email is green to the campaign (seed 004's "campaign ready" pattern).
    public func addMembersFromSlots(campaignID: UUID, companyID: UUID) async throws -> (added: Int, members: [Record]) {
        _ = try await store.get(Entities.campaigns, campaignID)
        _ = try await store.get(Entities.companies, companyID)
        let green = try await slots(companyID: companyID).filter { $0.string("email_status") == "green" }.compactMap { $0.uuid("contact_id") }
        let existing = Set(try await store.select(
            Entities.campaignContacts, where: [("campaign_id", .string(campaignID.lowercased))]).compactMap { $0.uuid("contact_id") })
        let toAdd = Array(Set(green).subtracting(existing)).sorted { $0.lowercased < $1.lowercased }
        try await database.transaction { sql in
            for contact in toAdd {
                _ = try await store.insert(
                    Entities.campaignContacts, ["campaign_id": .string(campaignID.lowercased), "contact_id": .string(contact.lowercased)], on: sql)
            }
        }
        let members = try await store.select(Entities.campaignContacts, where: [("campaign_id", .string(campaignID.lowercased))])
        return (toAdd.count, members)
    }

    // MARK: renewals and signals

    public func renewals(due: Bool, limit: Int = 500) async throws -> [Record] {
        if due {
            return try await store.view(
                Self.dueRenewals, where: "has_green_contact = \(dialect.bind(.bool(true), as: .boolean))", order: "next_renewal_date, company_id", limit: limit)
        }
        return try await store.view(Self.nextRenewals, where: "1 = 1", order: "next_renewal_date, company_id", limit: limit)
    }

    /// Raises `renewal_window_open_120d` once per company and renewal whose campaign window has opened.
    public func scanSignals() async throws -> [Record] {
        let open = try await store.view(Self.dueRenewals, where: "1 = 1", order: "company_id")
        var created: [Record] = []
        for r in open {
            guard let company = r.uuid("company_id"), let date = r.string("next_renewal_date") else { continue }
            let key = "renewal_window_open_120d:\(company.lowercased):\(date)"
            if try await !store.select(Entities.signals, where: [("dedupe_key", .string(key))], limit: 1).isEmpty { continue }
            do {
                created.append(try await store.create(Entities.signals, [
                    "company_id": .string(company.lowercased), "signal_type": "renewal_window_open_120d", "dedupe_key": .string(key),
                    "description": .string("Renewal on \(date): the campaign window opened on \(r.string("campaign_window_start") ?? "")."),
                    "payload": ["renewal_date": .string(date), "campaign_window_start": r["campaign_window_start"],
                                "renewal_notice_window_days": r["renewal_notice_window_days"]],
                ]))
            } catch DomainError.conflict {
                continue  // raised by a concurrent scan
            }
        }
        return created
    }

    // MARK: queues

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
    public func queueSize(_ name: String, days: Int = 30) async throws -> Int {
        let queries = try queueQueries(name, cutoff: Date().addingTimeInterval(-Double(days) * 86_400), limit: Int(Int32.max))
        var total = 0
        for (query, _) in queries {
            let count = SQLQueryString("SELECT count(*) AS n FROM (") + query + ") q"
            total += try await database.withConnection { sql in
                try await sql.raw(count).first()?.decode(column: "n", as: Int.self) ?? 0
            }
        }
        return total
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
            return try await verify(contactID: id, verification)
        default:
            throw DomainError.invalid("kind", "must be profile or email; got '\(kind)'")
        }
    }

    // MARK: data quality

    /// What is missing across the whole database, each with an exact count and a sample of 50: companies whose CEO, CFO
    /// or HR slot holds no contact, contacts with an email never verified, contacts known only by an email or LinkedIn
    /// URL (no name), and the queue sizes.
    public func dataQuality() async throws -> JSONValue {
        func count(_ query: SQLQueryString) async throws -> Int {
            try await database.withConnection { sql in try await sql.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0 }
        }
        let openSlots = try await count(
            "SELECT count(DISTINCT company_id) AS n FROM company_slots WHERE contact_id IS NULL")
        let slotSample = try await database.withConnection { sql in
            try await sql.raw(
                """
                SELECT c.id, c.name, count(s.id) AS empty FROM company_slots s JOIN companies c ON c.id = s.company_id
                WHERE s.contact_id IS NULL GROUP BY c.id, c.name ORDER BY c.id LIMIT 50
                """
            ).all().map { row -> JSONValue in
                ["company_id": try dialect.decode(row, "id", as: .uuid), "company_name": .string(try row.decode(column: "name", as: String.self)),
                 "empty_slots": .int(try row.decode(column: "empty", as: Int64.self))]
            }
        }
        let unverifiedCount = try await count("SELECT count(*) AS n FROM contacts WHERE email IS NOT NULL AND email_checked_at IS NULL")
        let unverified = try await store.view(
            Entities.contacts, where: "t.email IS NOT NULL AND t.email_checked_at IS NULL", order: "t.id", limit: 50, alias: "t")
        let namelessCount = try await count("SELECT count(*) AS n FROM contacts t WHERE t.first_name = '' AND coalesce(t.last_name, '') = ''")
        let namelessSample = try await store.view(
            Entities.contacts, where: "t.first_name = '' AND coalesce(t.last_name, '') = ''", order: "t.id", limit: 50, alias: "t")
        var sizes: [String: JSONValue] = [:]
        for q in Self.queues { sizes[q] = .int(Int64(try await queueSize(q))) }
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
        ]
    }
}
