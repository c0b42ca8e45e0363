import ArgumentParser
import Foundation
import TouchbaseDomain
import TouchbaseStore

/// `touchbase signals scan`
public struct SignalsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "signals", abstract: "Work with buyer-intent signals.", subcommands: [Scan.self])

    public init() {}

    public struct Scan: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Raise renewal_window_open_120d once per company and renewal whose campaign window has opened.")

        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func run() async throws {
            let settings = try Settings.read(global, defaultLevel: "warning")
            try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
                try await Migrator(database: database).upgradeAll()
                let created = try await AuditContext.$actor.withValue("cli:signals-scan") {
                    try await RenewalRepository(database: database).scanSignals()
                }
                for s in created {
                    print("\(s.string("company_id") ?? "")  \(s.string("signal_type") ?? "")  \(s.string("description") ?? "")")
                }
                print("\(created.count) signal\(created.count == 1 ? "" : "s") raised.")
            }
        }
    }
}

/// `touchbase queue NAME`
public struct QueueCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Show a zero-wandering queue: company-urls, profile-urls or email-recheck.",
        discussion: "Lists what needs checking, oldest first, as JSON lines. An item leaves the queue once its check is recorded (POST /api/v1/companies/{id}/checked or /contacts/{id}/checked).")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "company-urls, profile-urls or email-recheck.") public var name: String
    @Option(help: "Re-check items last checked more than this many days ago.") public var days = 30
    @Option(help: "Most items to show.") public var limit = 100

    public init() {}

    public func validate() throws {
        guard QueueRepository.queues.contains(name) else {
            throw ValidationError("Unknown queue '\(name)': use \(QueueRepository.queues.joined(separator: ", ")).")
        }
        guard (0...3650).contains(days) else { throw ValidationError("--days must be from 0 to 3650.") }
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 100000.") }
    }

    public func run() async throws {
        let settings = try Settings.read(global, defaultLevel: "warning")
        try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
            try await Migrator(database: database).upgradeAll()
            let items = try await QueueRepository(database: database).queue(name, days: days, limit: limit)
            for item in items { print(item.serialized) }
        }
    }
}
