import ArgumentParser
import Configuration
import Foundation
import Logging
import TouchbaseMCP
import TouchbaseAPI
import TouchbaseDomain
import TouchbaseStore

/// Options every command takes.
public struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Database: a file path or sqlite://PATH (SQLite), or postgres://USER:PASS@HOST:PORT/DB. Env: TOUCHBASE_DATABASE_URL. Default: ./touchbase.sqlite",
            valueName: "url"))
    public var database: String?

    @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical. Env: TOUCHBASE_LOG_LEVEL. Default: info", valueName: "level"))
    public var logLevel: String?

    @Option(name: .long, help: ArgumentHelp("Log format: text (one line a message) or json (one JSON object a line, for log shippers). Env: TOUCHBASE_LOG_FORMAT. Default: text", valueName: "format"))
    public var logFormat: String?

    public init() {}
}

/// Settings read once: flags first, then environment variables (`TOUCHBASE_*`), then defaults.
/// Secrets (the database URL may hold a password) are marked so and never logged.
public struct Settings: Sendable {
    public var databaseURL: String
    public var logLevel: Logger.Level
    public var host: String
    public var port: Int
    /// The largest import upload `serve` accepts, in bytes (`TOUCHBASE_MAX_UPLOAD`: bytes, or `512M`, `1G`).
    public var maxUpload: Int
    /// MCP tool calls per token per minute (`TOUCHBASE_MCP_RATE`, default 600).
    public var mcpRate: Int = MCPSettings.defaultRate
    /// Statements slower than this many milliseconds are logged as warnings with their SQL (`TOUCHBASE_SLOW_QUERY_MS`;
    /// unset: none).
    public var slowQueryMilliseconds: Double?
    /// How logs are written (`--log-format`, `TOUCHBASE_LOG_FORMAT`): text or json.
    var logFormat: LogFormat = .text
    /// A listener of its own for `/metrics` without a token (`TOUCHBASE_METRICS_PORT`; unset: none), on
    /// `TOUCHBASE_METRICS_HOST` (default 127.0.0.1).
    public var metricsPort: Int?
    public var metricsHost = "127.0.0.1"
    /// A PostgreSQL streaming replica for reads that may lag a moment (`TOUCHBASE_DATABASE_REPLICA_URL`; a secret).
    public var replicaURL: String?

    /// Keys: `touchbase.database.url`, `touchbase.log.level`, `touchbase.host`, `touchbase.port`, `touchbase.max.upload`
    /// (environment: `TOUCHBASE_DATABASE_URL`, `TOUCHBASE_LOG_LEVEL`, `TOUCHBASE_HOST`, `TOUCHBASE_PORT`,
    /// `TOUCHBASE_MAX_UPLOAD`, `TOUCHBASE_MCP_RATE`, `TOUCHBASE_SLOW_QUERY_MS`, `TOUCHBASE_LOG_FORMAT`,
    /// `TOUCHBASE_METRICS_PORT`, `TOUCHBASE_METRICS_HOST`, `TOUCHBASE_DATABASE_REPLICA_URL`).
    public static func read(
        database: String? = nil, logLevel: String? = nil, host: String? = nil, port: Int? = nil, logFormat: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Settings {
        var flags: [AbsoluteConfigKey: ConfigValue] = [:]
        if let database { flags[AbsoluteConfigKey(["touchbase", "database", "url"])] = ConfigValue(.string(database), isSecret: true) }
        if let logLevel { flags[AbsoluteConfigKey(["touchbase", "log", "level"])] = ConfigValue(.string(logLevel), isSecret: false) }
        if let host { flags[AbsoluteConfigKey(["touchbase", "host"])] = ConfigValue(.string(host), isSecret: false) }
        if let port { flags[AbsoluteConfigKey(["touchbase", "port"])] = ConfigValue(.int(port), isSecret: false) }
        if let logFormat { flags[AbsoluteConfigKey(["touchbase", "log", "format"])] = ConfigValue(.string(logFormat), isSecret: false) }
        let reader = ConfigReader(providers: [
            InMemoryProvider(name: "flags", values: flags),
            EnvironmentVariablesProvider(
                environmentVariables: environment, secretsSpecifier: .specific(["TOUCHBASE_DATABASE_URL", "TOUCHBASE_DATABASE_REPLICA_URL"])),
        ]).scoped(to: "touchbase")
        let levelText = reader.string(forKey: "log.level", default: "info")
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ValidationError("Unknown log level '\(levelText)': use trace, debug, info, notice, warning, error or critical.")
        }
        let port = reader.int(forKey: "port", default: 8080)
        guard (1...65535).contains(port) else { throw ValidationError("The port must be from 1 to 65535; got \(port).") }
        let uploadText = reader.string(forKey: "max.upload", default: String(ServerSettings.defaultMaxUpload))
        guard let maxUpload = ByteCount.parse(uploadText) else {
            throw ValidationError("TOUCHBASE_MAX_UPLOAD must be a size in bytes such as 1073741824, 512M or 1G; got '\(uploadText)'.")
        }
        let rateText = reader.string(forKey: "mcp.rate", default: String(MCPSettings.defaultRate))
        guard let mcpRate = Int(rateText.trimmed), (1...1_000_000).contains(mcpRate) else {
            throw ValidationError("TOUCHBASE_MCP_RATE must be a number of tool calls a minute from 1 to 1000000; got '\(rateText)'.")
        }
        var settings = Settings(
            databaseURL: reader.string(forKey: "database.url", default: DatabaseLocation.defaultPath), logLevel: level,
            host: reader.string(forKey: "host", default: "127.0.0.1"), port: port, maxUpload: maxUpload)
        settings.mcpRate = mcpRate
        if let slow = reader.string(forKey: "slow.query.ms") {
            guard let ms = Double(slow.trimmed), ms >= 0, ms.isFinite else {
                throw ValidationError("TOUCHBASE_SLOW_QUERY_MS must be a number of milliseconds such as 20; got '\(slow)'.")
            }
            settings.slowQueryMilliseconds = ms
        }
        let formatText = reader.string(forKey: "log.format", default: "text")
        guard let format = LogFormat(rawValue: formatText.trimmed.lowercased()) else {
            throw ValidationError("Unknown log format '\(formatText)': use text or json.")
        }
        settings.logFormat = format
        if let text = reader.string(forKey: "metrics.port") {
            guard let port = Int(text.trimmed), (1...65535).contains(port) else {
                throw ValidationError("TOUCHBASE_METRICS_PORT must be a port from 1 to 65535; got '\(text)'.")
            }
            settings.metricsPort = port
        }
        settings.metricsHost = reader.string(forKey: "metrics.host", default: "127.0.0.1")
        if let replica = reader.string(forKey: "database.replica.url"), !replica.trimmed.isEmpty {
            guard case .postgres = DatabaseLocation(replica), case .postgres = settings.location else {
                throw ValidationError("TOUCHBASE_DATABASE_REPLICA_URL is a postgres:// URL of a streaming replica of the PostgreSQL database Touchbase uses.")
            }
            settings.replicaURL = replica
        }
        return settings
    }

