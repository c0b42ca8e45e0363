import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore
import TouchbaseTestSupport

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Import resumability")
struct ResumeTests {
    /// The `touchbase` program built beside this test bundle.
    static var program: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("touchbase")
    }

    static func argument(_ location: DatabaseLocation) -> String {
        switch location {
        case .sqlite(let path): path
        case .postgres(let url): url
        }
    }

    /// What an import leaves, as text to compare: every contact with its company, the counters, slots and audit rows.
    static func state(_ database: Database) async throws -> [String] {
        try await database.withConnection { sql in
            let contacts = try await sql.raw("""
                SELECT p.email, p.first_name, p.last_name, p.title, p.seniority_level, p.email_status, p.linkedin_url,
                       c.domain, c.name, c.total_contacts
                FROM contacts p JOIN companies c ON c.id = p.company_id ORDER BY p.email
                """).all().map { row in
                try ["email", "first_name", "last_name", "title", "seniority_level", "email_status", "linkedin_url", "domain", "name"]
                    .map { try row.decode(column: $0, as: String?.self) ?? "-" }.joined(separator: "|")
                    + "|\(try row.decode(column: "total_contacts", as: Int.self))"
            }
            let totals = try await sql.raw("""
                SELECT (SELECT count(*) FROM companies) AS companies, (SELECT count(*) FROM contacts) AS contacts,
                       (SELECT count(*) FROM company_slots) AS slots,
                       (SELECT count(*) FROM audit_log WHERE table_name = 'contacts') AS contact_audit,
                       (SELECT coalesce(sum(total_contacts), 0) FROM companies) AS counted
                """).first()!
            let summary = try ["companies", "contacts", "slots", "contact_audit", "counted"]
                .map { "\($0)=\(try totals.decode(column: $0, as: Int.self))" }.joined(separator: " ")
            return [summary] + contacts
        }
    }

    @Test("an import killed with kill -9 and run again ends as an uninterrupted one", arguments: TestEngine.all)
    func killedImportConverges(engine: TestEngine) async throws {
        let program = Self.program
        try #require(FileManager.default.isExecutableFile(atPath: program.path), "build the touchbase program first (swift build)")
        let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("apollo.csv")
        let rows = 24_000
        try SampleExport.writeApollo(rows: rows, rowsPerCompany: 8, seed: 7, to: file)

        let expected = try await engine.withDatabase { database in
            let summary = try await Importer(database: database).run(file: file, options: ImportOptions(kind: "contacts"))
            #expect(summary.inserted == rows && summary.failed == 0)
            return try await Self.state(database)
        }
        try await engine.withDatabase { database in
            let target = Self.argument(database.location)
            let first = Process()
            first.executableURL = program
            first.arguments = ["import", "contacts", file.path, "--database", target]
            first.standardOutput = FileHandle.nullDevice
            first.standardError = FileHandle.nullDevice
            try first.run()
            // Wait until some batches are in, then kill it in the middle of the next one.
            var stored = 0
            while first.isRunning && stored == 0 {
                try await Task.sleep(for: .milliseconds(20))
                stored = try await database.withConnection { sql in
                    try await sql.raw("SELECT count(*) AS n FROM contacts").first()!.decode(column: "n", as: Int.self)
                }
            }
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            #expect(first.terminationReason == .uncaughtSignal, "the import finished before it could be killed")
            let partial = try await database.withConnection { sql in
                try await sql.raw("SELECT count(*) AS n FROM contacts").first()!.decode(column: "n", as: Int.self)
            }
            #expect(partial > 0 && partial < rows)
            #expect(partial % Importer.batchSize == 0, "only whole batches are committed")

            let again = Process()
            again.executableURL = program
            again.arguments = ["import", "contacts", file.path, "--database", target]
            let out = Pipe()
            again.standardOutput = out
            again.standardError = FileHandle.nullDevice
            try again.run()
            // Waiting for the child blocks a thread: not one of the few the whole test process's tasks run on.
            let printed = await withCheckedContinuation { (done: CheckedContinuation<String, Never>) in
                DispatchQueue.global().async {
                    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    again.waitUntilExit()
                    done.resume(returning: text)
                }
            }
            #expect(again.terminationStatus == 0)
            #expect(printed.contains("inserted \(rows - partial), updated 0, skipped \(partial), failed 0"), "\(printed)")
            let state = try await Self.state(database)
            #expect(state.first == expected.first)
            #expect(state == expected)
        }
    }
}
