import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

/// Seed 000's test list on every engine: data flow from company to touchpoint, foreign keys, triggers,
/// helper functions and graph queries. Each test runs on a fresh database.
@Suite("Store")
struct StoreTests {
    struct World {
        let db: Database
        let companies: CompanyRepository
        let contacts: ContactRepository
        let relationships: RelationshipRepository
        let conversations: ConversationRepository
        let touchpoints: TouchpointRepository
        let graph: CompanyGraph

        init(_ db: Database) {
            self.db = db
            companies = CompanyRepository(database: db)
            contacts = ContactRepository(database: db)
            relationships = RelationshipRepository(database: db)
            conversations = ConversationRepository(database: db)
            touchpoints = TouchpointRepository(database: db)
            graph = CompanyGraph(database: db)
        }

        func company(_ name: String = "Acme Corp", domain: String = "acme.com") async throws -> Record {
            try await companies.create(["name": .string(name), "domain": .string(domain), "industry": "Healthcare"])
        }

        func contact(_ company: Record, _ first: String, email: String? = nil, extra: [String: JSONValue] = [:]) async throws
            -> Record
        {
            var input = extra
            input["company_id"] = .string(company.id.lowercased)
            input["first_name"] = .string(first)
            input["last_name"] = "Smith"
            input["email"] = .string(email ?? "\(first.lowercased())@\(company.string("domain")!)")
            return try await contacts.create(input)
        }

        func raw(_ sql: String) async throws {
            try await db.withConnection { conn in try await conn.raw(SQLQueryString(sql)).run() }
        }

        func scalar(_ sql: String) async throws -> Int {
            try await db.withConnection { conn in
                try await conn.raw(SQLQueryString(sql)).first()!.decode(column: "n", as: Int.self)
            }
        }
    }

