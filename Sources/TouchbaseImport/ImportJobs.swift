import Foundation
import NIOCore
import SQLKit
import TouchbaseDomain
import TouchbaseStore

/// Every import, from any face, is a job (`imports`): its file name, layout, encoding, options, progress and counts.
/// `touchbase import` runs one in the foreground; `POST /api/v1/imports` on the server's `JobRunner`. The rows a job
/// writes are audited as `import:<job id>`, so `undo` can take them back.
public struct ImportJobs: Sendable {
    public let database: Database
    /// Where uploads and the errors files of HTTP jobs are kept (the server's own data directory).
    public let directory: URL
    /// Where background jobs run (the server's); nil for a face that runs imports itself (the CLI).
    public let runner: JobRunner?

    /// Most refused rows kept on the job itself; the errors CSV has them all.
    public static let keptErrors = 1_000
    /// Errors files of finished jobs are removed after this many days.
    public static let keepErrorsDays = 30

    public init(database: Database, directory: URL? = nil, runner: JobRunner? = nil) {
        self.database = database
        self.directory = directory ?? Self.defaultDirectory(for: database.location)
        self.runner = runner
    }

    /// What an interrupted job says while it waits for the next start.
    static let interruptedMessage = "interrupted by a server stop; it starts again when the server does (rows already in are matched, not duplicated)"
    /// What a job that started again says (its counts are those of the second run: rows in before it count as matched).
    static let resumedMessage = "started again after a server stop: rows imported before it are matched, not duplicated"

    /// `<database file>.imports/` beside a SQLite file; `./touchbase-imports/` for PostgreSQL.
    public static func defaultDirectory(for location: DatabaseLocation) -> URL {
        if case .sqlite(let path) = location, path != ":memory:" {
            return URL(fileURLWithPath: path + ".imports", isDirectory: true)
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("touchbase-imports", isDirectory: true)
    }

    var store: RecordStore { RecordStore(database: database) }

    /// The actor a job's writes are audited as.
    public static func actor(_ id: UUID) -> String { "import:\(id.lowercased)" }

    /// A new job's id and the path its upload should be written to.
    public func reserve() throws -> (id: UUID, upload: URL) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let id = UUIDv7.make()
        return (id, directory.appendingPathComponent("\(id.lowercased).csv"))
    }

    /// An upload received for a job: the job's id, the CSV written for it, the file name the client gave and, for a
    /// multipart body, the form's other fields.
    public struct Upload: Sendable {
        public let id: UUID
        public let file: URL
        public let fileName: String?
        public let fields: [String: String]

        /// Removes the upload (a job that will not start).
        public func discard() { try? FileManager.default.removeItem(at: file) }
    }

