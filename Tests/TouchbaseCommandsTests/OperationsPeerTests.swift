import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseImport
import TouchbaseService
import TouchbaseStore
import TouchbaseTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Running it in production, as an operator would: `touchbase serve` with JSON logs, a metrics port and its own
/// webhook loop; `touchbase backup` while an import writes, restored with `touchbase restore`.
@Suite("Production operations: logs, metrics, webhooks, backups")
struct OperationsPeerTests {
    static func free() -> Int { Int.random(in: 20_000...40_000) }

    @Test("serve: JSON logs carry request ids and no secret; /metrics on its own port; webhooks delivered by the server", arguments: TestEngine.all)
    func serve(engine: TestEngine) async throws {
        let program = ResumeTests.program
        try #require(FileManager.default.isExecutableFile(atPath: program.path), "build the touchbase program first (swift build)")
        let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let receiver = try WebhookReceiverPeer()
        try await receiver.start()
        defer { receiver.stop() }
        try await engine.withDatabase { database in
            let token = try await TokenStore(database: database).create(name: "ops", role: .admin).secret
            let logFile = dir.appendingPathComponent("serve.log")
            FileManager.default.createFile(atPath: logFile.path, contents: nil)
            var started: (Process, Int, Int)?
            for _ in 0..<5 where started == nil {
                let (port, metricsPort) = (Self.free(), Self.free())
                let process = Process()
                process.executableURL = program
                process.arguments = [
                    "serve", "--database", ResumeTests.argument(database.location), "--port", String(port), "--log-format", "json", "--log-level", "debug",
                ]
                var environment = ProcessInfo.processInfo.environment
                environment["TOUCHBASE_METRICS_PORT"] = String(metricsPort)
                environment["TOUCHBASE_WEBHOOK_INTERVAL"] = "0.2"
                environment["TOUCHBASE_SEQUENCE_INTERVAL"] = "0"
                process.environment = environment
                process.standardOutput = FileHandle.nullDevice
                process.standardError = try FileHandle(forWritingTo: logFile)
                try process.run()
                for _ in 0..<100 where process.isRunning {
                    try await Task.sleep(for: .milliseconds(100))
                    if (try? String(contentsOf: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!, encoding: .utf8)) != nil,
                       (try? String(contentsOf: URL(string: "http://127.0.0.1:\(port)/health")!, encoding: .utf8))?.contains("ok") == true
                    {
                        started = (process, port, metricsPort)
                        break
                    }
                }
                if started == nil, process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
            }
            let (server, port, metricsPort) = try #require(started, "touchbase serve did not start")
            let http = WebhookHTTP()
            let auth = [("Authorization", "Bearer \(token)")]
            let base = "http://127.0.0.1:\(port)/api/v1"
            let mailbox = try await http.post("\(base)/mailboxes", headers: auth, body: Array(#"{"email": "rob@ops.example", "smtp_url": "smtp://rob:S3cretPass-9@127.0.0.1:2525?starttls=never"}"#.utf8))
            #expect(mailbox.status == 201, "\(mailbox.body)")
            let hook = try await http.post("\(base)/webhooks", headers: auth, body: Array(#"{"url": "\#(receiver.url)", "event_types": ["contact.created"]}"#.utf8))
            #expect(hook.status == 201)
            let secret = try #require(try JSONValue.parse(hook.body)["secret"]?.stringValue)
            try receiver.set("secret", secret)
            let contact = try await http.post(
                "\(base)/contacts", headers: auth + [("X-Request-Id", "ops-request-42")],
                body: Array(#"{"first_name": "Lia", "last_name": "Ops", "email": "lia@ops.example"}"#.utf8))
            #expect(contact.status == 201)
            // The server's own loop delivers it, signed.
            for _ in 0..<100 where receiver.events("contact.created").isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            #expect(receiver.events("contact.created").first?["valid"]?.boolValue == true)
            // Prometheus scrapes the metrics port without a token.
            let metrics = try String(contentsOf: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!, encoding: .utf8)
            #expect(metrics.contains(#"touchbase_webhook_deliveries_total{result="delivered"} 1"#))
            #expect(metrics.contains(#"touchbase_http_requests_total{route="/api/v1/contacts",method="POST",status="201"} 1"#))
            #expect(metrics.contains("touchbase_db_connections_in_use"))
            kill(server.processIdentifier, SIGTERM)
            server.waitUntilExit()
            #expect(server.terminationStatus == 0)

            let log = try String(contentsOf: logFile, encoding: .utf8)
            let lines = log.split(separator: "\n")
            #expect(lines.count > 5)
            for line in lines {
                let entry = try? JSONValue.parse(String(line))
                #expect(entry?["level"]?.stringValue != nil && entry?["message"] != nil, "not a JSON log line: \(line)")
            }
            #expect(lines.contains { $0.contains(#""request_id":"ops-request-42""#) && $0.contains("POST /api/v1/contacts 201") })
            for secretText in [token, "S3cretPass-9", secret] {
                #expect(!log.contains(secretText), "a secret is in the log")
            }
        }
    }

    @Test("a backup taken during an import restores to a consistent database", arguments: TestEngine.all)
    func backupDuringImport(engine: TestEngine) async throws {
        let program = ResumeTests.program
        try #require(FileManager.default.isExecutableFile(atPath: program.path), "build the touchbase program first (swift build)")
        let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("apollo.csv")
        let rows = 8_000
        try SampleExport.writeApollo(rows: rows, rowsPerCompany: 6, seed: 11, to: file)
        let dump = dir.appendingPathComponent("backup.jsonl")
        let copy = dir.appendingPathComponent("backup.sqlite")
        try await engine.withDatabase { database in
            let target = ResumeTests.argument(database.location)
            let importing = Task { try await Importer(database: database).run(file: file, options: ImportOptions(kind: "contacts")) }
            // Once the first batches are in, back up while the rest are written.
            var stored = 0
            while stored == 0 {
                try await Task.sleep(for: .milliseconds(20))
                stored = try await Self.count(database, "contacts")
            }
            let (status, printed) = try await Peers.run(program.path, ["backup", dump.path, "--database", target], errors: true)
            #expect(status == 0, "\(printed)")
            #expect(printed.contains("Backed up"))
            if engine == .sqlite {
                let (copied, said) = try await Peers.run(program.path, ["backup", "--format", "sqlite", copy.path, "--database", target], errors: true)
                #expect(copied == 0, "\(said)")
            } else {
                let (refused, said) = try await Peers.run(program.path, ["backup", "--format", "sqlite", copy.path, "--database", target], errors: true)
                #expect(refused != 0 && said.contains("--format jsonl"))
            }
            let summary = try await importing.value
            #expect(summary.inserted == rows)
            try await Self.expectConsistent(database)
            #expect(!FileManager.default.fileExists(atPath: dump.path + ".partial"))
        }
        // The dump goes into an empty database of the same engine: every counter matches the rows it counts.
        try await engine.withDatabase { restored in
            let (status, printed) = try await Peers.run(program.path, ["restore", dump.path, "--database", ResumeTests.argument(restored.location)], errors: true)
            #expect(status == 0, "\(printed)")
            let contacts = try await Self.count(restored, "contacts")
            #expect(contacts > 0 && contacts <= rows)
            try await Self.expectConsistent(restored)
        }
        if engine == .sqlite {
            let database = try Database(location: .sqlite(path: copy.path))
            let contacts = try await Self.count(database, "contacts")
            #expect(contacts > 0 && contacts <= rows)
            try await Self.expectConsistent(database)
            await database.shutdown()
        }
    }

    static func count(_ database: Database, _ table: String) async throws -> Int {
        try await database.withConnection { sql in
            try await sql.raw("SELECT count(*) AS n FROM \(ident: table)").first()!.decode(column: "n", as: Int.self)
        }
    }

    /// Companies' contact counters equal their contacts, and every contact's company is there.
    static func expectConsistent(_ database: Database) async throws {
        let (wrongCounters, orphans) = try await database.withConnection { sql in
            let wrong = try await sql.raw("""
                SELECT count(*) AS n FROM companies c WHERE c.total_contacts <> (SELECT count(*) FROM contacts p WHERE p.company_id = c.id)
                """).first()!.decode(column: "n", as: Int.self)
            let orphans = try await sql.raw("""
                SELECT count(*) AS n FROM contacts p WHERE p.company_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM companies c WHERE c.id = p.company_id)
                """).first()!.decode(column: "n", as: Int.self)
            return (wrong, orphans)
        }
        #expect(wrongCounters == 0 && orphans == 0, "\(wrongCounters) companies miscounted, \(orphans) contacts without their company")
    }
}

@Suite("Reliability: kill -9 during writes, then SIGTERM")
struct ReliabilityTests {
    @Test("the server killed with kill -9 during 8 writers loses no acknowledged write and restarts clean; SIGTERM exits 0", arguments: TestEngine.all)
    func killed(engine: TestEngine) async throws {
        let bench = ResumeTests.program.deletingLastPathComponent().appendingPathComponent("touchbase-bench")
        try #require(FileManager.default.isExecutableFile(atPath: bench.path), "build the touchbase-bench program first (swift build)")
        let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-reliability-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var arguments = [
            "reliability", "--rounds", "4", "--engine", engine == .postgres ? "postgres" : "sqlite", "--dir", dir.path,
            "--port", String(Int.random(in: 20_000...40_000)),
        ]
        if engine == .postgres, let url = TestEngine.postgresURL { arguments += ["--postgres-url", url] }
        let (status, printed) = try await Peers.run(bench.path, arguments, limit: .seconds(300), errors: true)
        #expect(status == 0, "\(printed)")
        let row = printed.split(separator: "\n").first { $0.hasPrefix(engine == .postgres ? "postgres" : "sqlite") }.map(String.init) ?? ""
        let words = row.split(separator: " ")
        #expect(words.count > 5 && words[1] == "4" && (Int(words[2]) ?? 0) > 0 && words[4] == "0" && words[5] == "exact", "\(printed)")
        #expect(row.contains("exit 0"), "\(printed)")
    }
}
