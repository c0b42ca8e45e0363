import ArgumentParser
import Foundation
import Testing
import TouchbaseCommands
import TouchbaseDomain
import TouchbaseStore

/// Runs `touchbase ARGS` in this process.
func run(_ args: [String]) async throws {
    var command = try TouchbaseCommand.parseAsRoot(args)
    if var asyncCommand = command as? any AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
}

@Suite("CLI")
struct CommandsTests {
    @Test("flags win over environment variables, which win over defaults")
    func settingsPrecedence() throws {
        let defaults = try Settings.read(environment: [:])
        #expect(defaults.databaseURL == "./touchbase.sqlite")
        #expect(defaults.host == "127.0.0.1" && defaults.port == 8080 && defaults.logLevel == .info)
        let env = ["TOUCHBASE_DATABASE_URL": "postgres://u:secret@db/x", "TOUCHBASE_PORT": "9000", "TOUCHBASE_HOST": "0.0.0.0"]
        let fromEnv = try Settings.read(environment: env)
        #expect(fromEnv.location == .postgres(url: "postgres://u:secret@db/x"))
        #expect(fromEnv.port == 9000 && fromEnv.host == "0.0.0.0")
        let fromFlags = try Settings.read(database: "sqlite:///tmp/x.sqlite", port: 7000, environment: env)
        #expect(fromFlags.location == .sqlite(path: "/tmp/x.sqlite"))
        #expect(fromFlags.port == 7000 && fromFlags.host == "0.0.0.0")
        #expect(throws: (any Error).self) { try Settings.read(logLevel: "loud", environment: [:]) }
        #expect(throws: (any Error).self) { try Settings.read(port: 70000, environment: [:]) }
        // The upload limit: 1 GiB unless TOUCHBASE_MAX_UPLOAD says otherwise, in bytes or with a unit.
        #expect(defaults.maxUpload == 1 << 30)
        #expect(try Settings.read(environment: ["TOUCHBASE_MAX_UPLOAD": "512M"]).maxUpload == 512 << 20)
        // The slow-query log: off unless TOUCHBASE_SLOW_QUERY_MS gives a number of milliseconds.
        #expect(defaults.slowQueryMilliseconds == nil)
        #expect(try Settings.read(environment: ["TOUCHBASE_SLOW_QUERY_MS": "25"]).slowQueryMilliseconds == 25)
        #expect(throws: (any Error).self) { try Settings.read(environment: ["TOUCHBASE_SLOW_QUERY_MS": "fast"]) }
        #expect(throws: (any Error).self) { try Settings.read(environment: ["TOUCHBASE_SLOW_QUERY_MS": "-1"]) }
        #expect(try Settings.read(environment: ["TOUCHBASE_MAX_UPLOAD": "2 GiB"]).maxUpload == 2 << 30)
        #expect(try Settings.read(environment: ["TOUCHBASE_MAX_UPLOAD": "1000"]).maxUpload == 1000)
        for bad in ["lots", "-5", "0", "1.5G", "99999999999999999999G"] {
            #expect(throws: (any Error).self, "\(bad)") { try Settings.read(environment: ["TOUCHBASE_MAX_UPLOAD": bad]) }
        }
    }

    @Test("database URLs choose the engine; passwords are masked in logs")
    func locations() {
        #expect(DatabaseLocation("./touchbase.sqlite") == .sqlite(path: "./touchbase.sqlite"))
        #expect(DatabaseLocation("sqlite://data/tb.sqlite") == .sqlite(path: "data/tb.sqlite"))
        #expect(DatabaseLocation("postgresql://a@b/c").engine == .postgres)
        #expect(DatabaseLocation("postgres://me:hunter2@db:5432/tb").description == "postgres://me:***@db:5432/tb")
    }

    @Test("migrate and token create, list and revoke work from the command line")
    func tokenLifecycle() async throws {
        let dir = NSTemporaryDirectory() + "touchbase-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = ["--database", dir + "/cli.sqlite"]
        try await run(["migrate"] + db)
        try await run(["migrate"] + db)
        try await run(["token", "create", "--name", "ops", "--role", "viewer"] + db)
        #expect(throws: (any Error).self) { _ = try TouchbaseCommand.parseAsRoot(["token", "create", "--name", "x", "--role", "boss"]) }
        let database = try Database(location: .sqlite(path: dir + "/cli.sqlite"))
        let tokens = try await TokenStore(database: database).list()
        #expect(tokens.map(\.name) == ["ops"])
        #expect(tokens.first?.role == .viewer)
        try await run(["token", "revoke", "ops"] + db)
        #expect(try await TokenStore(database: database).list().isEmpty)
        await #expect(throws: DomainError.self) { try await run(["token", "revoke", "ops"] + db) }
        await database.shutdown()
    }

