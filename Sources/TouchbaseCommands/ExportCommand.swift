import ArgumentParser
import Foundation
import TouchbaseImport
import TouchbaseStore

/// `touchbase export --format csv|jsonl [--entity NAME] OUT`
public struct ExportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every table (or one) as one JSON-lines dump or as one CSV file per table.",
        discussion: "jsonl: OUT is a file with one {\"table\", \"row\"} object per line, tables in dependency order. csv: OUT is a directory that receives <table>.csv files.")

    @OptionGroup public var global: GlobalOptions
    @Option(help: "csv or jsonl.") public var format = "jsonl"
    @Option(help: "Only this table (e.g. companies, audit-log).") public var entity: String?
    @Argument(help: "The output file (jsonl) or directory (csv).") public var out: String

    public init() {}

    public func validate() throws {
        guard ["csv", "jsonl"].contains(format) else { throw ValidationError("--format is csv or jsonl; got '\(format)'.") }
    }

    public func run() async throws {
        let settings = try Settings.read(global, defaultLevel: "warning")
        let entities = try Exporter.entities(named: entity)
        let url = URL(fileURLWithPath: out)
        let counts = try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
            try await Migrator(database: database).upgradeAll()
            let exporter = Exporter(database: database)
            return format == "csv" ? try await exporter.csv(to: url, entities: entities) : try await exporter.jsonl(to: url, entities: entities)
        }
        for (table, n) in counts where n > 0 { print("\(table): \(n)") }
        print("Exported \(counts.reduce(0) { $0 + $1.1 }) rows from \(counts.count) tables to \(out).")
    }
}
