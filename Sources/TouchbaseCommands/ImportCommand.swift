import ArgumentParser
import Foundation
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore

#if canImport(Glibc)
    import Glibc
#endif

/// `touchbase import companies|contacts FILE.csv`, `touchbase import undo JOB`
public struct ImportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import companies or contacts from a CSV export (Apollo, HubSpot, LinkedIn, Salesforce or any spreadsheet); undo an import.",
        discussion: """
            The layout is detected from the header row unless --format is given, and the header row is found past a \
            preamble (LinkedIn's "Notes:") unless --skip-lines says where it is. The encoding is detected (UTF-8 with or \
            without BOM, UTF-16 by its BOM, else Windows-1252, ISO-8859-1 or Mac Roman from the bytes) unless --encoding \
            is given; a byte that does not decode refuses its row, never a silent replacement. Columns the layout does not \
            know are kept in the record's custom_fields under their header. Rows are deduplicated on company domain, \
            contact email (any case) and LinkedIn URL, in the file and against the database (a company without a domain \
            on its name key, a contact without email or LinkedIn URL on its name at its company). A contact's company comes \
            from its company's website or domain column, else its company name, else its email domain unless that is a \
            free-mail or ISP domain (gmail.com, outlook.com, …). Bad rows go, with their line number and reason, to \
            FILE.errors.csv beside the input; every other row goes in. Rows commit in batches of 2,000, so an interrupted \
            import — even kill -9 — loses at most the batch in flight, and running it again converges.

            Every import is a job (GET /api/v1/imports) and its writes are audited as import:<job id>; \
            `touchbase import undo JOB` removes what it created and puts back what it changed.

            Exit codes: 0 every row went in; 2 some rows were refused (see FILE.errors.csv); 3 stopped by --max-errors; \
            1 the import could not run (no file, no header row, database error); 64 bad options.
            """)

    /// Exit code when some rows were refused.
    public static let rowsRefused: Int32 = 2
    /// Exit code when --max-errors stopped the import.
    public static let stoppedEarly: Int32 = 3

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "companies, contacts, or undo.") public var kind: String
    @Argument(help: "The CSV file (or, for undo, the import's id).") public var file: String
    @Option(help: "apollo, hubspot, linkedin, salesforce or generic (default: detected).") public var format: String?
    @Option(name: .customLong("map"), help: ArgumentHelp("Map a column to a field, e.g. --map \"Job Level=seniority_level\"; \"Header=-\" ignores it; repeatable.", valueName: "Header=field"))
    public var maps: [String] = []
    @Option(help: "update (fill empty fields, never blank a stored one) or skip.") public var onConflict = "update"
    @Option(help: ArgumentHelp("The file's encoding: \(TextEncoding.names) (default: detected).", valueName: "name")) public var encoding: String?
    @Option(help: ArgumentHelp("Lines before the header row (default: found by itself).", valueName: "N")) public var skipLines: Int?
    @Option(help: ArgumentHelp("Stop after N refused rows; the rows before stay in.", valueName: "N")) public var maxErrors: Int?
    @Flag(help: "Read and validate every row, write nothing.") public var dryRun = false

    public init() {}

    public func validate() throws {
        guard ["companies", "contacts", "undo"].contains(kind) else { throw ValidationError("Import 'companies' or 'contacts' (or 'undo JOB'), not '\(kind)'.") }
        if kind == "undo", UUID(uuidString: file) == nil { throw ValidationError("undo takes an import's id, as GET /api/v1/imports lists them; got '\(file)'.") }
        if let format, ImportFormat(rawValue: format) == nil {
            throw ValidationError("Unknown format '\(format)': use apollo, hubspot, linkedin, salesforce or generic.")
        }
        if let encoding, TextEncoding(name: encoding) == nil { throw ValidationError("Unknown encoding '\(encoding)': use \(TextEncoding.names).") }
        if let skipLines, skipLines < 0 { throw ValidationError("--skip-lines is 0 or more.") }
        if let maxErrors, maxErrors < 1 { throw ValidationError("--max-errors is 1 or more.") }
        guard IntakeRepository.OnConflict(rawValue: onConflict) != nil else { throw ValidationError("--on-conflict is update or skip.") }
        for m in maps where !m.contains("=") { throw ValidationError("--map takes Header=field; got '\(m)'.") }
    }

    public func run() async throws {
        let settings = try Settings.read(global, defaultLevel: "warning")
        if kind == "undo" { return try await undo(settings) }
        var mappings: [String: String] = [:]
        for m in maps {
            let parts = m.split(separator: "=", maxSplits: 1).map { String($0).trimmed }
            mappings[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let options = ImportOptions(
            kind: kind, format: format.flatMap(ImportFormat.init(rawValue:)), mappings: mappings,
            onConflict: IntakeRepository.OnConflict(rawValue: onConflict)!, dryRun: dryRun, encoding: encoding.flatMap(TextEncoding.init(name:)),
            skipLines: skipLines, maxErrors: maxErrors)
        let url = URL(fileURLWithPath: file)
        let onTerminal = isatty(2) != 0
        let (job, summary) = try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
            try await Migrator(database: database).upgradeAll()
            return try await ImportJobs(database: database).run(file: url, options: options, actor: "cli:\(NSUserName())") { p in
                guard onTerminal else { return }
                let rate = p.elapsed > 0 ? Double(p.rows) / p.elapsed : 0
                let fraction = p.totalBytes > 0 ? min(1, Double(p.bytes) / Double(p.totalBytes)) : 1
                let eta = fraction > 0 && fraction < 1 ? p.elapsed * (1 - fraction) / fraction : 0
                let width = 30
                let done = Int(fraction * Double(width))
                let bar = String(repeating: "#", count: done) + String(repeating: ".", count: width - done)
                FileHandle.standardError.write(Data(String(format: "\r[%@] %3d%%  %d rows  %.0f rows/s  ETA %.0fs ", bar, Int(fraction * 100), p.rows, rate, eta).utf8))
            }
        }
        if onTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
        let encodingText = summary.encoding.rawValue + (summary.encodingDetected ? " (detected)" : "")
        let header = summary.headerLine > 1 ? ", header on line \(summary.headerLine)" : ""
        print("\(dryRun ? "Dry run of" : "Imported") \(file) as \(summary.format.rawValue) \(kind), \(encodingText)\(header): \(summary.rows) rows")
        print("inserted \(summary.inserted), updated \(summary.updated), skipped \(summary.skipped), failed \(summary.failed)")
        print("Import job \(job.lowercased) (undo with: touchbase import undo \(job.lowercased))")
        if let errors = summary.errorsFile { print("Rows that failed, with line numbers and reasons: \(errors.path)") }
        if summary.stoppedEarly {
            print("Stopped after \(summary.failed) refused rows (--max-errors \(maxErrors ?? 0)); the rows before them are in.")
            throw ExitCode(Self.stoppedEarly)
        }
        if summary.failed > 0 { throw ExitCode(Self.rowsRefused) }
    }

    func undo(_ settings: Settings) async throws {
        let id = UUID(uuidString: file)!
        let undone = try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
            try await Migrator(database: database).upgradeAll()
            return try await AuditContext.$actor.withValue("cli:\(NSUserName())") { try await ImportJobs(database: database).undo(id) }
        }
        let removed = undone.removed.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let restored = undone.restored.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print("Undid import \(id.lowercased): removed \(removed.isEmpty ? "nothing" : removed); put back \(restored.isEmpty ? "nothing" : restored).")
    }
}
