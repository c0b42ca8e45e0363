import Foundation
import PostgresKit
import Logging
import TouchbaseDomain
import TouchbaseStore

/// The engines a storage or API test runs on: SQLite always, PostgreSQL when `TOUCHBASE_TEST_POSTGRES_URL` is set.
public enum TestEngine: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite, postgres

    public var description: String { rawValue }

    public static var postgresURL: String? {
        let url = ProcessInfo.processInfo.environment["TOUCHBASE_TEST_POSTGRES_URL"]
        return (url?.isEmpty ?? true) ? nil : url
    }

    /// Every engine available to this run.
    public static var all: [TestEngine] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    /// Runs `body` on a fresh, migrated database of this engine, dropped afterwards.
    public func withDatabase<T: Sendable>(_ body: @Sendable (Database) async throws -> T) async throws -> T {
        let location = try await TemplateDatabases.shared.freshDatabase(self)
        let database = try Database(location: location, logger: Logger(label: "test"), maxConnections: 4, connectionWait: .seconds(120))
        do {
            let result = try await body(database)
            await database.shutdown()
            await TemplateDatabases.shared.drop(location)
            return result
        } catch {
            await database.shutdown()
            await TemplateDatabases.shared.drop(location)
            throw error
        }
    }
}

/// Makes each test's database by copying one migrated template per engine: a file copy on SQLite,
/// `CREATE DATABASE … TEMPLATE` on PostgreSQL. Migrations run once per test process.
actor TemplateDatabases {
    static let shared = TemplateDatabases()

    private var sqliteTemplate: Task<String, any Error>?
    private var postgresTemplate: Task<String, any Error>?
    private var admin: Database?
    private let directory: String = {
        let dir = NSTemporaryDirectory() + "touchbase-tests-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    func freshDatabase(_ engine: TestEngine) async throws -> DatabaseLocation {
        switch engine {
        case .sqlite:
            let template = try await sqliteTemplatePath()
            let path = directory + "/\(UUID().uuidString.lowercased()).sqlite"
            try FileManager.default.copyItem(atPath: template, toPath: path)
            return .sqlite(path: path)
        case .postgres:
            let template = try await postgresTemplateName()
            let name = "touchbase_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
            let admin = try adminDatabase()
            // A template another session is in (autovacuum, once) cannot be copied: "being accessed by other users"
            // (55006). The template takes no connections (below); should one still be there, the copy is tried again.
            var attempt = 0
            while true {
                do {
                    try await admin.withConnection { sql in
                        try await sql.raw("CREATE DATABASE \(ident: name) TEMPLATE \(ident: template)").run()
                    }
                    break
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 20 {
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(100 * attempt))
                }
            }
            return .postgres(url: Self.url(TestEngine.postgresURL!, database: name))
        }
    }

    func drop(_ location: DatabaseLocation) async {
        switch location {
        case .sqlite(let path):
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        case .postgres(let url):
            guard let name = URLComponents(string: url)?.path.dropFirst(), let admin = try? adminDatabase() else { return }
            let db = String(name)
            try? await admin.withConnection { sql in
                try await sql.raw("DROP DATABASE IF EXISTS \(ident: db) WITH (FORCE)").run()
            }
        }
    }

    private func sqliteTemplatePath() async throws -> String {
        if let sqliteTemplate { return try await sqliteTemplate.value }
        let path = directory + "/template.sqlite"
        let task = Task<String, any Error> {
            let db = try Database(location: .sqlite(path: path), logger: Logger(label: "test"), maxConnections: 1)
            do {
                try await Migrator(database: db).upgradeAll()
                try await db.withConnection { sql in try await sql.raw("PRAGMA wal_checkpoint(TRUNCATE)").run() }
            } catch {
                await db.shutdown()
                throw error
            }
            await db.shutdown()
            return path
        }
        sqliteTemplate = task
        return try await task.value
    }

    private func postgresTemplateName() async throws -> String {
        if let postgresTemplate { return try await postgresTemplate.value }
        let name = "touchbase_template_\(ProcessInfo.processInfo.processIdentifier)"
        let admin = try adminDatabase()
        let task = Task<String, any Error> {
            try await admin.withConnection { sql in
                try await sql.raw("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)").run()
                try await sql.raw("CREATE DATABASE \(ident: name)").run()
            }
            let db = try Database(
                location: .postgres(url: Self.url(TestEngine.postgresURL!, database: name)), logger: Logger(label: "test"),
                maxConnections: 1)
            do {
                try await Migrator(database: db).upgradeAll()
            } catch {
                await db.shutdown()
                throw error
            }
            await db.shutdown()
            // No session may enter the template from now on, autovacuum's included: copies of it never find it in use.
            try await admin.withConnection { sql in
                try await sql.raw("ALTER DATABASE \(ident: name) WITH ALLOW_CONNECTIONS false").run()
            }
            return name
        }
        postgresTemplate = task
        return try await task.value
    }

    private func adminDatabase() throws -> Database {
        if let admin { return admin }
        // Every test's database is made and dropped through this one: under a full parallel run a request may wait long.
        let db = try Database(
            location: .postgres(url: TestEngine.postgresURL!), logger: Logger(label: "test"), maxConnections: 2, connectionWait: .seconds(300))
        admin = db
        return db
    }

    static func url(_ base: String, database: String) -> String {
        var components = URLComponents(string: base)!
        components.path = "/" + database
        return components.string!
    }
}

/// What a write that must be refused was refused with, read as the API reads it (`StoreErrors.translate`): nil when
/// the write went through. Tests of plain SQL compare this with the rule's own refusal, not with any error.
public func refusal(_ body: () async throws -> Void) async -> DomainError? {
    do {
        try await body()
        return nil
    } catch {
        return StoreErrors.translate(error) as? DomainError ?? .badRequest("not a refusal: \(String(reflecting: error))")
    }
}
