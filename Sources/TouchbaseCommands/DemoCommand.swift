import ArgumentParser
import Foundation
import TouchbaseImport
import TouchbaseStore

/// `touchbase demo`
public struct DemoCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Fill the database with a realistic, deterministic demo data set.",
        discussion: "The same --seed always gives the same data. Then: touchbase token create --name me --role admin && touchbase serve")

    @OptionGroup public var global: GlobalOptions
    @Option(help: "Companies to make.") public var companies = 20
    @Option(help: "Contacts to make in all (spread over the companies).") public var contacts = 100
    @Option(help: "Touchpoints to make in all (spread over one conversation per contact).") public var touchpoints = 300
    @Option(help: "Random seed.") public var seed: UInt64 = 42

    public init() {}

    public func validate() throws {
        guard companies >= 1, contacts >= companies, touchpoints >= 0 else {
            throw ValidationError("Use at least 1 company, at least one contact per company, and 0 or more touchpoints.")
        }
    }

    public func run() async throws {
        let settings = try Settings.read(global, defaultLevel: "warning")
        let perCompany = contacts / companies
        let perConversation = touchpoints / max(1, perCompany * companies)
        let total = companies
        let (counts, morning) = try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
            try await Migrator(database: database).upgradeAll()
            return try await AuditContext.$actor.withValue("cli:demo") {
                let generator = DemoGenerator(database: database)
                let counts = try await generator.generate(
                    companies: companies, contactsPerCompany: perCompany, touchesPerConversation: perConversation, seed: seed
                ) { done in
                    if isatty(2) != 0 { FileHandle.standardError.write(Data("\r\(done)/\(total) companies".utf8)) }
                }
                return (counts, try await generator.morning())
            }
        }
        if isatty(2) != 0 { FileHandle.standardError.write(Data("\n".utf8)) }
        print("Made \(counts.companies) companies, \(counts.contacts) contacts, \(counts.relationships) relationships, \(counts.conversations) conversations, \(counts.touchpoints) touchpoints, \(counts.drafts) drafts, \(counts.signals) signals.")
        if morning.replies > 0 { print("And a morning's work: \(morning.replies) replies to handle, \(morning.followups) follow-ups, \(morning.drafts) drafts through QC, \(morning.batches) batches in an experiment, \(morning.agentRuns) agent runs with LLM usage, a bounce, renewals due and an intake load.") }
    }
}
