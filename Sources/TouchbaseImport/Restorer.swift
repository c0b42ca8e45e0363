import Foundation
import SQLKit
import TouchbaseDomain
import TouchbaseStore

/// Reads a file a line at a time, in 1 MiB chunks.
final class LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false
    private(set) var line = 0
    private(set) var bytesRead = 0

    init(url: URL) throws { handle = try FileHandle(forReadingFrom: url) }
    deinit { try? handle.close() }

    func next() -> String? {
        while true {
            if let end = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                let text = String(decoding: buffer[position..<end], as: UTF8.self)
                bytesRead += end + 1 - position
                position = end + 1
                line += 1
                return text
            }
            if finished {
                guard position < buffer.count else { return nil }
                let text = String(decoding: buffer[position...], as: UTF8.self)
                bytesRead += buffer.count - position
                position = buffer.count
                line += 1
                return text
            }
            buffer.removeFirst(position)
            position = 0
            if let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { buffer += chunk } else { finished = true }
        }
    }
}

/// Loads a JSON-lines dump written by `touchbase export --format jsonl` into an empty database, so that exporting
/// it again gives the same file, whichever engine either side runs on.
///
/// Rows go in as they were, counters, timestamps and audit rows included, so the database's own triggers must not
/// fire a second time: on PostgreSQL every table's user triggers are disabled inside the restore's transaction
/// (foreign keys stay checked, so tables load in dependency order); on SQLite the triggers are dropped inside the
/// transaction and created again from their stored SQL before it commits, foreign keys are checked at commit, and
/// the full-text indexes are rebuilt. A failed or killed restore leaves the database as it was.
public struct Restorer: Sendable {
    public let database: Database
    /// Tables the migrations fill with a default row (the ICP profile): the dump's rows replace it.
    static let seeded: Set<String> = ["icp_profiles"]

    /// Rows per multi-row insert batch.
    public static let batchSize = 1000

    public init(database: Database) { self.database = database }

    /// Restores `file`; returns rows per table in the order they were loaded.
    public func run(file: URL, progress: (@Sendable (Int) async -> Void)? = nil) async throws -> [(String, Int)] {
        guard FileManager.default.fileExists(atPath: file.path) else { throw DomainError.badRequest("No such file: \(file.path)") }
        let store = RecordStore(database: database)
        let engine = database.engine
        return try await database.transaction { sql in
            for entity in Entities.stored where !Self.seeded.contains(entity.table) {
                if try await sql.raw("SELECT 1 AS one FROM \(ident: entity.table) LIMIT 1").first() != nil {
                    throw DomainError.conflict(
                        field: "database", detail: "restore needs an empty database, and \(entity.table) has rows: restore into a new database")
                }
            }
            let generated = try await Self.generatedColumns(sql, engine: engine)
            var triggers: [String] = []
            if engine == .postgres {
                for entity in Entities.stored { try await sql.raw("ALTER TABLE \(ident: entity.table) DISABLE TRIGGER USER").run() }
            } else {
                try await sql.raw("PRAGMA defer_foreign_keys = ON").run()
                let rows = try await sql.raw("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL ORDER BY rowid").all()
                for row in rows {
                    triggers.append(try row.decode(column: "sql", as: String.self))
                    try await sql.raw("DROP TRIGGER \(ident: try row.decode(column: "name", as: String.self))").run()
                }
            }

            let reader = try LineReader(url: file)
            var counts: [(String, Int)] = []
            var current: Entity?
            var batch: [[String: JSONValue]] = []
            var loaded = 0
            func flush() async throws {
                guard let entity = current, !batch.isEmpty else { return }
                try await store.insertMany(entity, batch, on: sql)
                loaded += batch.count
                batch.removeAll(keepingCapacity: true)
                await progress?(loaded)
            }
            while let text = reader.next() {
                if text.trimmed.isEmpty { continue }
                let line = reader.line
                let value: JSONValue
                do { value = try JSONValue.parse(text) } catch let error as DomainError {
                    throw DomainError.badRequest("line \(line): not a JSON object (\(error.message))")
                }
                guard let table = value["table"]?.stringValue, case .object(var row)? = value["row"] else {
                    throw DomainError.badRequest("line \(line): expected {\"table\": …, \"row\": {…}}")
                }
                guard let entity = Entities.named(table) else { throw DomainError.badRequest("line \(line): unknown table '\(table)'") }
                if entity.table != current?.table {
                    try await flush()
                    if Self.seeded.contains(entity.table) && !counts.contains(where: { $0.0 == entity.table }) {
                        try await sql.raw("DELETE FROM \(ident: entity.table)").run()  // the migration's default row gives way
                    }
                    current = entity
                    counts.append((entity.table, 0))
                }
                for name in row.keys where entity.field(name) == nil || generated.contains("\(table).\(name)") {
                    row[name] = nil
                }
                // A dump from before migration 0012 has no name keys: they are worked out as the rows go in.
                if let rule = entity.nameKey, (row["name_key"] ?? .null).isNull { row["name_key"] = .string(rule.key(row)) }
                guard row["id"]?.stringValue.flatMap(UUID.init(uuidString:)) != nil else {
                    throw DomainError.badRequest("line \(line): the \(entity.singular) has no id")
                }
                batch.append(row)
                counts[counts.count - 1].1 += 1
                if batch.count >= Self.batchSize { try await flush() }
            }
            try await flush()

            if engine == .postgres {
                for entity in Entities.stored { try await sql.raw("ALTER TABLE \(ident: entity.table) ENABLE TRIGGER USER").run() }
                try await sql.raw("SELECT refresh_account_overview()").run()
            } else {
                for statement in triggers { try await sql.raw(SQLQueryString(statement)).run() }
                let fts = try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'").all()
                for row in fts {
                    let name = try row.decode(column: "name", as: String.self)
                    try await sql.raw("INSERT INTO \(ident: name) (\(ident: name)) VALUES ('rebuild')").run()
                }
            }
            return counts
        }
    }

    /// `table.column` of every generated column: they are computed, never written.
    static func generatedColumns(_ sql: any SQLDatabase, engine: Engine) async throws -> Set<String> {
        var out = Set<String>()
        for entity in Entities.stored {
            let rows = engine == .postgres
                ? try await sql.raw("SELECT column_name AS name FROM information_schema.columns WHERE table_name = \(bind: entity.table) AND is_generated = 'ALWAYS'").all()
                : try await sql.raw("SELECT name FROM pragma_table_xinfo(\(bind: entity.table)) WHERE hidden IN (2, 3)").all()
            for row in rows { out.insert("\(entity.table).\(try row.decode(column: "name", as: String.self))") }
        }
        return out
    }
}
