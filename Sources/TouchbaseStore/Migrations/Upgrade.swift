import Crypto
import Foundation
import SQLKit
import TouchbaseDomain

// The migrations after 0013 and the checked way to apply them all. `Migrations.swift` is frozen as it shipped (it
// holds 0002's SQL and 0001's column lists beside the registry of 1-13 and its runner), so the registry goes on
// here: `Migrations.complete` is every migration, and `Migrator.upgrade` applies them. Append new migrations to
// `since0014`; never edit a shipped one.

extension Migrations {
    /// The migrations after 0013, in order.
    public static let since0014: [Migration] = [
        Migration(version: 14, name: "followup_order", sqlite: followupOrder0014, postgres: followupOrder0014),
        Migration(version: 15, name: "word_count_blanks", sqlite: [], postgres: wordCountPostgres0015),
        Migration(version: 16, name: "search_prefixes", sqlite: searchPrefixesSQLite0016, postgres: []),
        Migration(
            version: 17, name: "agent_ledger", sqlite: agentLedgerSQLite0017, postgres: agentLedgerPostgres0017,
            sqliteFromSchema: agentLedgerTriggers0017),
    ]

    /// Checksums other builds recorded for a migration whose text they held in another, equivalent form: a database
    /// they migrated is accepted as it is. 0013 on SQLite: from 22ad1bd to f41aa68 its stage advance listed the stages
    /// explicitly; fee81b6 put back 0004's rank rule, the text that shipped, which makes the same moves from every stage.
    public static let equivalentChecksums: [Int: [Engine: Set<String>]] = [
        13: [.sqlite: ["a9e12c43f9c41c3b6a303ecf4c1a204b9ec2cf1e2092379c6c4cf35dd976a976"]],
    ]

    /// Every migration, in order (`all` is the shipped registry of 1-13).
    public static let complete: [Migration] = all + since0014

    /// The newest version this build knows.
    public static var latest: Int { complete.last!.version }
}

extension Migration {
    /// SHA-256 (hex) of what this migration runs on `engine`: its version, name and fixed statements, in order.
    /// Recorded in `schema_migrations` and compared at every start, so that a shipped migration that was edited is
    /// caught instead of leaving databases that differ by when they were created.
    public func checksum(for engine: Engine) -> String {
        var text = "\(version) \(name)\n"
        for statement in statements(for: engine) { text += statement + "\n;\n" }
        return Hex.lowercase(SHA256.hash(data: Data(text.utf8)))
    }
}

/// Why the migrations of a database cannot be trusted; the server and the CLI refuse to start on it.
public enum MigrationError: Error, CustomStringConvertible, Equatable {
    /// An applied migration's statements differ from this build's.
    case changed(version: Int, name: String, recorded: String, current: String)
    /// The database has a migration this build does not know (a newer Touchbase migrated it).
    case unknown(version: Int, name: String)

    public var description: String {
        switch self {
        case .changed(let version, let name, let recorded, let current):
            "Migration \(version) (\(name)) differs from the one applied to this database (checksum \(recorded.prefix(12)) applied, "
                + "\(current.prefix(12)) in this build). A shipped migration is never edited: restore it and put the change in a new migration."
        case .unknown(let version, let name):
            "This database has migration \(version) (\(name)), which this build of Touchbase does not know: it was migrated by a newer "
                + "version. Run that version, or restore a backup taken before the upgrade."
        }
    }
}

extension Migrator {
    /// Applies every pending migration up to `version` (default: all) and returns the ones applied now. First checks
    /// those already applied: an unknown version or a changed checksum is a `MigrationError`, and nothing is applied.
    /// 1-13 are applied by the shipped runner (`migrate()`), the later ones here; every applied migration ends with its
    /// checksum (one applied before checksums were kept gets this build's). `version` is at least 13: the shipped
    /// runner applies 1-13 together.
    @discardableResult
    public func upgrade(through version: Int = Migrations.latest) async throws -> [Migration] {
        precondition(version >= Migrations.all.last!.version, "the shipped runner applies migrations 1-13 together")
        try await checked()
        var applied = try await migrate()
        if !applied.isEmpty { try await checked() }
        for migration in Migrations.since0014 where migration.version <= version {
            if try await apply(migration) {
                database.logger.info("applied migration \(migration.version) \(migration.name)")
                applied.append(migration)
            }
        }
        return applied
    }

    /// Under the migration lock: the table and its checksum column exist, and every applied migration is verified.
    private func checked() async throws {
        let engine = database.engine
        try await database.transaction { sql in
            if engine == .postgres { try await sql.raw("SELECT pg_advisory_xact_lock(7423011)").run() }
            try await Self.ensureTable(sql, engine: engine)
            try await Self.ensureChecksumColumn(sql, engine: engine)
            try await Self.verify(sql, engine: engine)
        }
    }

    /// Applies one migration in its own transaction unless it is recorded already; true when it ran now.
    private func apply(_ migration: Migration) async throws -> Bool {
        let engine = database.engine
        return try await database.transaction { sql -> Bool in
            if engine == .postgres { try await sql.raw("SELECT pg_advisory_xact_lock(7423011)").run() }
            let done = try await sql.raw("SELECT count(*) AS n FROM schema_migrations WHERE version = \(bind: migration.version)")
                .first()?.decode(column: "n", as: Int.self) ?? 0
            if done > 0 { return false }
            for statement in migration.statements(for: engine) { try await sql.raw("\(unsafeRaw: statement)").run() }
            if engine == .sqlite, let generate = migration.sqliteFromSchema {
                for statement in try await generate(sql) { try await sql.raw("\(unsafeRaw: statement)").run() }
            }
            try await migration.backfill?(sql, database.dialect)
            try await sql.raw(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: migration.checksum(for: engine)))"
            ).run()
            return true
        }
    }

    /// Databases made before checksums were kept get the column.
    static func ensureChecksumColumn(_ sql: any SQLDatabase, engine: Engine) async throws {
        let present = try await sql.raw(
            engine == .sqlite
                ? "SELECT count(*) AS n FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'"
                : "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'checksum'"
        ).first()?.decode(column: "n", as: Int.self) ?? 0
        if present == 0 { try await sql.raw("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT").run() }
    }

    /// Every applied migration is one this build knows, with the statements it ran; a row without a checksum gets
    /// this build's.
    static func verify(_ sql: any SQLDatabase, engine: Engine) async throws {
        let known = Dictionary(uniqueKeysWithValues: Migrations.complete.map { ($0.version, $0) })
        for row in try await sql.raw("SELECT version, name, checksum FROM schema_migrations ORDER BY version").all() {
            let version = try row.decode(column: "version", as: Int.self)
            let name = try row.decode(column: "name", as: String.self)
            guard let migration = known[version] else { throw MigrationError.unknown(version: version, name: name) }
            let current = migration.checksum(for: engine)
            guard let recorded = try row.decode(column: "checksum", as: String?.self) else {
                try await sql.raw("UPDATE schema_migrations SET checksum = \(bind: current) WHERE version = \(bind: version)").run()
                continue
            }
            if recorded != current && !(Migrations.equivalentChecksums[version]?[engine]?.contains(recorded) ?? false) {
                throw MigrationError.changed(version: version, name: name, recorded: recorded, current: current)
            }
        }
    }
}
