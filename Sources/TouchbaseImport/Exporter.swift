import Foundation
import SQLKit
import TouchbaseDomain
import TouchbaseStore

/// Writes the database out: one JSON-lines dump of every table, or one CSV file per table.
/// Rows are read a page at a time in id order, so memory stays flat whatever the database's size.
public struct Exporter: Sendable {
    public let database: Database
    public static let pageSize = 1000

    public init(database: Database) { self.database = database }

    /// The entities to export: all stored tables in dependency order, or the one named.
    public static func entities(named name: String?) throws -> [Entity] {
        guard let name else { return Entities.stored }
        let table = name.replacingOccurrences(of: "-", with: "_")
        guard let entity = Entities.named(table) else {
            throw DomainError.invalid("--entity", "no table named '\(name)'; tables: \(Entities.stored.map(\.table).joined(separator: ", "))")
        }
        return [entity]
    }

    func pages(_ entity: Entity, on connection: (any SQLDatabase)? = nil, _ body: ([Record]) throws -> Void) async throws -> Int {
        let store = RecordStore(database: database)
        var cursor: UUID?
        var count = 0
        repeat {
            let page = try await store.list(entity, ListQuery(limit: Self.pageSize, cursor: cursor), on: connection)
            try body(page.records)
            count += page.records.count
            cursor = page.nextCursor.flatMap(UUID.init(uuidString:))
        } while cursor != nil
        return count
    }

    /// `{"table": …, "row": {…}}` per line, tables in dependency order. Returns rows per table.
    public func jsonl(to url: URL, entities: [Entity], on connection: (any SQLDatabase)? = nil) async throws -> [(String, Int)] {
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let out = try FileHandle(forWritingTo: url)
        defer { try? out.close() }
        var counts: [(String, Int)] = []
        for entity in entities {
            let n = try await pages(entity, on: connection) { records in
                var text = ""
                for r in records {
                    text += "{\"table\":"
                    JSONValue.writeString(entity.table, to: &text)
                    text += ",\"row\":"
                    r.write(to: &text)
                    text += "}\n"
                }
                try out.write(contentsOf: Data(text.utf8))
            }
            counts.append((entity.table, n))
        }
        return counts
    }

    /// A backup of a live database: every table as a JSON-lines dump (what `touchbase restore` reads, on either
    /// engine) read inside one snapshot, so that writes committed meanwhile are wholly in or wholly out. It is written
    /// to `OUT.partial` and renamed when complete: a backup that stops half-way leaves no file that looks whole.
    public func backup(to url: URL) async throws -> [(String, Int)] {
        let partial = url.appendingPathExtension("partial")
        try? FileManager.default.removeItem(at: partial)
        let counts = try await database.snapshot { sql in try await jsonl(to: partial, entities: Entities.stored, on: sql) }
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.moveItem(at: partial, to: url)
        return counts
    }

    /// SQLite only: an exact copy of the database file (tokens, users and secrets included) taken with `VACUUM INTO`
    /// inside one read transaction — a file that can be served as it is.
    public func sqliteCopy(to url: URL) async throws {
        guard database.engine == .sqlite else {
            throw DomainError.badRequest("--format sqlite copies a SQLite database; on PostgreSQL use --format jsonl (or pg_dump).")
        }
        let partial = url.appendingPathExtension("partial")
        try? FileManager.default.removeItem(at: partial)
        try await database.withConnection { sql in
            try await sql.raw("VACUUM INTO \(bind: partial.path)").run()
        }
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.moveItem(at: partial, to: url)
    }

    /// One `<table>.csv` per table in `directory`: a header of column names, JSON values written as JSON text,
    /// null as an empty cell.
    public func csv(to directory: URL, entities: [Entity]) async throws -> [(String, Int)] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var counts: [(String, Int)] = []
        for entity in entities {
            let url = directory.appendingPathComponent("\(entity.table).csv")
            FileManager.default.createFile(atPath: url.path, contents: Data(CSVWriter.line(entity.columnNames).utf8))
            let out = try FileHandle(forWritingTo: url)
            try out.seekToEnd()
            let n = try await pages(entity) { records in
                var text = ""
                for r in records {
                    text += CSVWriter.line(entity.fields.map { f in
                        switch r[f.name] {
                        case .null: return ""
                        case .string(let s): return s
                        case let v: return v.serialized
                        }
                    })
                }
                try out.write(contentsOf: Data(text.utf8))
            }
            try out.close()
            counts.append((entity.table, n))
        }
        return counts
    }
}
