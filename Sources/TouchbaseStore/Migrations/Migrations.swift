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
    ]

    /// Columns that only sum up other rows, per table, as the latest migration knows them: the audit log leaves
    /// out updates that move only these.
    public static var rollupColumns: [String: [String]] { rollupColumns0012 }

    /// The writable columns of migration 0001's tables: their `updated_at` triggers fire on these, and later
    /// migrations that add columns rebuild the triggers from these lists plus their own.
    static let companyColumns0001 = ["name", "domain", "industry", "size", "research_data", "account_tier", "account_status"]
    static let contactColumns0001 = [
        "company_id", "first_name", "last_name", "email", "linkedin_url", "phone", "title", "role", "department",
        "seniority_level", "status", "interests", "research_data", "engagement_score", "is_primary_contact",
        "is_decision_maker", "is_champion",
    ]
    static let relationshipColumns0001 = ["contact_id_1", "contact_id_2", "relationship_type", "strength", "confidence_score", "metadata"]
    static let conversationColumns0001 = [
        "contact_id", "company_id", "status", "qualification_tier", "subject", "next_touchpoint_at", "sequence_step",
        "context", "metadata", "estimated_value", "actual_value", "outcome",
    ]
    static let touchpointColumns0001 = [
        "conversation_id", "contact_id", "company_id", "channel", "direction", "subject", "content", "response",
        "sent_at", "delivered_at", "opened_at", "clicked_at", "replied_at", "outcome", "metadata",
    ]

    static let auditedTables0006 = [
        "industries", "solutions", "industry_solutions", "events", "llm_usage", "campaigns", "campaign_contacts", "meetings",
        "handoffs", "intake_loads", "company_slots",
    ]

    static let sqlite0002: [String] = [
        """
        CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            role TEXT NOT NULL CONSTRAINT ck_api_tokens__role CHECK (role IN ('admin','member','agent','viewer')),
            token_hash TEXT NOT NULL,
            token_prefix TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            last_used_at TEXT,
            revoked_at TEXT
        )
        """,
        "CREATE UNIQUE INDEX ux_api_tokens__token_hash ON api_tokens (token_hash)",
        "CREATE UNIQUE INDEX ux_api_tokens__name ON api_tokens (name) WHERE revoked_at IS NULL",
    ]

    static let postgres0002: [String] = [
        """
        CREATE TABLE api_tokens (
            id uuid PRIMARY KEY,
            name text NOT NULL,
            role text NOT NULL CONSTRAINT ck_api_tokens__role CHECK (role IN ('admin','member','agent','viewer')),
            token_hash text NOT NULL,
            token_prefix text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            last_used_at timestamptz,
            revoked_at timestamptz
        )
        """,
        "CREATE UNIQUE INDEX ux_api_tokens__token_hash ON api_tokens (token_hash)",
        "CREATE UNIQUE INDEX ux_api_tokens__name ON api_tokens (name) WHERE revoked_at IS NULL",
    ]
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
        let engine = database.engine
        var applied: [Migration] = []
        for migration in Migrations.all {
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
                    "INSERT INTO schema_migrations (version, name) VALUES (\(bind: migration.version), \(bind: migration.name))"
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
    }
}
