import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TouchbaseAPI
import TouchbaseDomain
import TouchbaseImport
import TouchbaseMCP
import TouchbaseService
import TouchbaseStore
import TouchbaseWeb

/// The `touchbase` command.
public struct TouchbaseCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "touchbase",
        abstract: "Touchbase: the outreach and account-based-marketing command center.",
        discussion: "Every command takes --database (or TOUCHBASE_DATABASE_URL); SQLite at ./touchbase.sqlite by default.",
        version: "0.1.0",
        subcommands: [Serve.self, MCPCommand.self, RunCommand.self, Migrate.self, TokenCommand.self, UserCommand.self, SignalsCommand.self, QueueCommand.self, ImportCommand.self, ExportCommand.self, BackupCommand.self, RestoreCommand.self, DemoCommand.self, MailCommand.self, SequencesCommand.self, InboundCommand.self])

    public init() {}
}

/// `touchbase serve`
public struct Serve: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Migrate the database, then serve the HTTP API.",
        discussion: "Stops gracefully on SIGINT or SIGTERM. /health and /openapi.json need no token; /api/v1 needs 'Authorization: Bearer <token>'.")

    @OptionGroup public var global: GlobalOptions
    @Option(help: ArgumentHelp("Address to listen on. Env: TOUCHBASE_HOST. Default: 127.0.0.1", valueName: "host"))
    public var host: String?
    @Option(help: ArgumentHelp("Port to listen on. Env: TOUCHBASE_PORT. Default: 8080", valueName: "port"))
    public var port: Int?

    public init() {}

    public func run() async throws {
        let settings = try Settings.read(global, host: host, port: port)
        let logger = Runtime.logger(settings)
        MetricsExport.bootstrap()
        try await Runtime.withDatabase(settings, logger: logger) { database in
            let applied = try await Migrator(database: database).upgradeAll()
            logger.info("database \(settings.location) ready (\(applied.count) migrations applied now)")
            // Long work runs on one runner, a service of the same group as the HTTP server: on SIGTERM the server stops
            // taking requests first, then the runner stops (an import in flight is queued again, to resume at the next
            // start), and only then does the database close.
            let runner = JobRunner(logger: logger)
            let jobs = ImportJobs(database: database, runner: runner)
            let (resumed, interrupted) = try await jobs.resumeInterrupted()
            if resumed > 0 { logger.notice("\(resumed) import job(s) left by a stopped server start again") }
            if interrupted > 0 { logger.warning("\(interrupted) import job(s) left by a stopped server, without their upload, marked failed") }
            let removed = try await jobs.removeStaleFiles()
            if removed > 0 { logger.info("removed \(removed) upload or errors file(s) no import job needs any more (in \(jobs.directory.path))") }
            let mcp = MCPHTTPSessions(database: database, settings: MCPSettings(ratePerMinute: settings.mcpRate), logger: logger)
            let app = buildApplication(
                database: database,
                settings: ServerSettings(host: settings.host, port: settings.port, maxUpload: settings.maxUpload, mcpRate: settings.mcpRate),
                jobs: runner, mcp: mcp, web: try WebFace(database: database, catalogue: Catalogue(database: database), imports: jobs, maxUpload: settings.maxUpload, logger: logger), logger: logger)
            // Sequences' due steps every TOUCHBASE_SEQUENCE_INTERVAL seconds (default 10), webhook deliveries every
            // TOUCHBASE_WEBHOOK_INTERVAL (default 2); 0 turns either off.
            let sequences = RepeatingService.sequences(
                SequenceRunner.fromEnvironment(database: database, publicURL: "http://\(settings.host):\(settings.port)"), logger: logger)
            let webhooks = RepeatingService.webhooks(WebhookDeliverer(database: database, logger: logger), logger: logger)
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: runner), .init(service: sequences), .init(service: webhooks), .init(service: app),
            ]
            if let metricsPort = settings.metricsPort {
                services.append(.init(service: MetricsExport.application(database: database, host: settings.metricsHost, port: metricsPort, logger: logger)))
                logger.info("metrics without a token at http://\(settings.metricsHost):\(metricsPort)/metrics")
            }
            let group = ServiceGroup(
                configuration: .init(
                    services: services,
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            do {
                try await group.run()
                await mcp.closeAll()
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                throw DomainError.badRequest(
                    "Port \(settings.port) on \(settings.host) is in use by another program: stop it, or serve on another port with --port (TOUCHBASE_PORT).")
            } catch let error as IOError where error.errnoCode == EACCES {
                throw DomainError.badRequest("Port \(settings.port) on \(settings.host) needs privileges this user lacks: pick a port above 1023 with --port.")
            }
        }
    }
}

