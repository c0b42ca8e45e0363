import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

/// Shipped migrations are frozen: what each runs is pinned here, and a database whose applied migrations differ from
/// this build's is refused at start.
@Suite("Migration checksums")
struct MigrationChecksumTests {
    /// The first 16 hex digits of each shipped migration's checksum, SQLite then PostgreSQL. A change to a shipped
    /// migration fails here first: put the change in a new migration instead, and pin that one.
    static let pinned: [Int: (sqlite: String, postgres: String)] = [
        1: ("0e50371d3726c82a", "084af74522eb9f3a"),
        2: ("c0c6f8e9de129f5f", "1274cb500e3c64a2"),
        3: ("fed2e8235b0f81cb", "3a688914b03719d2"),
        4: ("4e0989938e664444", "ff26014a736c18d3"),
        5: ("8d72b64428670574", "2a4250d55654d427"),
        6: ("6caa197f55c6af08", "d36b6f74d2f76769"),
        7: ("6ed7ded5a909fe45", "4830cf0b18796019"),
        8: ("78e3fb1cd65c273e", "5ae7dcdb95cf5773"),
        9: ("635c7fac6d0cfcf7", "3c3cc2a57c17c9a0"),
        10: ("af925a594d70ae4d", "a2663fbe9a2c7c2e"),
        11: ("97660e875b15a3a7", "e28b185f2af984de"),
        12: ("4b8dfa3a29e00df9", "074bd9924fe3aed6"),
        13: ("e3be8bacf984d25f", "fee826557477f0e5"),
        14: ("d5c6bcce18908a1a", "d5c6bcce18908a1a"),
        15: ("6f294cae3f84e755", "ff1327cf67cb5586"),
        16: ("c0d86be45d44b53d", "6af8a63c2c6ed13f"),
        17: ("069c4e3dcd02eaae", "f5672d46e2144a19"),
        18: ("cc80381668d97622", "0374b4137629e8c7"),
        19: ("4c81c5207b41bfa5", "4c81c5207b41bfa5"),
        20: ("2937cc0fbac43c92", "2937cc0fbac43c92"),
        21: ("d55da24ec01f6312", "d55da24ec01f6312"),
        22: ("9f7aa5c159f331f8", "eabad8d4c081864e"),
        23: ("df42265ff4f46a1d", "70d0f7b88db860fc"),
        24: ("8ac4f21839a034e5", "0aa78f205cb4cdd9"),
        25: ("9d5dac20c456eda7", "34c0ecc6b4c7c6f4"),
        26: ("105f85a3c7effdb0", "e2f7a296fb3c0198"),
    ]

