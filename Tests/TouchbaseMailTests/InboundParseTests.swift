import Foundation
import Testing
import TouchbaseDomain
@testable import TouchbaseMail
import TouchbaseTestSupport

@Suite("Inbound mail: parsing and what a message is")
struct InboundParseTests {

    func read(_ name: String, crlf: Bool) throws -> (ParsedMail, InboundAnalysis) {
        let mail = try MIMEParser.parse(MailCorpus.bytes(name, crlf: crlf))
        return (mail, InboundAnalysis.analyze(mail, receivedAt: mail.date ?? Date()))
    }

    func day(_ date: Date?) -> String? {
        guard let date else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f.string(from: date)
    }

    @Test("Replies from Gmail, Outlook, Apple Mail and an HTML-only webmail: text, history and signature stripped", arguments: [false, true])
    func replies(crlf: Bool) throws {
        let (gmail, g) = try read("gmail_reply.eml", crlf: crlf)
        #expect(gmail.from?.address == MailCorpus.contact)
        #expect(gmail.from?.name == "Maya Chen")
        #expect(gmail.inReplyTo == [MailCorpus.messageID])
        #expect(gmail.messageID == "CAF4k3x+gmail-reply-0001@mail.gmail.com")
        #expect(day(gmail.date) == "2026-12-02")
        #expect(g.kind == .reply)
        #expect(g.replyText == "Hi Rob,\n\nSounds good — can you send me some times for a call next week? Tuesday or Wednesday afternoon works best.\n\nMaya")
        #expect(gmail.text.contains("> Saw that Acme is hiring"))
        #expect(ReplyIntent.classify(g.replyText, receivedAt: gmail.date!).intent == "positive")

        let (outlook, o) = try read("outlook_reply.eml", crlf: crlf)
        #expect(o.kind == .reply, "X-Auto-Response-Suppress is not a sign of an auto-reply")
        #expect(outlook.text.hasPrefix("I’m not the right person"), "Windows-1252 quote read as U+2019")
        #expect(o.replyText == "I’m not the right person for this. Please talk to Jane Doe, our VP Engineering, jane.doe@acme.example – she owns the QA budget.\n\nBest regards,\nTom Ruiz")
        let referral = ReplyIntent.classify(o.replyText, receivedAt: outlook.date!)
        #expect(referral.intent == "referral")
        #expect(referral.referralName == "Jane Doe")
        #expect(referral.referralTitle == "VP Engineering")
        #expect(referral.referralEmail == "jane.doe@acme.example")

        let (apple, a) = try read("apple_mail_reply.eml", crlf: crlf)
        #expect(apple.subject == "Re: Quick question about Acme’s QA", "RFC 2047 Q-encoded subject")
        #expect(apple.messageID == "8F2C1B7E-5D3A-4C9B-9E1F-APPLE0001@hoffmann.example")
        #expect(a.replyText == "Hi Rob,\n\nNot right now — we’re locked into our current vendor until next quarter. Feel free to check back then.\n\nLena")
        let later = ReplyIntent.classify(a.replyText, receivedAt: apple.date!)
        #expect(later.intent == "not_now")
        #expect(day(later.followUpOn) == "2027-01-01", "next quarter from December is 1 January")

        let (html, h) = try read("html_only_reply.eml", crlf: crlf)
        #expect(html.from?.name == "Ortiz, Sam")
        #expect(html.notes.contains { $0.contains("only an HTML part") })
        #expect(html.text.contains("> Hi Sam"), "a blockquote's lines are quoted")
        #expect(h.replyText == "Not interested, thanks.")
        #expect(ReplyIntent.classify(h.replyText, receivedAt: html.date!).intent == "negative")

        let (_, u) = try read("unsubscribe_reply.eml", crlf: crlf)
        #expect(ReplyIntent.classify(u.replyText, receivedAt: Date()).intent == "unsubscribe")
    }

    @Test("Out-of-office from Exchange, Gmail (German) and an RFC 3834 responder (French, ISO-8859-15)", arguments: [false, true])
    func autoReplies(crlf: Bool) throws {
        let (_, exchange) = try read("ooo_exchange.eml", crlf: crlf)
        #expect(exchange.kind == .autoReply)
        #expect(exchange.reason == "Auto-Submitted: auto-generated")
        #expect(day(exchange.returnDate) == "2026-12-11")
        #expect(day(TextDates.businessDay(after: exchange.returnDate!)) == "2026-12-14", "Friday's next business day is Monday")

        let (gmail, g) = try read("ooo_gmail_de.eml", crlf: crlf)
        #expect(gmail.subject.hasPrefix("Abwesenheitsnotiz"))
        #expect(g.kind == .autoReply)
        #expect(day(g.returnDate) == "2027-01-07")

        let (fr, f) = try read("ooo_rfc3834_fr.eml", crlf: crlf)
        #expect(fr.subject == "Réponse automatique : Quick question")
        #expect(fr.text.contains("Coût : 5 €"), "ISO-8859-15 0xA4 is the euro sign")
        #expect(f.kind == .autoReply)
        #expect(f.returnDate == nil, "no date: the enrolment waits seven days")
    }

