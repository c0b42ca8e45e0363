import Foundation
import NIOSSL
import Testing
import TouchbaseMail
import TouchbaseTestSupport

@Suite("SMTP against a real server", .serialized)
struct SMTPPeerTests {
    /// The `MailError` a send ends with; a send that succeeds, or fails otherwise, is recorded as an issue.
    static func failure(_ what: String, _ send: () async throws -> SMTPReceipt) async -> MailError? {
        do {
            let receipt = try await send()
            Issue.record("\(what): sent (\(receipt.reply))")
        } catch let error as MailError {
            return error
        } catch {
            Issue.record("\(what): \(error)")
        }
        return nil
    }

    static func message(_ subject: String = "Quick question about Acme's renewal", to: String = "ann@example.org") throws -> MailMessage {
        var m = MailMessage(
            from: try MailAddress("rob@touchbase.test", name: "Rob Lane"), to: [try MailAddress(to, name: "Ann Émile")], subject: subject,
            text: "Hi Ann,\n.\n.a line that starts with a dot\nFrom the desk of Rob — café\n\nRob",
            html: "<p>Hi Ann,</p><p>— Rob</p>", messageID: "0193a1b2-c3d4@touchbase.test", date: Date(timeIntervalSince1970: 1_796_000_000))
        m.boundary = "tb-boundary-1"
        m.headers = [("List-Unsubscribe", "<https://touchbase.test/u/TOKEN>, <mailto:unsubscribe@touchbase.test?subject=TOKEN>"),
                     ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
        return m
    }

    @Test("plain SMTP on loopback with AUTH: the bytes received are the bytes built", .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)))
    func plain() async throws {
        let peer = try SMTPPeer.start("plain")
        defer { peer.stop() }
        let message = try Self.message()
        let receipt = try await peer.client("smtp://rob:secret@127.0.0.1:\(peer.port)?starttls=never")
            .send(from: "rob@touchbase.test", to: message.recipients, message: message.rendered())
        #expect(receipt.reply.code == 250)
        #expect(receipt.reply.description.contains("queued as TB0000"))
        #expect(!receipt.usedTLS)
        let got = try peer.received()
        #expect(got.count == 1)
        #expect(got.first?.bytes == message.rendered())
        #expect(got.first?.envelope["from"] as? String == "rob@touchbase.test")
        #expect(got.first?.envelope["to"] as? [String] == ["ann@example.org"])
        #expect(got.first?.envelope["login"] as? String == "rob")
    }

    @Test("STARTTLS, certificate verified, AUTH after TLS; a wrong password is a permanent refusal",
          .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)))
    func startTLS() async throws {
        let peer = try SMTPPeer.start("starttls")
        defer { peer.stop() }
        let message = try Self.message()
        let receipt = try await peer.client("smtp://rob:secret@localhost:\(peer.port)")
            .send(from: "rob@touchbase.test", to: message.recipients, message: message.rendered())
        #expect(receipt.usedTLS)
        #expect(receipt.extensions.contains("AUTH"))
        let got = try peer.received()
        #expect(got.count == 1)
        #expect(got.first?.bytes == message.rendered())
        #expect(got.first?.envelope["tls"] as? Bool == true)
        let wrong = try peer.client("smtp://rob:wrong@localhost:\(peer.port)")
        let refused = await Self.failure("a wrong password") { try await wrong.send(from: "rob@touchbase.test", to: ["ann@example.org"], message: message.rendered()) }
        if case .rejected(let stage, let reply)? = refused {
            #expect(stage == "AUTH PLAIN")
            #expect(reply.code == 535)
            #expect(refused?.isTransient == false)
        } else {
            Issue.record("\(String(describing: refused))")
        }
        // Without trusting the self-signed certificate, TLS is refused and nothing is sent.
        let untrusting = SMTPClient(endpoint: try SMTPEndpoint(url: "smtp://rob:secret@localhost:\(peer.port)"), heloName: "touchbase.test", replyTimeout: 10)
        let unverified = await Self.failure("an unverified certificate") {
            try await untrusting.send(from: "rob@touchbase.test", to: ["ann@example.org"], message: message.rendered())
        }
        if case .tls? = unverified {} else { Issue.record("\(String(describing: unverified))") }
        #expect(try peer.received().count == 1)
    }

    @Test("implicit TLS (smtps://)", .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)))
    func implicitTLS() async throws {
        let peer = try SMTPPeer.start("implicit")
        defer { peer.stop() }
        let message = try Self.message("Über den Vertrag: ein längerer Betreff, der über mehrere kodierte Wörter geht — ja")
        let receipt = try await peer.client("smtps://rob:secret@localhost:\(peer.port)")
            .send(from: "rob@touchbase.test", to: message.recipients, message: message.rendered())
        #expect(receipt.usedTLS)
        #expect(try peer.received().first?.bytes == message.rendered())
    }

    @Test("a 4xx recipient is transient, a 5xx permanent, with the server's words; nothing is sent",
          .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)))
    func refusals() async throws {
        let peer = try SMTPPeer.start("plain")
        defer { peer.stop() }
        let client = try peer.client("smtp://127.0.0.1:\(peer.port)?starttls=never")
        for (to, code, transient) in [("busy@example.org", 451, true), ("nobody@example.org", 550, false)] {
            let message = try Self.message(to: to)
            let error = await Self.failure(to) { try await client.send(from: "rob@touchbase.test", to: ["ann@example.org", to], message: message.rendered()) }
            guard case .rejected(let stage, let reply)? = error else { Issue.record("\(String(describing: error))"); continue }
            #expect(stage == "RCPT TO <\(to)>")
            #expect(reply.code == code)
            #expect(error?.isTransient == transient)
            #expect(error?.description.contains(code == 451 ? "try again later" : "no such user") == true)
        }
        #expect(try peer.received().isEmpty)
    }

    @Test("STARTTLS is required by default: a server without it gets nothing",
          .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)))
    func tlsRequired() async throws {
        let peer = try SMTPPeer.start("plain")
        defer { peer.stop() }
        let client = try peer.client("smtp://127.0.0.1:\(peer.port)")
        let message = try Self.message()
        let error = await Self.failure("without STARTTLS") { try await client.send(from: "rob@touchbase.test", to: ["ann@example.org"], message: message.rendered()) }
        guard case .tls(let text)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(text.contains("does not offer STARTTLS"))
        #expect(try peer.received().isEmpty)
    }

    @Test("bytes injected after the STARTTLS reply, and a server that is not SMTP, are protocol violations",
          .enabled(if: SMTPPeer.python != nil, Comment(rawValue: SMTPPeer.skipped)))
    func hostile() async throws {
        for mode in ["inject", "garbage"] {
            let peer = try SMTPPeer.start(mode)
            defer { peer.stop() }
            let client = try peer.client("smtp://localhost:\(peer.port)")
            let message = try Self.message()
            let error = await Self.failure(mode) { try await client.send(from: "rob@touchbase.test", to: ["ann@example.org"], message: message.rendered()) }
            guard case .protocolViolation(let text)? = error else { Issue.record("\(mode): \(String(describing: error))"); continue }
            #expect(text.contains(mode == "inject" ? "after its STARTTLS reply" : "not an SMTP reply"), "\(text)")
        }
    }

    @Test("nothing listening is a transient connection error")
    func nothingListening() async throws {
        let client = SMTPClient(endpoint: try SMTPEndpoint(url: "smtp://127.0.0.1:1?starttls=never"), heloName: "touchbase.test", replyTimeout: 5, connectTimeout: 5)
        let error = await Self.failure("nothing listening") { try await client.send(from: "rob@touchbase.test", to: ["ann@example.org"], message: Array("Subject: x\r\n\r\nx\r\n".utf8)) }
        guard case .connection? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(error?.isTransient == true)
    }
}