    /// The settings of a command: its global options, `defaultLevel` when neither `--log-level` nor the environment
    /// names one.
    static func read(_ global: GlobalOptions, defaultLevel: String? = nil, host: String? = nil, port: Int? = nil) throws -> Settings {
        try read(database: global.database, logLevel: global.logLevel ?? defaultLevel, host: host, port: port, logFormat: global.logFormat)
    }

    public var location: DatabaseLocation { DatabaseLocation(databaseURL) }
}

enum Runtime {
    /// Logs go to standard error so that standard output carries only results. The logging system is
    /// bootstrapped once per process; each logger carries its own level.
    /// The first command's format wins (one command a process).
    nonisolated(unsafe) private static var bootstrapped = false
    private static let bootstrapLock = NSLock()

    static func bootstrap(_ format: LogFormat) {
        bootstrapLock.withLock {
            guard !bootstrapped else { return }
            bootstrapped = true
            switch format {
            case .text: LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
            case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
            }
        }
    }

    static func logger(_ settings: Settings) -> Logger {
        bootstrap(settings.logFormat)
        var logger = Logger(label: "touchbase")
        logger.logLevel = settings.logLevel
        return logger
    }

    /// The token given with `--token` or `TOUCHBASE_TOKEN`, if any; an unknown or revoked one is an error.
    static func token(_ flag: String?, database: Database) async throws -> APIToken? {
        guard let secret = flag ?? ProcessInfo.processInfo.environment["TOUCHBASE_TOKEN"], !secret.trimmed.isEmpty else { return nil }
        guard let found = try await TokenStore(database: database).authenticate(secret.trimmed) else {
            throw ValidationError("The token is unknown or revoked. Create one with 'touchbase token create --name NAME --role agent'.")
        }
        return found
    }

    /// Opens the database, runs `body`, and always closes it.
    static func withDatabase<T: Sendable>(_ settings: Settings, logger: Logger, _ body: (Database) async throws -> T) async throws -> T {
        let database = try Database(
            location: settings.location, logger: logger, maxConnections: 8, slowQueryMilliseconds: settings.slowQueryMilliseconds,
            replica: settings.replicaURL.map(DatabaseLocation.init))
        do {
            let result = try await body(database)
            await database.shutdown()
            return result
        } catch {
            await database.shutdown()
            throw error
        }
    }
}
