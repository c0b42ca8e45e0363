@preconcurrency import AsyncKit
import Foundation
import Logging
import NIOCore
import NIOConcurrencyHelpers
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

    /// The agent run the writes are made under, when the actor is one (`agent:<run id>`).
    public static var agentRun: UUID? {
        guard let actor, actor.hasPrefix("agent:") else { return nil }
        return UUID(uuidString: String(actor.dropFirst("agent:".count)))
    }
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
    /// SQLite's own threads, one per connection and one spare: a connection waiting for the write lock holds only
    /// its own thread, so the one holding the lock (and every reader) can always run. NIO's shared pool has one
    /// thread per core, which a few waiting writers used to fill.
    private let sqliteThreads: NIOThreadPool?
    /// SQLite write transactions take turns here, in the order they asked, before they take a connection: a writer
    /// waits without a thread or a connection, and no writer spins in the busy handler behind another.
    let writeGate = WriteGate()
    /// The select list of each table for this engine (see `Dialect.selectList`).
    let selectLists: [String: String]
    /// Statements that take longer than this (in milliseconds) are logged as warnings with their SQL
    /// (`TOUCHBASE_SLOW_QUERY_MS`); nil logs none.
    public let slowQueryMilliseconds: Double?

    /// A streaming replica of this (PostgreSQL) database, for reads that may lag a moment (`mayLag`); nil without one.
    public let replica: Database?

    /// Set around work whose reads may be a moment stale (lists, the overview, health, dashboards): its reads outside
    /// a transaction go to the replica when there is one. Writes, transactions and read-your-write paths never do.
    @TaskLocal public static var mayLag = false

    /// Opens a pool on the database at `location`. Nothing is read or written until first use.
    /// `connectionWait` is how long a request waits for a free connection before it is answered 503.
    /// `replica` (`TOUCHBASE_DATABASE_REPLICA_URL`) is a PostgreSQL streaming replica of it.
    public init(
        location: DatabaseLocation, logger: Logger = Logger(label: "touchbase.db"), maxConnections: Int = 4,
        connectionWait: TimeAmount = .seconds(20), slowQueryMilliseconds: Double? = nil, replica: DatabaseLocation? = nil
    ) throws {
        if let replica {
            guard case .postgres = location, case .postgres = replica else {
                throw DomainError.badRequest("A read replica (TOUCHBASE_DATABASE_REPLICA_URL) is a PostgreSQL streaming replica of a PostgreSQL database.")
            }
            self.replica = try Database(
                location: replica, logger: logger, maxConnections: maxConnections, connectionWait: .seconds(5), slowQueryMilliseconds: slowQueryMilliseconds)
        } else {
            self.replica = nil
        }
        self.slowQueryMilliseconds = slowQueryMilliseconds
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
            let perLoop = max(1, maxConnections / max(1, System.coreCount))
            let threads = NIOThreadPool(numberOfThreads: perLoop * System.coreCount + 1)
            threads.start()
            sqliteThreads = threads
            sqlitePool = EventLoopGroupConnectionPool(
                source: SQLiteSource(path: path, threadPool: threads),
                maxConnectionsPerEventLoop: perLoop,
                requestTimeout: connectionWait, logger: logger, on: group)
            postgresPool = nil
        case .postgres(let url):
            let configuration: SQLPostgresConfiguration
            do {
                configuration = try SQLPostgresConfiguration(url: url)
            } catch {
                throw DomainError.badRequest("The PostgreSQL URL cannot be read: \(location)")
            }
            var tuned = configuration
            // A connection that cannot be made in time fails the request (503) instead of holding it.
            tuned.coreConfiguration.options.connectTimeout = .seconds(5)
            postgresPool = EventLoopGroupConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: tuned),
                maxConnectionsPerEventLoop: max(1, maxConnections / max(1, System.coreCount)),
                requestTimeout: connectionWait, logger: logger, on: group)
            sqlitePool = nil
            sqliteThreads = nil
        }
        let dialect = Dialect(engine: engine)
        var lists: [String: String] = [:]
        for entity in Entities.stored { lists[entity.table] = dialect.selectList(entity) }
        selectLists = lists
    }

    public var dialect: Dialect { Dialect(engine: engine) }

    /// Answers once the database answers a query (the liveness check of `/health`).
    public func ping() async throws {
        try await withConnection { sql in _ = try await sql.raw("SELECT 1 AS one").first() }
    }

    /// Runs `body` on one pooled connection: the replica's when the work may lag (`mayLag`) and there is one — the
    /// primary's if the replica cannot be reached.
    public func withConnection<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if Self.mayLag, let replica {
            do {
                return try await Self.$mayLag.withValue(false) { try await replica.withConnection(body) }
            } catch let error as DomainError {
                guard case .unavailable = error else { throw error }
                logger.warning("the read replica \(replica.location) did not answer; reading from the primary: \(error.message)")
                Telemetry.replicaFallback()
            }
        }
        return try await primaryConnection(body)
    }

    private func primaryConnection<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            if let pool = sqlitePool { return try await use(pool, { $0.sql(queryLogLevel: .trace) }, body) }
            if let pool = postgresPool { return try await use(pool, { PostgresSession(connection: $0) }, body) }
        } catch {
            throw StoreErrors.translate(error)
        }
        fatalError("a Database always has one pool")
    }

    private func use<Source: ConnectionPoolSource, T: Sendable>(
        _ pool: EventLoopGroupConnectionPool<Source>, _ sql: (Source.Connection) -> any SQLDatabase,
        _ body: @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        Telemetry.connectionsWaiting.increment()
        let conn: Source.Connection
        do {
            conn = try await pool.requestConnection(logger: logger).get()
            Telemetry.connectionsWaiting.decrement()
        } catch {
            Telemetry.connectionsWaiting.decrement()
            throw error
        }
        Telemetry.connectionsInUse.increment()
        defer { Telemetry.connectionsInUse.decrement() }
        do {
            var database = sql(conn)
            if let recorder = PlanRecorder.current { database = ExplainingSQL(inner: database, recorder: recorder, engine: engine) }
            if let slowQueryMilliseconds { database = TimedSQL(inner: database, threshold: slowQueryMilliseconds, log: logger) }
            let result = try await body(database)
            pool.releaseConnection(conn, logger: logger)
            return result
        } catch let poisoned as PoisonedConnection {
            logger.warning("closing a connection whose transaction could not be rolled back: \(poisoned.rollbackError)")
            _ = conn.close()
            pool.releaseConnection(conn, logger: logger)
            throw poisoned.error
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
        if engine == .sqlite && !WriteGate.held {
            Telemetry.writersWaiting.increment()
            do {
                try await writeGate.acquire()
                Telemetry.writersWaiting.decrement()
            } catch {
                Telemetry.writersWaiting.decrement()
                throw error
            }
            defer { writeGate.release() }
            return try await WriteGate.$held.withValue(true) { try await transaction(body) }
        }
        // On PostgreSQL a transaction chosen as a deadlock's victim (or failing serialization) did nothing: it runs
        // again, a few times, after a short random pause, instead of failing its request.
        var attempt = 0
        while true {
            do {
                return try await attemptTransaction(begin: begin, actor: actor, body)
            } catch let error as PSQLError where engine == .postgres && attempt < 4 && ["40P01", "40001"].contains(error.serverInfo?[.sqlState] ?? "") {
                attempt += 1
                Telemetry.transactionRetried()
                logger.notice("transaction retried after \(error.serverInfo?[.message] ?? "a deadlock") (attempt \(attempt + 1))")
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...25) * attempt))
            }
        }
    }

    private func attemptTransaction<T: Sendable>(begin: String, actor: String?, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let engine = engine
        return try await primaryConnection { sql in
            // BEGIN, COMMIT and ROLLBACK run shielded from the caller's cancellation: a cancelled task's await on the
            // driver throws at once, and a ROLLBACK that never ran left the connection in its transaction for the
            // next request to find ("cannot start a transaction within a transaction").
            try await Self.shielded(sql, begin)
            do {
                if let actor {
                    if engine == .postgres {
                        try await sql.raw("SELECT set_config('touchbase.actor', \(bind: actor), true)").run()
                    } else {
                        try await sql.raw("INSERT OR REPLACE INTO audit_actor (id, actor) VALUES (1, \(bind: actor))").run()
                    }
                }
                let result = try await body(sql)
                // Work whose caller gave up (a request past its deadline) is rolled back, not committed behind its back.
                try Task.checkCancellation()
                if actor != nil && engine == .sqlite { try await sql.raw("DELETE FROM audit_actor").run() }
                try await Self.shielded(sql, "COMMIT")
                return result
            } catch {
                do {
                    try await Self.shielded(sql, "ROLLBACK")
                } catch let rollbackError {
                    // The connection may still be in the transaction: it is closed, not given to the next request.
                    throw PoisonedConnection(error: StoreErrors.translate(error), rollbackError: rollbackError)
                }
                throw StoreErrors.translate(error)
            }
        }
    }

    /// Runs `body` on one connection inside one read-only snapshot of the whole database: on PostgreSQL a
    /// `REPEATABLE READ READ ONLY` transaction, on SQLite a read transaction (WAL keeps its view while writers go on).
    /// Every read in `body` sees the database as it was at its first read, whatever commits meanwhile.
    public func snapshot<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let begin = engine == .postgres ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN DEFERRED"
        return try await withConnection { sql in
            try await Self.shielded(sql, begin)
            do {
                // SQLite's snapshot starts at the first read, not at BEGIN: read now.
                _ = try await sql.raw("SELECT count(*) AS n FROM schema_migrations").first()
                let result = try await body(sql)
                try await Self.shielded(sql, "COMMIT")
                return result
            } catch {
                try? await Self.shielded(sql, "ROLLBACK")
                throw error
            }
        }
    }

    /// Runs one statement in a task of its own, so that the caller's cancellation cannot stop it half-way.
    static func shielded(_ sql: any SQLDatabase, _ statement: String) async throws {
        try await Task { try await sql.raw(SQLQueryString(statement)).run() }.value
    }

    /// Closes every connection; gives up waiting after 10 seconds (a connection still held by work that never
    /// returned), so that a stopping server always stops.
    public func shutdown() async {
        await replica?.shutdown()
        let sqlitePool = sqlitePool, postgresPool = postgresPool, sqliteThreads = sqliteThreads, logger = logger
        do {
            try await Deadline.run(within: .seconds(10)) {
                try? await sqlitePool?.shutdownAsync()
                try? await postgresPool?.shutdownAsync()
                try? await sqliteThreads?.shutdownGracefully()
            }
        } catch {
            logger.warning("the database connections did not close within 10 s; stopping without waiting for them")
        }
    }
}

