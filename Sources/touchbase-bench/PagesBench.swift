import ArgumentParser
import Foundation
import SQLKit
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore

/// `touchbase-bench pages`: the web UI's pages on the demo data, signed in with a session cookie.
struct PagesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pages",
        abstract: "Serve the demo data and drive every page of the web UI with wrk; print p50/p99 per page against the 50 ms target and the ratio to /health.",
        discussion: """
            Builds (or reuses) the API benchmark's demo data of --contacts contacts (10 a company), adds the demo's \
            morning of work when it has none, signs in a session, serves it with `touchbase serve` (a release build) and \
            drives each page with one wrk connection for --duration seconds, rotating over --ids random ids (after one \
            request per distinct path, timed apart as the cold first read): /health first, \
            as the ceiling of the same run; then Today, accounts (first page and a search), an account, a contact, an \
            audit trail, batches, a batch, the experiment, queues, renewals, imports, intake, data quality and agents. \
            One connection, so that the latency is the server's time plus loopback, not queueing. Target: p99 under 50 ms \
            for every page.
            """)

    @Option(help: "Contacts in the demo data.") var contacts = 1_000_000
    @Option(help: "sqlite or postgres.") var engine = "sqlite"
    @Option(help: "A PostgreSQL server URL whose user may create databases (default: $TOUCHBASE_TEST_POSTGRES_URL).")
    var postgresURL: String?
    @Option(help: "Directory for the SQLite databases and wrk scripts (default: ./touchbase-bench-data).") var dir = "./touchbase-bench-data"
    @Option(help: "Use this database as it is instead of building demo data.") var database: String?
    @Option(help: "Seconds per page.") var duration = 6
    @Option(help: "Random ids each page rotates over.") var ids = 100
    @Option(help: "Port to serve on.") var port = 18_081

    static let target = 50.0

    func validate() throws {
        guard ["sqlite", "postgres"].contains(engine) else { throw ValidationError("--engine is sqlite or postgres") }
        guard duration > 0, ids > 0, contacts > 0 else { throw ValidationError("--duration, --ids and --contacts must be positive") }
    }

    func run() async throws {
        let work = URL(fileURLWithPath: dir)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let server = postgresURL ?? ProcessInfo.processInfo.environment["TOUCHBASE_TEST_POSTGRES_URL"]
        if engine == "postgres" && server == nil && database == nil { throw ValidationError("--postgres-url (or TOUCHBASE_TEST_POSTGRES_URL) is needed") }
        let location: String
        if let database { location = database } else { location = try await ApiBench.prepare(engine: engine, contacts: contacts, work: work, server: server) }
        let (samples, cookie) = try await Self.setUp(location, count: ids)
        var routes: [ApiBench.Route] = []
        func page(_ name: String, _ paths: [String], kind: ApiBench.Route.Kind = .record) {
            routes.append(ApiBench.Route(name: name, kind: kind, connections: 1, requests: paths.map { ("GET", $0, nil) }))
        }
        page("/health", ["/health"], kind: .ceiling)
        page("Today", ["/"])
        page("accounts, first page", ["/companies"])
        page("accounts, search", samples.searches.map { "/companies?q=\($0)" })
        page("an account", samples.companies.map { "/companies/\($0)" })
        page("a contact", samples.contacts.map { "/contacts/\($0)" })
        page("audit trail", samples.contacts.map { "/audit/contacts/\($0)" })
        page("batches", ["/batches"])
        page("a batch", samples.batches.map { "/batches/\($0)" })
        page("experiment", samples.experiments.map { "/experiments/\($0)" })
        page("queues", ["/queues", "/queues?queue=profile-urls", "/queues?queue=email-recheck"])
        page("renewals", ["/renewals"])
        page("imports", ["/imports"])
        page("intake", ["/intake"])
        page("data quality", ["/data-quality"])
        page("agents", ["/agents"])
        let label = "\(engine) \(contacts)"
        let results = try await ApiBench.drive(
            location: location, label: label, work: work, port: port, duration: duration, routes: routes, header: ("Cookie", "tb_session=\(cookie)"),
            firstReads: true)
        let ceiling = results.first { $0.0.kind == .ceiling }?.1
        print("\n| engine | contacts | page | req/s | p50 ms | p99 ms | × /health | p99 target | errors | first read, max ms |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        var missed: [String] = []
        for (route, m) in results {
            let ratio = m.rps / max(ceiling?.rps ?? 1, 1)
            let met = route.kind == .ceiling || (m.rps > 0 && m.p99 < Self.target && m.errors == 0)
            if !met { missed.append(route.name) }
            print(String(format: "| %@ | %d | %@ | %.0f | %.2f | %.2f | %.3f | %@ | %d | %.0f |", engine, contacts, route.name, m.rps, m.p50, m.p99, ratio,
                         route.kind == .ceiling ? "ceiling" : (met ? "< 50 ✓" : "< 50 ✗"), m.errors, m.firstMax ?? 0))
        }
        print(missed.isEmpty ? "\nevery page's p99 under 50 ms" : "\npages over 50 ms p99: \(missed.joined(separator: "; "))")
    }

    struct Samples {
        var companies: [String] = [], contacts: [String] = [], batches: [String] = [], experiments: [String] = [], searches: [String] = []
    }

    /// Ids to rotate over, the demo's morning when the data has none, and a signed-in session's cookie.
    static func setUp(_ location: String, count: Int) async throws -> (Samples, String) {
        let db = try Database(location: DatabaseLocation(location), logger: ApiBench.quietLogger, maxConnections: 2)
        let d = db.dialect
        func ids(_ query: String) async throws -> [String] {
            try await db.withConnection { sql in try await sql.raw(SQLQueryString(query)).all().compactMap { try d.decode($0, "id", as: .uuid).stringValue } }
        }
        if try await ids("SELECT id FROM batches LIMIT 1").isEmpty {
            print("adding the demo's morning of work …")
            _ = try await AuditContext.$actor.withValue("cli:demo") { try await DemoGenerator(database: db).morning() }
        }
        var s = Samples()
        s.companies = try await ids("SELECT id FROM companies ORDER BY random() LIMIT \(count)")
        s.contacts = try await ids("SELECT id FROM contacts ORDER BY random() LIMIT \(count)")
        s.batches = try await ids("SELECT id FROM batches LIMIT \(count)")
        s.experiments = try await ids("SELECT id FROM experiments LIMIT \(count)")
        var rng = SystemRandomNumberGenerator()
        s.searches = (0..<count).map { _ in "\(DemoGenerator.words.randomElement(using: &rng)!)%20\(DemoGenerator.suffixes.randomElement(using: &rng)!)" }
        let token = try await TokenStore(database: db).create(name: "bench-pages-\(UUID().uuidString.prefix(8))", role: .admin).token
        let (secret, _) = try await WebSessionStore(database: db).start(token: token)
        await db.shutdown()
        return (s, secret)
    }
}