    /// FNV-1a of the whole SQLite schema a fresh database gets, statements written from the schema (audit triggers)
    /// included, which the checksums above cannot see. A new SQLite migration changes it: pin the new value with it.
    static let pinnedSQLiteSchema = "e471067c9e68708e"

    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return String(hash, radix: 16)
    }

    @Test("the SQLite schema of a fresh database, generated triggers included, is the one shipped")
    func pinnedSQLiteSchemaText() async throws {
        try await TestEngine.sqlite.withDatabase { db in
            let rows = try await db.withConnection { sql in
                try await sql.raw("SELECT type, name, coalesce(sql, '') AS sql FROM sqlite_master ORDER BY type, name").all()
            }
            let text = try rows.map { try "\($0.decode(column: "type", as: String.self)) \($0.decode(column: "name", as: String.self))\n\($0.decode(column: "sql", as: String.self))" }
                .joined(separator: "\n;\n")
            #expect(Self.fnv1a(text) == Self.pinnedSQLiteSchema, "the schema changed: a shipped migration or its generator was edited")
        }
    }

    @Test("every shipped migration runs exactly the statements it shipped with")
    func pinnedStatements() {
        #expect(Set(Self.pinned.keys) == Set(Migrations.known.map(\.version)), "pin each new migration's checksums here")
        for migration in Migrations.known {
            let pin = Self.pinned[migration.version]
            #expect(String(migration.checksum(for: .sqlite).prefix(16)) == pin?.sqlite, "migration \(migration.version) on SQLite")
            #expect(String(migration.checksum(for: .postgres).prefix(16)) == pin?.postgres, "migration \(migration.version) on PostgreSQL")
        }
    }

    @Test("a fresh database records each migration's checksum", arguments: TestEngine.all)
    func recorded(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let rows = try await db.withConnection { sql in
                try await sql.raw("SELECT version, checksum FROM schema_migrations ORDER BY version").all()
            }
            let engineKind: Engine = engine == .sqlite ? .sqlite : .postgres
            #expect(try rows.map { try $0.decode(column: "checksum", as: String.self) } == Migrations.known.map { $0.checksum(for: engineKind) })
        }
    }

    @Test("an edited shipped migration is refused at start and nothing is applied", arguments: TestEngine.all)
    func changedIsRefused(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            try await db.withConnection { sql in
                try await sql.raw("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 4").run()
                try await sql.raw("DELETE FROM schema_migrations WHERE version = 14").run()
            }
            let error = await #expect(throws: MigrationError.self) { try await Migrator(database: db).upgradeAll() }
            guard case .changed(let version, let name, let recorded, _) = error else {
                Issue.record("expected a changed migration, got \(String(describing: error))")
                return
            }
            #expect(version == 4 && name == "outreach_rules" && recorded == "edited")
            #expect(error?.description.hasPrefix("Migration 4 (outreach_rules) differs from the one applied to this database") == true)
            // The check comes before any pending migration runs.
            #expect(try await Migrator(database: db).appliedVersions().contains(14) == false)
        }
    }

    @Test("a database whose 0013 was applied in its equivalent earlier SQLite text starts; any other text is refused")
    func equivalentEarlierText() async throws {
        try await TestEngine.sqlite.withDatabase { db in
            let earlier = try #require(Migrations.equivalentChecksums[13]?[.sqlite]?.first)
            #expect(earlier.hasPrefix("a9e12c43f9c41c3b"), "the pin builds from 22ad1bd to f41aa68 recorded")
            #expect(earlier != Migrations.known[12].checksum(for: .sqlite))
            try await db.withConnection { sql in
                try await sql.raw("UPDATE schema_migrations SET checksum = \(bind: earlier) WHERE version = 13").run()
            }
            #expect(try await Migrator(database: db).upgradeAll().isEmpty)
            try await db.withConnection { sql in
                try await sql.raw("UPDATE schema_migrations SET checksum = \(bind: String(earlier.reversed())) WHERE version = 13").run()
            }
            await #expect(throws: MigrationError.self) { try await Migrator(database: db).upgradeAll() }
        }
    }

    @Test("a database migrated by a newer build is refused; one from before checksums gets them", arguments: TestEngine.all)
    func unknownAndMissing(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            try await db.withConnection { sql in
                try await sql.raw("UPDATE schema_migrations SET checksum = NULL WHERE version <= 3").run()
            }
            #expect(try await Migrator(database: db).upgradeAll().isEmpty)
            let engineKind: Engine = engine == .sqlite ? .sqlite : .postgres
            let filled = try await db.withConnection { sql in
                try await sql.raw("SELECT checksum FROM schema_migrations WHERE version = 3").first()?.decode(column: "checksum", as: String.self)
            }
            #expect(filled == Migrations.known[2].checksum(for: engineKind))

            try await db.withConnection { sql in
                try await sql.raw("INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'from_the_future', 'x')").run()
            }
            let error = await #expect(throws: MigrationError.self) { try await Migrator(database: db).upgradeAll() }
            #expect(error == .unknown(version: 999, name: "from_the_future"))
            #expect(error?.description.contains("migrated by a newer version") == true)
        }
    }

    @Test("a database made before checksums were kept gains the column and keeps working")
    func columnAdded() async throws {
        let path = NSTemporaryDirectory() + "touchbase-checksum-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try Database(location: .sqlite(path: path), logger: .init(label: "test"), maxConnections: 1)
        do {
            try await db.withConnection { sql in
                // The table as every build before checksums made it.
                try await sql.raw(
                    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
                ).run()
            }
            try await Migrator(database: db).upgradeAll()
            #expect(try await Migrator(database: db).appliedVersions() == Migrations.known.map(\.version))
            #expect(try await Migrator(database: db).upgradeAll().isEmpty)
        } catch {
            await db.shutdown()
            throw error
        }
        await db.shutdown()
    }
}