/// A first-come, first-served lock for async code: `acquire` suspends (holding no thread) until every earlier caller
/// has released it. A caller cancelled while it waits leaves the queue with `CancellationError`.
final class WriteGate: Sendable {
    private struct State {
        var held = false
        var next: UInt64 = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    }
    private let state = NIOLockedValueBox(State())

    /// Set inside a write transaction, so that the transaction's own work does not wait for itself.
    @TaskLocal static var held = false

    func acquire() async throws {
        let id: UInt64 = state.withLockedValue { s in
            s.next += 1
            return s.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case acquired, cancelled, queued }
                let outcome: Outcome = state.withLockedValue { s in
                    if Task.isCancelled { return .cancelled }
                    if !s.held {
                        s.held = true
                        return .acquired
                    }
                    s.waiters.append((id, continuation))
                    return .queued
                }
                switch outcome {
                case .acquired: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let waiting = state.withLockedValue { s -> CheckedContinuation<Void, any Error>? in
                guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: index).continuation
            }
            waiting?.resume(throwing: CancellationError())
        }
    }

    func release() {
        let next = state.withLockedValue { s -> CheckedContinuation<Void, any Error>? in
            if s.waiters.isEmpty {
                s.held = false
                return nil
            }
            return s.waiters.removeFirst().continuation
        }
        next?.resume()
    }
}

