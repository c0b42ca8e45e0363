import ArgumentParser
import Foundation
import Logging
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

/// `touchbase run OPERATION [NAME=VALUE …]`: any operation of the catalogue from the command line — the same operations,
/// checks and rules as the MCP tools and the HTTP API.
public struct RunCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one operation (what the MCP tools and the API's special endpoints run): touchbase run --list shows them.",
        discussion: """
            Arguments are NAME=VALUE pairs read by each field's type (numbers, true/false, dates, ids), or a JSON object with \
            --json; both may be given (pairs win). The result is printed as one JSON document. Bad arguments are one line \
            naming each field, and exit 1. Writes are audited as cli:run, or as the token given with --token (whose role \
            must allow the operation).
            Examples:
              touchbase run get_account_overview company_id=01a2…
              touchbase run create_signal company_id=01a2… signal_type=funding description="Series B"
              touchbase run search_contacts --json '{"query": "maya", "filters": {"seniority_level": "vp"}}'
            """)

    @OptionGroup public var global: GlobalOptions
    @Flag(help: "List the operations, their access and arguments.") public var list = false
    @Option(help: ArgumentHelp("Act as this API token. Env: TOUCHBASE_TOKEN.", valueName: "token")) public var token: String?
    @Option(help: ArgumentHelp("Arguments as a JSON object.", valueName: "object")) public var json: String?
    @Argument(help: "The operation's name (see --list).") public var operation: String?
    @Argument(help: "Arguments: NAME=VALUE …") public var arguments: [String] = []

    public init() {}

    public func validate() throws {
        if !list && operation == nil { throw ValidationError("Name an operation, or list them with --list.") }
        for pair in arguments where !pair.contains("=") || pair.hasPrefix("=") {
            throw ValidationError("'\(pair)' is not NAME=VALUE.")
        }
    }

    /// One line per operation: name, access, title, arguments (required ones starred).
    static func listing(_ catalogue: Catalogue) -> String {
        catalogue.operations.map { op in
            let args = op.fields.map { $0.required ? "\($0.name)*" : $0.name }.joined(separator: " ")
            return "\(op.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(op.access.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)) \(op.title): \(args)"
        }.joined(separator: "\n")
    }

    public func run() async throws {
        let settings = try Settings.read(global, defaultLevel: "warning")
        try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
            try await Migrator(database: database).upgradeAll()
            let catalogue = Catalogue(database: database)
            if list {
                print(Self.listing(catalogue))
                return
            }
            guard let op = catalogue[operation!] else {
                throw ValidationError("Unknown operation '\(operation!)': touchbase run --list shows them.")
            }
            var actor = "cli:run"
            if let found = try await Runtime.token(token, database: database) {
                guard found.role.allows(op.access) else {
                    throw ValidationError("A token with role '\(found.role.rawValue)' may not \(op.access.rawValue): \(op.name) is refused.")
                }
                actor = "user:\(found.name)"
            }
            var values: [String: JSONValue] = [:]
            if let json {
                guard case .object(let object) = try JSONValue.parse(json) else { throw ValidationError("--json must be a JSON object.") }
                values = object
            }
            var text: [String: String] = [:]
            for pair in arguments {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                text[String(parts[0])] = String(parts[1])
            }
            values.merge(op.arguments(fromText: text)) { _, pair in pair }
            let output = try await AuditContext.$actor.withValue(actor) { try await op.run(values) }
            print(output.json.serialized)
        }
    }
}
