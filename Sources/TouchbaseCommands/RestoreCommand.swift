import ArgumentParser
import Foundation
import TouchbaseImport
import TouchbaseStore

#if canImport(Glibc)
    import Glibc
#endif

/// `touchbase restore DUMP`
public struct RestoreCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Load a JSON-lines dump (from `touchbase export --format jsonl`) into an empty database.",
        discussion: """
            The database is migrated first and must hold no data (the default ICP profile a migration makes gives way to the dump's). Every row goes in as it was — ids, timestamps, \
            counters and the audit log included — with the database's triggers quiet, so nothing is counted or \
            audited twice; exporting the restored database gives the same dump back. Works from SQLite to PostgreSQL \
            and back. The restore is one transaction: if it fails or is killed, the database is left as it was. \
            API tokens are not part of a dump: create new ones with `touchbase token create`.
            """)

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "The dump file (JSON lines).") public var dump: String

    public init() {}

    public func run() async throws {
        let settings = try Settings.read(global, defaultLevel: "warning")
        let url = URL(fileURLWithPath: dump)
        let onTerminal = isatty(2) != 0
        let started = Date()
        let counts = try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
            try await Migrator(database: database).upgradeAll()
            return try await Restorer(database: database).run(file: url) { rows in
                guard onTerminal else { return }
                let rate = Double(rows) / max(Date().timeIntervalSince(started), 0.001)
                FileHandle.standardError.write(Data(String(format: "\r%d rows  %.0f rows/s ", rows, rate).utf8))
            }
        }
        if onTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
        for (table, n) in counts where n > 0 { print("\(table): \(n)") }
        print("Restored \(counts.reduce(0) { $0 + $1.1 }) rows into \(settings.location) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
    }
}