/// A transaction's error whose ROLLBACK failed too: its connection is closed instead of going back to the pool.
struct PoisonedConnection: Error {
    let error: any Error
    let rollbackError: any Error
}

/// An `SQLDatabase` that wraps another: everything but the async `execute` is the inner one's.
protocol ForwardingSQL: SQLDatabase {
    var inner: any SQLDatabase { get }
}

extension ForwardingSQL {
    var logger: Logger { inner.logger }
    var eventLoop: any EventLoop { inner.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { inner.version }
    var dialect: any SQLDialect { inner.dialect }
    var queryLogLevel: Logger.Level? { inner.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        inner.execute(sql: query, onRow)
    }
}

/// A pooled PostgreSQL connection as an `SQLDatabase` that still knows its connection, so the bulk path can run
/// `COPY … FROM STDIN` inside the same transaction (postgres-kit's own wrapper does not expose it).
struct PostgresSession: ForwardingSQL {
    let connection: PostgresConnection
    let inner: any SQLDatabase

    init(connection: PostgresConnection) {
        self.connection = connection
        inner = connection.sql(queryLogLevel: .trace)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await inner.execute(sql: query, onRow)
    }
}

/// Collects the engine's plan of every SELECT a piece of work runs, for tests that keep reads on indexes:
/// `let plans = try await PlanRecorder.record { … }`. On PostgreSQL sequential scans are disabled while a plan is
/// asked for, so a plan says whether an index *can* serve the query whatever the table's size.
public final class PlanRecorder: @unchecked Sendable {
    public struct Entry: Sendable {
        public let sql: String
        public let plan: String
    }

