import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

/// `touchbase sequences run-due [--now ISO8601] [--limit N] [--json]`
public struct SequencesCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sequences", abstract: "Run the sequences' due steps.", subcommands: [RunDue.self])

    public init() {}

    public struct RunDue: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "run-due",
            abstract: "Run every sequence step due as of now (or --now) once, and print what was sent, delayed and stopped.",
            discussion: """
                What `serve` does every few seconds, once: each active enrolment whose next run has come has its step worked \
                out at that instant — emails go through the sequence's mailbox inside the send window (the contact's time zone, \
                the sequence's as fallback) and within the mailbox's caps; calls, LinkedIn touches, manual emails and action \
                items become follow-ups; the rest wait, each with why and until when. --now runs as of another instant \
                (2027-03-15T14:00:00Z), so a test or a cron job can step through days. Unsubscribe links point at \
                TOUCHBASE_PUBLIC_URL (default http://127.0.0.1:8080). Writes are audited as sequences:run. \
                Exit status 0, or 2 when a send failed or is uncertain.
                """)

        @OptionGroup public var global: GlobalOptions
        @Option(help: ArgumentHelp("Run as of this instant (ISO 8601). Default: now.", valueName: "time")) public var now: String?
        @Option(help: "Most enrolments to look at.") public var limit = 500
        @Flag(help: "Print the report as JSON.") public var json = false

        public init() {}

        public func validate() throws {
            if let now, Timestamp.parse(now) == nil {
                throw ValidationError("--now: '\(now)' is not an ISO 8601 time such as 2027-03-15T14:00:00Z")
            }
            guard (1...5_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 5000") }
        }

        public func run() async throws {
            let settings = try Settings.read(global, defaultLevel: "warning")
            let failed = try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
                try await Migrator(database: database).upgradeAll()
                let instant = now.flatMap(Timestamp.parse) ?? Date()
                let report = try await AuditContext.$actor.withValue("sequences:run") {
                    try await SequenceRunner.fromEnvironment(database: database).runDue(now: instant, limit: limit)
                }
                if json {
                    print(report.json.serialized)
                } else {
                    print(Self.text(report, at: instant))
                }
                return report.count("failed") + report.count("uncertain")
            }
            if failed > 0 { throw ExitCode(2) }
        }

        static func text(_ report: SequenceRunner.Report, at instant: Date) -> String {
            var lines = ["Sequences as of \(Timestamp.format(instant)): " + SequenceRunner.actions.compactMap { report.count($0) > 0 ? "\(report.count($0)) \($0)" : nil }.joined(separator: ", ")]
            if report.items.isEmpty { lines[0] += "nothing due" }
            for item in report.items {
                let until = item.until.map { " (until \(Timestamp.format($0)))" } ?? ""
                lines.append("  \(item.action.padding(toLength: 9, withPad: " ", startingAt: 0)) step \(item.step) enrollment \(item.enrollmentID.lowercased): \(item.detail)\(until)")
            }
            return lines.joined(separator: "\n")
        }
    }
}

/// Inside `serve`: `work` runs every `interval` until shutdown (a run in progress finishes first): the sequences'
/// due steps, the webhook deliveries.
struct RepeatingService: Service {
    let name: String
    let interval: Duration
    let enabled: Bool
    let logger: Logger
    let work: @Sendable () async throws -> Void

    func run() async throws {
        guard enabled else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await work()
                } catch {
                    logger.error("\(name): the run failed: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Every `TOUCHBASE_<NAME>_INTERVAL` seconds (`fallback` when unset; 0 turns it off).
    static func interval(_ variable: String, fallback: Double) -> (Duration, Bool) {
        let seconds = ProcessInfo.processInfo.environment[variable].flatMap(Double.init) ?? fallback
        return (.milliseconds(Int64(max(seconds, 0.05) * 1_000)), seconds > 0)
    }

    static func sequences(_ runner: SequenceRunner, logger: Logger) -> RepeatingService {
        let (interval, enabled) = self.interval("TOUCHBASE_SEQUENCE_INTERVAL", fallback: 10)
        return RepeatingService(name: "sequences", interval: interval, enabled: enabled, logger: logger) {
            let report = try await AuditContext.$actor.withValue("sequences:run") { try await runner.runDue(now: Date()) }
            if !report.items.isEmpty {
                logger.info("sequences: \(report.count("sent")) sent, \(report.count("delayed")) delayed, \(report.count("task")) tasks, \(report.count("failed")) failed, \(report.count("uncertain")) uncertain")
            }
        }
    }

    static func webhooks(_ deliverer: WebhookDeliverer, logger: Logger) -> RepeatingService {
        let (interval, enabled) = self.interval("TOUCHBASE_WEBHOOK_INTERVAL", fallback: 2)
        return RepeatingService(name: "webhooks", interval: interval, enabled: enabled, logger: logger) {
            let report = try await deliverer.deliverDue()
            if report.total > 0 {
                logger.info("webhooks: \(report.delivered) delivered, \(report.retrying) to retry, \(report.failed) failed for good")
            }
        }
    }
}
