import ArgumentParser
import Foundation
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore

#if canImport(Glibc)
    import Glibc
#endif

/// `touchbase import companies|contacts FILE.csv`
public struct ImportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import companies or contacts from a CSV export (Apollo, HubSpot, LinkedIn or generic).",
        discussion: """
            The layout is detected from the header row unless --format is given. Rows are deduplicated on company \
            domain, contact email (any case) and LinkedIn URL, in the file and against the database (a company \
            without a domain on its name, a contact without email or LinkedIn URL on its name at its company); a \
            contact's company is found or created from its website or email domain. Bad rows go, with their line number and \
            reason, to FILE.errors.csv beside the input; every other row goes in. Rows commit in batches of 2,000, \
            written as sets (multi-row inserts), so an interrupted import — even kill -9 — loses at most the batch in \
            flight, and running the same command again converges to the state of an uninterrupted run.
            """)

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "companies or contacts.") public var kind: String
    @Argument(help: "The CSV file.") public var file: String
    @Option(help: "apollo, hubspot, linkedin or generic (default: detected).") public var format: String?
    @Option(name: .customLong("map"), help: ArgumentHelp("Map a column to a field, e.g. --map \"Job Level=seniority_level\"; repeatable.", valueName: "Header=field"))
    public var maps: [String] = []
    @Option(help: "update (fill empty fields, never blank a stored one) or skip.") public var onConflict = "update"
    @Flag(help: "Read and validate every row, write nothing.") public var dryRun = false

    public init() {}

    public func validate() throws {
        guard ["companies", "contacts"].contains(kind) else { throw ValidationError("Import 'companies' or 'contacts', not '\(kind)'.") }
        if let format, ImportFormat(rawValue: format) == nil {
            throw ValidationError("Unknown format '\(format)': use apollo, hubspot, linkedin or generic.")
        }
        guard IntakeRepository.OnConflict(rawValue: onConflict) != nil else { throw ValidationError("--on-conflict is update or skip.") }
        for m in maps where !m.contains("=") { throw ValidationError("--map takes Header=field; got '\(m)'.") }
    }

    public func run() async throws {
        let settings = try Settings.read(database: global.database, logLevel: global.logLevel ?? "warning")
        var mappings: [String: String] = [:]
        for m in maps {
            let parts = m.split(separator: "=", maxSplits: 1).map { String($0).trimmed }
            mappings[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let options = ImportOptions(
            kind: kind, format: format.flatMap(ImportFormat.init(rawValue:)), mappings: mappings,
            onConflict: IntakeRepository.OnConflict(rawValue: onConflict)!, dryRun: dryRun)
        let url = URL(fileURLWithPath: file)
        let onTerminal = isatty(2) != 0
        let summary = try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
            try await Migrator(database: database).migrate()
            return try await AuditContext.$actor.withValue("cli:import") {
                try await Importer(database: database).run(file: url, options: options) { p in
                    guard onTerminal else { return }
                    let rate = p.elapsed > 0 ? Double(p.rows) / p.elapsed : 0
                    let fraction = p.totalBytes > 0 ? Double(p.bytes) / Double(p.totalBytes) : 1
                    let eta = fraction > 0 && fraction < 1 ? p.elapsed * (1 - fraction) / fraction : 0
                    let width = 30
                    let done = Int(fraction * Double(width))
                    let bar = String(repeating: "#", count: done) + String(repeating: ".", count: width - done)
                    FileHandle.standardError.write(Data(String(format: "\r[%@] %3d%%  %d rows  %.0f rows/s  ETA %.0fs ", bar, Int(fraction * 100), p.rows, rate, eta).utf8))
                }
            }
        }
        if onTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
        print("\(dryRun ? "Dry run of" : "Imported") \(file) as \(summary.format.rawValue) \(kind): \(summary.rows) rows")
        print("inserted \(summary.inserted), updated \(summary.updated), skipped \(summary.skipped), failed \(summary.failed)")
        if let errors = summary.errorsFile { print("Rows that failed, with line numbers and reasons: \(errors.path)") }
    }
}