    @Test("migrate is idempotent and records every migration", arguments: TestEngine.all)
    func migrateTwice(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let again = try await Migrator(database: db).upgradeAll()
            #expect(again.isEmpty)
            #expect(try await Migrator(database: db).appliedVersions() == Migrations.known.map(\.version))
        }
    }

    /// Which columns of a table the engine's catalog lists: all (generated ones included), the stored ones, or those
    /// with a default.
    enum CatalogColumns { case all, stored, defaulted }
    static func columns(_ table: String, _ which: CatalogColumns, engine: Engine, on sql: any SQLDatabase) async throws -> [String] {
        let query: SQLQueryString
        switch (engine, which) {
        case (.sqlite, .all): query = "SELECT name FROM pragma_table_xinfo(\(bind: table))"
        case (.sqlite, .stored): query = "SELECT name FROM pragma_table_info(\(bind: table))"
        case (.sqlite, .defaulted): query = "SELECT name FROM pragma_table_info(\(bind: table)) WHERE dflt_value IS NOT NULL"
        case (.postgres, _):
            let condition = which == .all ? "" : which == .stored ? " AND is_generated = 'NEVER'" : " AND column_default IS NOT NULL"
            query = "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(bind: table)\(unsafeRaw: condition)"
        }
        return try await sql.raw(query).all().map { try $0.decode(column: "name", as: String.self) }
    }

    @Test("the tables have exactly the described columns", arguments: TestEngine.all)
    func schemaMatchesDescriptions(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            for entity in Entities.stored {
                let columns = try await db.withConnection { sql in try await Self.columns(entity.table, .all, engine: db.engine, on: sql) }
                let stored = Set(columns).subtracting(["search_vector"])
                #expect(stored == Set(entity.columnNames), "\(entity.table)")
            }
        }
    }

    /// The bulk path writes NULL for a column a row omits unless the description says the database may default it.
    @Test("every column the database fills by default is one the description says it may", arguments: TestEngine.all)
    func defaultsMatchDescriptions(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            var checked = 0
            for entity in Entities.stored {
                let defaulted = try await db.withConnection { sql in try await Self.columns(entity.table, .defaulted, engine: db.engine, on: sql) }
                for column in defaulted {
                    checked += 1
                    #expect(entity.field(column)?.databaseMayDefault == true, "\(entity.table).\(column) has a database default its description does not declare")
                }
            }
            #expect(checked > 100)
        }
    }

    /// The audit triggers that list columns (SQLite's, and PostgreSQL's update triggers on tables with rollups) are
    /// written from the schema when their migration runs: a later migration that adds a column must write them again.
    @Test("audit triggers name every column a write can change", arguments: TestEngine.all)
    func auditTriggersNameEveryColumn(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            try await db.withConnection { sql in
                let triggers: [(table: String, text: String)]
                if db.engine == .sqlite {
                    triggers = try await sql.raw("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%\\_audit\\_update' ESCAPE '\\'").all()
                        .map { (try $0.decode(column: "tbl_name", as: String.self), try $0.decode(column: "sql", as: String.self)) }
                } else {
                    triggers = try await sql.raw("SELECT c.relname AS tbl_name, pg_get_triggerdef(t.oid) AS sql FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE '%\\_audit\\_update'").all()
                        .map { (try $0.decode(column: "tbl_name", as: String.self), try $0.decode(column: "sql", as: String.self)) }
                }
                let tables = Set(triggers.map(\.table))
                #expect(tables.isSuperset(of: ["companies", "contacts", "conversations", "batches"]))
                for (table, text) in triggers {
                    let columns = try await Self.columns(table, .stored, engine: db.engine, on: sql)
                    let skipped = Set((Migrations.rollupColumns[table] ?? []) + ["updated_at"])
                    for column in columns where !skipped.contains(column) {
                        // PostgreSQL quotes a column named by a keyword (sequence_steps."position").
                        let named = text.lowercased().contains("old.\(column) is ") || text.lowercased().contains("old.\"\(column)\" is ")
                        #expect(named, "\(table).\(column) is not in \(table)_audit_update")
                    }
                }
            }
        }
    }

    @Test("data flows from company to touchpoint with every counter exact", arguments: TestEngine.all)
    func dataFlow(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = World(db)
            // Given a company with two contacts
            let acme = try await w.company()
            let john = try await w.contact(acme, "John", extra: ["title": "CTO", "is_decision_maker": true])
            let sue = try await w.contact(acme, "Sue")
            #expect(try await w.companies.get(acme.id).int("total_contacts") == 2)
            #expect(john.string("full_name") == "John Smith")
            // When a conversation starts, its company comes from the contact
            let conv = try await w.conversations.create(contactID: john.id, qualificationTier: "hot")
            #expect(conv.uuid("company_id") == acme.id)
            #expect(try await w.companies.get(acme.id).int("active_conversations") == 1)
            // And touchpoints are sent and engaged with
            let t1 = try await w.touchpoints.recordEmailSent(conversationID: conv.id, subject: "Hello", content: "Hi John")
            #expect(t1.string("outcome") == "sent")
            #expect(t1.uuid("contact_id") == john.id)
            #expect(t1.uuid("company_id") == acme.id)
            _ = try await w.touchpoints.recordEmailSent(conversationID: conv.id, subject: "Again", content: "Hi again")
            let opened = try await w.touchpoints.recordOpened(t1.id)
            #expect(opened.string("outcome") == "opened")
            let replied = try await w.touchpoints.recordReplied(t1.id, response: "Let's talk")
            #expect(replied.string("outcome") == "replied")
            #expect(replied.string("response") == "Let's talk")
            // Then the counters follow
            let c = try await w.conversations.get(conv.id)
            #expect(c.int("touchpoint_count") == 2)
            #expect(c.string("last_touchpoint_at") != nil)
            let j = try await w.contacts.get(john.id)
            #expect(j.int("total_touchpoints") == 2)
            #expect(j.string("last_engaged_at") != nil)
            #expect(try await w.contacts.get(sue.id).int("total_touchpoints") == 0)
            // And the metrics are rates in percent of outbound touches
            let m = try await w.touchpoints.engagementMetrics(conversationID: conv.id)
            #expect(m.outbound == 2 && m.opened == 1 && m.replied == 1)
            #expect(m.openRate == 50.0 && m.replyRate == 50.0 && m.clickRate == 0)
            // When the conversation is won, closed_at is set and the active count drops
            let won = try await w.conversations.updateStatus(conv.id, status: "won", outcome: "meeting_scheduled")
            #expect(won.string("closed_at") != nil)
            #expect(won.string("outcome") == "meeting_scheduled")
            #expect(try await w.companies.get(acme.id).int("active_conversations") == 0)
            // Reopening clears closed_at
            let reopened = try await w.conversations.updateStatus(conv.id, status: "active")
            #expect(reopened["closed_at"].isNull)
            #expect(try await w.companies.get(acme.id).int("active_conversations") == 1)
            // Deleting a touchpoint and a contact moves the counters back
            try await w.touchpoints.store.delete(Entities.touchpoints, t1.id)
            #expect(try await w.conversations.get(conv.id).int("touchpoint_count") == 1)
            try await w.contacts.store.delete(Entities.contacts, sue.id)
            #expect(try await w.companies.get(acme.id).int("total_contacts") == 1)
        }
    }

    @Test("plain SQL inserts with only required columns get defaults and fire the triggers", arguments: TestEngine.all)
    func plainSQL(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = World(db)
            try await w.raw("INSERT INTO companies (name, domain) VALUES ('Plain Co', 'plain.example')")
            let company = try #require(try await w.companies.getByDomain("plain.example"))
            #expect(company.string("account_status") == "prospecting")
            #expect(company["research_data"] == .object([:]))
            #expect(company.string("id")?.count == 36)
            #expect(company.string("id")?.dropFirst(14).first == "7")
            let cid = company.id.lowercased
            try await w.raw("INSERT INTO contacts (company_id, first_name, email) VALUES ('\(cid)', 'Pat', 'pat@plain.example')")
            #expect(try await w.companies.get(company.id).int("total_contacts") == 1)
            let pat = try #require(try await w.contacts.getByEmail("PAT@plain.example"))
            #expect(pat.string("full_name") == "Pat")
            try await w.raw("INSERT INTO conversations (contact_id) VALUES ('\(pat.id.lowercased)')")
            #expect(try await w.companies.get(company.id).int("active_conversations") == 1)
            let conv = try #require(try await w.conversations.active(companyID: company.id).first)
            try await w.raw(
                "INSERT INTO touchpoints (conversation_id, channel, sent_at) VALUES ('\(conv.id.lowercased)', 'email', '2026-01-05T10:00:00.000Z')")
            let c = try await w.conversations.get(conv.id)
            #expect(c.int("touchpoint_count") == 1)
            #expect(c.string("last_touchpoint_at") == "2026-01-05T10:00:00.000Z")
            #expect(try await w.contacts.get(pat.id).int("total_touchpoints") == 1)
            let tp = try #require(try await w.touchpoints.history(conversationID: conv.id).first)
            #expect(tp.string("outcome") == "sent")
            #expect(tp.uuid("contact_id") == pat.id)
            // An engagement written in plain SQL raises the outcome too
            try await w.raw("UPDATE touchpoints SET clicked_at = '2026-01-05T11:00:00.000Z' WHERE id = '\(tp.id.lowercased)'")
            #expect(try await w.touchpoints.get(tp.id).string("outcome") == "clicked")
            try await w.raw("UPDATE conversations SET status = 'lost' WHERE id = '\(conv.id.lowercased)'")
            #expect(try await w.conversations.get(conv.id).string("closed_at") != nil)
            #expect(try await w.companies.get(company.id).int("active_conversations") == 0)
        }
    }

    @Test("updated_at moves when a field changes", arguments: TestEngine.all)
    func updatedAt(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = World(db)
            let acme = try await w.company()
            try await Task.sleep(for: .milliseconds(20))
            let changed = try await w.companies.update(acme.id, ["industry": "Biotech"])
            #expect(changed.string("updated_at")! > acme.string("updated_at")!)
            #expect(changed.string("created_at") == acme.string("created_at"))
        }
    }

    @Test("unique domain and email, case-insensitively", arguments: TestEngine.all)
    func uniqueness(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = World(db)
            let acme = try await w.company()
            await #expect(throws: DomainError.conflict(field: "domain", detail: "Another record already has this domain.")) {
                _ = try await w.companies.create(["name": "Acme again", "domain": "https://www.ACME.com/about"])
            }
            _ = try await w.contact(acme, "John", email: "john@acme.com")
            let error = await #expect(throws: DomainError.self) {
                _ = try await w.contact(acme, "Johnny", email: "JOHN@acme.com")
            }
            #expect(error == .conflict(field: "email", detail: "Another record already has this email."))
            // Nothing was lost by the failed writes
            #expect(try await w.companies.get(acme.id).int("total_contacts") == 1)
        }
    }

    @Test("foreign keys: unknown references are refused, deletes cascade", arguments: TestEngine.all)
    func foreignKeys(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = World(db)
            let missing = UUIDv7.make()
            let error = await #expect(throws: DomainError.self) {
                _ = try await w.contacts.create(["first_name": "Ghost", "company_id": .string(missing.lowercased)])
            }
            #expect(error == .invalid("company_id", "no company with id \(missing.lowercased)"))
            // Plain SQL is refused by the engine itself
            let plain = await refusal {
                try await w.raw("INSERT INTO contacts (company_id, first_name) VALUES ('\(missing.lowercased)', 'Ghost')")
            }
            #expect(plain == .invalid("reference", "refers to a record that does not exist"))
            let acme = try await w.company()
            let john = try await w.contact(acme, "John")
            let conv = try await w.conversations.create(contactID: john.id)
            _ = try await w.touchpoints.recordEmailSent(conversationID: conv.id, subject: "s", content: "c")
            try await w.companies.store.delete(Entities.companies, acme.id)
            #expect(try await w.scalar("SELECT count(*) AS n FROM contacts") == 0)
            #expect(try await w.scalar("SELECT count(*) AS n FROM conversations") == 0)
            #expect(try await w.scalar("SELECT count(*) AS n FROM touchpoints") == 0)
        }
    }

    @Test("relationships: unique pair, no self, no reverse duplicate", arguments: TestEngine.all)
    func relationshipRules(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = World(db)
            let acme = try await w.company()
            let a = try await w.contact(acme, "Ann")
            let b = try await w.contact(acme, "Bob")
            let rel = try await w.relationships.create(a.id, b.id, type: "colleagues", strength: "strong")
            #expect(rel.string("strength") == "strong")
            await #expect(throws: DomainError.self) { _ = try await w.relationships.create(a.id, b.id) }
            let reverse = await #expect(throws: DomainError.self) { _ = try await w.relationships.create(b.id, a.id) }
            if case .conflict = reverse {} else { Issue.record("reverse duplicate should be a conflict, got \(String(describing: reverse))") }
            let selfRel = await #expect(throws: DomainError.self) { _ = try await w.relationships.create(a.id, a.id) }
            if case .validation = selfRel {} else { Issue.record("self relationship should be invalid") }
            // Plain SQL cannot add the reverse either
            let plain = await refusal {
                try await w.raw(
                    "INSERT INTO relationships (contact_id_1, contact_id_2) VALUES ('\(b.id.lowercased)', '\(a.id.lowercased)')")
            }
            #expect(plain == .conflict(field: "contact_id_2", detail: "These two contacts already have a relationship (in one direction or the other)."))
            #expect(try await w.relationships.check(b.id, a.id)?.id == rel.id)
            #expect(try await w.relationships.check(a.id, b.id)?.id == rel.id)
            let fromB = try await w.relationships.relationships(of: b.id)
            #expect(fromB.count == 1)
            #expect(fromB.first?.contact.id == a.id)
            #expect(fromB.first?.relationship.string("direction") == "incoming")
        }
    }

    @Test("colleagues, decision makers and roles", arguments: TestEngine.all)
    func colleagues(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = World(db)
            let acme = try await w.company()
            let other = try await w.company("Other", domain: "other.com")
            let a = try await w.contact(acme, "Ann", extra: ["role": "doctor", "is_decision_maker": true])
            let b = try await w.contact(acme, "Bob", extra: ["role": "admin"])
            _ = try await w.contact(acme, "Cid", extra: ["role": "doctor"])
            _ = try await w.contact(other, "Dee")
            _ = try await w.relationships.create(a.id, b.id, type: "manager_of", strength: "strong")
            let colleagues = try await w.relationships.colleagues(of: a.id)
            #expect(colleagues.map { $0.string("first_name") } == ["Bob", "Cid"])
            #expect(colleagues.first?.string("relationship_type") == "manager_of")
            #expect(colleagues.last?["relationship_type"] == .null)
            #expect(try await w.contacts.findDecisionMakers(acme.id).map(\.id) == [a.id])
            #expect(try await w.contacts.findByRole(acme.id, roles: ["doctor"]).count == 2)
            #expect(try await w.contacts.findByCompany(other.id).count == 1)
        }
    }

    @Test("search finds companies and contacts by word prefix", arguments: TestEngine.all)
    func search(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = World(db)
            let medical = try await w.companies.create(["name": "St. Mary Medical Center", "domain": "stmary.org"])
            _ = try await w.companies.create(["name": "Acme Robotics", "domain": "acme.com", "industry": "Manufacturing"])
            #expect(try await w.companies.search("medical").map(\.id) == [medical.id])
            #expect(try await w.companies.search("medic").map(\.id) == [medical.id])
            #expect(try await w.companies.search("manufact").count == 1)
            #expect(try await w.companies.search("nothing-like-this").isEmpty)
            let john = try await w.contact(medical, "Jonathan", extra: ["title": "Chief Medical Officer"])
            #expect(try await w.contacts.search("jon").map(\.id) == [john.id])
            // The index follows updates
            _ = try await w.companies.update(medical.id, ["name": "St. Mary Hospital"])
            #expect(try await w.companies.search("medical").isEmpty)
            #expect(try await w.companies.search("hospital").count == 1)
        }
    }

    @Test("conversations needing follow-up and context merge", arguments: TestEngine.all)
    func followup(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = World(db)
            let acme = try await w.company()
            let john = try await w.contact(acme, "John")
            let sue = try await w.contact(acme, "Sue")
            let due = try await w.conversations.create(contactID: john.id, extra: ["next_touchpoint_at": "2020-01-01T00:00:00Z"])
            _ = try await w.conversations.create(contactID: sue.id, extra: ["next_touchpoint_at": "2999-01-01T00:00:00Z"])
            let paused = try await w.conversations.create(
                contactID: sue.id, extra: ["next_touchpoint_at": "2020-01-01T00:00:00Z", "status": "paused"])
            let list = try await w.conversations.needingFollowup()
            #expect(list.map { $0.uuid("conversation_id") } == [due.id])
            #expect(list.first?.string("contact_name") == "John Smith")
            #expect(list.first?.string("company_name") == "Acme Corp")
            _ = paused
            _ = try await w.conversations.updateContext(due.id, merging: ["topics_discussed": ["pricing"]])
            let merged = try await w.conversations.updateContext(due.id, merging: ["pain_points": ["manual QA"]])
            #expect(merged["context"]["topics_discussed"] == ["pricing"])
            #expect(merged["context"]["pain_points"] == ["manual QA"])
        }
    }

    @Test("account overview, expansion targets, context and health", arguments: TestEngine.all)
    func graph(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = World(db)
            let acme = try await w.company()
            let ann = try await w.contact(acme, "Ann", extra: ["is_primary_contact": true, "seniority_level": "director"])
            let bob = try await w.contact(acme, "Bob", extra: ["is_decision_maker": true, "seniority_level": "c-level"])
            let cid = try await w.contact(acme, "Cid", extra: ["seniority_level": "manager"])
            let dee = try await w.contact(acme, "Dee", extra: ["seniority_level": "individual_contributor"])
            _ = try await w.relationships.create(ann.id, bob.id, type: "reports_to", strength: "strong")
            _ = try await w.relationships.create(cid.id, ann.id, type: "colleagues", strength: "medium", confidence: 0.5)
            _ = try await w.relationships.create(ann.id, dee.id, type: "colleagues", strength: "weak")
            let conv = try await w.conversations.create(contactID: ann.id)
            let t = try await w.touchpoints.recordEmailSent(conversationID: conv.id, subject: "Hi", content: "x")
            _ = try await w.touchpoints.recordReplied(t.id, response: "yes")

            let overview = try await w.graph.accountOverview(acme.id)
            #expect(overview["contacts"]?["total"] == 4)
            #expect(overview["relationships"]?.arrayValue?.count == 3)
            #expect(overview["active_conversations"]?.arrayValue?.count == 1)
            #expect(overview["summary"]?["decision_makers"] == 1)
            #expect(overview["summary"]?["relationship_count"] == 3)
            #expect(overview["summary"]?["engagement"]?["reply_rate"] == 100.0)

            let targets = try await w.graph.expansionTargets(primaryContactID: ann.id, minStrength: "medium")
            #expect(targets.count == 2)
            // Bob: strong 30 + confidence 10 + c-level 20 + decision maker 15 + no conversation 20 = 95
            #expect(targets[0]["contact"]?["first_name"] == "Bob")
            #expect(targets[0]["priority_score"] == 95.0)
            // Cid: medium 20 + 0.5 × 10 + manager 8 + 20 = 53
            #expect(targets[1]["priority_score"] == 53.0)
            #expect(try await w.graph.expansionTargets(primaryContactID: ann.id, minStrength: "weak").count == 3)

            let context = try await w.graph.conversationContext(ann.id)
            #expect(context["company"]?["name"] == "Acme Corp")
            #expect(context["conversations"]?["active"] == 1)
            #expect(context["relationships"]?["colleagues"]?.arrayValue?.count == 3)
            #expect(context["engagement"]?["metrics"]?["replied"] == 1)

            let health = try await w.graph.accountHealth(acme.id)
            // coverage 4×3+5 = 17; engagement 20 + 10 = 30; recency 20; pipeline 4; relationships 6 → 77
            #expect(health.totalScore == 77.0)
            #expect(health.status == "good")
        }
    }
}

