import Foundation
import TouchbaseDomain
import TouchbaseStore

/// Imports run as jobs (`POST /api/v1/imports`): the uploaded file is imported by the same `Importer` as
/// `touchbase import`, in the background, and its progress and result are kept in `imports`.
public struct ImportJobs: Sendable {
    public let database: Database
    /// Where uploads and errors files are kept while a job needs them.
    public let directory: URL

    /// Most refused rows kept on the job itself; the errors CSV has them all.
    public static let keptErrors = 1_000

    public init(database: Database, directory: URL? = nil) {
        self.database = database
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("touchbase-imports")
    }

    var store: RecordStore { RecordStore(database: database) }

    /// A new job's id and the path its upload should be written to.
    public func reserve() throws -> (id: UUID, upload: URL) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let id = UUIDv7.make()
        return (id, directory.appendingPathComponent("\(id.lowercased).csv"))
    }

    /// The errors CSV of a job, while it exists.
    public func errorsFile(_ id: UUID) -> URL { directory.appendingPathComponent("\(id.lowercased).errors.csv") }

    /// Records the job and starts importing `upload` in the background; returns the queued job.
    public func start(id: UUID, upload: URL, options: ImportOptions, actor: String?) async throws -> Record {
        let optionsJSON: JSONValue = [
            "on_conflict": .string(options.onConflict.rawValue), "dry_run": .bool(options.dryRun),
            "map": .object(options.mappings.mapValues { .string($0) }),
        ]
        let size = (try? FileManager.default.attributesOfItem(atPath: upload.path)[.size] as? Int) ?? 0
        let job = try await database.transaction { sql in
            try await store.insertMany(
                Entities.importJobs,
                [[
                    "id": .string(id.lowercased), "kind": .string(options.kind), "options": optionsJSON,
                    "total_bytes": .int(Int64(size)), "created_by": actor.map(JSONValue.string) ?? .null,
                ]], on: sql)
            guard let job = try await store.fetch(Entities.importJobs, id, on: sql) else { throw DomainError.notFound(entity: "import", id: id.lowercased) }
            return job
        }
        Task.detached { await run(id: id, upload: upload, options: options, actor: actor) }
        return job
    }

    func set(_ id: UUID, _ values: [String: JSONValue]) async throws {
        try await database.transaction { sql in try await store.update(Entities.importJobs, id, values, on: sql) }
    }

    func run(id: UUID, upload: URL, options: ImportOptions, actor: String?) async {
        defer { try? FileManager.default.removeItem(at: upload) }
        let now = { JSONValue.string(Timestamp.format(Date())) }
        do {
            try await set(id, ["status": "running", "started_at": now()])
            let last = LastWrite()
            let summary = try await AuditContext.$actor.withValue(actor ?? "api:import") {
                try await Importer(database: database).run(file: upload, options: options) { p in
                    guard last.due() else { return }
                    try? await set(id, ["rows": .int(Int64(p.rows)), "bytes": .int(Int64(p.bytes))])
                }
            }
            try await set(id, [
                "status": "completed", "format": .string(summary.format.rawValue), "rows": .int(Int64(summary.rows)),
                "inserted": .int(Int64(summary.inserted)), "updated": .int(Int64(summary.updated)),
                "skipped": .int(Int64(summary.skipped)), "failed": .int(Int64(summary.failed)),
                "bytes": .int(Int64((try? FileManager.default.attributesOfItem(atPath: upload.path)[.size] as? Int) ?? 0)),
                "errors": .array(Self.errors(in: summary.errorsFile)), "finished_at": now(),
            ])
        } catch {
            try? await set(id, ["status": "failed", "message": .string((StoreErrors.translate(error) as? DomainError)?.message ?? "\(error)"), "finished_at": now()])
        }
    }

    /// The first refused rows of an errors CSV as `{line, reason}`.
    static func errors(in file: URL?) -> [JSONValue] {
        guard let file, let reader = try? CSVReader(url: file) else { return [] }
        _ = reader.next()
        var out: [JSONValue] = []
        while out.count < keptErrors, let record = reader.next() {
            guard record.fields.count >= 2 else { continue }
            out.append(["line": .int(Int64(record.fields[0]) ?? 0), "reason": .string(record.fields[1])])
        }
        return out
    }

    /// Jobs a stopped server left queued or running — not written for `staleAfter` seconds, while a live job
    /// writes its progress every second — are failed with advice: the import can simply be started again, since
    /// rows already in are matched, not duplicated. Returns how many.
    @discardableResult
    public func failInterrupted(staleAfter: TimeInterval = 120) async throws -> Int {
        let open = try await store.select(Entities.importJobs, where: [("status", "running")])
            + store.select(Entities.importJobs, where: [("status", "queued")])
        let cutoff = Date().addingTimeInterval(-staleAfter)
        var failed = 0
        for job in open where (job.string("updated_at").flatMap(Timestamp.parse) ?? .distantPast) < cutoff {
            try await set(job.id, [
                "status": "failed", "finished_at": .string(Timestamp.format(Date())),
                "message": "the server stopped during the import; post the file again: rows already in are matched, not duplicated",
            ])
            failed += 1
        }
        return failed
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

    /// Copies the body of the part named `file` (or the first part with a filename) from `body` to `out`.
    public static func extractFile(from body: URL, boundary: String, to out: URL) throws {
        let input = try FileHandle(forReadingFrom: body)
        defer { try? input.close() }
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let output = try FileHandle(forWritingTo: out)
        defer { try? output.close() }
        let delimiter = Array("--\(boundary)".utf8)
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
            let headers = String(decoding: buffer[(start! + delimiter.count)..<headersEnd!], as: UTF8.self).lowercased()
            buffer.removeFirst(headersEnd! + 4)
            if headers.hasPrefix("--") { throw DomainError.badRequest("The multipart body has no file part.") }
            if headers.contains("name=\"file\"") || headers.contains("filename=") { break }
        }
        // Copy until "\r\n--boundary", keeping back a delimiter's length that may straddle two reads.
        let end = Array("\r\n".utf8) + delimiter
        while true {
            if let stop = find(end) {
                try output.write(contentsOf: Data(buffer[..<stop]))
                return
            }
            if eof { throw DomainError.badRequest("The multipart body ends inside the file part.") }
            let keep = min(buffer.count, end.count - 1)
            try output.write(contentsOf: Data(buffer[..<(buffer.count - keep)]))
            buffer.removeFirst(buffer.count - keep)
            try fill()
        }
    }
}
