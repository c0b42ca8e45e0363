import Foundation
import Testing
import TouchbaseTestSupport

/// `touchbase mail test` against a real SMTP server on loopback (PyPI aiosmtpd, `Tests/peers/smtp_server.py`).
@Suite("touchbase mail test", .serialized)
struct MailCommandTests {
    static func mail(_ arguments: [String], url: String? = nil) async throws -> (Int32, String) {
        var environment = ProcessInfo.processInfo.environment
        environment["TOUCHBASE_SMTP_URL"] = url
        return try await Peers.run(ResumeTests.program.path, ["mail", "test"] + arguments, environment: environment, errors: true)
    }

    @Test("a message through the server: exit 0 and the server's reply; a refusal for good exits 1, a temporary one 75",
          .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)))
    func plain() async throws {
        let peer = try SMTPPeer.start("plain")
        defer { peer.stop() }
        let url = "smtp://rob:secret@127.0.0.1:\(peer.port)?starttls=never"
        let (status, printed) = try await Self.mail(["--from", "rob@touchbase.test", "--to", "ann@example.org", "--subject", "Mailbox check"], url: url)
        #expect(status == 0, "\(printed)")
        #expect(printed.contains("Sent <") && printed.contains("250 2.0.0 Ok: queued as TB0000"), "\(printed)")
        #expect(!printed.contains("secret"), "the password was printed: \(printed)")
        let got = try peer.received()
        #expect(got.count == 1)
        let text = String(decoding: got.first?.bytes ?? [], as: UTF8.self)
        #expect(text.contains("\r\nSubject: Mailbox check\r\n"))
        #expect(got.first?.envelope["login"] as? String == "rob")
        let (refused, why) = try await Self.mail(["--from", "rob@touchbase.test", "--to", "nobody@example.org"], url: url)
        #expect(refused == 1)
        #expect(why.contains("RCPT TO <nobody@example.org> refused: 550 5.1.1 no such user here"), "\(why)")
        let (later, busy) = try await Self.mail(["--from", "rob@touchbase.test", "--to", "busy@example.org"], url: url)
        #expect(later == 75)
        #expect(busy.contains("451") && busy.contains("try again later"), "\(busy)")
        #expect(try peer.received().count == 1)
    }

    @Test("STARTTLS with --ca-file trusting the server; without it the certificate is refused",
          .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)))
    func startTLS() async throws {
        let peer = try SMTPPeer.start("starttls")
        defer { peer.stop() }
        let url = "smtp://rob:secret@localhost:\(peer.port)"
        let cert = peer.directory.appendingPathComponent("cert.pem").path
        let (status, printed) = try await Self.mail(["--from", "rob@touchbase.test", "--to", "ann@example.org", "--ca-file", cert], url: url)
        #expect(status == 0, "\(printed)")
        #expect(printed.contains("(TLS)"), "\(printed)")
        let (untrusted, why) = try await Self.mail(["--from", "rob@touchbase.test", "--to", "ann@example.org"], url: url)
        #expect(untrusted == 1, "\(why)")
        #expect(why.contains("TLS"), "\(why)")
        #expect(try peer.received().count == 1)
    }

    @Test("no server, a bad URL and a bad address are errors that say what to fix")
    func badInput() async throws {
        let (none, text) = try await Self.mail(["--from", "rob@touchbase.test", "--to", "ann@example.org"])
        #expect(none != 0)
        #expect(text.contains("--smtp-url or TOUCHBASE_SMTP_URL"), "\(text)")
        let (bad, why) = try await Self.mail(["--from", "rob@touchbase.test", "--to", "ann@example.org", "--smtp-url", "http://mail.example.com"])
        #expect(bad != 0)
        #expect(why.contains("the scheme must be smtp or smtps"), "\(why)")
        let (address, said) = try await Self.mail(["--from", "rob", "--to", "ann@example.org"], url: "smtp://127.0.0.1:1?starttls=never")
        #expect(address != 0)
        #expect(said.contains("not an address that can be sent to: 'rob'"), "\(said)")
    }
}
