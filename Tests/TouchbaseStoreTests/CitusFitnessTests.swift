import Foundation
import SQLKit
import Testing
import TouchbaseStore
import TouchbaseTestSupport

/// docs/SCALING.md's plan for distributing with Citus by company_id, held against the schema: every table is
/// classified; the distributed ones carry company_id, except exactly the gaps the plan lists.
@Suite("The schema stays fit to be distributed by company_id (docs/SCALING.md)")
struct CitusFitnessTests {
    /// Distributed by company_id and carrying it today.
    static let distributed: Set<String> = [
        "contacts", "conversations", "touchpoints", "company_slots", "opportunities", "meetings", "handoffs", "signals", "research_snapshots",
    ]
    /// Distributed by company_id in the plan, not carrying it yet: each needs a migration adding it (filled by
    /// trigger). Strike a table from here when it gains the column; never add one.
    static let gaps: Set<String> = [
        "replies", "followups", "enrollments", "sends", "tracking_events", "inbound_messages", "inbound_message_raw", "icp_scores",
        "campaign_contacts", "batch_prospects", "agent_runs", "relationships", "message_drafts", "message_versions",
    ]
    /// Replicated to every node.
    static let reference: Set<String> = [
        "industries", "solutions", "industry_solutions", "icp_profiles", "events", "campaigns", "batches", "experiments", "sequences",
        "sequence_steps", "mailboxes", "webhooks", "users",
    ]
    /// Kept on the coordinator.
    static let local: Set<String> = [
        "schema_migrations", "api_tokens", "web_sessions", "audit_actor", "imports", "intake_loads", "llm_usage", "mailbox_secrets",
        "webhook_secrets", "webhook_deliveries", "audit_log",
    ]

    @Test("every table is classified; distributed tables carry company_id but for the listed gaps", arguments: TestEngine.all)
    func fit(engine: TestEngine) async throws {
        #expect(Self.distributed.intersection(Self.gaps).isEmpty && Self.reference.intersection(Self.local).isEmpty)
        try await engine.withDatabase { database in
            let columns: [String: Set<String>] = try await database.withConnection { sql in
                let rows = engine == .sqlite
                    ? try await sql.raw("""
                        SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m JOIN pragma_table_info(m.name) p
                        WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
                        """).all()
                    : try await sql.raw("""
                        SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'
                        AND table_name IN (SELECT tablename FROM pg_tables WHERE schemaname = 'public')
                        """).all()
                var out: [String: Set<String>] = [:]
                for row in rows {
                    let table = try row.decode(column: "table_name", as: String.self)
                    if table.contains("_fts") { continue }  // SQLite's full-text index tables
                    out[table, default: []].insert(try row.decode(column: "column_name", as: String.self))
                }
                return out
            }
            let classified = Self.distributed.union(Self.gaps).union(Self.reference).union(Self.local).union(["companies"])
            let tables = Set(columns.keys)
            #expect(tables.subtracting(classified).isEmpty, "classify these tables in docs/SCALING.md and here: \(tables.subtracting(classified).sorted())")
            // audit_actor is SQLite's stand-in for PostgreSQL's session setting touchbase.actor.
            let expected = engine == .sqlite ? classified : classified.subtracting(["audit_actor"])
            #expect(expected.subtracting(tables).isEmpty, "no such tables any more: \(expected.subtracting(tables).sorted())")
            for table in Self.distributed {
                #expect(columns[table]?.contains("company_id") == true, "\(table) is distributed by company_id and must carry it")
            }
            for table in Self.gaps {
                #expect(columns[table]?.contains("company_id") != true, "\(table) carries company_id now: strike it from the gaps (and the plan)")
            }
        }
    }
}