    @Test("Bounces: Postfix, Exim (plain text), Exchange and Gmail; hard and soft", arguments: [false, true])
    func bounces(crlf: Bool) throws {
        let (_, postfix) = try read("dsn_postfix_hard.eml", crlf: crlf)
        #expect(postfix.kind == .bounce)
        #expect(postfix.bounce == InboundAnalysis.Bounce(
            hard: true, recipient: MailCorpus.contact, status: "5.1.1", action: "failed",
            diagnostic: "550 5.1.1 <\(MailCorpus.contact)>: Recipient address rejected: User unknown in virtual mailbox table"))
        #expect(postfix.originalMessageIDs.first == MailCorpus.messageID)

        let (_, delayed) = try read("dsn_postfix_delayed.eml", crlf: crlf)
        #expect(delayed.kind == .bounce)
        #expect(delayed.bounce?.hard == false)
        #expect(delayed.bounce?.status == "4.4.1")

        let (_, exim) = try read("dsn_exim_plain.eml", crlf: crlf)
        #expect(exim.kind == .bounce)
        #expect(exim.bounce?.hard == true)
        #expect(exim.bounce?.status == "5.1.1")
        #expect(exim.bounce?.recipient == MailCorpus.contact)
        #expect(exim.originalMessageIDs.first == MailCorpus.messageID, "the Message-ID of the copy in the text")

        let (exchangeMail, exchange) = try read("dsn_exchange.eml", crlf: crlf)
        #expect(exchange.kind == .bounce)
        #expect(exchange.bounce?.status == "5.1.10")
        #expect(exchange.bounce?.hard == true)
        #expect(exchangeMail.text.contains("couldn't be delivered"), "the HTML notice read as text")

        let (_, gmail) = try read("dsn_gmail_full.eml", crlf: crlf)
        #expect(gmail.kind == .bounce)
        #expect(gmail.bounce?.status == "5.2.2")
        #expect(gmail.bounce?.hard == false, "a full mailbox is soft")
    }

    @Test("A complaint, a mailto: unsubscribe, our own sent message", arguments: [false, true])
    func complaintsAndOwn(crlf: Bool) throws {
        let (_, arf) = try read("arf_complaint.eml", crlf: crlf)
        #expect(arf.kind == .complaint)
        #expect(arf.reportedRecipient == MailCorpus.contact)
        #expect(arf.originalMessageIDs.first == MailCorpus.messageID)

        let (_, unsub) = try read("mailto_unsubscribe.eml", crlf: crlf)
        #expect(unsub.kind == .unsubscribe)

        let (own, ownAnalysis) = try read("own_sent.eml", crlf: crlf)
        #expect(own.from?.address == "rob@touchbase.example")
        #expect(ownAnalysis.kind == .reply, "the database decides it is ours, by the mailbox")
    }

    @Test("Broken messages: no headers and bad base64 refused with the reason; an unknown charset read and said so")
    func broken() throws {
        #expect(throws: MailParseError("no header fields: the message starts with 'Hello there, this is just some text'")) {
            try MIMEParser.parse(MailCorpus.bytes("broken_no_headers.eml"))
        }
        #expect(throws: MailParseError("message (text/plain): its base64 is not valid")) {
            try MIMEParser.parse(MailCorpus.bytes("broken_base64.eml"))
        }
        #expect(throws: MailParseError.self) { try MIMEParser.parse([]) }
        let odd = try MIMEParser.parse(MailCorpus.bytes("unknown_charset.eml"))
        #expect(odd.text.hasPrefix("Thanks, this looks interesting"))
        #expect(odd.notes.contains { $0.contains("charset 'x-klingon' is not one this server reads") })
    }

    @Test("Encoded words, folding, quoted-printable and base64 by the RFCs' own examples")
    func pieces() throws {
        // RFC 2047 §8.
        #expect(MIMEParser.decodeWords("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=") == "ab")
        #expect(MIMEParser.decodeWords("=?ISO-8859-1?Q?a?=  \t =?ISO-8859-1?Q?b?=") == "ab")
        #expect(MIMEParser.decodeWords("(=?ISO-8859-1?Q?a?= b)") == "(a b)")
        #expect(MIMEParser.decodeWords("=?ISO-8859-1?Q?a_b?=") == "a b")
        #expect(MIMEParser.decodeWords("=?UTF-8?B?w4Rwc2lsb24=?= rocks") == "Äpsilon rocks")
        #expect(MIMEParser.decodeWords("=?windows-1252?Q?=93quoted=94?=") == "“quoted”")
        #expect(MIMEParser.decodeWords("not =?an encoded word") == "not =?an encoded word")
        #expect(MIMEParser.quotedPrintable(Array("a=3Db=\r\nc =E2=82=AC =ZZ".utf8)) == Array("a=bc € =ZZ".utf8))
        #expect(MIMEParser.base64(Array("aGVsbG8=".utf8)) == Array("hello".utf8))
        #expect(MIMEParser.base64(Array("aGVs\r\nbG8".utf8)) == Array("hello".utf8))
        #expect(MIMEParser.base64(Array("aGV=sbG8".utf8)) == nil)
        #expect(MIMEParser.base64(Array("a".utf8)) == nil)
        let folded = try MIMEParser.parse(Array("Subject: a long\r\n  folded\r\n\tsubject\r\nFrom: x@y.example\r\n\r\nbody".utf8))
        #expect(folded.subject == "a long  folded\tsubject")
        let list = MIMEParser.addresses(#""Doe, Jane" <jane@x.example>, bob@y.example (Bob B), undisclosed-recipients:;"#)
        #expect(list.map(\.address) == ["jane@x.example", "bob@y.example"])
        #expect(list.map(\.name) == ["Doe, Jane", "Bob B"])
        #expect(MIMEParser.date("Tue, 1 Dec 2026 10:15 -0500 (EST)") == Date(timeIntervalSince1970: 1_796_138_100))
        let nested = try MIMEParser.parse(Array("""
            From: a@b.example\r
            Content-Type: multipart/mixed; boundary=outer\r
            \r
            --outer\r
            Content-Type: multipart/alternative; boundary="inner"\r
            \r
            --inner\r
            Content-Type: text/html\r
            \r
            <p>html</p>\r
            --inner\r
            Content-Type: text/plain; charset=iso-8859-1\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            caf=E9\r
            --inner--\r
            --outer\r
            Content-Type: text/plain\r
            Content-Disposition: attachment; filename*=UTF-8''notes%20%C3%A9.txt\r
            \r
            attached\r
            --outer--\r

            """.utf8))
        #expect(nested.text == "café")
        #expect(nested.root.parts.count == 2)
        #expect(MIMEParser.parameterized(nested.root.parts[1].headers["Content-Disposition"]!).parameters["filename"] == "notes é.txt")
    }

    @Test("Dates named in text and the days a not-now reply names")
    func dates() {
        let dec3 = Date(timeIntervalSince1970: 1_796_256_000)  // 2026-12-03
        #expect(TextDates.dates(in: "back on 12/08/2026", after: dec3, dayFirst: false).map { day($0)! } == ["2026-12-08"])
        #expect(TextDates.dates(in: "zurück am 08.12.2026", after: dec3, dayFirst: true).map { day($0)! } == ["2026-12-08"])
        #expect(TextDates.dates(in: "hasta el 15 de enero", after: dec3, dayFirst: true).map { day($0)! } == ["2027-01-15"])
        #expect(TextDates.dates(in: "jusqu'au 10 décembre", after: dec3, dayFirst: true).map { day($0)! } == ["2026-12-10"])
        #expect(TextDates.dates(in: "meeting at 10.30 today", after: dec3, dayFirst: false).isEmpty)
        func notNow(_ text: String) -> String? { day(ReplyIntent.classify(text, receivedAt: dec3).followUpOn) }
        #expect(notNow("Not now. Try me again in March.") == "2027-03-01")
        #expect(notNow("Busy until the holidays — reach out again after the 15th.") == "2026-12-16")
        #expect(notNow("Bad time, ping me in 2 weeks") == "2026-12-17")
        #expect(notNow("Not right now, maybe later") == nil)
        #expect(ReplyIntent.classify("Thanks, I'm not interested.", receivedAt: dec3).intent == "negative")
        #expect(ReplyIntent.classify("Could you say more about pricing?", receivedAt: dec3).intent == "neutral")
        #expect(ReplyIntent.classify("Yes, let's talk Thursday.", receivedAt: dec3).intent == "positive")
        #expect(ReplyIntent.summary("Sounds good. Let's talk.\nMaya") == "Sounds good.")
        #expect(ReplyIntent.summary("Hi Rob,\nSounds good. Let's talk.") == "Sounds good.", "a greeting says nothing")
    }
}
