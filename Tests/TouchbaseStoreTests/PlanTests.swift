import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore
import TouchbaseTestSupport

/// What in a plan walks more than the rows of the record asked for: a full scan of a table (or of a whole index), on
/// either engine. SQLite: `SCAN x` where x is a table (a materialized subquery or a constant row is fine), with or
/// without `USING INDEX`. PostgreSQL (asked with sequential scans off): a `Seq Scan`, or an index scan with no
/// `Index Cond` (a walk of the whole index).
func wholeTableWalks(_ plan: String, engine: Engine, allowing allowed: [String] = []) -> [String] {
    let lines = plan.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    if allowed.contains(where: { plan.contains($0) }) { return [] }
    switch engine {
    case .sqlite:
        let subqueries = Set(lines.compactMap { line -> String? in
            for prefix in ["MATERIALIZE ", "CO-ROUTINE "] where line.hasPrefix(prefix) {
                return String(line.dropFirst(prefix.count)).split(separator: " ").first.map(String.init)
            }
            return nil
        })
        return lines.filter { line in
            guard line.hasPrefix("SCAN ") else { return false }
            let name = line.dropFirst(5).split(separator: " ").first.map(String.init) ?? ""
            return name != "CONSTANT" && !subqueries.contains(name) && !name.hasPrefix("(subquery")
        }
    case .postgres:
        var walks: [String] = []
        for (i, line) in lines.enumerated() {
            let node = line.hasPrefix("->") ? String(line.dropFirst(2)).trimmingCharacters(in: .whitespaces) : line
            if node.hasPrefix("Seq Scan") { walks.append(node) }
            guard node.hasPrefix("Index Scan") || node.hasPrefix("Index Only Scan") || node.hasPrefix("Bitmap Index Scan") else { continue }
            let details = lines[(i + 1)...].prefix { !$0.hasPrefix("->") }
            if !details.contains(where: { $0.hasPrefix("Index Cond") }) { walks.append(node) }
        }
        return walks
    }
}

/// Runs `read` under a plan recorder and expects it to run queries, none of which walks a whole table.
func expectIndexWalks(_ name: String, engine: Engine, _ read: @Sendable () async throws -> Void) async throws {
    let entries = try await PlanRecorder.record(read)
    #expect(!entries.isEmpty, "\(name) ran no query")
    for entry in entries {
        let walks = wholeTableWalks(entry.plan, engine: engine)
        #expect(walks.isEmpty, "\(name) on \(engine): \(walks)\n\(entry.sql)\n\(entry.plan)")
    }
}

@Suite("Per-record reads cost the record's own rows")
struct PlanTests {
    struct Sample {
        let company: UUID
        let primary: UUID
        let contact: UUID
        let conversation: UUID
    }

    static func sample(_ db: Database) async throws -> Sample {
        _ = try await DemoGenerator(database: db).generate(companies: 6, contactsPerCompany: 5, touchesPerConversation: 3, seed: 7)
        let store = RecordStore(database: db)
        let company = try await store.list(Entities.companies, ListQuery(limit: 1)).records[0].id
        let people = try await ContactRepository(database: db).findByCompany(company)
        let primary = people.first { $0.bool("is_primary_contact") }!.id
        let contact = people.first { !$0.bool("is_primary_contact") }!.id
        let conversation = try await store.select(Entities.conversations, where: [("contact_id", .string(contact.lowercased))], limit: 1)[0].id
        return Sample(company: company, primary: primary, contact: contact, conversation: conversation)
    }

