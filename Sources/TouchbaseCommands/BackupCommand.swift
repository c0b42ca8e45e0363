import ArgumentParser
import Foundation
import TouchbaseImport
import TouchbaseStore

/// `touchbase backup OUT [--format jsonl|sqlite]`
public struct BackupCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Take a consistent copy of a live database while it keeps serving.",
        discussion: """
            jsonl (default, both engines): every table as one JSON-lines dump read inside one snapshot (PostgreSQL: a \
            REPEATABLE READ READ ONLY transaction; SQLite: one read transaction), so writes made meanwhile are wholly in \
            or wholly out. Restore it into an empty database of either engine with `touchbase restore OUT`. Like an \
            export, it holds no API tokens, users' passwords or mailbox and webhook secrets. \
            sqlite (SQLite only): an exact copy of the database file with VACUUM INTO, tokens and secrets included: \
            serve it as it is with --database OUT. Either is written to OUT.partial and renamed when complete.
            """)

    @OptionGroup public var global: GlobalOptions
    @Option(help: "jsonl (a dump restore reads, either engine) or sqlite (an exact copy of a SQLite file).") public var format = "jsonl"
    @Argument(help: "The backup file to write.") public var out: String

    public init() {}

    public func validate() throws {
        guard ["jsonl", "sqlite"].contains(format) else { throw ValidationError("--format is jsonl or sqlite; got '\(format)'.") }
    }

    public func run() async throws {
        let settings = try Settings.read(global, defaultLevel: "warning")
        let url = URL(fileURLWithPath: out)
        let started = Date()
        let counts = try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
            try await Migrator(database: database).upgradeAll()
            let exporter = Exporter(database: database)
            if format == "sqlite" {
                try await exporter.sqliteCopy(to: url)
                return [(String, Int)]()
            }
            return try await exporter.backup(to: url)
        }
        let took = String(format: "%.1f", Date().timeIntervalSince(started))
        if format == "sqlite" {
            print("Copied \(settings.location) to \(out) in \(took) s.")
        } else {
            print("Backed up \(counts.reduce(0) { $0 + $1.1 }) rows from \(counts.filter { $0.1 > 0 }.count) tables of \(settings.location) to \(out) in \(took) s.")
        }
    }
}
