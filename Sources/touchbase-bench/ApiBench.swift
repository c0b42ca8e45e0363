import ArgumentParser
import Foundation
import Logging
import SQLKit
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore

#if canImport(Glibc)
    import Glibc
#endif

/// `touchbase-bench api`: the HTTP API on demo data at two sizes per engine, driven by wrk.
struct ApiBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Serve demo data at two sizes per engine and drive every hot route with wrk; print requests/s, p50/p99, the ratio to /health and the growth between sizes.",
        discussion: """
            For each engine and each --contacts size: builds the demo data (10 contacts a company, one conversation a \
            contact, 5 touches a conversation; kept in --dir, or in the PostgreSQL database touchbase_bench_api_N, and \
            reused by later runs), serves it with `touchbase serve` in a child process (a release build of this \
            package), and drives each route with `wrk` (Debian's package) for --duration seconds, rotating over \
            --ids random ids of the data: /health first, as the ceiling measured in the same run; then a contact by id, \
            the account overview and health, colleagues, expansion targets, contact context, the first and a deep page of \
            contacts (limit=50), a company filter, an unindexed filter, a full-text search, conversations needing follow-up, \
            follow-ups due, and touchpoint writes at 1, 2, 4 and 8 connections. Targets: single-record reads ≥ 0.5 × \
            /health, pages of 50 ≥ 0.1 ×, writes at 8 connections ≥ the rate at 1, growth from the smaller size to the \
            larger ≤ 1.5 × for every route. PostgreSQL's data is analyzed once after it is built (autovacuum's job on a \
            live server).
            """)

    @Option(help: "Contact counts to measure, comma-separated.") var contacts = "100000,1000000"
    @Option(help: "sqlite, postgres or both.") var engine = "both"
    @Option(help: "A PostgreSQL server URL whose user may create databases (default: $TOUCHBASE_TEST_POSTGRES_URL).")
    var postgresURL: String?
    @Option(help: "Directory for the SQLite databases and wrk scripts (default: ./touchbase-bench-data).") var dir = "./touchbase-bench-data"
    @Option(help: "Use this database as it is (one size, one engine) instead of building demo data.") var database: String?
    @Option(help: "Seconds per route.") var duration = 8
    @Option(help: "wrk connections for the read routes.") var connections = 16
    @Option(help: "Random ids each route rotates over.") var ids = 300
    @Option(help: "Port to serve on.") var port = 18_080

    func validate() throws {
        guard ["sqlite", "postgres", "both"].contains(engine) else { throw ValidationError("--engine is sqlite, postgres or both") }
        guard duration > 0, connections > 0, ids > 0 else { throw ValidationError("--duration, --connections and --ids must be positive") }
        guard !sizes.isEmpty else { throw ValidationError("--contacts lists positive counts, such as 100000,1000000") }
    }

    var sizes: [Int] { contacts.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 } }

    struct Measure {
        var rps: Double
        var p50: Double
        var p99: Double
        var errors: Int
        /// With `firstReads`: the slowest first request of each distinct path, in ms (the server's caches and the
        /// operating system's page cache cold for that record), before wrk repeats them warm.
        var firstMax: Double? = nil
    }

    struct Route {
        let name: String
        let kind: Kind
        let connections: Int
        let requests: [(method: String, path: String, body: String?)]
        enum Kind: String { case ceiling, record, page, write }
    }

    func run() async throws {
        guard (try? ImportBench.run("wrk", ["--version"])) != nil || FileManager.default.fileExists(atPath: "/usr/bin/wrk") else {
            throw ValidationError("wrk is needed: apt-get install wrk")
        }
        let work = URL(fileURLWithPath: dir)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let pgServer = postgresURL ?? ProcessInfo.processInfo.environment["TOUCHBASE_TEST_POSTGRES_URL"]
        var engines: [String] = engine == "both" ? ["sqlite", "postgres"] : [engine]
        if database != nil { engines = [DatabaseLocation(database!).engine.rawValue] }
        if engines.contains("postgres") && pgServer == nil && database == nil {
            guard engine == "both" else { throw ValidationError("--postgres-url (or TOUCHBASE_TEST_POSTGRES_URL) is needed for PostgreSQL") }
            print("postgres: skipped (no --postgres-url and no TOUCHBASE_TEST_POSTGRES_URL)")
            engines = ["sqlite"]
        }
        var results: [String: [Int: [(Route, Measure)]]] = [:]
        for engine in engines {
            for size in database == nil ? sizes : [0] {
                let location: String
                if let database {
                    location = database
                } else {
                    location = try await Self.prepare(engine: engine, contacts: size, work: work, server: pgServer)
                }
                results[engine, default: [:]][size] = try await measure(location: location, label: "\(engine) \(size)", work: work)
            }
        }
        report(results)
    }

    /// The demo database of one size, built once and reused.
    static func prepare(engine: String, contacts: Int, work: URL, server: String?) async throws -> String {
        let location: String
        var exists = false
        if engine == "sqlite" {
            location = work.appendingPathComponent("api-\(contacts).sqlite").path
            exists = FileManager.default.fileExists(atPath: location)
        } else {
            let name = "touchbase_bench_api_\(contacts)"
            let found = try ImportBench.run("psql", ["-tA", server!, "-c", "SELECT 1 FROM pg_database WHERE datname = '\(name)'"]).stdout.trimmed
            exists = found == "1"
            guard var parts = URLComponents(string: server!) else { throw ValidationError("not a URL: \(server!)") }
            parts.path = "/" + name
            location = parts.string!
            if !exists { _ = try ImportBench.run("psql", ["-q", server!, "-c", "CREATE DATABASE \(name)"]) }
        }
        let db = try Database(location: DatabaseLocation(location), logger: Self.quietLogger, maxConnections: 4)
        _ = try await Migrator(database: db).upgradeAll()
        let have = try await db.withConnection { sql in try await sql.raw("SELECT count(*) AS n FROM contacts").first()?.decode(column: "n", as: Int.self) ?? 0 }
        if exists && have >= contacts {
            print("\(engine) \(contacts): reusing \(DatabaseLocation(location)) (\(have) contacts)")
            await db.shutdown()
            return location
        }
        guard have == 0 else {
            await db.shutdown()
            throw ValidationError("\(DatabaseLocation(location)) holds \(have) contacts, not \(contacts): remove it first")
        }
        print("\(engine) \(contacts): building demo data …")
        let started = Date()
        let companies = max(1, contacts / 10)
        let shown = Shown()
        let counts = try await DemoGenerator(database: db).generate(
            companies: companies, contactsPerCompany: 10, touchesPerConversation: 5, seed: 1,
            progress: { done in
                let step = done * 20 / companies
                if shown.advance(to: step) {
                    print(String(format: "  %3.0f%% (%d of %d companies, %.0f s)", Double(done) / Double(companies) * 100, done, companies,
                                 Date().timeIntervalSince(started)))
                }
            })
        if engine == "postgres" { try await db.withConnection { sql in try await sql.raw("ANALYZE").run() } }
        print(String(format: "\(engine) \(contacts): %d contacts, %d touchpoints in %.0f s", counts.contacts, counts.touchpoints, Date().timeIntervalSince(started)))
        await db.shutdown()
        return location
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        return logger
    }

    /// Samples of ids to rotate over, read from the data.
    struct Samples {
        var companies: [String] = []
        var contacts: [String] = []
        var primaries: [String] = []
        var conversations: [String] = []
        var searches: [String] = []
    }

    static func samples(_ location: String, count: Int) async throws -> (Samples, String) {
        let db = try Database(location: DatabaseLocation(location), logger: Self.quietLogger, maxConnections: 2)
        let d = db.dialect
        func ids(_ query: String) async throws -> [String] {
            try await db.withConnection { sql in
                try await sql.raw(SQLQueryString(query)).all().compactMap { try d.decode($0, "id", as: .uuid).stringValue }
            }
        }
        var s = Samples()
        let n = count
        s.companies = try await ids("SELECT id FROM companies ORDER BY random() LIMIT \(n)")
        s.contacts = try await ids("SELECT id FROM contacts ORDER BY random() LIMIT \(n)")
        s.primaries = try await ids("SELECT id FROM contacts WHERE is_primary_contact = \(db.engine == .sqlite ? "1" : "true") ORDER BY random() LIMIT \(n)")
        s.conversations = try await ids("SELECT id FROM conversations ORDER BY random() LIMIT \(n)")
        var rng = SystemRandomNumberGenerator()
        s.searches = (0..<n).map { _ in
            "\(DemoGenerator.firstNames.randomElement(using: &rng)!)%20\(DemoGenerator.lastNames.randomElement(using: &rng)!)"
        }
        let token = try await TokenStore(database: db).create(name: "bench-\(UUID().uuidString.prefix(8))", role: .admin).secret
        await db.shutdown()
        return (s, token)
    }

    func routes(_ s: Samples) -> [Route] {
        func gets(_ name: String, _ kind: Route.Kind, _ paths: [String]) -> Route {
            Route(name: name, kind: kind, connections: connections, requests: paths.map { ("GET", $0, nil) })
        }
        var list: [Route] = [
            gets("/health", .ceiling, ["/health"]),
            gets("contact by id", .record, s.contacts.map { "/api/v1/contacts/\($0)" }),
            gets("account overview", .record, s.companies.map { "/api/v1/companies/\($0)/overview" }),
            gets("account health", .record, s.companies.map { "/api/v1/companies/\($0)/health" }),
            gets("colleagues", .record, s.contacts.map { "/api/v1/contacts/\($0)/colleagues" }),
            gets("expansion targets", .record, s.primaries.map { "/api/v1/contacts/\($0)/expansion-targets?min_strength=weak" }),
            gets("contact context", .record, s.contacts.map { "/api/v1/contacts/\($0)/context" }),
            gets("contacts, first page", .page, ["/api/v1/contacts?limit=50"]),
            gets("contacts, deep page", .page, s.contacts.map { "/api/v1/contacts?limit=50&cursor=\($0)" }),
            gets("contacts of a company", .page, s.companies.map { "/api/v1/contacts?limit=50&company_id=\($0)" }),
            gets("unindexed filter (title)", .page, s.contacts.map { "/api/v1/contacts?limit=50&title=QA%20Manager&cursor=\($0)" }),
            gets("full-text search", .page, s.searches.map { "/api/v1/contacts?limit=50&q=\($0)" }),
            gets("needing follow-up", .page, ["/api/v1/conversations/needing-followup?limit=50"]),
            gets("follow-ups due", .page, ["/api/v1/followups/due?limit=50"]),
        ]
        for clients in [1, 2, 4, 8] {
            list.append(Route(
                name: "touchpoint writes, \(clients) client\(clients == 1 ? "" : "s")", kind: .write, connections: clients,
                requests: s.conversations.map { ("POST", "/api/v1/touchpoints", #"{"conversation_id":"\#($0)","channel":"linkedin","direction":"outbound","subject":"bench"}"#) }))
        }
        return list
    }

    func measure(location: String, label: String, work: URL) async throws -> [(Route, Measure)] {
        let (samples, token) = try await Self.samples(location, count: ids)
        return try await Self.drive(
            location: location, label: label, work: work, port: port, duration: duration, routes: routes(samples), header: ("Authorization", "Bearer \(token)"))
    }

    /// Serves `location` with `touchbase serve` in a child process and drives each route with wrk, sending `header`.
    static func drive(
        location: String, label: String, work: URL, port: Int, duration: Int, routes: [Route], header: (name: String, value: String),
        firstReads: Bool = false
    ) async throws -> [(Route, Measure)] {
        let me = CommandLine.arguments[0]
        let server = Process()
        server.executableURL = URL(fileURLWithPath: me)
        server.arguments = ["touchbase", "serve", "--database", location, "--port", String(port), "--log-level", "warning"]
        let log = work.appendingPathComponent("serve-\(label.replacingOccurrences(of: " ", with: "-")).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        server.standardOutput = handle
        server.standardError = handle
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let base = "http://127.0.0.1:\(port)"
        var up = false
        for _ in 0..<600 {
            if (try? ImportBench.run("curl", ["-sf", "-o", "/dev/null", base + "/health"])) != nil { up = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard up else { throw ValidationError("the server did not answer /health within a minute; see \(log.path)") }
        var out: [(Route, Measure)] = []
        for route in routes {
            var firstMax: Double?
            if firstReads {
                // Each distinct path once, timed by curl, so that wrk's figures are the warm ones and the cold cost is seen.
                var seen = Set<String>()
                for (method, path, _) in route.requests where method == "GET" && seen.insert(path).inserted {
                    let out = try ImportBench.run(
                        "curl", ["-s", "-o", "/dev/null", "-w", "%{time_total}", "-H", "\(header.name): \(header.value)", base + path])
                    firstMax = max(firstMax ?? 0, (Double(out.stdout.trimmed) ?? 0) * 1000)
                }
            }
            let script = work.appendingPathComponent("wrk-\(route.kind.rawValue).lua")
            try lua(route, header: header).write(to: script, atomically: true, encoding: .utf8)
            let output = try ImportBench.run(
                "wrk", ["-t", String(min(2, route.connections)), "-c", String(route.connections), "-d", "\(duration)s", "--latency", "--timeout", "10s",
                        "-s", script.path, base])
            var m = parse(output.stdout)
            m.firstMax = firstMax
            print(String(format: "%@ | %-30@ | %9.0f req/s | p50 %7.2f ms | p99 %8.2f ms | errors %d", label, route.name, m.rps, m.p50, m.p99, m.errors))
            out.append((route, m))
        }
        return out
    }

    /// A wrk script that rotates over the route's requests.
    static func lua(_ route: Route, header: (name: String, value: String)) -> String {
        func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let items = route.requests.map { r in "{\(quote(r.method)), \(quote(r.path)), \(r.body.map(quote) ?? "nil")}" }.joined(separator: ",\n")
        return """
            local requests = {
            \(items)
            }
            local i = math.random(#requests)
            request = function()
              i = i % #requests + 1
              local r = requests[i]
              local headers = { [\(quote(header.name))] = \(quote(header.value)) }
              if r[3] then headers["Content-Type"] = "application/json" end
              return wrk.format(r[1], r[2], headers, r[3])
            end
            """
    }

    /// Requests/s, p50 and p99 in ms, and the non-2xx answers plus socket errors, from wrk's report.
    static func parse(_ text: String) -> Measure {
        func ms(_ value: String) -> Double {
            let number = Double(value.trimmingCharacters(in: CharacterSet.letters)) ?? 0
            if value.hasSuffix("us") { return number / 1000 }
            if value.hasSuffix("ms") { return number }
            if value.hasSuffix("m") { return number * 60_000 }
            if value.hasSuffix("s") { return number * 1000 }
            return number
        }
        var m = Measure(rps: 0, p50: 0, p99: 0, errors: 0)
        for raw in text.split(separator: "\n") {
            let parts = raw.split(separator: " ").map(String.init)
            guard let first = parts.first else { continue }
            if first == "Requests/sec:", parts.count > 1 { m.rps = Double(parts[1]) ?? 0 }
            if first == "50%", parts.count > 1 { m.p50 = ms(parts[1]) }
            if first == "99%", parts.count > 1 { m.p99 = ms(parts[1]) }
            if raw.contains("Non-2xx or 3xx responses:"), let n = Int(parts.last ?? "") { m.errors += n }
            if first == "Socket" {
                // Socket errors: connect 0, read 0, write 0, timeout 0
                m.errors += parts.compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }.reduce(0, +)
            }
        }
        return m
    }

    func report(_ results: [String: [Int: [(Route, Measure)]]]) {
        print("\n| engine | contacts | route | req/s | p50 ms | p99 ms | × /health | target | errors |")
        print("|---|---|---|---|---|---|---|---|---|")
        var failures: [String] = []
        for engine in results.keys.sorted() {
            for size in results[engine]!.keys.sorted() {
                let rows = results[engine]![size]!
                let ceiling = rows.first { $0.0.kind == .ceiling }?.1.rps ?? 1
                let oneWriter = rows.first { $0.0.kind == .write && $0.0.connections == 1 }?.1.rps ?? 0
                for (route, m) in rows {
                    let ratio = m.rps / max(ceiling, 1)
                    var target = ""
                    var met = true
                    switch route.kind {
                    case .ceiling: target = "ceiling"
                    case .record: target = "≥ 0.5"; met = ratio >= 0.5
                    case .page: target = "≥ 0.1"; met = ratio >= 0.1
                    case .write:
                        if route.connections == 8 { target = "≥ 1 client"; met = m.rps >= oneWriter }
                    }
                    if m.errors > 0 { met = false }
                    if !met { failures.append("\(engine) \(size) \(route.name)") }
                    print(String(format: "| %@ | %d | %@ | %.0f | %.2f | %.2f | %.3f | %@%@ | %d |", engine, size, route.name, m.rps, m.p50, m.p99, ratio, target,
                                 target.isEmpty ? "" : (met ? " ✓" : " ✗"), m.errors))
                }
            }
        }
        for engine in results.keys.sorted() {
            let bySize = results[engine]!
            let sizes = bySize.keys.sorted()
            guard let small = sizes.first, let large = sizes.last, small != large else { continue }
            print("\n| \(engine): route | req/s at \(small) | req/s at \(large) | growth (≤ 1.5) |")
            print("|---|---|---|---|")
            for (route, m) in bySize[small]! where route.kind != .ceiling {
                guard let other = bySize[large]!.first(where: { $0.0.name == route.name })?.1 else { continue }
                let growth = m.rps / max(other.rps, 0.001)
                if growth > 1.5 { failures.append("\(engine) growth \(route.name)") }
                print(String(format: "| %@ | %.0f | %.0f | %.2f %@ |", route.name, m.rps, other.rps, growth, growth <= 1.5 ? "✓" : "✗"))
            }
        }
        print(failures.isEmpty ? "\nevery target met" : "\ntargets missed: \(failures.joined(separator: "; "))")
    }
}

/// The last progress step printed.
final class Shown: @unchecked Sendable {
    private let lock = NSLock()
    private var step = -1

    func advance(to next: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard next > step else { return false }
        step = next
        return true
    }
}
