import ArgumentParser
import Foundation
import TouchbaseCommands
import TouchbaseDomain
import TouchbaseImport

#if canImport(Glibc)
    import Glibc
#endif

/// `touchbase-bench`: measures Touchbase against the raw engine on the same data, in one run.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "touchbase-bench",
        abstract: "Benchmarks Touchbase against the database engine's own tools, in one run on the same data.",
        subcommands: [ImportBench.self, ApiBench.self, PagesBench.self, ReliabilityBench.self, Child.self])
}

/// Runs a `touchbase` command in this process and reports its peak memory; the import benchmark runs the real
/// `touchbase import` this way, as a child process whose memory is its own.
struct Child: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "touchbase", abstract: "Run a touchbase command (as `touchbase` would), then print its peak RSS.",
        shouldDisplay: false)
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() async throws {
        var command = try TouchbaseCommand.parseAsRoot(arguments)
        if var async = command as? AsyncParsableCommand { try await async.run() } else { try command.run() }
        // VmHWM: the resident set's high-water mark, as the kernel counts it.
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        FileHandle.standardError.write(Data("peak_rss_kb=\(kb)\n".utf8))
    }
}

struct ImportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Time `touchbase import contacts` against sqlite3 .import / PostgreSQL COPY on one generated Apollo file.",
        discussion: """
            Generates a deterministic Apollo contacts export (one company per --rows-per-company rows), then per engine: \
            (a) `touchbase import contacts FILE` into a freshly migrated database, in a child process whose peak RSS is \
            reported; (b) the same rows (exported from (a): the companies and contacts tables' columns, with their ids) \
            loaded into another freshly migrated database by the engine's own loader — sqlite3 `.import` into a staging \
            table and one INSERT … SELECT into the real tables, or `\\copy` (COPY FROM STDIN) straight into them. Both load \
            into the same schema, with every trigger (counters, slots, search, audit) firing. Prints rows/s of each, the \
            ratio a/b (target ≥ 0.5) and the import's peak RSS (target < 200 MB for 1M rows). Needs the sqlite3 and psql \
            programs.
            """)

    @Option(help: "Data rows in the generated file.") var rows = 1_000_000
    @Option(help: "Rows per company in the file.") var rowsPerCompany = 10
    @Option(help: "sqlite, postgres or both.") var engine = "both"
    @Option(help: "A PostgreSQL server URL whose user may create databases (default: $TOUCHBASE_TEST_POSTGRES_URL).")
    var postgresURL: String?
    @Option(help: "Working directory (default: a new temporary one).") var dir: String?
    @Option(help: "Seed of the generated file.") var seed: UInt64 = 1

    func validate() throws {
        guard ["sqlite", "postgres", "both"].contains(engine) else { throw ValidationError("--engine is sqlite, postgres or both") }
        guard rows > 0, rowsPerCompany > 0 else { throw ValidationError("--rows and --rows-per-company must be positive") }
    }

    func run() async throws {
        let work = URL(fileURLWithPath: dir ?? NSTemporaryDirectory() + "touchbase-bench-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let file = work.appendingPathComponent("apollo-\(rows).csv")
        var started = Date()
        if !FileManager.default.fileExists(atPath: file.path) {
            try SampleExport.writeApollo(rows: rows, rowsPerCompany: rowsPerCompany, seed: seed, to: file)
        }
        let size = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        print(String(format: "file: %@ (%d rows, %.1f MB, made in %.1f s)", file.path, rows, Double(size) / 1e6, Date().timeIntervalSince(started)))
        var engines: [String] = engine == "both" ? ["sqlite", "postgres"] : [engine]
        let pgURL = postgresURL ?? ProcessInfo.processInfo.environment["TOUCHBASE_TEST_POSTGRES_URL"]
        if engines.contains("postgres") && pgURL == nil {
            guard engine == "both" else { throw ValidationError("--postgres-url (or TOUCHBASE_TEST_POSTGRES_URL) is needed for PostgreSQL") }
            print("postgres: skipped (no --postgres-url or TOUCHBASE_TEST_POSTGRES_URL)")
            engines.removeAll { $0 == "postgres" }
        }
        var lines: [String] = []
        for name in engines {
            started = Date()
            let result = try await measure(name, file: file, work: work, server: pgURL)
            let rateA = Double(rows) / result.importSeconds
            let rateB = Double(rows) / result.loaderSeconds
            let line = String(
                format: "%@: touchbase import %.1f s (%.0f rows/s, peak RSS %.0f MB) | %@ %.1f s (%.0f rows/s) | ratio %.2f | same rows: %@",
                name, result.importSeconds, rateA, Double(result.peakKB) / 1024, name == "sqlite" ? "sqlite3 .import" : "COPY",
                result.loaderSeconds, rateB, rateA / rateB, result.same ? "yes" : "NO (\(result.counts))")
            print(line)
            lines.append(line)
        }
        print("\nsummary (\(rows) rows, \(rows / rowsPerCompany) companies):")
        for line in lines { print("  " + line) }
    }

    struct Result {
        var importSeconds: Double
        var peakKB: Int
        var loaderSeconds: Double
        var same: Bool
        var counts: String
    }

    /// The tables loaded and the columns the loader writes: the stored ones a row brings, not the ones triggers keep.
    static let tables = ["companies", "contacts"]
    static func columns(_ table: String) -> [String] {
        let entity = Entities.named(table)!
        return entity.fields.filter { $0.access != .readOnly || ["id", "email_status", "email_checked_at"].contains($0.name) }.map(\.name)
    }

    func measure(_ engine: String, file: URL, work: URL, server: String?) async throws -> Result {
        let a: String
        let b: String
        if engine == "sqlite" {
            a = work.appendingPathComponent("a.sqlite").path
            b = work.appendingPathComponent("b.sqlite").path
            for path in [a, b] { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        } else {
            a = try Self.freshDatabase(server!, "touchbase_bench_a")
            b = try Self.freshDatabase(server!, "touchbase_bench_b")
        }
        let me = CommandLine.arguments[0]
        _ = try Self.run(me, ["touchbase", "migrate", "--database", a])
        _ = try Self.run(me, ["touchbase", "migrate", "--database", b])
        print("\(engine): importing with touchbase …")
        var started = Date()
        let output = try Self.run(me, ["touchbase", "import", "contacts", file.path, "--database", a])
        let importSeconds = Date().timeIntervalSince(started)
        let peak = output.stderr.split(separator: "\n").compactMap { $0.hasPrefix("peak_rss_kb=") ? Int($0.dropFirst(12)) : nil }.last ?? 0

        // The rows (a) stored, as the loader's input.
        var inputs: [String: URL] = [:]
        for table in Self.tables {
            let out = work.appendingPathComponent("\(engine)-\(table).csv")
            let cols = Self.columns(table).joined(separator: ", ")
            if engine == "sqlite" {
                let data = try Self.run("sqlite3", ["-csv", "-header", a, "SELECT \(cols) FROM \(table) ORDER BY id"])
                try data.stdout.write(to: out, atomically: false, encoding: .utf8)
            } else {
                _ = try Self.run("psql", ["-q", "-v", "ON_ERROR_STOP=1", a, "-c", "\\copy (SELECT \(cols) FROM \(table) ORDER BY id) TO '\(out.path)' CSV HEADER"])
            }
            inputs[table] = out
        }
        print("\(engine): loading the same rows with the engine's own loader …")
        started = Date()
        if engine == "sqlite" {
            var script = "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\nPRAGMA foreign_keys = ON;\nPRAGMA cache_size = -65536;\n"
            for table in Self.tables {
                let cols = Self.columns(table)
                script += ".import --csv \(inputs[table]!.path) stage_\(table)\n"
                script += "INSERT INTO \(table) (\(cols.joined(separator: ", "))) SELECT \(cols.map { "nullif(\($0), '')" }.joined(separator: ", ")) FROM stage_\(table);\n"
                script += "DROP TABLE stage_\(table);\n"
            }
            _ = try Self.run("sqlite3", ["-bail", b], input: script)
        } else {
            for table in Self.tables {
                let cols = Self.columns(table).joined(separator: ", ")
                _ = try Self.run("psql", ["-q", "-v", "ON_ERROR_STOP=1", b, "-c", "\\copy \(table) (\(cols)) FROM '\(inputs[table]!.path)' CSV HEADER"])
            }
        }
        let loaderSeconds = Date().timeIntervalSince(started)
        let countsA = try Self.counts(engine, a)
        let countsB = try Self.counts(engine, b)
        if engine == "postgres" {
            for name in ["touchbase_bench_a", "touchbase_bench_b"] { _ = try? Self.run("psql", ["-q", server!, "-c", "DROP DATABASE IF EXISTS \(name)"]) }
        }
        return Result(importSeconds: importSeconds, peakKB: peak, loaderSeconds: loaderSeconds, same: countsA == countsB, counts: "a \(countsA), b \(countsB)")
    }

    /// Rows per table that the load makes, triggers' rows included.
    static func counts(_ engine: String, _ database: String) throws -> String {
        let query = ["companies", "contacts", "company_slots", "audit_log"].map { "(SELECT count(*) FROM \($0))" }.joined(separator: " || ' ' || ")
        let out = engine == "sqlite"
            ? try run("sqlite3", [database, "SELECT \(query)"]) : try run("psql", ["-tA", database, "-c", "SELECT \(query)"])
        return out.stdout.trimmed
    }

    static func freshDatabase(_ server: String, _ name: String) throws -> String {
        _ = try run("psql", ["-q", server, "-c", "DROP DATABASE IF EXISTS \(name)"])
        _ = try run("psql", ["-q", server, "-c", "CREATE DATABASE \(name)"])
        guard var parts = URLComponents(string: server) else { throw ValidationError("not a URL: \(server)") }
        parts.path = "/" + name
        return parts.string!
    }

    struct Output {
        var stdout: String
        var stderr: String
    }

    /// Runs a program (found on PATH) and returns its output; a failure is an error naming it.
    static func run(_ program: String, _ arguments: [String], input: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/env")
        process.arguments = program.hasPrefix("/") ? arguments : [program] + arguments
        let out = Pipe()
        let err = Pipe()
        let stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        // Read both pipes while the child runs, so a chatty child never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        process.waitUntilExit()
        group.wait()
        let result = Output(stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(program) \(arguments.prefix(3).joined(separator: " ")) failed (\(process.terminationStatus)): \(result.stderr.suffix(2000))")
        }
        return result
    }
}
