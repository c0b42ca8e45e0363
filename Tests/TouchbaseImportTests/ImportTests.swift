import Foundation
import Testing
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore
import TouchbaseTestSupport

@Suite("CSV reading")
struct CSVTests {
    func read(_ text: String) -> [CSVRecord] { Array(CSVReader(data: Data(text.utf8))) }

    @Test("BOM, CRLF, quoted commas, doubled quotes and line breaks")
    func quoting() {
        let records = read("\u{FEFF}a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",z\r\n3,,\n")
        #expect(records.map(\.fields) == [["a", "b", "c"], ["1", "x, y", "say \"hi\""], ["2", "two\nlines", "z"], ["3", "", ""]])
        #expect(records.map(\.line) == [1, 2, 3, 5])
        #expect(records.allSatisfy { $0.error == nil })
    }

    @Test("broken quoting is reported with its line, and reading goes on")
    func broken() {
        let records = read("a,b\n1,x\"y\n2,\"ok\"z\n3,fine\n4,\"never closed\n")
        #expect(records.map(\.line) == [1, 2, 3, 4, 5])
        #expect(records[1].error == "broken quoting: a quote inside an unquoted field")
        #expect(records[2].error == "broken quoting: text after a closing quote")
        #expect(records[3].error == nil && records[3].fields == ["3", "fine"])
        #expect(records[4].error == "broken quoting: a quoted field is never closed")
    }

    @Test("layouts are recognised from the header row")
    func detection() {
        #expect(ImportFormat.detect(["First Name", "Last Name", "Title", "Company", "Email", "Email Status", "Seniority", "Person Linkedin Url"]) == .apollo)
        #expect(ImportFormat.detect(["Record ID", "First Name", "Email", "Company Domain Name"]) == .hubspot)
        #expect(ImportFormat.detect(["First Name", "Last Name", "Email Address", "Company", "Position", "Connected On"]) == .linkedin)
        #expect(ImportFormat.detect(["first_name", "email"]) == .generic)
        #expect(ImportFormat.seniority("C suite") == "c-level" && ImportFormat.seniority("Entry") == "individual_contributor")
        #expect(ImportFormat.emailStatus("Verified") == "green" && ImportFormat.emailStatus("Bounced") == "red")
    }
}

@Suite("Import")
struct ImportTests {
    func write(_ text: String) throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory() + "import-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        return url
    }

    static let apollo = "\u{FEFF}First Name,Last Name,Title,Company Name,Email,Email Status,Seniority,Departments,Person Linkedin Url,Website,# Employees,Industry,City,State,Country\r\n"
        + "Maya,Chen,Director of QA,PayFlow,maya@payflow.io,Verified,Director,Engineering,http://linkedin.com/in/mayachen/,https://www.payflow.io,\"1,200\",FinTech,Austin,TX,USA\r\n"
        + "Raj,Patel,CTO \\ R&D\tLab,PayFlow,raj@payflow.io,Guessed,C suite,Engineering,,https://payflow.io,,FinTech,,,\r\n"
        + "Maya,Chen,Director of QA,PayFlow,MAYA@PayFlow.io,Verified,Director,,,https://payflow.io,,,,,\r\n"
        + "Bad,Email,Engineer,Nowhere,not-an-email,,Entry,,,,,,,,\r\n"
        + "Odd,Quote,QA \"Lead,Shop,odd@shop.io,,,,,,,,,,\r\n"
        + "Wiz,Ard,Wizard,Magic,wiz@magic.io,,Wizard,,,,,,,,\r\n"
        + "\"Lin\nBreak\",Person,Manager,Shop,lin@shop.io,Bounced,Manager,,,https://shop.io,,Retail,,,\r\n"

