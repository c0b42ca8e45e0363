import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Sends survive kill -9")
struct SendKillTests {
    static func sendStates(_ database: Database) async throws -> [String] {
        try await database.withConnection { sql in
            try await sql.raw("SELECT state FROM sends ORDER BY id").all().map { try $0.decode(column: "state", as: String.self) }
        }
    }

    @Test("run-due killed with kill -9 after the server took the message and before our commit: uncertain, never sent twice",
          .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)), arguments: TestEngine.all)
    func killedBetweenAcceptanceAndCommit(engine: TestEngine) async throws {
        let program = ResumeTests.program
        try #require(FileManager.default.isExecutableFile(atPath: program.path), "build the touchbase program first (swift build)")
        let smtp = try SMTPPeer.start("slow")
        defer { smtp.stop() }
        try await engine.withDatabase { database in
            let store = RecordStore(database: database)
            let mailbox = try await store.create(Entities.mailboxes, [
                "email": "rob@touchbase.test", "smtp_url": .string("smtp://127.0.0.1:\(smtp.port)?starttls=never"), "tracking": false,
            ])
            let company = try await store.create(Entities.companies, ["name": "Acme Health", "domain": "acme.example"])
            let contact = try await store.create(Entities.contacts, [
                "company_id": .string(company.id.lowercased), "first_name": "Ann", "email": "ann@acme.example",
            ])
            let sequence = try await store.create(Entities.sequences, [
                "name": "Kill", "status": "active", "mailbox_id": .string(mailbox.id.lowercased), "send_days": [1, 2, 3, 4, 5, 6, 7],
                "start_hour": 0, "end_hour": 24,
            ])
            _ = try await store.create(Entities.sequenceSteps, [
                "sequence_id": .string(sequence.id.lowercased), "position": 1, "kind": "auto_email", "subject": "Hello {{first_name}}",
                "body": .string(Array(repeating: "Ann, a note for the team at Acme Health about renewals.", count: 6).joined(separator: " ")),
            ])
            _ = try await store.create(Entities.enrollments, [
                "sequence_id": .string(sequence.id.lowercased), "contact_id": .string(contact.id.lowercased),
            ])
            let target = ResumeTests.argument(database.location)
            func runDue() throws -> Process {
                let process = Process()
                process.executableURL = program
                process.arguments = ["sequences", "run-due", "--now", "2027-04-05T10:00:00Z", "--database", target]
                process.environment = ProcessInfo.processInfo.environment.merging(["TOUCHBASE_SEND_LEASE_SECONDS": "1"]) { _, new in new }
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                return process
            }
            let first = try runDue()
            // The server has the message (it answers 250 only a minute later): kill the runner now.
            var waited = 0
            while try smtp.received().isEmpty && first.isRunning && waited < 600 {
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            #expect(first.isRunning, "the runner was still waiting for the server's reply")
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            #expect(first.terminationReason == .uncaughtSignal)
            #expect(try smtp.received().count == 1)
            #expect(try await Self.sendStates(database) == ["sending"])

            // Past the lease, the next run finds it: uncertain (exit 2), and nothing is sent again.
            try await Task.sleep(for: .milliseconds(1_200))
            let second = try runDue()
            second.waitUntilExit()
            #expect(second.terminationStatus == 2)
            #expect(try await Self.sendStates(database) == ["uncertain"])
            let third = try runDue()
            third.waitUntilExit()
            #expect(third.terminationStatus == 0)
            #expect(try smtp.received().count == 1, "never sent twice")
            let waiting = try await store.select(Entities.enrollments).first
            #expect(waiting?.string("state") == "active" && waiting?["next_run_at"] == .null)
            #expect(waiting?.string("waiting_reason")?.contains("uncertain") == true)
        }
    }
}
