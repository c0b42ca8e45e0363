import SQLKit

// The migrations after 0017 and the runner that knows every migration. Like every file in Migrations/,
// Migrations/Upgrade.swift is frozen now that it shipped (with 14-17 and `Migrator.upgrade`, whose list ends at 17),
// so the list goes on here, outside that folder: a new migration is a new file in Migrations/ and a line below.

extension Migrations {
    /// The migrations after 0017, in order: append each new one.
    public static let since0018: [Migration] = [
        Migration(version: 18, name: "web_sign_in", sqlite: webSignInSQLite0018, postgres: webSignInPostgres0018),
        Migration(version: 19, name: "today_bounces", sqlite: todayBounces0019, postgres: todayBounces0019),
        Migration(version: 20, name: "data_quality_indexes", sqlite: dataQualityIndexes0020, postgres: dataQualityIndexes0020),
        Migration(version: 21, name: "renewal_walks", sqlite: renewalWalks0021, postgres: renewalWalks0021),
        Migration(
            version: 22, name: "sequences", sqlite: sequencesSQLite0022, postgres: sequencesPostgres0022,
            sqliteFromSchema: sequencesAuditTriggers0022),
        Migration(version: 23, name: "enrollment_stops", sqlite: enrollmentStopsSQLite0023, postgres: enrollmentStopsPostgres0023),
        Migration(
            version: 24, name: "mailboxes", sqlite: mailboxesSQLite0024, postgres: mailboxesPostgres0024,
            sqliteFromSchema: mailboxesAuditTriggers0024),
        Migration(
            version: 25, name: "inbound_email", sqlite: inboundSQLite0025, postgres: inboundPostgres0025,
            sqliteFromSchema: inboundAuditTriggers0025),
        Migration(
            version: 26, name: "webhooks", sqlite: webhooksSQLite0026, postgres: webhooksPostgres0026,
            sqliteFromSchema: webhooksAuditTriggers0026),
    ]

    /// Every migration this build knows, in order.
    public static let known: [Migration] = complete + since0018

    /// The newest version this build knows.
    public static var newest: Int { known.last!.version }
}

extension Migrator {
    /// Applies every pending migration up to `version` (default: all) and returns the ones applied now. First checks
    /// those already applied against every migration this build knows: an unknown version or a changed checksum is a
    /// `MigrationError`, and nothing is applied. 1-13 are applied by the shipped runner (`migrate()`), the later ones
    /// here, each in its own transaction with its checksum. `version` is at least 13.
    /// (`upgrade(through:)` of Upgrade.swift does the same for the migrations up to 17 only; nothing calls it.)
    @discardableResult
    public func upgradeAll(through version: Int = Migrations.newest) async throws -> [Migration] {
        precondition(version >= Migrations.all.last!.version, "the shipped runner applies migrations 1-13 together")
        try await verifiedUnderLock()
        var applied = try await migrate()
        if !applied.isEmpty { try await verifiedUnderLock() }
        for migration in Migrations.since0014 + Migrations.since0018 where migration.version <= version {
            if try await applyOnce(migration) {
                database.logger.info("applied migration \(migration.version) \(migration.name)")
                applied.append(migration)
            }
        }
        return applied
    }

    /// Under the migration lock: the table and its checksum column exist, and every applied migration is known with the
    /// statements it ran (a row without a checksum gets this build's).
    private func verifiedUnderLock() async throws {
        let engine = database.engine
        try await database.transaction { sql in
            if engine == .postgres { try await sql.raw("SELECT pg_advisory_xact_lock(7423011)").run() }
            try await Self.ensureTable(sql, engine: engine)
            try await Self.ensureChecksumColumn(sql, engine: engine)
            let known = Dictionary(uniqueKeysWithValues: Migrations.known.map { ($0.version, $0) })
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

    /// Applies one migration in its own transaction unless it is recorded already; true when it ran now.
    private func applyOnce(_ migration: Migration) async throws -> Bool {
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
}