    /// Writes `body` to a new job's upload file, a chunk at a time; a multipart body (`boundary`) is received whole, then
    /// its file part is taken out. More than `maxUpload` bytes, or none, is refused and nothing is kept.
    public func receive<Body: AsyncSequence>(_ body: Body, boundary: String?, maxUpload: Int, tooLarge: @autoclosure () -> any Error) async throws
        -> Upload where Body.Element == ByteBuffer
    {
        let (id, upload) = try reserve()
        let received = boundary == nil ? upload : upload.appendingPathExtension("multipart")
        do {
            _ = FileManager.default.createFile(atPath: received.path, contents: nil)
            let handle = try FileHandle(forWritingTo: received)
            var bytes = 0
            do {
                for try await chunk in body {
                    bytes += chunk.readableBytes
                    if bytes > maxUpload { throw tooLarge() }
                    try handle.write(contentsOf: Data(chunk.readableBytesView))
                }
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard bytes > 0 else { throw DomainError.badRequest("The request needs a CSV body (a header row, then the rows).") }
            guard let boundary else { return Upload(id: id, file: upload, fileName: nil, fields: [:]) }
            defer { try? FileManager.default.removeItem(at: received) }
            let (name, fields) = try Multipart.extract(from: received, boundary: boundary, to: upload)
            return Upload(id: id, file: upload, fileName: name, fields: fields)
        } catch {
            try? FileManager.default.removeItem(at: received)
            try? FileManager.default.removeItem(at: upload)
            throw error
        }
    }

    /// The errors CSV of an HTTP job, while it exists.
    public func errorsFile(_ id: UUID) -> URL { directory.appendingPathComponent("\(id.lowercased).errors.csv") }

    /// Records a queued job.
    func create(id: UUID, fileName: String, options: ImportOptions, actor: String?, totalBytes: Int) async throws -> Record {
        try await database.transaction { sql in
            try await store.insertMany(
                Entities.importJobs,
                [[
                    "id": .string(id.lowercased), "kind": .string(options.kind), "options": options.json, "file_name": .string(fileName),
                    "total_bytes": .int(Int64(totalBytes)), "created_by": actor.map(JSONValue.string) ?? .null,
                ]], on: sql)
            guard let job = try await store.fetch(Entities.importJobs, id, on: sql) else { throw DomainError.notFound(entity: "import", id: id.lowercased) }
            return job
        }
    }

    /// Records the job and queues the import of `upload` on the runner; returns the queued job.
    public func start(id: UUID, upload: URL, fileName: String, options: ImportOptions, actor: String?) async throws -> Record {
        guard runner != nil else { throw DomainError.unavailable("This server runs no background jobs.") }
        let size = (try? FileManager.default.attributesOfItem(atPath: upload.path)[.size] as? Int) ?? 0
        let job = try await create(id: id, fileName: fileName, options: options, actor: actor, totalBytes: size)
        submit(id: id, upload: upload, options: options)
        return job
    }

    /// Queues a recorded job's import. Its upload is removed when the import ends, and kept when a shutdown
    /// interrupts it (the job is then `queued` again, for `resumeInterrupted`).
    func submit(id: UUID, upload: URL, options: ImportOptions) {
        let errors = errorsFile(id)
        runner?.submit(JobRunner.Job(name: "import \(id.lowercased)") {
            do {
                _ = try await execute(id: id, file: upload, options: options, errorsURL: errors, progress: nil)
            } catch is CancellationError {
                return
            } catch {}
            try? FileManager.default.removeItem(at: upload)
        })
    }

    /// Runs an import now, as a job (the CLI): refused rows go to `errorsURL` (default: beside the file).
    public func run(
        file: URL, options: ImportOptions, actor: String?, errorsURL: URL? = nil, progress: (@Sendable (ImportProgress) async -> Void)? = nil
    ) async throws -> (job: UUID, summary: ImportSummary) {
        guard FileManager.default.fileExists(atPath: file.path) else { throw DomainError.badRequest("No such file: \(file.path)") }
        let id = UUIDv7.make()
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        _ = try await create(id: id, fileName: file.lastPathComponent, options: options, actor: actor, totalBytes: size)
        let summary = try await execute(id: id, file: file, options: options, errorsURL: errorsURL ?? Importer.errorsURL(for: file), progress: progress)
        return (id, summary)
    }

    func set(_ id: UUID, _ values: [String: JSONValue]) async throws {
        try await database.transaction { sql in try await store.update(Entities.importJobs, id, values, on: sql) }
    }

    /// Imports the file under the job's actor, keeping the job's progress and result up to date.
    func execute(
        id: UUID, file: URL, options: ImportOptions, errorsURL: URL, progress: (@Sendable (ImportProgress) async -> Void)?
    ) async throws -> ImportSummary {
        let now = { JSONValue.string(Timestamp.format(Date())) }
        do {
            try await set(id, ["status": "running", "started_at": now()])
            let last = LastWrite()
            let summary = try await AuditContext.$actor.withValue(Self.actor(id)) {
                try await Importer(database: database, errorsURL: errorsURL).run(file: file, options: options) { p in
                    await progress?(p)
                    guard last.due() else { return }
                    try? await set(id, ["rows": .int(Int64(p.rows)), "bytes": .int(Int64(p.bytes))])
                }
            }
            var result: [String: JSONValue] = [
                "status": summary.failed > 0 ? "completed_with_errors" : "completed", "format": .string(summary.format.rawValue),
                "encoding": .string(summary.encoding.rawValue), "rows": .int(Int64(summary.rows)),
                "inserted": .int(Int64(summary.inserted)), "updated": .int(Int64(summary.updated)),
                "skipped": .int(Int64(summary.skipped)), "failed": .int(Int64(summary.failed)),
                "bytes": .int(Int64((try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0)),
                "errors": .array(Self.errors(in: summary.errorsFile)), "finished_at": now(),
            ]
            if summary.stoppedEarly {
                result["message"] = .string("stopped after \(summary.failed) refused rows (max_errors); the rows before them are in")
            }
            try await set(id, result)
            for (name, count) in [("inserted", summary.inserted), ("updated", summary.updated), ("skipped", summary.skipped), ("failed", summary.failed)] {
                Telemetry.importRows(name, count)
            }
            return summary
        } catch where Task.isCancelled || error is CancellationError {
            // A shutdown: the rows written so far stay (each batch is its own transaction); the job waits for the next
            // start. Written outside the cancelled task, whose transactions would refuse to commit.
            _ = await Task { try? await set(id, ["status": "queued", "message": .string(Self.interruptedMessage)]) }.value
            throw CancellationError()
        } catch {
            // A driver's or the system's own text is for the log, not for the job a client reads.
            let known = StoreErrors.translate(error) as? DomainError
            if known == nil { database.logger.error("import job \(id.lowercased) failed: \(String(reflecting: error))") }
            let message = known?.message ?? "The import stopped on an unexpected error (job \(id.lowercased)); the server's log has the details."
            try? await set(id, ["status": "failed", "message": .string(message), "finished_at": now()])
            throw error
        }
    }

    /// The first refused rows of an errors CSV as `{line, reason}`.
    static func errors(in file: URL?) -> [JSONValue] {
        guard let file, let reader = try? CSVReader(url: file, encoding: .utf8) else { return [] }
        _ = reader.next()
        var out: [JSONValue] = []
        while out.count < keptErrors, let record = reader.next() {
            guard record.fields.count >= 2 else { continue }
            out.append(["line": .int(Int64(record.fields[0]) ?? 0), "reason": .string(record.fields[1])])
        }
        return out
    }

    /// At a server's start: jobs a stopped server left `queued` or `running` start again on the runner when their
    /// upload is still there (an import run again matches the rows already in); the others (all of them without a
    /// runner) are failed with advice, whatever their age, and their uploads removed.
    @discardableResult
    public func resumeInterrupted() async throws -> (resumed: Int, failed: Int) {
        let open = try await store.select(Entities.importJobs, where: [("status", "running")])
            + store.select(Entities.importJobs, where: [("status", "queued")])
        var resumed = 0
        var failedJobs: [Record] = []
        for job in open.sorted(by: { $0.id.uuidString < $1.id.uuidString }) {
            let upload = directory.appendingPathComponent("\(job.id.lowercased).csv")
            guard runner != nil, FileManager.default.fileExists(atPath: upload.path), let kind = job.string("kind"),
                let options = ImportOptions(kind: kind, json: job["options"])
            else {
                failedJobs.append(job)
                continue
            }
            try await set(job.id, ["status": "queued", "message": .string(Self.resumedMessage)])
            submit(id: job.id, upload: upload, options: options)
            resumed += 1
        }
        for job in failedJobs {
            try await set(job.id, [
                "status": "failed", "finished_at": .string(Timestamp.format(Date())),
                "message": "the server stopped during the import; post the file again: rows already in are matched, not duplicated",
            ])
            try? FileManager.default.removeItem(at: directory.appendingPathComponent("\(job.id.lowercased).csv"))
            try? FileManager.default.removeItem(at: directory.appendingPathComponent("\(job.id.lowercased).csv.multipart"))
        }
        return (resumed, failedJobs.count)
    }

    /// Removes uploads and errors files that no job needs: those of no job, and errors files of jobs finished more
    /// than `keepErrorsDays` ago. Returns how many files went.
    @discardableResult
    public func removeStaleFiles(now: Date = Date()) async throws -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return 0 }
        var removed = 0
        let cutoff = now.addingTimeInterval(-Double(Self.keepErrorsDays) * 86_400)
        for name in names {
            guard let id = UUID(uuidString: String(name.prefix(36))) else { continue }
            let job = try? await store.get(Entities.importJobs, id)
            let open = ["queued", "running"].contains(job?.string("status") ?? "")
            let finished = job?.string("finished_at").flatMap(Timestamp.parse)
            let stale = job == nil || (!open && name.hasSuffix(".errors.csv") && (finished ?? .distantPast) < cutoff) || (!open && !name.hasSuffix(".errors.csv"))
            if stale, (try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))) != nil { removed += 1 }
        }
        return removed
    }

    // MARK: undo

    /// Values in lists of at most 500, for `IN (…)` statements.
    static func chunks<T>(_ values: [T]) -> [[T]] {
        stride(from: 0, to: values.count, by: 500).map { Array(values[$0..<min($0 + 500, values.count)]) }
    }

    /// What an undo took back.
    public struct Undone: Sendable {
        /// Rows the import created that were deleted, per table.
        public var removed: [String: Int] = [:]
        /// Stored rows the import changed that were put back, per table.
        public var restored: [String: Int] = [:]
    }

    /// Removes what the import created and puts back what it changed, from the audit log, in one transaction.
    /// Refused (409, nothing changed) while the job runs, when it was undone already, and when a later write by
    /// anyone else touched those rows or refers to a row the import created.
    public func undo(_ id: UUID) async throws -> Undone {
        let job = try await store.get(Entities.importJobs, id)
        switch job.string("status") ?? "" {
        case "queued", "running": throw DomainError.conflict(field: nil, detail: "The import is still running: undo it once it has finished.")
        case "undone": throw DomainError.conflict(field: nil, detail: "The import was undone already.")
        default: break
        }
        let actor = Self.actor(id)
        let dialect = database.dialect
        let order = dialect.engine == .sqlite ? "rowid" : "timestamp, id"
        let seq = dialect.engine == .sqlite ? "rowid" : "extract(epoch from timestamp)::float8"
        let undone = try await database.transaction { sql -> Undone in
            struct Entry: Decodable {
                let table_name: String
                let record_id: String
                let action: String
                let old_values: String?
                let new_values: String?
                let seq: Double
            }
            let json = dialect.engine == .postgres ? "::text" : ""
            let entries = try await sql.raw(
                """
                SELECT table_name, record_id, action, old_values\(unsafeRaw: json) AS old_values, new_values\(unsafeRaw: json) AS new_values, \(unsafeRaw: seq) AS seq
                FROM audit_log WHERE changed_by = \(bind: actor) AND changed_by LIKE 'import:%' ORDER BY \(unsafeRaw: order)
                """
            ).all(decoding: Entry.self)
            var created: [String: [String]] = [:]
            var createdSet = Set<String>()
            var first: [String: Double] = [:]
            var restores: [String: [String: [String: JSONValue]]] = [:]
            var restoreOrder: [(String, String)] = []
            for e in entries {
                let key = e.table_name + "/" + e.record_id
                if first[key] == nil { first[key] = e.seq }
                switch e.action {
                case "insert":
                    if createdSet.insert(key).inserted { created[e.table_name, default: []].append(e.record_id) }
                case "update" where !createdSet.contains(key):
                    guard let old = try? JSONValue.parse(e.old_values ?? "{}").objectValue, let new = try? JSONValue.parse(e.new_values ?? "{}").objectValue
                    else { continue }
                    if restores[e.table_name]?[e.record_id] == nil { restoreOrder.append((e.table_name, e.record_id)) }
                    for (column, value) in old where new[column] != value && restores[e.table_name]?[e.record_id]?[column] == nil {
                        restores[e.table_name, default: [:]][e.record_id, default: [:]][column] = value
                    }
                default: continue
                }
            }
            // Later writes by anyone else to the rows the import wrote.
            var byTable: [String: [String]] = [:]
            for key in first.keys {
                let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
                byTable[parts[0], default: []].append(parts[1])
            }
            for (table, ids) in byTable.sorted(by: { $0.key < $1.key }) {
                for chunk in Self.chunks(ids) {
                    let query = SQLQueryString(
                        "SELECT record_id, changed_by, \(unsafeRaw: seq) AS seq FROM audit_log WHERE table_name = \(bind: table) AND changed_by <> \(bind: actor) AND record_id IN (\(dialect.list(chunk)))")
                    struct Later: Decodable { let record_id: String; let changed_by: String; let seq: Double }
                    for later in try await sql.raw(query).all(decoding: Later.self) where later.seq > (first[table + "/" + later.record_id] ?? .infinity) {
                        throw DomainError.conflict(
                            field: nil,
                            detail: "The import cannot be undone: \(Entities.named(table)?.singular ?? table) \(later.record_id) was changed by \(later.changed_by) after it.")
                    }
                }
            }
            // Rows written later that refer to a row the import created.
            for (target, ids) in created where target == "companies" || target == "contacts" {
                for entity in Entities.stored where entity.table != "company_slots" && entity.table != "audit_log" {
                    for field in entity.fields where field.references == target {
                        for chunk in Self.chunks(ids.compactMap(UUID.init(uuidString:))) {
                            let query = SQLQueryString("SELECT id FROM \(ident: entity.table) WHERE \(ident: field.name) IN (\(dialect.list(chunk)))")
                            for row in try await sql.raw(query).all() {
                                let rowID = dialect.engine == .postgres ? try row.decode(column: "id", as: UUID.self).lowercased : try row.decode(column: "id", as: String.self)
                                // Rows the import wrote itself are taken back with it.
                                if first[entity.table + "/" + rowID] == nil {
                                    throw DomainError.conflict(
                                        field: nil,
                                        detail: "The import cannot be undone: \(entity.singular) \(rowID), written after it, refers to a \(Entities.named(target)?.singular ?? target) it created.")
                                }
                            }
                        }
                    }
                }
            }
            var result = Undone()
            // Put back what it changed: each column as it was before the import's first change to it.
            for (table, recordID) in restoreOrder {
                guard let entity = Entities.named(table), let id = UUID(uuidString: recordID), let columns = restores[table]?[recordID] else { continue }
                let skip = Set(["id", "created_at", "updated_at", "full_name", "search_vector"] + (Migrations.rollupColumns[table] ?? []))
                let values = columns.filter { entity.field($0.key) != nil && !skip.contains($0.key) }
                guard !values.isEmpty else { continue }
                try await store.update(entity, id, values, on: sql)
                result.restored[table, default: 0] += 1
            }
            // Remove what it created, dependants first (a company's slots go with it).
            for table in ["contacts", "companies"] + created.keys.filter({ !["contacts", "companies", "company_slots"].contains($0) }).sorted() {
                guard let ids = created[table], !ids.isEmpty else { continue }
                for chunk in Self.chunks(ids.compactMap(UUID.init(uuidString:))) {
                    let query = SQLQueryString("DELETE FROM \(ident: table) WHERE id IN (\(dialect.list(chunk)))")
                    do { try await sql.raw(query).run() } catch { throw StoreErrors.translate(error) }
                }
                result.removed[table] = ids.count
            }
            try await store.update(Entities.importJobs, id, ["status": "undone", "undone_at": .string(Timestamp.format(Date()))], on: sql)
            return result
        }
        try? FileManager.default.removeItem(at: errorsFile(id))
        return undone
    }
}

