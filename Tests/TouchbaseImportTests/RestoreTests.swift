import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore
import TouchbaseTestSupport

@Suite("Restore")
struct RestoreTests {
    /// SQLite to PostgreSQL and back when PostgreSQL is there; SQLite to SQLite otherwise.
    static let pairs: [(TestEngine, TestEngine)] =
        TestEngine.postgresURL == nil ? [(.sqlite, .sqlite)] : [(.sqlite, .postgres), (.postgres, .sqlite)]

    @Test("export, restore into an empty database, export again: the same dump, with triggers back afterwards", arguments: pairs)
    func roundTrip(from: TestEngine, to: TestEngine) async throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-restore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = dir.appendingPathComponent("first.jsonl")
        let second = dir.appendingPathComponent("second.jsonl")
        try await from.withDatabase { database in
            try await AuditContext.$actor.withValue("user:test") {
                _ = try await DemoGenerator(database: database).generate(companies: 5, contactsPerCompany: 3, touchesPerConversation: 2, seed: 11)
                let store = RecordStore(database: database)
                let runs = try await store.create(Entities.agentRuns, ["agent_name": "researcher", "run_type": .string(Vocabulary.runType[0])])
                _ = try await store.create(Entities.agentRuns, ["agent_name": "writer", "run_type": .string(Vocabulary.runType[0]), "parent_run_id": .string(runs.id.lowercased)])
            }
            _ = try await Exporter(database: database).jsonl(to: first, entities: Entities.stored)
        }
        try await to.withDatabase { database in
            let counts = try await Restorer(database: database).run(file: first)
            #expect(counts.first { $0.0 == "companies" }?.1 == 5)
            #expect(counts.first { $0.0 == "audit_log" }.map { $0.1 > 0 } == true)
            _ = try await Exporter(database: database).jsonl(to: second, entities: Entities.stored)
            let a = try String(contentsOf: first, encoding: .utf8)
            let b = try String(contentsOf: second, encoding: .utf8)
            #expect(a.split(separator: "\n").count == b.split(separator: "\n").count)
            for (x, y) in zip(a.split(separator: "\n"), b.split(separator: "\n")) where x != y {
                Issue.record("differs:\n\(x)\n\(y)")
                break
            }
            // The restored database works as any other: counters, slots, search and audit fire again.
            let store = RecordStore(database: database)
            let company = try #require(try await store.select(Entities.companies, limit: 1).first)
            let before = company.int("total_contacts")
            let audits = try await database.withConnection { sql in
                try await sql.raw("SELECT count(*) AS n FROM audit_log").first()!.decode(column: "n", as: Int.self)
            }
            _ = try await store.create(Entities.contacts, ["first_name": "Zed", "email": "zed@restored.example", "company_id": .string(company.id.lowercased)])
            #expect(try await store.get(Entities.companies, company.id).int("total_contacts") == before + 1)
            let page = try await store.list(Entities.contacts, ListQuery(search: "zed"))
            #expect(page.records.count == 1)
            let after = try await database.withConnection { sql in
                try await sql.raw("SELECT count(*) AS n FROM audit_log").first()!.decode(column: "n", as: Int.self)
            }
            #expect(after > audits)
            // A second restore is refused: the database is no longer empty, and nothing changes.
            await #expect(throws: DomainError.self) { _ = try await Restorer(database: database).run(file: first) }
            #expect(try await store.select(Entities.companies).count == 5)
        }
    }

    @Test("a broken dump is refused with its line number and leaves the database empty", arguments: TestEngine.all)
    func brokenDump(engine: TestEngine) async throws {
        let file = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-broken-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let id = UUIDv7.make().lowercased
        try "{\"table\":\"companies\",\"row\":{\"id\":\"\(id)\",\"name\":\"Acme\"}}\n{\"table\":\"nope\",\"row\":{}}\n".write(to: file, atomically: true, encoding: .utf8)
        try await engine.withDatabase { database in
            do {
                _ = try await Restorer(database: database).run(file: file)
                Issue.record("the dump was accepted")
            } catch let error as DomainError {
                #expect(error.message.contains("line 2") && error.message.contains("nope"), "\(error.message)")
            }
            #expect(try await RecordStore(database: database).select(Entities.companies).isEmpty)
            #expect(try await RecordStore(database: database).select(Entities.companySlots).isEmpty)
        }
    }
}