/// `touchbase migrate`
public struct Migrate: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations (safe to run again).")

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func run() async throws {
        let settings = try Settings.read(global, defaultLevel: "warning")
        let logger = Runtime.logger(settings)
        try await Runtime.withDatabase(settings, logger: logger) { database in
            let applied = try await Migrator(database: database).upgradeAll()
            if applied.isEmpty {
                print("Database \(settings.location) is up to date (version \(Migrations.newest)).")
            } else {
                for m in applied { print("Applied \(m.version) \(m.name)") }
                print("Database \(settings.location) is at version \(Migrations.newest).")
            }
        }
    }
}

/// `touchbase token …`
public struct TokenCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke API tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    public init() {}

    /// `touchbase token create --name N --role R`
    public struct Create: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Create an API token; the token is the last word printed, and only its hash is stored.")

        @OptionGroup public var global: GlobalOptions
        @Option(help: "A name to recognise the token by (unique among active tokens).") public var name: String
        @Option(help: "admin (everything), member (read, write, delete), agent (read, write) or viewer (read).")
        public var role: String = "member"
        @Flag(help: "Revoke an active token of the same name first (so a script can run this again).") public var replace = false

        public init() {}

        public func validate() throws {
            guard Role(rawValue: role) != nil else {
                throw ValidationError("Unknown role '\(role)': use admin, member, agent or viewer.")
            }
        }

        public func run() async throws {
            let settings = try Settings.read(global, defaultLevel: "warning")
            try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
                try await Migrator(database: database).upgradeAll()
                let tokens = TokenStore(database: database)
                if replace, let existing = try await tokens.list(includeRevoked: false).first(where: { $0.name == name.trimmed }) {
                    _ = try await tokens.revoke(existing.id.lowercased)
                    print("Revoked the token named '\(existing.name)' (id \(existing.id.lowercased)).")
                }
                let token: APIToken, secret: String
                do {
                    (token, secret) = try await tokens.create(name: name, role: Role(rawValue: role)!)
                } catch DomainError.conflict {
                    throw DomainError.conflict(
                        field: "name",
                        detail: "An active token named '\(name.trimmed)' already exists: pass --replace to revoke it and make a new one, or pick another --name.")
                }
                print("Created token '\(token.name)' (role \(token.role.rawValue), id \(token.id.lowercased)).")
                print("It is shown only now; send it as 'Authorization: Bearer <token>':")
                print(secret)
            }
        }
    }

    /// `touchbase token list`
    public struct List: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "List API tokens (never their secrets).")

        @OptionGroup public var global: GlobalOptions
        @Flag(help: "Include revoked tokens.") public var all = false

        public init() {}

        public func run() async throws {
            let settings = try Settings.read(global, defaultLevel: "warning")
            try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
                try await Migrator(database: database).upgradeAll()
                let tokens = try await TokenStore(database: database).list(includeRevoked: all)
                if tokens.isEmpty {
                    print("No tokens. Create one with: touchbase token create --name NAME --role admin")
                    return
                }
                let rows = [["ID", "NAME", "ROLE", "PREFIX", "CREATED", "LAST USED", "REVOKED"]] + tokens.map {
                    [$0.id.lowercased, $0.name, $0.role.rawValue, $0.prefix + "…", $0.createdAt, $0.lastUsedAt ?? "-", $0.revokedAt ?? "-"]
                }
                let widths = (0..<rows[0].count).map { col in rows.map { $0[col].count }.max() ?? 0 }
                for row in rows {
                    print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
                }
            }
        }
    }

    /// `touchbase token revoke ID|NAME`
    public struct Revoke: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Revoke an active token by id or name; it stops working at once.")

        @OptionGroup public var global: GlobalOptions
        @Argument(help: "The token's id or name.") public var token: String

        public init() {}

        public func run() async throws {
            let settings = try Settings.read(global, defaultLevel: "warning")
            try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
                try await Migrator(database: database).upgradeAll()
                let revoked = try await TokenStore(database: database).revoke(token)
                print("Revoked token '\(revoked.name)' (\(revoked.id.lowercased)).")
            }
        }
    }
}