/// Lets a progress report through at most once a second.
final class LastWrite: @unchecked Sendable {
    private let lock = NSLock()
    private var last = Date.distantPast

    func due() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard Date().timeIntervalSince(last) >= 1 else { return false }
        last = Date()
        return true
    }
}

/// Reads the file part out of a `multipart/form-data` body saved to disk, a megabyte at a time.
public enum Multipart {
    /// The boundary of a `multipart/form-data` content type, or nil for any other type.
    public static func boundary(_ contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmed }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for part in parts.dropFirst() where part.lowercased().hasPrefix("boundary=") {
            return String(part.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    /// Copies the body of the part named `file` (or the first part with a filename) from `body` to `out`; returns the
    /// part's file name, when it gives one.
    @discardableResult
    public static func extractFile(from body: URL, boundary: String, to out: URL) throws -> String? {
        try extract(from: body, boundary: boundary, to: out).fileName
    }

    /// The most bytes a text part before the file part may hold (a form's other fields).
    public static let fieldLimit = 8192

    /// Copies the file part from `body` to `out` and returns its file name with the text parts sent before it (a web
    /// form's fields, by name; a part over `fieldLimit` bytes is refused).
    public static func extract(from body: URL, boundary: String, to out: URL) throws -> (fileName: String?, fields: [String: String]) {
        var fields: [String: String] = [:]
        let input = try FileHandle(forReadingFrom: body)
        defer { try? input.close() }
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let output = try FileHandle(forWritingTo: out)
        defer { try? output.close() }
        let delimiter = Array("--\(boundary)".utf8)
        var fileName: String?
        let chunk = 1 << 20
        var buffer: [UInt8] = []
        var eof = false
        func fill() throws {
            if !eof, let data = try input.read(upToCount: chunk), !data.isEmpty { buffer += data } else { eof = true }
        }
        func find(_ needle: [UInt8], from start: Int = 0) -> Int? {
            guard buffer.count >= needle.count, start <= buffer.count - needle.count else { return nil }
            var i = start
            while i <= buffer.count - needle.count {
                var j = 0
                while j < needle.count && buffer[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
                i += 1
            }
            return nil
        }
        // Walk the parts' headers until the file part.
        while true {
            var start: Int?
            while start == nil {
                start = find(delimiter)
                if start == nil { if eof { throw DomainError.badRequest("The multipart body has no file part.") }; try fill() }
            }
            var headersEnd: Int?
            while headersEnd == nil {
                headersEnd = find(Array("\r\n\r\n".utf8), from: start!)
                if headersEnd == nil { if eof { throw DomainError.badRequest("The multipart body has no file part.") }; try fill() }
            }
            let raw = String(decoding: buffer[(start! + delimiter.count)..<headersEnd!], as: UTF8.self)
            let headers = raw.lowercased()
            buffer.removeFirst(headersEnd! + 4)
            if headers.hasPrefix("--") { throw DomainError.badRequest("The multipart body has no file part.") }
            if headers.contains("name=\"file\"") || headers.contains("filename=") {
                if let range = raw.range(of: "filename=\"", options: .caseInsensitive), let close = raw[range.upperBound...].firstIndex(of: "\"") {
                    fileName = String(raw[range.upperBound..<close])
                }
                break
            }
            // A text field: its value runs to the next "\r\n--boundary", which stays for the next part.
            var stop: Int?
            while stop == nil {
                stop = find(Array("\r\n".utf8) + delimiter)
                if stop == nil {
                    if eof || buffer.count > fieldLimit + delimiter.count + 2 { throw DomainError.badRequest("A form field of the multipart body is too long or unterminated.") }
                    try fill()
                }
            }
            if let range = raw.range(of: "name=\"", options: .caseInsensitive), let close = raw[range.upperBound...].firstIndex(of: "\"") {
                fields[String(raw[range.upperBound..<close])] = String(decoding: buffer[..<stop!], as: UTF8.self)
            }
            buffer.removeFirst(stop! + 2)
        }
        // Copy until "\r\n--boundary", keeping back a delimiter's length that may straddle two reads.
        let end = Array("\r\n".utf8) + delimiter
        while true {
            if let stop = find(end) {
                try output.write(contentsOf: Data(buffer[..<stop]))
                return (fileName.flatMap { $0.isEmpty ? nil : $0 }, fields)
            }
            if eof { throw DomainError.badRequest("The multipart body ends inside the file part.") }
            let keep = min(buffer.count, end.count - 1)
            try output.write(contentsOf: Data(buffer[..<(buffer.count - keep)]))
            buffer.removeFirst(buffer.count - keep)
            try fill()
        }
    }
}