    @Test("every query of every per-record read is served by an index on the record's key", arguments: TestEngine.all)
    func perRecord(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let s = try await Self.sample(db)
            let graph = CompanyGraph(database: db)
            let relationships = RelationshipRepository(database: db)
            let touchpoints = TouchpointRepository(database: db)
            let catalog = CatalogRepository(database: db)
            let slots = SlotRepository(database: db)
            let reads: [(String, @Sendable () async throws -> Void)] = [
                ("account overview", { _ = try await graph.accountOverview(s.company) }),
                ("account health", { _ = try await graph.accountHealth(s.company) }),
                ("expansion targets", { _ = try await graph.expansionTargets(primaryContactID: s.primary, minStrength: "weak") }),
                ("conversation context", { _ = try await graph.conversationContext(s.contact) }),
                ("colleagues", { _ = try await relationships.colleagues(of: s.contact) }),
                ("contact relationships", { _ = try await relationships.relationships(of: s.primary) }),
                ("relationship check", { _ = try await relationships.check(s.primary, s.contact) }),
                ("touchpoint history", { _ = try await touchpoints.history(conversationID: s.conversation) }),
                ("engagement metrics", { _ = try await touchpoints.engagementMetrics(conversationID: s.conversation) }),
                ("company slots", { _ = try await slots.slots(companyID: s.company) }),
                ("slot suggestions", { _ = try await slots.slotSuggestions(companyID: s.company) }),
                ("recommended solutions", { _ = try await catalog.recommendedSolutions(contactID: s.contact) }),
                ("contact by id", { _ = try await ContactRepository(database: db).get(s.contact) }),
            ]
            for (name, read) in reads { try await expectIndexWalks(name, engine: db.engine, read) }
        }
    }

    @Test("queues of work walk their partial indexes, soonest first", arguments: TestEngine.all)
    func queues(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            _ = try await Self.sample(db)
            let checks: [(String, String, @Sendable () async throws -> Void)] = [
                ("conversations needing follow-up", "ix_conversations_next_touchpoint",
                 { _ = try await ConversationRepository(database: db).needingFollowup(limit: 50) }),
                ("follow-ups due", "ix_followups_open", { _ = try await OutreachRepository(database: db).followupsDue(limit: 50) }),
            ]
            for (name, index, read) in checks {
                let entries = try await PlanRecorder.record(read)
                #expect(entries.count == 1, "\(name): \(entries.map(\.sql))")
                for entry in entries {
                    #expect(entry.plan.contains(index), "\(name) on \(engine):\n\(entry.plan)")
                    let walks = wholeTableWalks(entry.plan, engine: db.engine, allowing: [index])
                    #expect(walks.isEmpty, "\(name) on \(engine): \(walks)\n\(entry.plan)")
                }
            }
        }
    }
}

@Suite("The work pages' reads walk indexes")
struct WorkPagePlanTests {
    /// The sample with a renewal in every month, notice windows of 0, 30, 120 and 366 days, and a green CEO on every
    /// other company, so that some renewals are due and some are not.
    static func renewalSample(_ db: Database) async throws -> [Record] {
        _ = try await PlanTests.sample(db)
        let store = RecordStore(database: db)
        let companies = try await store.select(Entities.companies, order: "t.id")
        let slots = SlotRepository(database: db)
        for (i, company) in companies.enumerated() {
            _ = try await store.update(Entities.companies, company.id, [
                "renewal_month": .int(Int64(i % 12 + 1)), "renewal_notice_window_days": .int(Int64([0, 30, 120, 366][i % 4])),
            ])
            guard i % 2 == 0, let person = try await ContactRepository(database: db).findByCompany(company.id).first else { continue }
            _ = try await slots.verify(contactID: person.id, ["email_status": "green"])
            _ = try await slots.assignSlot(companyID: company.id, role: "CEO", contactID: person.id)
        }
        return companies
    }

