import Foundation
import TouchbaseDomain
import TouchbaseStore

/// How an import runs.
public struct ImportOptions: Sendable {
    public var kind: String
    public var format: ImportFormat?
    /// `Header=field` mappings that win over the format's own.
    public var mappings: [String: String]
    public var onConflict: IntakeRepository.OnConflict
    public var dryRun: Bool

    public init(kind: String, format: ImportFormat? = nil, mappings: [String: String] = [:], onConflict: IntakeRepository.OnConflict = .update, dryRun: Bool = false) {
        self.kind = kind
        self.format = format
        self.mappings = mappings
        self.onConflict = onConflict
        self.dryRun = dryRun
    }
}

/// Where an import stands, for a progress bar.
public struct ImportProgress: Sendable {
    public let rows: Int
    public let bytes: Int
    public let totalBytes: Int
    public let elapsed: TimeInterval
}

/// What an import did.
public struct ImportSummary: Sendable {
    public var format: ImportFormat = .generic
    public var rows = 0
    public var inserted = 0
    public var updated = 0
    public var skipped = 0
    public var failed = 0
    public var errorsFile: URL?
}

/// Reads a CSV export and promotes each row into companies or contacts, deduplicated against the file and the
/// database (see `IntakeRepository`). A bad row is written, with its line number and reason, to
/// `<file>.errors.csv` beside the input and the other rows go in. Rows commit in batches of `batchSize`, promoted
/// as a set (a few lookups, multi-row inserts), so an interrupted import loses at most the batch in flight and can
/// simply be run again: rows already in are matched and left as they are.
public struct Importer: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// Rows per transaction.
    public static let batchSize = 2_000

    public static func errorsURL(for input: URL) -> URL {
        input.deletingPathExtension().appendingPathExtension("errors.csv")
    }

    /// Header → row key for this file, or a clear error when a `--map` names no field.
    public static func mapping(headers: [String], kind: String, format: ImportFormat, overrides: [String: String]) throws -> [Int: String] {
        let entity = kind == "contacts" ? Entities.contacts : Entities.companies
        let known = format.columns(for: kind)
        var result: [Int: String] = [:]
        let lowered = Dictionary(overrides.map { (ImportFormat.key($0.key), $0.value) }, uniquingKeysWith: { _, b in b })
        for (index, header) in headers.enumerated() {
            let key = ImportFormat.key(header)
            if let target = lowered[key] {
                guard entity.field(target) != nil || target.hasPrefix("company_") || ["email_status", "city", "state", "country", "full_name"].contains(target)
                else { throw DomainError.invalid("--map", "'\(header)=\(target)': \(target) is not a field of \(entity.singular)") }
                result[index] = target
            } else if let target = known[key] {
                result[index] = target
            } else {
                let snake = key.replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
                if let field = entity.field(snake), field.access == .writable { result[index] = snake }
                else if snake.hasPrefix("company_") || snake == "full_name" || snake == "email_status" { result[index] = snake }
            }
        }
        for (header, _) in overrides where !headers.contains(where: { ImportFormat.key($0) == ImportFormat.key(header) }) {
            throw DomainError.invalid("--map", "the file has no column '\(header)'")
        }
        return result
    }

    /// Builds the row the promotion reads from one CSV record.
    static func row(_ fields: [String], mapping: [Int: String]) -> [String: JSONValue] {
        var row: [String: JSONValue] = [:]
        var place: [String: String] = [:]
        for (index, key) in mapping where index < fields.count {
            let value = fields[index].trimmed
            guard !value.isEmpty else { continue }
            switch key {
            case "city", "state", "country": place[key] = value
            case "seniority_level": row[key] = .string(ImportFormat.seniority(value) ?? value)
            case "email_status": if let s = ImportFormat.emailStatus(value) { row[key] = .string(s) }
            default: if row[key] == nil { row[key] = .string(value) }
            }
        }
        if row["location"] == nil, !place.isEmpty {
            row["location"] = .string(["city", "state", "country"].compactMap { place[$0] }.joined(separator: ", "))
        }
        if let city = place["city"], row["company_city"] == nil, row["city"] == nil { row["city"] = .string(city) }
        if let country = place["country"], row["country"] == nil { row["country"] = .string(country) }
        return row
    }

    /// Why a row would fail validation, for a dry run; nil when it would go in.
    static func dryRunProblem(_ entity: Entity, kind: String, row: [String: JSONValue]) -> String? {
        var values = IntakeRepository.fieldsForDryRun(entity, row)
        if kind == "contacts", values["first_name"] == nil, let full = row["full_name"]?.stringValue {
            values["first_name"] = .string(String(full.split(separator: " ").first ?? ""))
        }
        do {
            _ = try entity.validate(values, mode: .create)
            return nil
        } catch {
            return error.message
        }
    }

    public func run(file: URL, options: ImportOptions, progress: (@Sendable (ImportProgress) async -> Void)? = nil) async throws -> ImportSummary {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw DomainError.badRequest("No such file: \(file.path)")
        }
        let totalBytes = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        let reader = try CSVReader(url: file)
        guard let header = reader.next() else { throw DomainError.badRequest("\(file.lastPathComponent) is empty: it needs a header row") }
        if let error = header.error { throw DomainError.badRequest("line 1: the header row cannot be read (\(error))") }
        var summary = ImportSummary()
        summary.format = options.format ?? ImportFormat.detect(header.fields)
        let mapping = try Self.mapping(headers: header.fields, kind: options.kind, format: summary.format, overrides: options.mappings)
        let intake = IntakeRepository(database: database)
        let entity = options.kind == "contacts" ? Entities.contacts : Entities.companies
        let errorsURL = Self.errorsURL(for: file)
        var errors: FileHandle?
        let started = Date()
        defer { try? errors?.close() }

        func fail(_ record: CSVRecord, _ reason: String) throws {
            summary.failed += 1
            if errors == nil {
                _ = FileManager.default.createFile(atPath: errorsURL.path, contents: Data(CSVWriter.line(["line", "reason"] + header.fields).utf8))
                errors = try FileHandle(forWritingTo: errorsURL)
                try errors?.seekToEnd()
                summary.errorsFile = errorsURL
            }
            try errors?.write(contentsOf: Data(CSVWriter.line([String(record.line), reason] + record.fields).utf8))
        }

        // Rows are written in batches of `batchSize`, one transaction each. While one batch is in the database the
        // next is read and parsed: at most one batch is in flight, and it commits before the next one's lookups, so
        // each batch is matched against everything before it exactly as in a sequential run.
        var batch: [(CSVRecord, [String: JSONValue])] = []
        var pending: (batch: [(CSVRecord, [String: JSONValue])], task: Task<[Result<IntakeRepository.Outcome, DomainError>], any Error>)?
        func settle() async throws {
            guard let (written, task) = pending else { return }
            pending = nil
            let results = try await task.value
            for ((record, _), result) in zip(written, results) {
                switch result {
                case .success(.inserted): summary.inserted += 1
                case .success(.updated): summary.updated += 1
                case .success(.skipped): summary.skipped += 1
                case .failure(let error): try fail(record, error.message)
                }
            }
        }
        func flush() async throws {
            guard !batch.isEmpty else { return try await settle() }
            // Read into drafts while the batch before is still being written; then wait for it.
            let prepared = PreparedRows(kind: options.kind, rows: batch.map(\.1))
            try await settle()
            let onConflict = options.onConflict
            pending = (batch, Task { try await intake.promote(prepared, onConflict: onConflict) })
            batch.removeAll(keepingCapacity: true)
        }
        do {
            while let record = reader.next() {
                if record.fields.count == 1 && record.fields[0].isEmpty && record.error == nil { continue }  // blank line
                summary.rows += 1
                if let error = record.error {
                    try await flush()  // keeps the errors file in line order
                    try await settle()
                    try fail(record, "broken quoting: \(error)")
                } else {
                    let row = Self.row(record.fields, mapping: mapping)
                    if options.dryRun {
                        if let problem = Self.dryRunProblem(entity, kind: options.kind, row: row) {
                            try fail(record, problem)
                        } else {
                            summary.inserted += 1
                        }
                    } else {
                        batch.append((record, row))
                        if batch.count >= Self.batchSize { try await flush() }
                    }
                }
                if let progress, summary.rows % 200 == 0 {
                    await progress(ImportProgress(rows: summary.rows, bytes: reader.bytesRead, totalBytes: totalBytes, elapsed: Date().timeIntervalSince(started)))
                }
            }
            try await flush()
            try await settle()
        } catch {
            // A batch still in flight finishes (or fails) before the error is reported: nothing is left half-written.
            if let (_, task) = pending { _ = try? await task.value }
            throw error
        }
        await progress?(ImportProgress(rows: summary.rows, bytes: totalBytes, totalBytes: totalBytes, elapsed: Date().timeIntervalSince(started)))
        if summary.failed == 0 { try? FileManager.default.removeItem(at: errorsURL) }
        return summary
    }
}
