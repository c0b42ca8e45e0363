import Foundation
import TouchbaseDomain
import TouchbaseStore

/// How an import runs.
public struct ImportOptions: Sendable {
    public var kind: String
    public var format: ImportFormat?
    /// `Header=field` mappings that win over the format's own; `Header=-` ignores the column.
    public var mappings: [String: String]
    public var onConflict: IntakeRepository.OnConflict
    public var dryRun: Bool
    /// The file's encoding, when detection should not decide.
    public var encoding: TextEncoding?
    /// Lines before the header row (a preamble); nil: the header row is found by itself.
    public var skipLines: Int?
    /// Stop after this many refused rows (the rows before stay in).
    public var maxErrors: Int?

    public init(
        kind: String, format: ImportFormat? = nil, mappings: [String: String] = [:], onConflict: IntakeRepository.OnConflict = .update,
        dryRun: Bool = false, encoding: TextEncoding? = nil, skipLines: Int? = nil, maxErrors: Int? = nil
    ) {
        self.kind = kind
        self.format = format
        self.mappings = mappings
        self.onConflict = onConflict
        self.dryRun = dryRun
        self.encoding = encoding
        self.skipLines = skipLines
        self.maxErrors = maxErrors
    }

    /// The options a job recorded (`json`), for a job that starts again; nil when they do not read back.
    public init?(kind: String, json: JSONValue) {
        guard let o = json.objectValue else { return nil }
        self.init(kind: kind)
        if let text = o["on_conflict"]?.stringValue {
            guard let value = IntakeRepository.OnConflict(rawValue: text) else { return nil }
            onConflict = value
        }
        dryRun = o["dry_run"]?.boolValue ?? false
        mappings = (o["map"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        if let text = o["format"]?.stringValue {
            guard let value = ImportFormat(rawValue: text) else { return nil }
            format = value
        }
        if let text = o["encoding"]?.stringValue {
            guard let value = TextEncoding(rawValue: text) else { return nil }
            encoding = value
        }
        skipLines = o["skip_lines"]?.intValue.map(Int.init)
        maxErrors = o["max_errors"]?.intValue.map(Int.init)
    }

    /// The options as an import job records them.
    public var json: JSONValue {
        var out: [String: JSONValue] = [
            "on_conflict": .string(onConflict.rawValue), "dry_run": .bool(dryRun), "map": .object(mappings.mapValues { .string($0) }),
        ]
        if let format { out["format"] = .string(format.rawValue) }
        if let encoding { out["encoding"] = .string(encoding.rawValue) }
        if let skipLines { out["skip_lines"] = .int(Int64(skipLines)) }
        if let maxErrors { out["max_errors"] = .int(Int64(maxErrors)) }
        return .object(out)
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
    public var encoding: TextEncoding = .utf8
    /// Whether the encoding was detected (not given).
    public var encodingDetected = true
    /// The line of the header row (past a preamble).
    public var headerLine = 1
    public var rows = 0
    public var inserted = 0
    public var updated = 0
    public var skipped = 0
    public var failed = 0
    /// True when `--max-errors` stopped the import before the end of the file.
    public var stoppedEarly = false
    public var errorsFile: URL?
}

/// How the columns of one file feed a row: each target from its columns in precedence order, the rest kept as
/// custom fields under their headers.
public struct ColumnPlan: Sendable {
    public struct Target: Sendable {
        public let name: String
        public let columns: [Int]
        /// Matched by its header alone: a vocabulary value that does not fit goes to custom fields instead.
        public let byNameOnly: Bool
    }

    public let targets: [Target]
    /// Header as written → its columns (leftmost first).
    public let custom: [(String, [Int])]
    /// The headers as written, trimmed: the keys of custom fields.
    let headers: [String]

    /// The target each column feeds (for tests and docs).
    public var targetOfColumn: [Int: String] {
        var out: [Int: String] = [:]
        for t in targets { for c in t.columns where out[c] == nil { out[c] = t.name } }
        return out
    }
}

/// Reads a CSV export and promotes each row into companies or contacts, deduplicated against the file and the
/// database (see `IntakeRepository`). A bad row is written, with its line number and reason, to
/// `<file>.errors.csv` beside the input (or `errorsURL`) and the other rows go in. Rows commit in batches of
/// `batchSize`, promoted as a set (a few lookups, multi-row inserts), so an interrupted import loses at most the
/// batch in flight and can simply be run again: rows already in are matched and left as they are.
public struct Importer: Sendable {
    public let database: Database
    /// Where refused rows are written (default: beside the input).
    public var errorsURL: URL?

    public init(database: Database, errorsURL: URL? = nil) {
        self.database = database
        self.errorsURL = errorsURL
    }

    /// Rows per transaction.
    public static let batchSize = 2_000
    /// Records looked at for a header row when none is given.
    static let headerSearch = 30

    public static func errorsURL(for input: URL) -> URL {
        input.deletingPathExtension().appendingPathExtension("errors.csv")
    }

    /// Pseudo-targets the promotion reads besides fields.
    static let pseudoTargets: Set<String> = ["email_status", "city", "state", "country", "full_name", "apollo_stage", "lifecycle_stage"]

    static func isTarget(_ name: String, of entity: Entity) -> Bool {
        if entity.table == "contacts" && (name.hasPrefix("company_") || pseudoTargets.contains(name)) { return true }
        if entity.table == "companies" && ["city", "country"].contains(name) { return true }
        return entity.field(name)?.access == .writable
    }

    /// How this file's columns feed rows, or a clear error when a `--map` names no field or no column.
    public static func plan(headers: [String], kind: String, format: ImportFormat, overrides: [String: String]) throws -> ColumnPlan {
        let entity = kind == "contacts" ? Entities.contacts : Entities.companies
        let keys = headers.map(ImportFormat.key)
        var taken = Set<Int>()
        var ignored = Set<Int>()
        var order: [String] = []
        var columns: [String: [Int]] = [:]
        var byName: [String: Bool] = [:]
        func add(_ target: String, _ found: [Int], nameOnly: Bool) {
            let fresh = found.filter { !taken.contains($0) && !ignored.contains($0) }
            guard !fresh.isEmpty else { return }
            if columns[target] == nil { order.append(target); byName[target] = nameOnly }
            columns[target, default: []] += fresh
            taken.formUnion(fresh)
        }
        // 1. --map, in the order given: `Header=field` or `Header=-`.
        for (header, target) in overrides.sorted(by: { $0.key < $1.key }) {
            let found = keys.indices.filter { keys[$0] == ImportFormat.key(header) }
            guard !found.isEmpty else { throw DomainError.invalid("--map", "the file has no column '\(header)'") }
            if target == "-" { ignored.formUnion(found); continue }
            guard isTarget(target, of: entity) else {
                throw DomainError.invalid("--map", "'\(header)=\(target)': \(target) is not a field of \(entity.singular)")
            }
            add(target, found, nameOnly: false)
        }
        // 2. The layout's columns, then the common spellings, each target's columns in its declared order.
        for layout in format == .generic ? [format] : [format, .generic] {
            for (target, wanted) in layout.columns(for: kind) where isTarget(target, of: entity) {
                add(target, wanted.flatMap { want in keys.indices.filter { keys[$0] == want } }, nameOnly: layout != format && format != .generic ? true : false)
            }
        }
        // 3. A header spelled as a field's name.
        for (index, header) in headers.enumerated() where !taken.contains(index) && !ignored.contains(index) {
            let snake = header.trimmed.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
            if let field = entity.field(snake), field.access == .writable, !field.type.isJSON { add(snake, [index], nameOnly: true) }
        }
        var custom: [(String, [Int])] = []
        var customIndex: [String: Int] = [:]
        for (index, header) in headers.enumerated() where !taken.contains(index) && !ignored.contains(index) {
            let name = header.trimmed
            guard !name.isEmpty else { continue }
            if let at = customIndex[name] { custom[at].1.append(index) } else {
                customIndex[name] = custom.count
                custom.append((name, [index]))
            }
        }
        return ColumnPlan(
            targets: order.map { ColumnPlan.Target(name: $0, columns: columns[$0]!, byNameOnly: byName[$0] ?? false) }, custom: custom,
            headers: headers.map(\.trimmed))
    }

    /// A cell as a value: trimmed, with placeholders ("N/A", "null", "-", …) read as empty.
    static func cell(_ fields: [String], _ index: Int) -> String? {
        guard index < fields.count else { return nil }
        var value = fields[index].trimmed
        if value.isEmpty || ImportFormat.isPlaceholder(value) { return nil }
        // Spreadsheet guards: Apollo's leading ' before phone numbers, Excel's ="…".
        if value.hasPrefix("'"), value.dropFirst().first.map({ $0 == "+" || $0.isNumber || $0 == "(" }) == true { value.removeFirst() }
        if value.hasPrefix("=\""), value.hasSuffix("\""), value.count >= 3 { value = String(value.dropFirst(2).dropLast()) }
        return value.isEmpty ? nil : value
    }

    /// Builds the row the promotion reads from one CSV record.
    static func row(_ fields: [String], plan: ColumnPlan, entity: Entity, format: ImportFormat) -> [String: JSONValue] {
        var row: [String: JSONValue] = [:]
        var place: [String: String] = [:]
        var custom: [String: JSONValue] = [:]
        func keep(_ column: Int, _ value: String) {
            let header = plan.headers[column]
            if custom[header] == nil { custom[header] = .string(value) }
        }
        for target in plan.targets {
            guard let (column, value) = target.columns.lazy.compactMap({ c in cell(fields, c).map { (c, $0) } }).first else { continue }
            switch target.name {
            case "city", "state", "country": place[target.name] = value
            case "seniority_level":
                if let s = ImportFormat.seniority(value) { row["seniority_level"] = .string(s) } else { keep(column, value) }
            case "email_status":
                if let s = ImportFormat.emailStatus(value) { row["email_status"] = .string(s) } else { keep(column, value) }
            case "apollo_stage", "lifecycle_stage":
                keep(column, value)
                let translated = target.name == "apollo_stage" ? ImportFormat.apolloStage(value) : ImportFormat.lifecycleStage(value)
                for (k, v) in translated ?? [:] where row[k] == nil { row[k] = v }
            default:
                // A column matched by its header alone whose value is no word of the field's vocabulary means
                // something else: it is kept, not refused. A column a layout or --map names is refused with its reason.
                if target.byNameOnly, let vocabulary = entity.field(target.name)?.vocabulary, !vocabulary.contains(value) {
                    keep(column, value)
                    continue
                }
                row[target.name] = .string(value)
            }
        }
        for (header, columns) in plan.custom {
            if let value = columns.lazy.compactMap({ cell(fields, $0) }).first { custom[header] = custom[header] ?? .string(value) }
        }
        if entity.table == "contacts" {
            if row["location"] == nil, !place.isEmpty {
                row["location"] = .string(["city", "state", "country"].compactMap { place[$0] }.joined(separator: ", "))
            }
            if let city = place["city"], row["company_city"] == nil { row["company_city"] = .string(city) }
            if let country = place["country"], row["company_country"] == nil { row["company_country"] = .string(country) }
            if row["source"] == nil { row["source"] = .string(format.source) }
        } else {
            if let city = place["city"], row["city"] == nil { row["city"] = .string(city) }
            if let country = place["country"], row["country"] == nil { row["country"] = .string(country) }
        }
        if !custom.isEmpty, row["custom_fields"] == nil { row["custom_fields"] = .object(custom) }
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

    /// Whether a record reads as a header row: two or more cells, and a column some layout knows.
    static func looksLikeHeader(_ record: CSVRecord, kind: String) -> Bool {
        guard record.error == nil, record.fields.filter({ !$0.trimmed.isEmpty }).count >= 2 else { return false }
        let known = Set(ImportFormat.allCases.flatMap { $0.columns(for: kind).flatMap(\.1) })
        return record.fields.contains { known.contains(ImportFormat.key($0)) }
    }

    public func run(file: URL, options: ImportOptions, progress: (@Sendable (ImportProgress) async -> Void)? = nil) async throws -> ImportSummary {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw DomainError.badRequest("No such file: \(file.path)")
        }
        let totalBytes = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        let reader = try CSVReader(url: file, encoding: options.encoding)
        var summary = ImportSummary()
        summary.encoding = reader.encoding
        summary.encodingDetected = reader.detected
        // The header row: after --skip-lines, or the first record that reads as one (LinkedIn's Connections.csv
        // opens with a "Notes:" preamble).
        var header: CSVRecord?
        if let skip = options.skipLines {
            while let record = reader.next() {
                if record.line > skip { header = record; break }
            }
        } else {
            var first: CSVRecord?
            var looked = 0
            while looked < Self.headerSearch, let record = reader.next() {
                looked += 1
                if record.fields.allSatisfy({ $0.trimmed.isEmpty }) { continue }
                if first == nil { first = record }
                if Self.looksLikeHeader(record, kind: options.kind) { header = record; break }
            }
            if header == nil, let first {
                guard looked < Self.headerSearch || first.line == 1 else {
                    throw DomainError.badRequest("no header row found in the first \(Self.headerSearch) lines: give its place with --skip-lines N")
                }
                header = first
            }
        }
        guard let header else { throw DomainError.badRequest("\(file.lastPathComponent) is empty: it needs a header row") }
        if let error = header.error { throw DomainError.badRequest("line \(header.line): the header row cannot be read (\(error))") }
        summary.headerLine = header.line
        summary.format = options.format ?? ImportFormat.detect(header.fields)
        let plan = try Self.plan(headers: header.fields, kind: options.kind, format: summary.format, overrides: options.mappings)
        let intake = IntakeRepository(database: database)
        let entity = options.kind == "contacts" ? Entities.contacts : Entities.companies
        let errorsURL = self.errorsURL ?? Self.errorsURL(for: file)
        try? FileManager.default.removeItem(at: errorsURL)
        var errors: FileHandle?
        let started = Date()
        defer { try? errors?.close() }

        struct Stop: Error {}
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
        func overLimit() -> Bool { options.maxErrors.map { summary.failed >= $0 } ?? false }

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
            if overLimit() { throw Stop() }
            // A shutdown stops an import between batches: those written stay, the next one is not started.
            try Task.checkCancellation()
            let onConflict = options.onConflict
            pending = (batch, Task { try await intake.promote(prepared, onConflict: onConflict) })
            batch.removeAll(keepingCapacity: true)
        }
        do {
            while let record = reader.next() {
                if record.fields.allSatisfy({ $0.trimmed.isEmpty }) && record.error == nil { continue }  // blank line
                summary.rows += 1
                if let error = record.error {
                    try await flush()  // keeps the errors file in line order
                    try await settle()
                    try fail(record, error)
                    if overLimit() { throw Stop() }
                } else {
                    let row = Self.row(record.fields, plan: plan, entity: entity, format: summary.format)
                    if options.maxErrors != nil, !options.dryRun, let problem = Self.dryRunProblem(entity, kind: options.kind, row: row) {
                        // With a limit, a row that cannot be valid is counted when it is read, so the import stops there.
                        try await flush()
                        try await settle()
                        try fail(record, problem)
                        if overLimit() { throw Stop() }
                    } else if options.dryRun {
                        if let problem = Self.dryRunProblem(entity, kind: options.kind, row: row) {
                            try fail(record, problem)
                            if overLimit() { throw Stop() }
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
        } catch is Stop {
            // --max-errors: what went in stays; the batch that would come next is not written.
            summary.stoppedEarly = true
        } catch {
            // A batch still in flight finishes (or fails) before the error is reported: nothing is left half-written.
            if let (_, task) = pending { _ = try? await task.value }
            throw error
        }
        await progress?(ImportProgress(rows: summary.rows, bytes: totalBytes, totalBytes: totalBytes, elapsed: Date().timeIntervalSince(started)))
        return summary
    }
}
