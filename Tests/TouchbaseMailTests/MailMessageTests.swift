import Foundation
import Testing
import TouchbaseMail

@Suite("SMTP URLs")
struct SMTPEndpointTests {
    @Test("smtp:// is STARTTLS on 587, smtps:// TLS on 465; user and password percent-decoded; the password never shown")
    func parse() throws {
        let a = try SMTPEndpoint(url: "smtp://rob%40example.com:p%3Ass@mail.example.com")
        #expect(a.host == "mail.example.com")
        #expect(a.port == 587)
        #expect(a.security == .startTLSRequired)
        #expect(a.username == "rob@example.com")
        #expect(a.password == "p:ss")
        #expect(!a.description.contains("p:ss") && !a.description.contains("p%3Ass"))
        #expect(a.description.contains("***"))
        let b = try SMTPEndpoint(url: "smtps://mail.example.com:2465")
        #expect(b.security == .implicitTLS && b.port == 2465 && b.username == nil)
        #expect(try SMTPEndpoint(url: "smtp://127.0.0.1:2525?starttls=never").security == .plain)
        #expect(try SMTPEndpoint(url: "smtp://h?starttls=optional").security == .startTLSOptional)
    }

    @Test("what cannot be used is refused with why", arguments: [
        ("http://mail.example.com", "scheme"), ("smtp://", "host"), ("smtp://h:70000", "port"), ("smtp://h/inbox", "path"),
        ("smtp://h?tls=yes", "unknown option"), ("smtp://h?starttls=maybe", "required, optional or never"), ("smtps://h?starttls=never", "unknown option"),
        ("not a url at all", "smtp://"),
    ])
    func refused(url: String, why: String) {
        do {
            _ = try SMTPEndpoint(url: url)
            Issue.record("\(url) accepted")
        } catch {
            guard case .invalidEndpoint(let text) = error else { Issue.record("\(error)"); return }
            #expect(text.contains(why), "\(url): \(text)")
        }
    }
}

@Suite("Messages on the wire")
struct MailMessageTests {
    @Test("DATA doubles a leading dot, makes every line end CRLF and ends with CRLF.CRLF")
    func dotStuffing() throws {
        let stuffed = SMTPClient.dotStuffed(Array(".one\r\ntwo\n..three\rfour".utf8))
        #expect(String(decoding: stuffed, as: UTF8.self) == "..one\r\ntwo\r\n...three\r\nfour\r\n.\r\n")
        #expect(String(decoding: SMTPClient.dotStuffed(Array("x\r\n".utf8)), as: UTF8.self) == "x\r\n.\r\n")
    }

    @Test("quoted-printable: = and non-ASCII encoded, lines under 77, trailing space and leading dot encoded, round trip")
    func quotedPrintable() {
        let text = "café = 1\nend with space \n.dot\nFrom here\n" + String(repeating: "long ", count: 40)
        let qp = MailMessage.quotedPrintable(text)
        #expect(qp.contains("caf=C3=A9 =3D 1"))
        #expect(qp.contains("end with space=20\r\n"))
        #expect(qp.contains("\r\n=2Edot\r\n"))
        #expect(qp.contains("\r\n=46rom here\r\n"))
        for line in qp.components(separatedBy: "\r\n") { #expect(line.count <= 76, "\(line)") }
        #expect(Self.decodeQP(qp) == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    static func decodeQP(_ s: String) -> String {
        var bytes: [UInt8] = []
        let joined = s.replacingOccurrences(of: "=\r\n", with: "")
        var chars = Array(joined.utf8)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            if c == UInt8(ascii: "="), chars.count >= 2, let v = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                chars = chars.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("headers: non-ASCII as encoded words split between characters, long lines folded, no header injection")
    func headers() throws {
        var m = MailMessage(
            from: try MailAddress("rob@touchbase.test", name: "Rob \"the rep\" Lane"), to: [try MailAddress("ann@example.org", name: "Ann Émile")],
            subject: "Über " + String(repeating: "ä", count: 60) + "\r\nBcc: victim@example.org", text: "x", messageID: "<abc@touchbase.test>",
            date: Date(timeIntervalSince1970: 0))
        m.inReplyTo = "first@touchbase.test"
        let text = String(decoding: m.rendered(), as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        #expect(head.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000"))
        #expect(head.contains("From: \"Rob \\\"the rep\\\" Lane\" <rob@touchbase.test>"))
        #expect(head.contains("To: =?UTF-8?B?"))
        #expect(head.contains("Message-ID: <abc@touchbase.test>"))
        #expect(head.contains("In-Reply-To: <first@touchbase.test>"))
        #expect(head.contains("References: <first@touchbase.test>"))
        #expect(!head.contains("\r\nBcc:"))
        for line in head.components(separatedBy: "\r\n") {
            #expect(line.count <= 78, "\(line)")
            #expect(line.allSatisfy { $0.isASCII })
        }
        // Every encoded word decodes to whole characters, and together they are the subject.
        let subjectLines = head.components(separatedBy: "\r\n").drop { !$0.hasPrefix("Subject:") }.prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        let words = subjectLines.joined().replacingOccurrences(of: "Subject: ", with: "").split(separator: " ")
        var decoded = ""
        for word in words {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?=") && word.count <= 75)
            let data = Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))!
            decoded += try #require(String(data: data, encoding: .utf8))
        }
        #expect(decoded == "Über " + String(repeating: "ä", count: 60) + " Bcc: victim@example.org")
        #expect(throws: MailError.self) { try MailAddress("ann@example.org\r\nBcc: x@y.z") }
        #expect(throws: MailError.self) { try MailAddress("ann@example.org", name: "Ann\nBcc: x@y.z") }
        #expect(throws: MailError.self) { try MailAddress("no-at-sign") }
    }

    @Test("text and HTML as multipart/alternative with the given boundary")
    func multipart() throws {
        var m = MailMessage(from: try MailAddress("rob@touchbase.test"), to: [try MailAddress("ann@example.org")], subject: "Hi", text: "plain",
                            html: "<b>rich</b>", messageID: "m@touchbase.test", date: Date(timeIntervalSince1970: 0))
        m.boundary = "b1"
        let text = String(decoding: m.rendered(), as: UTF8.self)
        #expect(text.contains("MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nplain\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<b>rich</b>\r\n--b1--\r\n"))
        #expect(text.hasSuffix("--b1--\r\n"))
    }
}