@Suite("Seed 000 query patterns in SQL")
struct SQLPatternTests {
    /// The seed's own SQL: `account_overview` (refreshed on PostgreSQL, live on SQLite) and, on PostgreSQL,
    /// its helper functions; on SQLite the same rows come from the views the functions wrap.
    @Test("account_overview, colleagues, follow-ups and metrics straight from SQL", arguments: TestEngine.all)
    func sqlPatterns(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = StoreTests.World(db)
            let acme = try await w.company()
            let ann = try await w.contact(acme, "Ann", extra: ["is_decision_maker": true])
            let bob = try await w.contact(acme, "Bob")
            _ = try await w.relationships.create(ann.id, bob.id)
            let conv = try await w.conversations.create(contactID: ann.id, extra: ["next_touchpoint_at": "2020-01-01T00:00:00Z"])
            let t = try await w.touchpoints.recordEmailSent(conversationID: conv.id, subject: "s", content: "c")
            _ = try await w.touchpoints.recordOpened(t.id)
            let id = "'\(acme.id.lowercased)'"
            let pg = db.engine == .postgres
            if pg { try await w.raw("SELECT refresh_account_overview()") }
            #expect(try await w.scalar("SELECT total_contacts AS n FROM account_overview WHERE company_id = \(id)") == 2)
            #expect(try await w.scalar("SELECT decision_makers AS n FROM account_overview WHERE company_id = \(id)") == 1)
            #expect(try await w.scalar("SELECT opened AS n FROM account_overview WHERE company_id = \(id)") == 1)
            let annID = "'\(ann.id.lowercased)'"
            let colleagues = pg ? "get_colleagues(\(annID))" : "contact_colleagues WHERE contact_id = \(annID)"
            #expect(try await w.scalar("SELECT count(*) AS n FROM \(colleagues)") == 1)
            let rels = pg ? "get_contact_relationships(\(annID))" : "contact_relationships WHERE contact_id = \(annID)"
            #expect(try await w.scalar("SELECT count(*) AS n FROM \(rels)") == 1)
            let due = pg ? "get_conversations_needing_followup()" : "conversations_needing_followup"
            #expect(try await w.scalar("SELECT count(*) AS n FROM \(due)") == 1)
            if pg {
                let convID = "'\(conv.id.lowercased)'"
                #expect(try await w.scalar("SELECT count(*) AS n FROM get_touchpoint_history(\(convID))") == 1)
                #expect(try await w.scalar("SELECT opened AS n FROM get_conversation_engagement_metrics(\(convID))") == 1)
                #expect(try await w.scalar("SELECT count(*) AS n FROM get_active_conversations(\(id))") == 1)
            }
        }
    }
}