    @Test("renewals (next and due), data quality with a cap and Today walk indexes, never a whole table", arguments: TestEngine.all)
    func pages(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            _ = try await Self.renewalSample(db)
            // Statistics as autovacuum would leave them (it may analyze the sample mid-test), so the plans are the same each run.
            if db.engine == .postgres { try await db.withConnection { sql in try await sql.raw("ANALYZE").run() } }
            let renewals = RenewalRepository(database: db)
            let reads: [(String, @Sendable () async throws -> Void)] = [
                ("next renewals", { _ = try await renewals.renewals(due: false, limit: 50) }),
                ("due renewals", { _ = try await renewals.renewals(due: true, limit: 200) }),
                ("data quality", { _ = try await DataQualityRepository(database: db).dataQuality(cap: 1_000) }),
                ("today", { _ = try await TodayRepository(database: db).today(until: Timestamp.formatDate(Date()), limit: 50) }),
            ]
            // A walk of a partial index reads only the rows it is for (the queues, contacts without a name, …); the
            // newest signals are the primary key walked back from the end, LIMIT 50.
            // On the sample's few rows, analyzed, PostgreSQL may read the email queue through ux_contacts__email instead of
            // ix_queue_email: both are partial indexes of exactly the contacts with an email, the queue's rows (at size
            // it walks ix_queue_email in order and stops at the cap).
            let partial = ["ix_contacts_nameless", "ix_contacts_unverified", "ix_company_slots_empty", "ix_queue_", "ux_contacts__email"]
            for (name, read) in reads {
                let entries = try await PlanRecorder.record(read)
                #expect(!entries.isEmpty, "\(name) ran no query")
                for entry in entries {
                    let newest = entry.sql.contains("FROM \"signals\" t WHERE 1 = 1 ORDER BY t.id DESC LIMIT")
                    let walks = wholeTableWalks(entry.plan, engine: db.engine).filter { walk in
                        !partial.contains { walk.contains($0) } && !(newest && (walk.contains("signals_pkey") || walk.contains("sqlite_autoindex_signals_1")))
                    }
                    #expect(walks.isEmpty, "\(name) on \(db.engine): \(walks)\n\(entry.sql)\n\(entry.plan)")
                }
            }
            for due in [false, true] {
                let plans = try await PlanRecorder.record { _ = try await renewals.renewals(due: due, limit: 200) }
                #expect(plans.contains { $0.plan.contains("ix_companies_renewal_order") }, "\(plans.map(\.plan))")
                #expect(plans.contains { $0.plan.contains("ix_companies_renewal_notice") } == due, "\(plans.map(\.plan))")
            }
            let signals = try await PlanRecorder.record { _ = try await TodayRepository(database: db).today(until: "2026-01-01", limit: 5) }
            #expect(signals.contains { $0.sql.contains("signal_type") && $0.plan.contains("ix_signals_type") }, "\(signals.map(\.plan))")
        }
    }

    @Test("the renewals walk returns the views' rows in the views' order", arguments: TestEngine.all)
    func renewalOrder(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let companies = try await Self.renewalSample(db)
            await #expect(throws: DomainError.self) { try await RenewalRepository(database: db).page(due: true, cursor: "13:nope") }
            let renewals = RenewalRepository(database: db)
            let d = db.dialect
            for due in [false, true] {
                let query: SQLQueryString = due
                    ? "SELECT company_id, CAST(next_renewal_date AS TEXT) AS d FROM due_renewals WHERE has_green_contact = \(d.bind(.bool(true), as: .boolean)) ORDER BY next_renewal_date, company_id"
                    : "SELECT company_id, CAST(next_renewal_date AS TEXT) AS d FROM next_renewals ORDER BY next_renewal_date, company_id"
                let whole = try await db.withConnection { sql in
                    try await sql.raw(query).all().map { row in
                        "\(try d.decode(row, "company_id", as: .uuid).stringValue ?? "") \(try row.decode(column: "d", as: String.self))"
                    }
                }
                for limit in [1, 3, 500] {
                    let walked = try await renewals.renewals(due: due, limit: limit).map { "\($0.string("company_id") ?? "") \($0.string("next_renewal_date") ?? "")" }
                    #expect(walked == Array(whole.prefix(limit)), "due \(due), limit \(limit)")
                }
                #expect(due ? !whole.isEmpty && whole.count < companies.count : whole.count == companies.count)
                // Followed by its cursors, a page of one row (or one looked at, for the due list) at a time gives them all.
                var cursor: String?
                var followed: [String] = []
                var pages = 0
                repeat {
                    let page = try await renewals.page(due: due, limit: due ? 500 : 1, cursor: cursor, budget: 1)
                    followed += page.rows.map { "\($0.string("company_id") ?? "") \($0.string("next_renewal_date") ?? "")" }
                    cursor = page.nextCursor
                    pages += 1
                } while cursor != nil && pages < 100
                #expect(followed == whole, "due \(due)")
                #expect(pages >= whole.count)
            }
        }
    }
}

