import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseMail
import TouchbaseStore
import TouchbaseTestSupport

/// Issue 15 tried as a new user would: a sequence sends through a real SMTP server (aiosmtpd); the messages that
/// arrived are answered with a real reply, an out-of-office, a bounce and a `mailto:` unsubscribe, each handed to the
/// `touchbase` program — piped to `touchbase inbound -` or left in a maildir for `touchbase inbound --maildir`.
@Suite("Inbound email, round trip")
struct InboundRoundTripTests {
    static func inbound(_ arguments: [String], stdin: [UInt8]? = nil, database: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = ResumeTests.program
        process.arguments = ["inbound"] + arguments + ["--database", database]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try input.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func day(_ date: Date) -> String { String(Timestamp.format(date).prefix(10)) }

    @Test("sent through SMTP, answered, piped back: the reply stops, the out-of-office pauses, the bounce turns red, the unsubscribe sets do-not-contact",
          .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)), arguments: TestEngine.all)
    func roundTrip(engine: TestEngine) async throws {
        let program = ResumeTests.program
        try #require(FileManager.default.isExecutableFile(atPath: program.path), "build the touchbase program first (swift build)")
        let smtp = try SMTPPeer.start("plain")
        defer { smtp.stop() }
        try await engine.withDatabase { database in
            let store = RecordStore(database: database)
            let mailbox = try await store.create(Entities.mailboxes, [
                "email": "rob@touchbase.test", "display_name": "Rob Lane", "smtp_url": .string("smtp://127.0.0.1:\(smtp.port)?starttls=never"),
                "reply_address": "replies@in.touchbase.test",
            ])
            let company = try await store.create(Entities.companies, ["name": "Acme Health", "domain": "acme.example"])
            var contacts: [String: UUID] = [:]
            for first in ["Ann", "Ben", "Cal", "Dee"] {
                contacts[first] = try await store.create(Entities.contacts, [
                    "company_id": .string(company.id.lowercased), "first_name": .string(first), "last_name": "Lopez",
                    "email": .string("\(first.lowercased())@acme.example"),
                ]).id
            }
            let sequence = try await store.create(Entities.sequences, [
                "name": "Renewals", "status": "active", "mailbox_id": .string(mailbox.id.lowercased), "send_days": [1, 2, 3, 4, 5, 6, 7],
                "start_hour": 0, "end_hour": 24, "on_account_reply": "none",
            ])
            for position in [1, 2] {
                _ = try await store.create(Entities.sequenceSteps, [
                    "sequence_id": .string(sequence.id.lowercased), "position": .int(Int64(position)), "kind": "auto_email", "delay_days": .int(Int64(position * 2 - 2)),
                    "subject": "Renewals at {{company.name}}", "same_thread": .bool(position == 2),
                    "body": .string(Array(repeating: "{{first_name}}, a note for the team at {{company.name}} about how renewals are tracked.", count: 5).joined(separator: " ")),
                ])
            }
            for first in ["Ann", "Ben", "Cal", "Dee"] {
                _ = try await store.create(Entities.enrollments, ["sequence_id": .string(sequence.id.lowercased), "contact_id": .string(contacts[first]!.lowercased)])
            }
            let target = ResumeTests.argument(database.location)
            let run = Process()
            run.executableURL = program
            run.arguments = ["sequences", "run-due", "--database", target]
            run.standardOutput = FileHandle.nullDevice
            try run.run()
            run.waitUntilExit()
            #expect(run.terminationStatus == 0)
            let received = try smtp.received()
            #expect(received.count == 4)
            var sent: [String: ParsedMail] = [:]
            for message in received {
                let mail = try MIMEParser.parse(message.bytes)
                sent[String(mail.to.first!.address.prefix { $0 != "@" }).capitalized] = mail
            }
            let ann = try #require(sent["Ann"]), ben = try #require(sent["Ben"]), cal = try #require(sent["Cal"]), dee = try #require(sent["Dee"])
            let replyTo = try #require(ben.headers["Reply-To"])
            #expect(replyTo.contains("replies+") && replyTo.contains("@in.touchbase.test>"), "\(replyTo)")
            let now = Date()
            let date = MailMessage.rfc5322Date(now)

            // Ann answers from her mail client: In-Reply-To, the quoted original below her words.
            let quoted = ann.text.split(separator: "\n", omittingEmptySubsequences: false).map { "> " + $0 }.joined(separator: "\r\n")
            let annReply = Array("""
                From: Ann Lopez <ann@acme.example>\r
                To: Rob Lane <rob@touchbase.test>\r
                Subject: Re: \(ann.subject)\r
                Date: \(date)\r
                Message-ID: <reply-ann-\(UUID().uuidString)@acme.example>\r
                In-Reply-To: <\(ann.messageID!)>\r
                References: <\(ann.messageID!)>\r
                MIME-Version: 1.0\r
                Content-Type: text/plain; charset=utf-8\r
                \r
                Sounds good, let's talk Thursday afternoon.\r
                \r
                Ann\r
                \r
                On \(date), Rob Lane <rob@touchbase.test> wrote:\r
                \(quoted)\r

                """.utf8)
            var result = try Self.inbound(["-"], stdin: annReply, database: target)
            #expect(result.status == 0 && result.output.contains("processed reply from ann@acme.example, matched by in_reply_to"), "\(result.output)")
            #expect(result.output.contains("reply recorded: positive") && result.output.contains("enrolment stopped (replied)"), "\(result.output)")
            result = try Self.inbound(["-"], stdin: annReply, database: target)
            #expect(result.status == 0 && result.output.contains("already taken in"), "piped twice, taken once: \(result.output)")

            // Ben is away: an auto-reply to the Reply-To address only (no threading headers).
            let back = TextDates.utc.date(byAdding: .day, value: 10, to: now)!
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "MMMM d, yyyy"
            let benReply = Array("""
                From: Ben Lopez <ben@acme.example>\r
                To: \(replyTo)\r
                Subject: Automatic reply: \(ben.subject)\r
                Date: \(date)\r
                Message-ID: <ooo-ben-\(UUID().uuidString)@acme.example>\r
                Auto-Submitted: auto-replied\r
                Content-Type: text/plain; charset=us-ascii\r
                \r
                I am out of the office until \(f.string(from: back)) and will answer when I am back.\r

                """.utf8)
            result = try Self.inbound(["-"], stdin: benReply, database: target)
            #expect(result.status == 0 && result.output.contains("processed auto_reply") && result.output.contains("matched by reply_token"), "\(result.output)")

            // Cal's server bounces it (Postfix's report, with the original's headers); Dee unsubscribes by the
            // List-Unsubscribe mailto:. Both wait in a maildir.
            let maildir = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-maildir-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: maildir) }
            for sub in ["new", "cur", "tmp"] { try FileManager.default.createDirectory(at: maildir.appendingPathComponent(sub), withIntermediateDirectories: true) }
            let dsn = String(decoding: MailCorpus.bytes("dsn_postfix_hard.eml", messageID: cal.messageID!, contact: "cal@acme.example"), as: UTF8.self)
                .replacingOccurrences(of: "rob@touchbase.example", with: "rob@touchbase.test")
            try dsn.write(to: maildir.appendingPathComponent("new/1764601000.M1P1.host"), atomically: true, encoding: .utf8)
            let unsubscribe = try #require(dee.headers["List-Unsubscribe"]?.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " <>")) }.first { $0.hasPrefix("mailto:") })
            let mailto = URLComponents(string: unsubscribe)!
            let subject = mailto.queryItems?.first { $0.name == "subject" }?.value ?? ""
            try """
                From: dee@acme.example\r
                To: \(mailto.path)\r
                Subject: \(subject)\r
                Date: \(date)\r
                Message-ID: <unsub-dee-\(UUID().uuidString)@acme.example>\r
                \r

                """.write(to: maildir.appendingPathComponent("new/1764601001.M2P1.host"), atomically: true, encoding: .utf8)
            result = try Self.inbound(["--maildir", maildir.path], database: target)
            #expect(result.status == 0 && result.output.contains("processed bounce") && result.output.contains("processed unsubscribe"), "\(result.output)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: maildir.appendingPathComponent("new").path).isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: maildir.appendingPathComponent("cur").path).sorted() == [
                "1764601000.M1P1.host:2,S", "1764601001.M2P1.host:2,S",
            ])
            result = try Self.inbound(["--maildir", maildir.path], database: target)
            #expect(result.output.contains("no new messages"), "\(result.output)")

            // What the database says now.
            func enrollment(_ first: String) async throws -> Record {
                try #require(try await store.select(Entities.enrollments, where: [("contact_id", .string(contacts[first]!.lowercased))]).first)
            }
            #expect(try await enrollment("Ann").string("stop_reason") == "replied")
            let annReplies = try await store.select(Entities.replies, where: [("contact_id", .string(contacts["Ann"]!.lowercased))])
            #expect(annReplies.count == 1 && annReplies.first?.string("reply_text") == "Sounds good, let's talk Thursday afternoon.\n\nAnn", "\(annReplies.map(\.json))")
            let benEnrollment = try await enrollment("Ben")
            #expect(benEnrollment.string("state") == "paused", "\(benEnrollment.json)")
            #expect(benEnrollment.string("paused_until")?.hasPrefix(Self.day(TextDates.businessDay(after: back))) == true, "\(benEnrollment.json)")
            #expect(try await store.get(Entities.contacts, contacts["Ben"]!).string("stage") == "sent", "an auto-reply moves no stage")
            let calContact = try await store.get(Entities.contacts, contacts["Cal"]!)
            #expect(calContact.string("email_status") == "red" && calContact.string("email_source_url")?.contains("5.1.1") == true)
            #expect(try await enrollment("Cal").string("stop_reason") == "bounced")
            #expect(try await store.get(Entities.contacts, contacts["Dee"]!).bool("do_not_contact"))
            #expect(try await enrollment("Dee").string("stop_reason") == "unsubscribed")
            let messages = try await store.select(Entities.inboundMessages)
            #expect(messages.count == 4, "nothing lost, nothing counted twice")
            #expect(messages.allSatisfy { $0.string("status") == "processed" }, "\(messages.map { $0.string("reason") ?? "" })")
            let audited = try await database.withConnection { sql in
                try await sql.raw("SELECT count(*) AS n FROM audit_log WHERE table_name = 'inbound_messages' AND changed_by = 'cli:inbound'").first()!.decode(column: "n", as: Int.self)
            }
            #expect(audited >= 4)
        }
    }
}
