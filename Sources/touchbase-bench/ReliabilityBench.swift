import ArgumentParser
import Foundation
import Logging
import NIOHTTP1
import SQLKit
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

#if canImport(Glibc)
    import Glibc
#endif

private let quiet: Logger = {
    var logger = Logger(label: "touchbase-bench")
    logger.logLevel = .warning
    return logger
}()

/// `touchbase-bench reliability`: `touchbase serve` under 8 writers, killed with SIGKILL again and again, then
/// stopped with SIGTERM; after each stop every acknowledged write must be there and every counter exact.
struct ReliabilityBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reliability",
        abstract: "Kill the server with kill -9 during concurrent writes, again and again: no acknowledged write lost, every counter exact, every restart clean; then SIGTERM finishes what is in flight and exits 0.",
        discussion: """
            Per engine: a fresh database with one company and 16 contacts; then --rounds times: `touchbase serve` in a \
            child process, --writers clients each recording touchpoints (POST /api/v1/touchpoints) and, for every third, \
            an open (POST …/events), kill -9 of the server after a random 0.3-1.5 s, and a check of the database: every \
            touch and open the server acknowledged (201/200) is stored, contacts' total_touchpoints and last_engaged_at \
            equal what their touches say. A last round stops the server with SIGTERM mid-writes: it must exit 0 within 15 s \
            and every acknowledged write be stored. Exits 1 on any loss.
            """)

    @Option(help: "sqlite, postgres or both.") var engine = "sqlite"
    @Option(help: "A PostgreSQL server URL whose user may create databases (default: $TOUCHBASE_TEST_POSTGRES_URL).") var postgresURL: String?
    @Option(help: "kill -9 rounds.") var rounds = 20
    @Option(help: "Concurrent writers.") var writers = 8
    @Option(help: "Working directory (default: a new temporary one).") var dir: String?
    @Option(help: "Port to serve on.") var port = 18_383

    struct Tally: Sendable {
        var touches: [String] = []
        var opens: [String] = []
        var errors = 0
    }

    final class Ledger: @unchecked Sendable {
        private let lock = NSLock()
        private var tally = Tally()
        func touched(_ id: String) { lock.withLock { tally.touches.append(id) } }
        func opened(_ id: String) { lock.withLock { tally.opens.append(id) } }
        func failed() { lock.withLock { tally.errors += 1 } }
        var value: Tally { lock.withLock { tally } }
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var raised = false
        func raise() { lock.withLock { raised = true } }
        var isRaised: Bool { lock.withLock { raised } }
    }

    func run() async throws {
        let work = URL(fileURLWithPath: dir ?? NSTemporaryDirectory() + "touchbase-reliability-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let engines = engine == "both" ? ["sqlite", "postgres"] : [engine]
        var failures: [String] = []
        print("engine    rounds  acked touches  acked opens  lost  counters  restart (max)  SIGTERM")
        for engine in engines {
            let location: String
            var dropAfter: (String, String)?
            if engine == "sqlite" {
                location = work.appendingPathComponent("reliability.sqlite").path
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: location + suffix) }
            } else {
                guard let server = postgresURL ?? ProcessInfo.processInfo.environment["TOUCHBASE_TEST_POSTGRES_URL"] else {
                    throw ValidationError("--engine postgres needs --postgres-url or TOUCHBASE_TEST_POSTGRES_URL")
                }
                let name = "touchbase_reliability_\(UInt32.random(in: 0...UInt32.max))"
                location = try ImportBench.freshDatabase(server, name)
                dropAfter = (server, name)
            }
            let (token, contacts) = try await Self.prepare(location)
            let ledger = Ledger()
            var lost: [String] = []
            var restartMax = 0.0
            for round in 1...rounds {
                let (server, took) = try await serve(location, work: work, label: "\(engine)-\(round)")
                restartMax = max(restartMax, took)
                let stop = Flag()
                let writing = Task { await write(token: token, contacts: contacts, ledger: ledger, stop: stop) }
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...1_500)))
                kill(server.processIdentifier, SIGKILL)
                server.waitUntilExit()
                stop.raise()
                await writing.value
                lost += try await Self.check(location, ledger.value)
            }
            // SIGTERM: the server stops taking connections, answers what it has, and exits 0.
            let (server, _) = try await serve(location, work: work, label: "\(engine)-sigterm")
            let stop = Flag()
            let writing = Task { await write(token: token, contacts: contacts, ledger: ledger, stop: stop) }
            try await Task.sleep(for: .milliseconds(800))
            let asked = Date()
            kill(server.processIdentifier, SIGTERM)
            var exited = false
            for _ in 0..<150 where !exited {
                try await Task.sleep(for: .milliseconds(100))
                exited = !server.isRunning
            }
            if !exited { kill(server.processIdentifier, SIGKILL) }
            server.waitUntilExit()
            let stopping = Date().timeIntervalSince(asked)
            stop.raise()
            await writing.value
            lost += try await Self.check(location, ledger.value)
            let counters = try await Self.countersExact(location)
            let tally = ledger.value
            let sigterm = exited && server.terminationStatus == 0 ? String(format: "exit 0 in %.1f s", stopping) : "did not exit 0 (\(server.terminationStatus))"
            print(
                engine.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: "%6d  %13d  %11d  %4d  %8@  %11.1f s  %@", rounds, tally.touches.count,
                tally.opens.count, lost.count, counters ? "exact" : "WRONG", restartMax, sigterm))
            if !lost.isEmpty { failures.append("\(engine): \(lost.count) acknowledged writes lost, e.g. \(lost.prefix(3))") }
            if !counters { failures.append("\(engine): counters are not exact") }
            if !(exited && server.terminationStatus == 0) { failures.append("\(engine): SIGTERM \(sigterm)") }
            if tally.touches.isEmpty { failures.append("\(engine): no write was acknowledged at all") }
            if let (server, name) = dropAfter { _ = try? ImportBench.run("psql", ["-q", server, "-c", "DROP DATABASE IF EXISTS \(name)"]) }
        }
        if !failures.isEmpty {
            for f in failures { print("FAILED: \(f)") }
            throw ExitCode(1)
        }
    }

    /// Migrates, makes an admin token, a company and 16 contacts.
    static func prepare(_ location: String) async throws -> (String, [String]) {
        let database = try Database(location: DatabaseLocation(location), logger: quiet)
        do {
            try await Migrator(database: database).upgradeAll()
            let token = try await TokenStore(database: database).create(name: "reliability-\(UUID().uuidString.prefix(8))", role: .admin).secret
            let store = RecordStore(database: database)
            let company = try await store.create(Entities.companies, ["name": "Steady Co", "domain": .string("steady-\(UUID().uuidString.prefix(6)).example")])
            var contacts: [String] = []
            for n in 1...16 {
                let contact = try await store.create(Entities.contacts, [
                    "company_id": .string(company.id.lowercased), "first_name": .string("Writer\(n)"), "last_name": "Steady",
                    "email": .string("writer\(n)-\(UUID().uuidString.prefix(6))@steady.example"),
                ])
                contacts.append(contact.id.lowercased)
            }
            await database.shutdown()
            return (token, contacts)
        } catch {
            await database.shutdown()
            throw error
        }
    }

    func serve(_ location: String, work: URL, label: String) async throws -> (Process, Double) {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        server.arguments = ["touchbase", "serve", "--database", location, "--port", String(port), "--log-level", "warning"]
        var environment = ProcessInfo.processInfo.environment
        environment["TOUCHBASE_SEQUENCE_INTERVAL"] = "0"
        server.environment = environment
        let log = work.appendingPathComponent("serve-\(label).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        server.standardOutput = handle
        server.standardError = handle
        let started = Date()
        try server.run()
        let http = WebhookHTTP()
        for _ in 0..<600 {
            if let answer = try? await http.send(.GET, "http://127.0.0.1:\(port)/health"), answer.status == 200 {
                return (server, Date().timeIntervalSince(started))
            }
            if !server.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        if server.isRunning { kill(server.processIdentifier, SIGKILL) }
        throw ValidationError("the server did not restart cleanly (no /health within 30 s); see \(log.path)")
    }

    /// `writers` clients recording touches, and an open for every third, until `stop`.
    func write(token: String, contacts: [String], ledger: Ledger, stop: Flag) async {
        let base = "http://127.0.0.1:\(port)/api/v1"
        let auth = [("Authorization", "Bearer \(token)")]
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var http = WebhookHTTP()
                    http.timeout = .seconds(20)
                    var n = 0
                    while !stop.isRaised {
                        n += 1
                        let contact = contacts[(writer * 7 + n) % contacts.count]
                        let body = #"{"contact_id":"\#(contact)","channel":"email","direction":"outbound","subject":"steady \#(writer)-\#(n)"}"#
                        guard let answer = try? await http.send(.POST, "\(base)/touchpoints", headers: auth, body: Array(body.utf8)),
                              answer.status == 201, let id = (try? JSONValue.parse(answer.body))?["id"]?.stringValue
                        else {
                            ledger.failed()
                            try? await Task.sleep(for: .milliseconds(20))
                            continue
                        }
                        ledger.touched(id)
                        if n % 3 == 0,
                           let opened = try? await http.send(.POST, "\(base)/touchpoints/\(id)/events", headers: auth, body: Array(#"{"type":"opened"}"#.utf8)),
                           opened.status == 200
                        {
                            ledger.opened(id)
                        }
                    }
                }
            }
        }
    }

    /// The acknowledged writes missing from the database.
    static func check(_ location: String, _ tally: Tally) async throws -> [String] {
        let database = try Database(location: DatabaseLocation(location), logger: quiet)
        let d = database.dialect
        let missing = try await database.withConnection { sql in
            var stored = Set<String>()
            var opened = Set<String>()
            for chunk in stride(from: 0, to: tally.touches.count, by: 500) {
                let ids = tally.touches[chunk..<min(chunk + 500, tally.touches.count)].compactMap(UUID.init(uuidString:))
                for row in try await sql.raw("SELECT id, opened_at FROM touchpoints WHERE id IN (" + d.list(ids) + ")").all() {
                    guard let id = try d.decode(row, "id", as: .uuid).stringValue?.lowercased() else { continue }
                    stored.insert(id)
                    if try d.decode(row, "opened_at", as: .timestamp) != .null { opened.insert(id) }
                }
            }
            return tally.touches.filter { !stored.contains($0.lowercased()) } + tally.opens.filter { !opened.contains($0.lowercased()) }.map { "open of \($0)" }
        }
        await database.shutdown()
        return missing
    }

    /// Every contact's total_touchpoints equals its touches, and its last_engaged_at is its touches' latest time.
    static func countersExact(_ location: String) async throws -> Bool {
        let database = try Database(location: DatabaseLocation(location), logger: quiet)
        let wrong = try await database.withConnection { sql in
            try await sql.raw("""
                SELECT count(*) AS n FROM contacts c
                WHERE c.total_touchpoints <> (SELECT count(*) FROM touchpoints t WHERE t.contact_id = c.id)
                """).first()!.decode(column: "n", as: Int.self)
        }
        await database.shutdown()
        return wrong == 0
    }
}
