import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore
import TouchbaseTestSupport

/// Files of thousands of rows, as a new user brings them: several batches, broken rows and duplicates among them.
@Suite("Import of large exports")
struct LargeExportTests {
    static func count(_ database: Database, _ table: String) async throws -> Int {
        try await database.withConnection { sql in
            try await sql.raw("SELECT count(*) AS n FROM \(ident: table)").first()!.decode(column: "n", as: Int.self)
        }
    }

    @Test("5,000 Apollo rows with broken rows and duplicates: right counts, bad lines named, counters exact", arguments: TestEngine.all)
    func apollo(engine: TestEngine) async throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-large-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("apollo.csv")
        try SampleExport.writeApollo(rows: 5_000, rowsPerCompany: 10, seed: 5, to: file)
        // Lines 5,002-5,007: two broken rows, a seniority word Apollo's vocabulary lacks (kept in custom_fields), and three duplicates (email in capitals, same LinkedIn URL).
        let extra = """
            Bad,Email,QA,Nowhere,no-at-sign.example,Verified,manager,Engineering,,,,,,,,
            Odd,Quote,QA "Lead,Shop,odd@shop.example,Verified,manager,Engineering,,,,,,,,
            Wiz,Ard,Wizard,Magic,wiz@magic.example,Verified,wizard,Engineering,,,,,,,,
            Dup,One,QA,Acme,\(Self.email(file, line: 2).uppercased()),Verified,manager,Engineering,,,,,,,,
            Dup,Two,QA,Acme,other.\(Self.email(file, line: 3)),Verified,manager,Engineering,\(Self.linkedin(file, line: 3)),,,,,,,
            Dup,Three,QA,Acme,\(Self.email(file, line: 4000)),Verified,manager,Engineering,,,,,,,,

            """
        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(extra.utf8))
        try handle.close()
        try await engine.withDatabase { database in
            let summary = try await Importer(database: database).run(file: file, options: ImportOptions(kind: "contacts"))
            #expect(summary.rows == 5_006 && summary.inserted == 5_001 && summary.failed == 2)
            #expect(summary.updated + summary.skipped == 3)
            let errors = try String(contentsOf: try #require(summary.errorsFile), encoding: .utf8)
            #expect(errors.split(separator: "\n").dropFirst().map { String($0.prefix(while: { $0 != "," })) } == ["5002", "5003"])
            #expect(try await Self.count(database, "contacts") == 5_001)
            #expect(try await Self.count(database, "companies") == 502)  // + Magic and Acme: a company name wins over an email domain
            #expect(try await Self.count(database, "company_slots") == 1_506)
            let counted = try await database.withConnection { sql in
                try await sql.raw("SELECT coalesce(sum(total_contacts), 0) AS n FROM companies").first()!.decode(column: "n", as: Int.self)
            }
            #expect(counted == 5_001)
            // Run again: everything matches, nothing changes.
            let again = try await Importer(database: database).run(file: file, options: ImportOptions(kind: "contacts"))
            #expect(again.inserted == 0 && again.updated == 0 && again.failed == 2)
            #expect(try await Self.count(database, "contacts") == 5_001)
        }
    }

    @Test("3,000 HubSpot rows with duplicates and bad rows: companies by domain, right counts", arguments: TestEngine.all)
    func hubspot(engine: TestEngine) async throws {
        var text = "Record ID,First Name,Last Name,Email,Job Title,Company Name,Company Domain Name,Phone Number,Country/Region\r\n"
        for i in 0..<3_000 {
            text += "\(100_000 + i),Person\(i),Family\(i % 97),person\(i)@firm\(i % 300).example,Engineer,Firm \(i % 300),firm\(i % 300).example,+1 555 01\(i % 100),US\r\n"
        }
        text += "200001,Dup,Case,PERSON7@FIRM7.EXAMPLE,Engineer,Firm 7,firm7.example,,US\r\n"
        text += "200002,Bad,Mail,person@@x,Engineer,Firm 1,firm1.example,,US\r\n"
        text += "200003,Bad,Domain,bad@domain.example,Engineer,Firm X,not a domain,,US\r\n"
        let file = URL(fileURLWithPath: NSTemporaryDirectory() + "hubspot-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file); try? FileManager.default.removeItem(at: Importer.errorsURL(for: file)) }
        try await engine.withDatabase { database in
            let summary = try await Importer(database: database).run(file: file, options: ImportOptions(kind: "contacts"))
            #expect(summary.format == .hubspot)
            #expect(summary.rows == 3_003 && summary.inserted == 3_000 && summary.failed == 2 && summary.updated + summary.skipped == 1)
            let errors = try String(contentsOf: try #require(summary.errorsFile), encoding: .utf8)
            #expect(errors.split(separator: "\n").dropFirst().map { String($0.prefix(while: { $0 != "," })) } == ["3003", "3004"])
            #expect(try await Self.count(database, "companies") == 300)
            #expect(try await Self.count(database, "contacts") == 3_000)
        }
    }

    @Test("a set the database refuses is replayed row by row: only the refused row fails", arguments: TestEngine.all)
    func refusedSet(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let company = try await RecordStore(database: database).create(Entities.companies, ["name": "Real", "domain": "real.example"])
            let missing = UUIDv7.make().lowercased
            let text = "first_name,last_name,email,company_id\n"
                + "Ann,One,ann@real.example,\(company.id.lowercased)\n"
                + "Bob,Two,bob@real.example,\(missing)\n"
                + "Cid,Three,cid@real.example,\(company.id.lowercased)\n"
            let file = URL(fileURLWithPath: NSTemporaryDirectory() + "refused-\(UUID().uuidString).csv")
            try Data(text.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file); try? FileManager.default.removeItem(at: Importer.errorsURL(for: file)) }
            let summary = try await Importer(database: database).run(file: file, options: ImportOptions(kind: "contacts"))
            #expect(summary.inserted == 2 && summary.failed == 1)
            let errors = try String(contentsOf: try #require(summary.errorsFile), encoding: .utf8)
            #expect(errors.split(separator: "\n").dropFirst().map { String($0.prefix(while: { $0 != "," })) } == ["3"])
            #expect(try await RecordStore(database: database).get(Entities.companies, company.id).int("total_contacts") == 2)
        }
    }

    /// The email on a data line of a generated file (line 2 is the first row).
    static func email(_ file: URL, line: Int) -> String { field(file, line: line, column: 4) }
    static func linkedin(_ file: URL, line: Int) -> String { field(file, line: line, column: 8) }

    static func field(_ file: URL, line: Int, column: Int) -> String {
        let reader = try! CSVReader(url: file)
        while let record = reader.next(), record.line <= line {
            if record.line == line { return record.fields[column] }
        }
        return ""
    }
}