    @Test("an Apollo export goes in with the right counts, dedupe and an errors file naming bad lines", arguments: TestEngine.all)
    func apolloImport(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let file = try write(Self.apollo)
            defer { try? FileManager.default.removeItem(at: file); try? FileManager.default.removeItem(at: Importer.errorsURL(for: file)) }
            let summary = try await Importer(database: db).run(file: file, options: ImportOptions(kind: "contacts"))
            #expect(summary.format == .apollo)
            #expect(summary.rows == 7)
            #expect(summary.inserted == 4 && summary.failed == 2 && summary.updated + summary.skipped == 1)
            let errors = try String(contentsOf: try #require(summary.errorsFile), encoding: .utf8)
            let lines = errors.split(separator: "\n").dropFirst().map { $0.split(separator: ",").first.map(String.init) ?? "" }
            #expect(lines == ["5", "6"])
            #expect(errors.contains("email") && errors.contains("broken quoting"))
            // A seniority word Apollo's vocabulary lacks is kept, under its header, not refused.
            let wiz = try #require(try await ContactRepository(database: db).getByEmail("wiz@magic.io"))
            #expect(wiz.values["seniority_level"] == .null && wiz.values["custom_fields"] == ["Seniority": "Wizard"])
            let contacts = ContactRepository(database: db)
            let maya = try #require(try await contacts.getByEmail("maya@payflow.io"))
            #expect(maya.string("seniority_level") == "director")
            #expect(maya.string("email_status") == "green")
            #expect(maya.string("linkedin_url") == "https://www.linkedin.com/in/mayachen")
            #expect(maya.string("location") == "Austin, TX, USA")
            let raj = try #require(try await contacts.getByEmail("raj@payflow.io"))
            #expect(raj.string("seniority_level") == "c-level" && raj.string("email_status") == "yellow")
            #expect(raj.uuid("company_id") == maya.uuid("company_id"))
            #expect(raj.string("title") == "CTO \\ R&D\tLab")  // a backslash and a tab survive the bulk path
            let company = try #require(try await CompanyRepository(database: db).getByDomain("payflow.io"))
            #expect(company.string("name") == "PayFlow" && company.int("employee_count") == 1200 && company.string("industry") == "FinTech")
            #expect(company.int("total_contacts") == 2)
            let lin = try #require(try await contacts.getByEmail("lin@shop.io"))
            #expect(lin.string("first_name") == "Lin\nBreak" && lin.string("email_status") == "red")

            // Running it again converges: nothing new, nothing lost
            let again = try await Importer(database: db).run(file: file, options: ImportOptions(kind: "contacts"))
            #expect(again.inserted == 0 && again.updated == 0 && again.skipped == 5 && again.failed == 2)
            #expect(try await RecordStore(database: db).select(Entities.contacts).count == 4)
        }
    }

    @Test("HubSpot companies, column mappings, skip on conflict and dry runs", arguments: TestEngine.all)
    func hubspotAndOptions(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let file = try write("Record ID,Company name,Company Domain Name,Industry,Number of Employees,Tier Label\n1,Acme,acme.com,Software,250,tier1\n2,Beta,https://www.beta.io/,,x12,tier2\n3,Acme again,ACME.com,Hardware,,\n")
            defer { try? FileManager.default.removeItem(at: file); try? FileManager.default.removeItem(at: Importer.errorsURL(for: file)) }
            let dry = try await Importer(database: db).run(file: file, options: ImportOptions(kind: "companies", dryRun: true))
            #expect(dry.format == .hubspot && dry.failed == 1 && dry.inserted == 2)
            #expect(try await RecordStore(database: db).select(Entities.companies).isEmpty)
            let run = try await Importer(database: db).run(
                file: file, options: ImportOptions(kind: "companies", mappings: ["Tier Label": "account_tier"], onConflict: .skip))
            #expect(run.inserted == 1 && run.skipped == 1 && run.failed == 1)
            let acme = try #require(try await CompanyRepository(database: db).getByDomain("acme.com"))
            #expect(acme.string("industry") == "Software" && acme.string("account_tier") == "tier1" && acme.int("employee_count") == 250)
            await #expect(throws: DomainError.self) {
                _ = try await Importer(database: db).run(file: file, options: ImportOptions(kind: "companies", mappings: ["Tier Label": "colour"]))
            }
        }
    }

    @Test("a LinkedIn connections export finds companies by their name, not by email domain", arguments: TestEngine.all)
    func linkedin(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let file = try write("First Name,Last Name,URL,Email Address,Company,Position,Connected On\nAna,Lee,https://www.linkedin.com/in/analee,ana@corp.io,Corp,VP Sales,01 Jan 2024\nBo,Ng,https://www.linkedin.com/in/bong,,Corp,Engineer,02 Jan 2024\n")
            defer { try? FileManager.default.removeItem(at: file) }
            let run = try await Importer(database: db).run(file: file, options: ImportOptions(kind: "contacts"))
            #expect(run.format == .linkedin && run.inserted == 2 && run.failed == 0)
            let ana = try #require(try await ContactRepository(database: db).getByEmail("ana@corp.io"))
            #expect(ana.string("title") == "VP Sales")
            #expect(try await CompanyRepository(database: db).getByDomain("corp.io") == nil)
            let bo = try #require(try await RecordStore(database: db).select(Entities.contacts, where: [("first_name", "Bo")]).first)
            #expect(ana.uuid("company_id") != nil && ana.uuid("company_id") == bo.uuid("company_id"))
        }
    }
}

