import Crypto
import Foundation
import Logging
import SQLKit
import TouchbaseDomain

/// One schema change, as SQL statements per engine.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sqlite: [String]
    public let postgres: [String]
    /// Statements written from the schema as it stands at this version (SQLite's audit triggers list every
    /// column, which `pragma_table_xinfo` tells); run after the fixed statements.
    let sqliteFromSchema: (@Sendable (any SQLDatabase) async throws -> [String])?
    /// Rows brought in line with the new schema by Swift code (a value only Swift works out), after the statements.
    let backfill: (@Sendable (any SQLDatabase, Dialect) async throws -> Void)?

    init(
        version: Int, name: String, sqlite: [String], postgres: [String],
        sqliteFromSchema: (@Sendable (any SQLDatabase) async throws -> [String])? = nil,
        backfill: (@Sendable (any SQLDatabase, Dialect) async throws -> Void)? = nil
    ) {
        self.backfill = backfill
        self.version = version
        self.name = name
        self.sqlite = sqlite
        self.postgres = postgres
        self.sqliteFromSchema = sqliteFromSchema
    }

    func statements(for engine: Engine) -> [String] {
        engine == .sqlite ? sqlite : postgres
    }

    /// SHA-256 (hex) of what this migration runs on `engine`: its version, name and fixed statements, in order.
    /// Recorded in `schema_migrations` when applied and compared at every start, so that a shipped migration that was
    /// edited is caught instead of leaving databases that differ by when they were created.
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

/// The ordered list of migrations. Append only: a migration that has shipped is never edited.
public enum Migrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "core_model", sqlite: sqlite0001, postgres: postgres0001),
        Migration(version: 2, name: "api_tokens", sqlite: sqlite0002, postgres: postgres0002),
        Migration(version: 3, name: "outreach_tables", sqlite: sqlite0003, postgres: postgres0003),
        Migration(version: 4, name: "outreach_rules", sqlite: sqlite0004, postgres: postgres0004),
        Migration(
            version: 5, name: "audit_log_triggers", sqlite: sqlite0005, postgres: postgres0005,
            sqliteFromSchema: { sql in try await sqliteAuditTriggers(sql, tables: auditedTables0005) }),
        Migration(
            version: 6, name: "catalog_campaigns_slots", sqlite: sqlite0006, postgres: postgres0006,
            sqliteFromSchema: { sql in try await sqliteAuditTriggers(sql, tables: auditedTables0005 + auditedTables0006) }),
        Migration(version: 7, name: "imports", sqlite: sqlite0007, postgres: postgres0007),
        Migration(
            version: 8, name: "audit_skips_rollups", sqlite: [], postgres: postgres0008,
            sqliteFromSchema: { sql in
                try await sqliteAuditTriggers(
                    sql, tables: auditedTables0005 + auditedTables0006, rollups: rollupColumns0008, changesOnly: true)
            }),
        Migration(version: 9, name: "set_based_counters", sqlite: [], postgres: postgres0009),
        Migration(version: 10, name: "set_based_insert_rules", sqlite: [], postgres: postgres0010),
        Migration(version: 11, name: "audit_per_statement", sqlite: [], postgres: postgres0011),
        Migration(
            version: 12, name: "import_fidelity", sqlite: sqlite0012, postgres: postgres0012,
            sqliteFromSchema: { sql in try await sqliteFromSchema0012(sql) }, backfill: { sql, dialect in try await backfill0012(sql, dialect) }),
        Migration(version: 13, name: "rules_on_every_write", sqlite: sqlite0013, postgres: postgres0013),
        Migration(version: 14, name: "followup_order", sqlite: followupOrder0014, postgres: followupOrder0014),
        Migration(version: 15, name: "word_count_blanks", sqlite: [], postgres: wordCountPostgres0015),
        Migration(version: 16, name: "search_prefixes", sqlite: searchPrefixesSQLite0016, postgres: []),
    ]

    /// Columns that only sum up other rows, per table, as the latest migration knows them: the audit log leaves
    /// out updates that move only these.
    public static var rollupColumns: [String: [String]] { rollupColumns0012 }
}

