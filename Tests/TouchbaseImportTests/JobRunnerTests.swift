import Foundation
import Logging
import SQLKit
import ServiceLifecycle
import Testing
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore
import TouchbaseTestSupport

/// Background imports run on the job runner, a service of the server's group: a shutdown in the middle of one
/// queues it again with its upload, and the next start finishes it, every row once.
@Suite("Job runner")
struct JobRunnerTests {
    static let rows = 12_000

    static func job(_ db: Database, _ id: UUID) async throws -> Record {
        try await RecordStore(database: db).get(Entities.importJobs, id)
    }

    /// Polls until `done` holds for the job (at most 5 minutes: a debug build on a busy machine is slow).
    static func wait(_ db: Database, _ id: UUID, until done: (Record) -> Bool) async throws -> Record {
        for _ in 0..<15_000 {
            let job = try await job(db, id)
            if done(job) { return job }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the job never got there")
        return try await job(db, id)
    }

    @Test("a shutdown mid-import queues it again with its upload; the next start finishes it, every row once", arguments: TestEngine.all)
    func shutdownAndResume(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-runner-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let logger = Logger(label: "test")
            let runner = JobRunner(logger: logger)
            let jobs = ImportJobs(database: db, directory: dir, runner: runner)
            let (id, upload) = try jobs.reserve()
            var csv = "First Name,Last Name,Email,Company Name\n"
            for i in 0..<Self.rows { csv += "P\(i),Person,p\(i)@company\(i % 500).example,Company \(i % 500)\n" }
            try Data(csv.utf8).write(to: upload)

            let group = ServiceGroup(configuration: .init(services: [.init(service: runner)], gracefulShutdownSignals: [], logger: logger))
            async let running: Void = group.run()
            _ = try await jobs.start(id: id, upload: upload, fileName: "people.csv", options: ImportOptions(kind: "contacts"), actor: "test")
            _ = try await Self.wait(db, id) { $0.string("status") == "running" }
            await group.triggerGracefulShutdown()
            try await running

            let stopped = try await Self.job(db, id)
            #expect(stopped.string("status") == "queued", "\(stopped.values)")
            #expect(stopped.string("message")?.hasPrefix("interrupted by a server stop") == true)
            #expect(FileManager.default.fileExists(atPath: upload.path))
            let count = { try await db.withConnection { sql in try await sql.raw("SELECT count(*) AS n FROM contacts").first()?.decode(column: "n", as: Int.self) ?? -1 } }
            #expect(try await count() < Self.rows)

            // The next start: the job is resumed on a new runner and finishes with every row, once.
            let nextRunner = JobRunner(logger: logger)
            let next = ImportJobs(database: db, directory: dir, runner: nextRunner)
            #expect(try await next.resumeInterrupted() == (resumed: 1, failed: 0))
            let nextGroup = ServiceGroup(configuration: .init(services: [.init(service: nextRunner)], gracefulShutdownSignals: [], logger: logger))
            async let nextRunning: Void = nextGroup.run()
            let done = try await Self.wait(db, id) { ["completed", "completed_with_errors", "failed"].contains($0.string("status") ?? "") }
            await nextGroup.triggerGracefulShutdown()
            try await nextRunning
            #expect(done.string("status") == "completed", "\(done.values)")
            #expect(done.string("message")?.hasPrefix("started again after a server stop") == true)
            #expect(try await count() == Self.rows)
            #expect(!FileManager.default.fileExists(atPath: upload.path))
        }
    }

    @Test("without a runner a background import is refused, not left queued for ever", arguments: TestEngine.all)
    func noRunner(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let jobs = ImportJobs(database: db, directory: URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-norunner-\(UUID().uuidString)"))
            let (id, upload) = try jobs.reserve()
            try Data("First Name\nAda\n".utf8).write(to: upload)
            defer { try? FileManager.default.removeItem(at: jobs.directory) }
            let error = await #expect(throws: DomainError.self) {
                _ = try await jobs.start(id: id, upload: upload, fileName: "a.csv", options: ImportOptions(kind: "contacts"), actor: "test")
            }
            #expect(error == .unavailable("This server runs no background jobs."))
        }
    }
}
