import Foundation
import Testing
import TouchbaseStore
import TouchbaseTestSupport

/// The API fuzzed with schemathesis (PyPI) against its own OpenAPI document, on `touchbase serve` with demo data:
/// no 5xx, no status, content type or body outside the document. Runs when TOUCHBASE_TEST_SCHEMATHESIS names the
/// `st` program (`.ci/run` installs it).
@Suite("The API fuzzed against its own OpenAPI document (schemathesis)")
struct FuzzTests {
    static let st = ProcessInfo.processInfo.environment["TOUCHBASE_TEST_SCHEMATHESIS"].flatMap { $0.isEmpty ? nil : $0 }

    @Test("no server error and no answer outside the document", .enabled(if: st != nil, "TOUCHBASE_TEST_SCHEMATHESIS is not set"), arguments: TestEngine.all)
    func fuzz(engine: TestEngine) async throws {
        let program = ResumeTests.program
        try #require(FileManager.default.isExecutableFile(atPath: program.path), "build the touchbase program first (swift build)")
        try await engine.withDatabase { database in
            let target = ResumeTests.argument(database.location)
            let (made, said) = try await Peers.run(program.path, ["demo", "--companies", "12", "--contacts", "48", "--database", target], errors: true)
            #expect(made == 0, "\(said)")
            let token = try await TokenStore(database: database).create(name: "fuzz", role: .admin).secret
            // Nothing leaves the machine: webhook and sequence runs are off, and their run-now endpoints are not fuzzed
            // (a generated mailbox or webhook could name any host).
            var environment = ProcessInfo.processInfo.environment
            environment["TOUCHBASE_WEBHOOK_INTERVAL"] = "0"
            environment["TOUCHBASE_SEQUENCE_INTERVAL"] = "0"
            let (server, port) = try await Peers.serve(database.location, environment: environment)
            defer { _ = Peers.stop(server) }
            let (status, printed) = try await Peers.run(Self.st!, [
                "run", "http://127.0.0.1:\(port)/openapi.json", "-H", "Authorization: Bearer \(token)",
                "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                "--phases", "examples,fuzzing", "--max-examples", "5", "--workers", "2", "--seed", "20261203", "--request-timeout", "60",
                "--exclude-operation-id", "deliverDueWebhooks", "--exclude-operation-id", "runDueSequences", "--no-color",
            ], limit: .seconds(900), errors: true)
            let summary = printed.split(separator: "\n").filter { $0.contains("generated") || $0.contains("❌") || $0.hasPrefix("___") }
            #expect(status == 0, "\(summary.joined(separator: "\n"))\n\(printed.suffix(4_000))")
            #expect(printed.contains("generated"), "\(printed.suffix(2_000))")
        }
    }
}
