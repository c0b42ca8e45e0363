import Foundation
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

/// A rep's morning in headless Chromium (Selenium, `Tests/peers/web_browser.py`) against a real `touchbase serve` on
/// demo data, on each engine. Needs `TOUCHBASE_TEST_BROWSER`: a Python that has PyPI `selenium`, with Debian's
/// `chromium` and `chromium-driver` installed (`.ci/run` sets it up). Screenshots go to `TOUCHBASE_TEST_SCREENSHOTS`
/// (default: a temporary folder), one folder per engine.
@Suite("Web UI in a real browser")
struct WebBrowserTests {
    static let python = ProcessInfo.processInfo.environment["TOUCHBASE_TEST_BROWSER"]
    static let skipped = "TOUCHBASE_TEST_BROWSER names no Python with PyPI selenium: skipped"
    static let script = Peers.script("web_browser.py")

    @Test("sign in, Today, search, an account, a contact's draft edited, QC'd, approved and sent, a referral reply, a batch, an experiment, a queue, renewals into a campaign, an import watched to its end", .enabled(if: python != nil, Comment(rawValue: skipped)), arguments: TestEngine.all)
    func morning(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let where_ = ResumeTests.argument(database.location)
            let program = ResumeTests.program.path
            let (made, demo) = try await Peers.run(
                program, ["demo", "--database", where_, "--companies", "40", "--contacts", "400", "--touchpoints", "1200"], limit: .seconds(300), errors: true)
            #expect(made == 0, "\(demo)")
            var environment = ProcessInfo.processInfo.environment
            environment["TOUCHBASE_PASSWORD"] = "correct horse battery"
            let (created, user) = try await Peers.run(
                program, ["user", "create", "--database", where_, "--email", "rob@example.com", "--role", "member", "--name", "Rob"], environment: environment,
                errors: true)
            #expect(created == 0, "\(user)")
            let csv = FileManager.default.temporaryDirectory.appendingPathComponent("touchbase-browser-\(UUID().uuidString).csv")
            try "First Name,Last Name,Email,Title,Company\nJamie,Ortiz,jamie.ortiz@harbor.example,QA Lead,Harbor Cloud\nBad,Row,not-an-email,,\n"
                .write(to: csv, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: csv) }
            let root = ProcessInfo.processInfo.environment["TOUCHBASE_TEST_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("touchbase-screenshots")
            let shots = root.appendingPathComponent("\(engine)")
            try? FileManager.default.removeItem(at: shots)
            let (serve, port) = try await Peers.serve(database.location)
            let (status, printed) = try await Peers.run(
                Self.python!, [Self.script, "http://127.0.0.1:\(port)", "rob@example.com", "correct horse battery", shots.path, csv.path], limit: .seconds(300),
                errors: true)
            #expect(Peers.stop(serve) == 0)
            #expect(status == 0, "\(printed)")
            #expect(printed.contains("ok: every step passed"), "\(printed)")
            for name in ["02-today", "04-account", "06-draft-sent", "08-experiment", "11-import", "13-today-375"] {
                #expect(FileManager.default.fileExists(atPath: shots.appendingPathComponent(name + ".png").path), "no screenshot \(name)")
            }
            // What the browser did is in the database, audited as the user.
            let sent = try await RecordStore(database: database).select(Entities.auditLog, where: [("changed_by", "user:Rob"), ("table_name", "touchpoints")], limit: 5)
            #expect(!sent.isEmpty)
        }
    }
}