    @Test("signals scan raises a renewal signal once; queue lists what needs checking")
    func signalsAndQueues() async throws {
        let dir = NSTemporaryDirectory() + "touchbase-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = ["--database", dir + "/cli.sqlite"]
        try await run(["migrate"] + db)
        let database = try Database(location: .sqlite(path: dir + "/cli.sqlite"))
        let month = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date()).month!
        _ = try await CompanyRepository(database: database).create([
            "name": "Soon", "domain": "soon.io", "website_url": "https://soon.io", "renewal_month": .int(Int64(month % 12 + 1)),
        ])
        try await run(["signals", "scan"] + db)
        try await run(["signals", "scan"] + db)
        let signals = try await RecordStore(database: database).select(Entities.signals)
        #expect(signals.count == 1)
        #expect(signals.first?.string("signal_type") == "renewal_window_open_120d")
        let audit = try await RecordStore(database: database).select(Entities.auditLog, where: [("table_name", "signals")])
        #expect(audit.first?.string("changed_by") == "cli:signals-scan")
        try await run(["queue", "company-urls", "--days", "7"] + db)
        #expect(throws: (any Error).self) { _ = try TouchbaseCommand.parseAsRoot(["queue", "nope"]) }
        #expect(try await QueueRepository(database: database).queue("company-urls").count == 1)
        await database.shutdown()
    }

    @Test("import exits 0 only when every row went in, 2 when some were refused, 3 when --max-errors stopped it; undo takes it back")
    func importExitCodes() async throws {
        let dir = NSTemporaryDirectory() + "touchbase-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = ["--database", dir + "/cli.sqlite"]
        func exitCode(_ args: [String]) async -> Int32 {
            do {
                try await run(args)
                return 0
            } catch let code as ExitCode {
                return code.rawValue
            } catch {
                return -1
            }
        }
        try Data("Email,First Name\nok@x.io,Ok\n".utf8).write(to: URL(fileURLWithPath: dir + "/good.csv"))
        try Data("Email,First Name\nbad1,A\nbad2,B\nbad3,C\nfine@y.io,D\n".utf8).write(to: URL(fileURLWithPath: dir + "/bad.csv"))
        #expect(await exitCode(["import", "contacts", dir + "/good.csv"] + db) == 0)
        #expect(await exitCode(["import", "contacts", dir + "/bad.csv"] + db) == ImportCommand.rowsRefused)
        #expect(FileManager.default.fileExists(atPath: dir + "/bad.errors.csv"))
        #expect(await exitCode(["import", "contacts", dir + "/bad.csv", "--max-errors", "2"] + db) == ImportCommand.stoppedEarly)
        #expect(throws: (any Error).self) { _ = try TouchbaseCommand.parseAsRoot(["import", "contacts", "x.csv", "--encoding", "ebcdic"]) }
        #expect(throws: (any Error).self) { _ = try TouchbaseCommand.parseAsRoot(["import", "undo", "not-an-id"]) }
        // Every CLI import is a job; the first one is undone from the command line.
        let database = try Database(location: .sqlite(path: dir + "/cli.sqlite"))
        do {
            let jobs = try await RecordStore(database: database).select(Entities.importJobs)
            #expect(jobs.map { $0.string("status") } == ["completed", "completed_with_errors", "completed_with_errors"])
            #expect(jobs.map { $0.string("file_name") } == ["good.csv", "bad.csv", "bad.csv"])
            try await run(["import", "undo", jobs[0].id.lowercased] + db)
            #expect(try await ContactRepository(database: database).getByEmail("ok@x.io") == nil)
            #expect(try await ContactRepository(database: database).getByEmail("fine@y.io") != nil)
        } catch {
            Issue.record(error)
        }
        await database.shutdown()
    }

    @Test("run binds every operation: arguments by field type, errors naming the field, writes audited as cli:run")
    func runOperations() async throws {
        let dir = NSTemporaryDirectory() + "touchbase-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = ["--database", dir + "/cli.sqlite"]
        try await run(["run", "--list"] + db)
        try await run(["run", "create_company", "name=Umbrella", "domain=umbrella.io", "employee_count=250"] + db)
        let database = try Database(location: .sqlite(path: dir + "/cli.sqlite"))
        do {
            let company = try #require(try await CompanyRepository(database: database).getByDomain("umbrella.io"))
            #expect(company.int("employee_count") == 250)
            try await run(["run", "create_signal", "company_id=\(company.id.lowercased)", "signal_type=funding", "--json", #"{"payload": {"round": "B"}}"#] + db)
            let signals = try await RecordStore(database: database).select(Entities.signals)
            #expect(signals.first?["payload"] == ["round": "B"])
            let audit = try await RecordStore(database: database).select(Entities.auditLog, where: [("table_name", "signals")])
            #expect(audit.map { $0.string("changed_by") } == ["cli:run"])
            await #expect(throws: DomainError.validation([FieldIssue(field: "company_id", message: "must be a UUID")])) {
                try await run(["run", "get_account_overview", "company_id=nope"] + db)
            }
            await #expect(throws: (any Error).self) { try await run(["run", "no_such_operation"] + db) }
            #expect(throws: (any Error).self) { _ = try TouchbaseCommand.parseAsRoot(["run", "get_company", "company_id"]) }
            let viewer = try await TokenStore(database: database).create(name: "looker", role: .viewer).secret
            await #expect(throws: (any Error).self) { try await run(["run", "create_company", "name=X", "--token", viewer] + db) }
        } catch {
            Issue.record(error)
        }
        await database.shutdown()
    }
}
