import Foundation
import Testing
import TouchbaseDomain

@Suite("Tracking labels")
struct TrackingLabelTests {
    static let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

    func hit(_ kind: String, _ method: String = "GET", agent: String? = firefox, ip: String? = "203.0.113.9", after seconds: Double = 3_600) -> TrackingLabel.Hit {
        TrackingLabel.Hit(kind: kind, method: method, userAgent: agent, ip: ip, secondsSinceSend: seconds)
    }

    @Test("a person's open and click are human")
    func human() {
        #expect(TrackingLabel.label(hit("open")).label == "human")
        #expect(TrackingLabel.label(hit("click")).label == "human")
        var one = hit("click")
        one.links = 3
        one.linksHitInBurst = 2
        #expect(TrackingLabel.label(one).label == "human", "two of three links in a burst is a reader, not a scanner")
    }

    @Test("image proxies are privacy proxies, with the reason")
    func proxies() {
        let gmail = TrackingLabel.label(hit("open", agent: "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"))
        #expect(gmail.label == "privacy_proxy" && gmail.reason.contains("Gmail"))
        #expect(TrackingLabel.label(hit("open", agent: "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html")).label == "privacy_proxy")
        #expect(TrackingLabel.label(hit("open", agent: "Mozilla/5.0", ip: "203.0.113.9")).label == "privacy_proxy")
        #expect(TrackingLabel.label(hit("open", ip: "17.58.100.1")).reason.contains("Apple"))
        #expect(TrackingLabel.label(hit("click", ip: "17.58.100.1")).label == "human", "a click is never a prefetch")
    }

    @Test("scanners: HEAD, known agents, too soon, every link in a burst, the honeypot")
    func scanners() {
        #expect(TrackingLabel.label(hit("click", "HEAD")).label == "scanner")
        #expect(TrackingLabel.label(hit("open", "HEAD")).label == "scanner")
        #expect(TrackingLabel.label(hit("click", agent: "python-requests/2.31")).label == "scanner")
        #expect(TrackingLabel.label(hit("click", agent: "Mozilla/5.0 (compatible; Barracuda Sentinel)")).label == "scanner")
        let soon = TrackingLabel.label(hit("click", after: 12))
        #expect(soon.label == "scanner" && soon.reason.contains("12 s"))
        #expect(TrackingLabel.label(hit("click", after: 12), scannerWindow: 10).label == "human", "the window is configurable")
        #expect(TrackingLabel.label(hit("open", after: 2)).label == "human", "an open soon after the send is a reader")
        var all = hit("click")
        all.links = 2
        all.linksHitInBurst = 2
        #expect(TrackingLabel.label(all).reason.contains("every link"))
        var trap = hit("click")
        trap.honeypot = true
        #expect(TrackingLabel.label(trap).label == "scanner")
        var near = hit("click")
        near.honeypotHitInBurst = true
        #expect(TrackingLabel.label(near).label == "scanner")
    }
}

@Suite("SMTP URLs")
struct SMTPURLTests {
    @Test("the password is taken out for storage and put back to send, as written")
    func split() throws {
        let url = try SMTPURL("smtps://rob%40team:p%40ss:word@mail.example.com")
        #expect(url.port == 465 && url.security == .implicitTLS && url.username == "rob@team" && url.password == "p@ss:word")
        #expect(url.withoutPassword == "smtps://rob%40team@mail.example.com:465")
        #expect(url.passwordAsWritten == "p%40ss:word")
        #expect(try SMTPURL(url.withoutPassword).withPassword(url.passwordAsWritten) == "smtps://rob%40team:p%40ss:word@mail.example.com:465")
        #expect(try SMTPURL("smtp://127.0.0.1:2525?starttls=never").withoutPassword == "smtp://127.0.0.1:2525?starttls=never")
        #expect(try SMTPURL("smtp://rob:@[::1]:25").passwordAsWritten == "", "an empty password is how one is removed")
        #expect(try SMTPURL("smtp://[::1]:25").withoutPassword == "smtp://[::1]:25")
    }

    @Test("what is not an SMTP server is refused with why")
    func refused() {
        for (text, why) in [
            ("http://mail.example.com", "scheme"), ("smtp://", "host"), ("smtp://mail.example.com/path", "path"),
            ("smtp://mail.example.com:70000", "port"), ("smtps://mail.example.com?starttls=never", "unknown option"),
            ("smtp://mail.example.com?starttls=maybe", "starttls"), ("smtp://:pw@mail.example.com", "user name"),
            ("smtp://mail.example.com\n", "must be"),
        ] {
            #expect(throws: SMTPURL.Problem.self, "\(text)") { try SMTPURL(text) }
            do { _ = try SMTPURL(text) } catch { #expect(error.message.contains(why), "\(text): \(error.message)") }
        }
    }
}