@Suite("Queues are served by indexes")
struct QueueIndexTests {
    @Test("each queue query is answered through its partial index", arguments: TestEngine.all)
    func plans(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let queues = QueueRepository(database: db)
            let expected = [
                "company-urls": ["ix_queue_site", "ix_queue_linkedin", "ix_queue_news"], "profile-urls": ["ix_queue_profile"],
                "email-recheck": ["ix_queue_email"],
            ]
            for (queue, indexes) in expected {
                let plans = try await queues.queuePlans(queue)
                #expect(plans.count == indexes.count)
                for (plan, index) in zip(plans, indexes) {
                    #expect(plan.contains(index), "\(queue): \(plan)")
                }
            }
        }
    }
}

@Suite("Lookups are served by indexes")
struct LookupIndexTests {
    @Test("email and domain lookups use their case-insensitive unique indexes", arguments: TestEngine.all)
    func lookups(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            for (table, column, index) in [("contacts", "email", "ux_contacts__email"), ("companies", "domain", "ux_companies__domain")] {
                let plan: String = try await db.transaction { sql in
                    if db.engine == .postgres { try await sql.raw("SET LOCAL enable_seqscan = off").run() }
                    let query = SQLQueryString(
                        (db.engine == .sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ")
                            + "SELECT id FROM \(table) t WHERE 1 = 1 AND t.\(column) IS NOT NULL AND lower(t.\(column)) = lower('X@Y.COM')")
                    return try await sql.raw(query).all().map { row in
                        try row.decode(column: db.engine == .sqlite ? "detail" : "QUERY PLAN", as: String.self)
                    }.joined(separator: "\n")
                }
                #expect(plan.contains(index), "\(table): \(plan)")
            }
        }
    }
}
