import Foundation
import Hummingbird
import Testing
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore
import TouchbaseTestSupport

@Suite("Imports over HTTP")
struct ImportAPITests {
    static let csv = """
        First Name,Last Name,Title,Company Name,Email,Email Status,Seniority,Website,Person Linkedin Url
        Ada,Lovelace,CTO,Analytical,ada@analytical.example,Verified,c_suite,https://analytical.example,
        Alan,Turing,Director of QA,Bletchley,alan@bletchley.example,Guessed,director,https://www.bletchley.example,http://linkedin.com/in/aturing/
        Bad,Row,QA,Nowhere,not-an-email,Verified,manager,,
        Ada,Lovelace,CTO,Analytical,ADA@analytical.example,Verified,c_suite,,
        Grace,Hopper,VP Engineering,Navy,grace@navy.example,Unavailable,vp,https://navy.example,

        """

    /// Polls the job until it is no longer queued or running.
    static func finished(_ api: APIHarness, _ id: String) async throws -> Reply {
        for _ in 0..<300 {
            let job = try await api.get("/api/v1/imports/\(id)")
            if let status = job["status"].stringValue, status != "queued" && status != "running" { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the import did not finish")
        return try await api.get("/api/v1/imports/\(id)")
    }

    @Test("an upload over the server's limit is 413 with problem+json, leaves no job and no file", arguments: TestEngine.all)
    func uploadLimit(engine: TestEngine) async throws {
        try await APIHarness.run(engine, maxUpload: 1024) { api in
            let big = Self.csv + String(repeating: "Many,Rows,QA,Filler,,,,,\n", count: 200)
            for contentType in ["text/csv", "multipart/form-data; boundary=XyZ"] {
                let body = contentType == "text/csv" ? big
                    : "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n\(big)\r\n--XyZ--\r\n"
                let refused = try await api.call(.post, "/api/v1/imports?kind=contacts", raw: body, contentType: contentType)
                #expect(refused.status == .contentTooLarge, "\(refused.text)")
                #expect(refused.contentType.hasPrefix("application/problem+json"))
                #expect(refused["detail"].stringValue?.contains("limit of 1 KiB (TOUCHBASE_MAX_UPLOAD)") == true, "\(refused.text)")
            }
            #expect(try await api.get("/api/v1/imports")["data"].arrayValue?.isEmpty == true)
            let left = (try? FileManager.default.contentsOfDirectory(atPath: api.importsDirectory.path)) ?? []
            #expect(left.isEmpty, "\(left)")
            // Under the limit the same endpoint works.
            let small = try await api.call(.post, "/api/v1/imports?kind=contacts", raw: Self.csv, contentType: "text/csv")
            #expect(small.status == .accepted, "\(small.text)")
            _ = try await Self.finished(api, small.id)
        }
    }

    @Test("a CSV body or a multipart upload is imported as a job, with progress, counts and the bad lines", arguments: TestEngine.all)
    func importJobs(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let started = try await api.call(.post, "/api/v1/imports?kind=contacts", raw: Self.csv, contentType: "text/csv")
            #expect(started.status == .accepted, "\(started.text)")
            #expect(started.headers[.location] == "/api/v1/imports/\(started.id)")
            #expect(started["kind"] == "contacts")
            let job = try await Self.finished(api, started.id)
            #expect(job["status"] == "completed_with_errors", "\(job.text)")
            #expect(job["format"] == "apollo")
            #expect(job["rows"] == .int(5) && job["inserted"] == .int(3) && job["failed"] == .int(1))
            #expect(job["updated"].intValue.map { $0 + (job["skipped"].intValue ?? 0) } == 1)
            #expect(job["errors"] == [["line": .int(4), "reason": .string("email: must be an email address such as name@example.com; got 'not-an-email'")]])
            #expect(job["created_by"] == "user:test-admin")
            let errors = try await api.get("/api/v1/imports/\(started.id)/errors")
            #expect(errors.status == .ok && errors.contentType.hasPrefix("text/csv"))
            #expect(errors.text.split(separator: "\n").count == 2 && errors.text.contains("\n4,"))
            let alan = try await api.get("/api/v1/contacts?email=alan@bletchley.example")
            #expect(alan["data"].arrayValue?.first?["linkedin_url"] == "https://www.linkedin.com/in/aturing")
            #expect(alan["data"].arrayValue?.first?["email_status"] == "yellow")
            let companies = try await api.get("/api/v1/companies?domain=bletchley.example")
            #expect(companies["data"].arrayValue?.first?["total_contacts"] == .int(1))

            // The same rows again, as a multipart upload: all matched, nothing new.
            let boundary = "----touchbase-test"
            let multipart = "--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
                + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"apollo.csv\"\r\nContent-Type: text/csv\r\n\r\n"
                + Self.csv + "\r\n--\(boundary)--\r\n"
            let again = try await api.call(
                .post, "/api/v1/imports?kind=contacts&on_conflict=skip", raw: multipart, contentType: "multipart/form-data; boundary=\(boundary)")
            #expect(again.status == .accepted, "\(again.text)")
            let second = try await Self.finished(api, again.id)
            #expect(second["status"] == "completed_with_errors" && second["inserted"] == .int(0) && second["skipped"] == .int(4) && second["failed"] == .int(1))
            #expect(second["options"]["on_conflict"] == "skip")
            let list = try await api.get("/api/v1/imports?status=completed_with_errors")
            #expect(list["data"].arrayValue?.count == 2)

            // Bad requests are refused before anything is stored.
            #expect(try await api.call(.post, "/api/v1/imports", raw: Self.csv, contentType: "text/csv").status == .unprocessableContent)
            #expect(try await api.call(.post, "/api/v1/imports?kind=deals", raw: Self.csv, contentType: "text/csv").status == .unprocessableContent)
            #expect(try await api.call(.post, "/api/v1/imports?kind=contacts&format=excel", raw: Self.csv, contentType: "text/csv").status == .unprocessableContent)
            #expect(try await api.call(.post, "/api/v1/imports?kind=contacts", raw: "<html>", contentType: "text/html").status == .unsupportedMediaType)
            #expect(try await api.call(.post, "/api/v1/imports?kind=contacts", raw: "", contentType: "text/csv").status == .badRequest)
            #expect(try await api.call(.post, "/api/v1/imports?kind=contacts", as: .viewer, raw: Self.csv, contentType: "text/csv").status == .forbidden)
            let noFile = "--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--\(boundary)--\r\n"
            let refused = try await api.call(.post, "/api/v1/imports?kind=contacts", raw: noFile, contentType: "multipart/form-data; boundary=\(boundary)")
            #expect(refused.status == .badRequest && refused.contentType.hasPrefix("application/problem+json"))
            #expect(try await api.get("/api/v1/imports")["data"].arrayValue?.count == 2)
            #expect(try await api.get("/api/v1/imports/\(UUIDv7.make().lowercased)/errors").status == .notFound)
        }
    }

    @Test("a job a stopped server left running is failed with advice, whatever its age; files no job needs are removed", arguments: TestEngine.all)
    func interruptedJobs(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-jobs-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let jobs = ImportJobs(database: api.database, directory: dir)
            let (id, upload) = try jobs.reserve()
            try Data("a,b\n".utf8).write(to: upload)
            try await api.sql("INSERT INTO imports (id, kind, status) VALUES ('\(id.lowercased)', 'contacts', 'running')")
            #expect(try await jobs.resumeInterrupted() == (resumed: 0, failed: 1))
            #expect(!FileManager.default.fileExists(atPath: upload.path))
            let job = try await api.get("/api/v1/imports?status=failed")
            #expect(job["data"].arrayValue?.first?["message"]?.stringValue?.contains("post the file again") == true)
            // An errors file of no job, and one of a job finished long ago, go; a recent job's stays.
            let orphan = dir.appendingPathComponent("\(UUIDv7.make().lowercased).errors.csv")
            let recent = jobs.errorsFile(id)
            for file in [orphan, recent] { try Data("line,reason\n".utf8).write(to: file) }
            try await api.sql("UPDATE imports SET finished_at = '2026-01-01T00:00:00Z' WHERE id = '\(id.lowercased)'")
            #expect(try await jobs.removeStaleFiles(now: Timestamp.parse("2026-01-10T00:00:00Z")!) == 1)
            #expect(!FileManager.default.fileExists(atPath: orphan.path) && FileManager.default.fileExists(atPath: recent.path))
            #expect(try await jobs.removeStaleFiles(now: Timestamp.parse("2026-03-01T00:00:00Z")!) == 1)
            #expect(!FileManager.default.fileExists(atPath: recent.path))
        }
    }
}