@Suite("The plan check finds whole-table walks")
struct PlanCheckTests {
    @Test("a filter on an unindexed expression is caught walking the table", arguments: TestEngine.all)
    func catches(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let s = try await PlanTests.sample(db)
            let entries = try await PlanRecorder.record {
                _ = try await db.withConnection { sql in
                    try await sql.raw("SELECT count(*) AS n FROM contacts WHERE coalesce(department, '') = 'x' AND id <> \(db.dialect.bind(s.contact))").all()
                }
            }
            #expect(entries.count == 1)
            #expect(!wholeTableWalks(entries[0].plan, engine: db.engine).isEmpty, "\(entries[0].plan)")
        }
    }
}

@Suite("Lists are index walks")
struct ListPlanTests {
    /// The primary key's index, walked from the cursor in id order (the default order of every list).
    static func primaryKeyWalk(_ table: String) -> [String] { ["sqlite_autoindex_\(table)_1", "\(table)_pkey"] }

    @Test("the first and a deep page, and every filter on a key, of every entity walk an index", arguments: TestEngine.all)
    func lists(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let s = try await PlanTests.sample(db)
            let store = RecordStore(database: db)
            for entity in Entities.stored {
                for cursor in [nil, s.contact] {
                    let entries = try await PlanRecorder.record { _ = try await store.list(entity, ListQuery(limit: 50, cursor: cursor)) }
                    for entry in entries {
                        let walks = wholeTableWalks(entry.plan, engine: db.engine).filter { walk in
                            !Self.primaryKeyWalk(entity.table).contains { walk.contains($0) }
                        }
                        #expect(walks.isEmpty, "\(entity.table) page after \(cursor.map(\.lowercased) ?? "-") on \(engine): \(entry.plan)")
                    }
                }
                for field in entity.fields where RecordStore.isKeyFilter(field) && !field.type.isJSON {
                    let value: JSONValue = field.type == .uuid ? .string(s.company.lowercased) : "someone@example.com"
                    try await expectIndexWalks("\(entity.table)?\(field.name)=", engine: db.engine) {
                        _ = try await store.list(entity, ListQuery(filters: [field.name: value], limit: 50))
                    }
                }
            }
        }
    }

    @Test("a filter without an index examines a bounded window and pages on through it", arguments: TestEngine.all)
    func bounded(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            _ = try await PlanTests.sample(db)
            let store = RecordStore(database: db)
            // 30 contacts, 4 examined a page: the pages go on through windows with no match, and together they are exact.
            var cursor: UUID?
            var found: [Record] = []
            repeat {
                var query = ListQuery(filters: ["title": "QA Manager"], limit: 2, cursor: cursor)
                query.scanBudget = 4
                let page = try await store.list(Entities.contacts, query)
                #expect(page.records.count <= 2)
                found += page.records
                cursor = page.nextCursor.flatMap(UUID.init(uuidString:))
            } while cursor != nil
            let all = try await store.select(Entities.contacts).filter { $0.string("title") == "QA Manager" }
            #expect(found.map(\.id) == all.map(\.id))
            #expect(!all.isEmpty)
        }
    }
}