/// Applies pending migrations, each in its own transaction, recording them in `schema_migrations`.
/// Safe to run from several processes at once: PostgreSQL serialises on an advisory lock, SQLite on its write lock.
public struct Migrator: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// Versions already applied.
    public func appliedVersions() async throws -> [Int] {
        try await database.withConnection { sql in
            try await Self.ensureTable(sql, engine: database.engine)
            return try await sql.raw("SELECT version FROM schema_migrations ORDER BY version").all()
                .map { try $0.decode(column: "version", as: Int.self) }
        }
    }

    /// Applies every pending migration and returns the ones applied now.
    @discardableResult
    public func migrate() async throws -> [Migration] {
        try await migrate(through: Migrations.all.last!.version)
    }

    /// Applies pending migrations up to and including `version` (tests look at the schema between migrations).
    /// First checks those already applied: an unknown version or a changed checksum is a `MigrationError`, and
    /// nothing is applied. A migration applied before checksums were kept gets this build's checksum.
    @discardableResult
    public func migrate(through version: Int) async throws -> [Migration] {
        let engine = database.engine
        try await database.transaction { sql in
            if engine == .postgres { try await sql.raw("SELECT pg_advisory_xact_lock(7423011)").run() }
            try await Self.ensureTable(sql, engine: engine)
            try await Self.verify(sql, engine: engine)
        }
        var applied: [Migration] = []
        for migration in Migrations.all where migration.version <= version {
            let ran = try await database.transaction { sql -> Bool in
                if engine == .postgres {
                    try await sql.raw("SELECT pg_advisory_xact_lock(7423011)").run()
                }
                try await Self.ensureTable(sql, engine: engine)
                let done = try await sql.raw(
                    "SELECT count(*) AS n FROM schema_migrations WHERE version = \(bind: migration.version)"
                ).first()?.decode(column: "n", as: Int.self) ?? 0
                if done > 0 { return false }
                for statement in migration.statements(for: engine) {
                    try await sql.raw("\(unsafeRaw: statement)").run()
                }
                if engine == .sqlite, let generate = migration.sqliteFromSchema {
                    for statement in try await generate(sql) {
                        try await sql.raw("\(unsafeRaw: statement)").run()
                    }
                }
                try await migration.backfill?(sql, database.dialect)
                try await sql.raw(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: migration.checksum(for: engine)))"
                ).run()
                return true
            }
            if ran {
                database.logger.info("applied migration \(migration.version) \(migration.name)")
                applied.append(migration)
            }
        }
        return applied
    }

    static func ensureTable(_ sql: any SQLDatabase, engine: Engine) async throws {
        let ts = engine == .sqlite ? "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))" : "timestamptz NOT NULL DEFAULT now()"
        try await sql.raw(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at \(unsafeRaw: ts))"
        ).run()
        // Databases made before checksums were kept get the column.
        let present = try await sql.raw(
            engine == .sqlite
                ? "SELECT count(*) AS n FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'"
                : "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'checksum'"
        ).first()?.decode(column: "n", as: Int.self) ?? 0
        if present == 0 { try await sql.raw("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT").run() }
    }

    /// Every applied migration is one this build knows, with the statements it ran; a row without a checksum
    /// (applied before they were kept) gets this build's.
    static func verify(_ sql: any SQLDatabase, engine: Engine) async throws {
        let known = Dictionary(uniqueKeysWithValues: Migrations.all.map { ($0.version, $0) })
        for row in try await sql.raw("SELECT version, name, checksum FROM schema_migrations ORDER BY version").all() {
            let version = try row.decode(column: "version", as: Int.self)
            let name = try row.decode(column: "name", as: String.self)
            guard let migration = known[version] else { throw MigrationError.unknown(version: version, name: name) }
            let current = migration.checksum(for: engine)
            guard let recorded = try row.decode(column: "checksum", as: String?.self) else {
                try await sql.raw("UPDATE schema_migrations SET checksum = \(bind: current) WHERE version = \(bind: version)").run()
                continue
            }
            if recorded != current { throw MigrationError.changed(version: version, name: name, recorded: recorded, current: current) }
        }
    }
}