@Suite("Export")
struct ExportTests {
    @Test("every table is written as JSON lines or CSV, a page at a time", arguments: TestEngine.all)
    func export(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let acme = try await CompanyRepository(database: db).create(["name": "Acme, Inc.", "domain": "acme.com", "research_data": ["note": "quoted \"text\""]])
            for i in 0..<3 {
                _ = try await ContactRepository(database: db).create(["company_id": .string(acme.id.lowercased), "first_name": .string("P\(i)"), "interests": ["qa", "ci"]])
            }
            let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "export-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let dump = dir.appendingPathComponent("dump.jsonl")
            let counts = Dictionary(try await Exporter(database: db).jsonl(to: dump, entities: Exporter.entities(named: nil)), uniquingKeysWith: { a, _ in a })
            #expect(counts["companies"] == 1 && counts["contacts"] == 3 && counts["company_slots"] == 3)
            let lines = try String(contentsOf: dump, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == counts.values.reduce(0, +))
            let first = try JSONValue.parse(String(lines[0]))
            let companyLine = try #require(try lines.map { try JSONValue.parse(String($0)) }.first { $0["table"] == "companies" })
            #expect(companyLine["row"]?["research_data"]?["note"] == "quoted \"text\"")
            #expect(first["table"] != nil && first["row"]?["id"] != nil)
            let csvDir = dir.appendingPathComponent("csv")
            _ = try await Exporter(database: db).csv(to: csvDir, entities: [Entities.companies, Entities.contacts])
            let companies = Array(CSVReader(data: try Data(contentsOf: csvDir.appendingPathComponent("companies.csv"))))
            #expect(companies.count == 2)
            #expect(companies[0].fields == Entities.companies.columnNames)
            #expect(companies[1].fields[1] == "Acme, Inc.")
            let contacts = Array(CSVReader(data: try Data(contentsOf: csvDir.appendingPathComponent("contacts.csv"))))
            let interests = try #require(Entities.contacts.columnNames.firstIndex(of: "interests"))
            #expect(contacts.count == 4 && contacts[1].fields[interests] == "[\"qa\",\"ci\"]")
            #expect(throws: DomainError.self) { try Exporter.entities(named: "nope") }
        }
    }
}

@Suite("Demo data")
struct DemoTests {
    func snapshot(_ db: Database) async throws -> [String] {
        let store = RecordStore(database: db)
        let companies = try await store.select(Entities.companies).map { "\($0.string("name") ?? "") \($0.int("total_contacts"))" }
        let contacts = try await store.select(Entities.contacts).map { $0.string("email") ?? "" }
        let outcomes = try await store.select(Entities.touchpoints).map { $0.string("outcome") ?? "" }
        return companies + contacts + outcomes
    }

    @Test("the same seed gives the same data, with exact counters", arguments: TestEngine.all)
    func deterministic(engine: TestEngine) async throws {
        let first = try await engine.withDatabase { db -> [String] in
            let counts = try await DemoGenerator(database: db).generate(companies: 4, contactsPerCompany: 3, touchesPerConversation: 2, seed: 7)
            #expect(counts.companies == 4 && counts.contacts == 12 && counts.touchpoints == 24 && counts.relationships == 8)
            let overview = try await CompanyGraph(database: db).accountOverview(try #require(try await CompanyRepository(database: db).list().records.first).id)
            #expect(overview["contacts"]?["total"] == 3)
            return try await snapshot(db)
        }
        let second = try await engine.withDatabase { db in
            _ = try await DemoGenerator(database: db).generate(companies: 4, contactsPerCompany: 3, touchesPerConversation: 2, seed: 7)
            return try await snapshot(db)
        }
        let other = try await engine.withDatabase { db in
            _ = try await DemoGenerator(database: db).generate(companies: 4, contactsPerCompany: 3, touchesPerConversation: 2, seed: 8)
            return try await snapshot(db)
        }
        #expect(first == second)
        #expect(first != other)
    }
}
