import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

/// Full-text search of companies and contacts: prefixes of every length, emails, several words; on SQLite the rows
/// stored before migration 0016 made its prefix indexes are found as well.
@Suite("Full-text search")
struct SearchTests {
    static func names(_ store: RecordStore, _ entity: Entity, _ q: String) async throws -> [String] {
        try await store.list(entity, ListQuery(search: q, limit: 100)).records.map { $0.string("email") ?? $0.string("name") ?? "" }.sorted()
    }

    @Test("prefixes of any length, emails and several words find the same people on both engines", arguments: TestEngine.all)
    func prefixes(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let store = RecordStore(database: db)
            let acme = try await store.create(Entities.companies, ["name": "Acme Robotics", "domain": "acme-robotics.example", "industry": "Manufacturing"]).id
            for (first, last, title) in [("Maya", "Chen", "Chief Technology Officer"), ("Mayank", "Rao", "Engineering Manager"), ("Ada", "Chenoweth", "QA Lead")] {
                _ = try await store.create(Entities.contacts, [
                    "first_name": .string(first), "last_name": .string(last), "title": .string(title), "company_id": .string(acme.lowercased),
                    "email": .string("\(first.lowercased()).\(last.lowercased())@acme-robotics.example"),
                ])
            }
            let maya = "maya.chen@acme-robotics.example", mayank = "mayank.rao@acme-robotics.example", ada = "ada.chenoweth@acme-robotics.example"
            #expect(try await Self.names(store, Entities.contacts, "m") == [maya, mayank])
            #expect(try await Self.names(store, Entities.contacts, "may") == [maya, mayank])
            #expect(try await Self.names(store, Entities.contacts, "mayan") == [mayank])
            #expect(try await Self.names(store, Entities.contacts, "chen") == [ada, maya])
            #expect(try await Self.names(store, Entities.contacts, "maya chen") == [maya])
            #expect(try await Self.names(store, Entities.contacts, "Engineering") == [mayank])
            #expect(try await Self.names(store, Entities.contacts, "engineerin") == [mayank])
            #expect(try await Self.names(store, Entities.contacts, "maya.chen@acme") == [maya])
            #expect(try await Self.names(store, Entities.contacts, "nobody") == [])
            #expect(try await Self.names(store, Entities.companies, "robo") == ["Acme Robotics"])
            #expect(try await Self.names(store, Entities.companies, "manufacturing") == ["Acme Robotics"])
            #expect(try await Self.names(store, Entities.companies, "acme-robotics.ex") == ["Acme Robotics"])
            #expect(try await Self.names(store, Entities.contacts, "maya.chen@acme chief") == [maya])
        }
    }

    @Test("SQLite: rows stored before the prefix indexes are found after migration 0016")
    func rebuiltFromStoredRows() async throws {
        let path = NSTemporaryDirectory() + "touchbase-search-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let db = try Database(location: .sqlite(path: path), logger: .init(label: "test"), maxConnections: 2)
        do {
            try await Migrator(database: db).upgradeAll(through: 15)
            let store = RecordStore(database: db)
            _ = try await store.create(Entities.companies, ["name": "Before Prefixes Ltd", "domain": "before.example"])
            // In SQL: the contact entity of this build has columns (time_zone, 0024) that a schema at 15 lacks.
            try await db.withConnection { sql in
                try await sql.raw("INSERT INTO contacts (first_name, last_name, email) VALUES ('Octavia', 'Stored', 'octavia@before.example')").run()
            }
            #expect(try await Migrator(database: db).upgradeAll(through: 16).map(\.version) == [16])
            let definition = try await db.withConnection { sql in
                try await sql.raw("SELECT sql FROM sqlite_master WHERE name = 'contacts_fts'").first()?.decode(column: "sql", as: String.self)
            }
            #expect(definition?.contains("prefix='1 2 3 4 5 6 7 8'") == true)
            // The rest of the way (this build's entities read columns of later migrations), then searched.
            try await Migrator(database: db).upgradeAll()
            #expect(try await Self.names(store, Entities.contacts, "oct") == ["octavia@before.example"])
            #expect(try await Self.names(store, Entities.companies, "pref") == ["Before Prefixes Ltd"])
            // And the triggers of 0001 keep the new index in step.
            _ = try await store.create(Entities.contacts, ["first_name": "Octavius", "email": "octavius@before.example"])
            #expect(try await Self.names(store, Entities.contacts, "octav") == ["octavia@before.example", "octavius@before.example"])
        } catch {
            await db.shutdown()
            throw error
        }
        await db.shutdown()
    }
}
