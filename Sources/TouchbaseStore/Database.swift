@preconcurrency import AsyncKit
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import TouchbaseDomain

/// The two engines Touchbase runs on.
public enum Engine: String, Sendable {
    case sqlite, postgres
}

/// Where the database lives, parsed from `TOUCHBASE_DATABASE_URL` / `--database`.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// A file path or `sqlite://PATH` selects SQLite; `postgres://` or `postgresql://` selects PostgreSQL.
    public init(_ text: String) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else if text.hasPrefix("sqlite://") {
            self = .sqlite(path: String(text.dropFirst("sqlite://".count)))
        } else if text.hasPrefix("sqlite:") {
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        } else {
            self = .sqlite(path: text)
        }
    }

    public static let defaultPath = "./touchbase.sqlite"

    public var engine: Engine {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// A form fit for logs: the password of a PostgreSQL URL is masked.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite://\(path)"
        case .postgres(let url):
            guard var components = URLComponents(string: url) else { return "postgres://…" }
            if components.password != nil { components.password = "***" }
            return components.string ?? "postgres://…"
        }
    }
}

/// Opens SQLite connections with the settings every Touchbase connection needs:
/// foreign keys on, WAL journal, a busy timeout, and a page cache large enough for indexed writes.
struct SQLiteSource: ConnectionPoolSource {
    let path: String
    let threadPool: NIOThreadPool

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
            .flatMap { conn in
                let pragmas = [
                    "PRAGMA busy_timeout = 10000", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
                    "PRAGMA foreign_keys = ON", "PRAGMA cache_size = -65536",
                ]
                var future = eventLoop.makeSucceededFuture(())
                for pragma in pragmas {
                    future = future.flatMap { conn.query(pragma).map { _ in () } }
                }
                return future.map { conn }.flatMapError { error in
                    conn.close().flatMapThrowing { throw error }
                }
            }
    }
}

/// Who is writing, for the audit log: `user:<token name>`, `agent:<run id>`; unset means `sql`.
/// Set it around a unit of work with `AuditContext.$actor.withValue("user:alice") { … }`; every transaction
/// started inside records it.
public enum AuditContext {
    @TaskLocal public static var actor: String?
}

/// A Touchbase database: a connection pool on one engine, with transactions kept on one connection.
///
/// All faces reach storage through this type and the repositories built on it.
public final class Database: @unchecked Sendable {
    public let engine: Engine
    public let location: DatabaseLocation
    public let logger: Logger
    private let sqlitePool: EventLoopGroupConnectionPool<SQLiteSource>?
    private let postgresPool: EventLoopGroupConnectionPool<PostgresConnectionSource>?
    /// The select list of each table for this engine (see `Dialect.selectList`).
    let selectLists: [String: String]

    /// Opens a pool on the database at `location`. Nothing is read or written until first use.
    public init(location: DatabaseLocation, logger: Logger = Logger(label: "touchbase.db"), maxConnections: Int = 4)
        throws
    {
        self.location = location
        self.engine = location.engine
        self.logger = logger
        let group = MultiThreadedEventLoopGroup.singleton
        switch location {
        case .sqlite(let path):
            let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if !FileManager.default.fileExists(atPath: dir) {
                throw DomainError.badRequest("The directory of the SQLite database does not exist: \(dir)")
            }
            sqlitePool = EventLoopGroupConnectionPool(
                source: SQLiteSource(path: path, threadPool: .singleton),
                maxConnectionsPerEventLoop: max(1, maxConnections / max(1, System.coreCount)),
                requestTimeout: .seconds(30), logger: logger, on: group)
            postgresPool = nil
        case .postgres(let url):
            let configuration: SQLPostgresConfiguration
            do {
                configuration = try SQLPostgresConfiguration(url: url)
            } catch {
                throw DomainError.badRequest("The PostgreSQL URL cannot be read: \(location)")
            }
            postgresPool = EventLoopGroupConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: configuration),
                maxConnectionsPerEventLoop: max(1, maxConnections / max(1, System.coreCount)),
                requestTimeout: .seconds(30), logger: logger, on: group)
            sqlitePool = nil
        }
        let dialect = Dialect(engine: engine)
        var lists: [String: String] = [:]
        for entity in Entities.stored { lists[entity.table] = dialect.selectList(entity) }
        selectLists = lists
    }

    public var dialect: Dialect { Dialect(engine: engine) }

    /// Runs `body` on one pooled connection.
    public func withConnection<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if let pool = sqlitePool { return try await use(pool, { $0.sql(queryLogLevel: .trace) }, body) }
        if let pool = postgresPool { return try await use(pool, { PostgresSession(connection: $0) }, body) }
        fatalError("a Database always has one pool")
    }

    private func use<Source: ConnectionPoolSource, T: Sendable>(
        _ pool: EventLoopGroupConnectionPool<Source>, _ sql: (Source.Connection) -> any SQLDatabase,
        _ body: @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let conn = try await pool.requestConnection(logger: logger).get()
        do {
            let result = try await body(sql(conn))
            pool.releaseConnection(conn, logger: logger)
            return result
        } catch {
            pool.releaseConnection(conn, logger: logger)
            throw error
        }
    }

    /// Runs `body` in one transaction on one connection: committed if it returns, rolled back if it throws.
    /// SQLite takes the write lock at the start (`BEGIN IMMEDIATE`) so concurrent writers queue instead of failing.
    public func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let begin = engine == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
        let actor = AuditContext.actor
        let engine = engine
        return try await withConnection { sql in
            try await sql.raw(SQLQueryString(begin)).run()
            do {
                if let actor {
                    if engine == .postgres {
                        try await sql.raw("SELECT set_config('touchbase.actor', \(bind: actor), true)").run()
                    } else {
                        try await sql.raw("INSERT OR REPLACE INTO audit_actor (id, actor) VALUES (1, \(bind: actor))").run()
                    }
                }
                let result = try await body(sql)
                if actor != nil && engine == .sqlite { try await sql.raw("DELETE FROM audit_actor").run() }
                try await sql.raw("COMMIT").run()
                return result
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw StoreErrors.translate(error)
            }
        }
    }

    /// Closes every connection.
    public func shutdown() async {
        try? await sqlitePool?.shutdownAsync()
        try? await postgresPool?.shutdownAsync()
    }
}

/// A pooled PostgreSQL connection as an `SQLDatabase` that still knows its connection, so the bulk path can run
/// `COPY … FROM STDIN` inside the same transaction (postgres-kit's own wrapper does not expose it).
struct PostgresSession: SQLDatabase {
    let connection: PostgresConnection
    let inner: any SQLDatabase

    init(connection: PostgresConnection) {
        self.connection = connection
        inner = connection.sql(queryLogLevel: .trace)
    }

    var logger: Logger { inner.logger }
    var eventLoop: any EventLoop { inner.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { inner.version }
    var dialect: any SQLDialect { inner.dialect }
    var queryLogLevel: Logger.Level? { inner.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        inner.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await inner.execute(sql: query, onRow)
    }
}