    @TaskLocal static var current: PlanRecorder?
    private let lock = NSLock()
    private var recorded: [Entry] = []

    public var entries: [Entry] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    func add(_ entry: Entry) {
        lock.lock()
        recorded.append(entry)
        lock.unlock()
    }

    /// Runs `work` and returns the plans of the SELECTs it ran.
    public static func record(_ work: @Sendable () async throws -> Void) async throws -> [Entry] {
        let recorder = PlanRecorder()
        try await $current.withValue(recorder) { try await work() }
        return recorder.entries
    }
}

/// An `SQLDatabase` that times each statement and logs those slower than `threshold` ms, with their SQL (at most
/// 2,000 characters; bound values are not shown).
struct TimedSQL: ForwardingSQL {
    let inner: any SQLDatabase
    let threshold: Double
    let log: Logger

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let started = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - started
            let ms = Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15
            if ms >= threshold {
                var serializer = SQLSerializer(database: inner)
                query.serialize(to: &serializer)
                let text = serializer.sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
                log.warning("slow query", metadata: ["ms": "\(Int(ms.rounded()))", "sql": "\(text.prefix(2_000))"])
            }
        }
        try await inner.execute(sql: query, onRow)
    }
}

/// An `SQLDatabase` that asks the engine for the plan of each SELECT before running it (see `PlanRecorder`).
struct ExplainingSQL: ForwardingSQL {
    let inner: any SQLDatabase
    let recorder: PlanRecorder
    let engine: Engine

    struct Prefixed: SQLExpression {
        let prefix: String
        let query: any SQLExpression
        func serialize(to serializer: inout SQLSerializer) {
            serializer.write(prefix)
            query.serialize(to: &serializer)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        var serializer = SQLSerializer(database: inner)
        query.serialize(to: &serializer)
        let text = serializer.sql.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.uppercased().hasPrefix("SELECT") || text.uppercased().hasPrefix("WITH") {
            if engine == .postgres { try await inner.raw("SET enable_seqscan = off").run() }
            let column = engine == .sqlite ? "detail" : "QUERY PLAN"
            let rows = try await inner.raw("\(Prefixed(prefix: engine == .sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ", query: query))").all()
            if engine == .postgres { try await inner.raw("RESET enable_seqscan").run() }
            let plan = try rows.map { try $0.decode(column: column, as: String.self) }.joined(separator: "\n")
            recorder.add(PlanRecorder.Entry(sql: text, plan: plan))
        }
        try await inner.execute(sql: query, onRow)
    }
}
