import Foundation
import HTTPTypes
import Hummingbird
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore
import TouchbaseTestSupport

/// What a user met trying wave 1 over HTTP, each behaviour on both engines.
@Suite("Imports and lists over HTTP, as users try them")
struct ImportFidelityAPITests {
    @Test("an HTTP import is undone with DELETE; custom fields come back and filter; a second undo is 409", arguments: TestEngine.all)
    func undoOverHTTP(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let csv = "First Name,Last Name,Email,Stage,Lists\nAda,Lovelace,ada@analytical.example,Cold,Q1\nAlan,Turing,alan@bletchley.example,Replied,Q2\n"
            let started = try await api.call(.post, "/api/v1/imports?kind=contacts&file_name=people.csv", raw: csv, contentType: "text/csv")
            #expect(started.status == .accepted, "\(started.text)")
            let job = try await ImportAPITests.finished(api, started.id)
            #expect(job["status"] == "completed" && job["file_name"] == "people.csv" && job["encoding"] == "utf-8" && job["inserted"] == 2)
            let cold = try await api.get("/api/v1/contacts?custom.Stage=Cold")
            #expect(cold.status == .ok && cold["data"].arrayValue?.map { $0["email"] } == ["ada@analytical.example"], "\(cold.text)")
            #expect(cold["data"].arrayValue?.first?["custom_fields"] == ["Stage": "Cold", "Lists": "Q1"])
            let audit = try await api.get("/api/v1/audit-log?changed_by=import:\(started.id)&table_name=contacts")
            #expect(audit["data"].arrayValue?.count == 2)
            let undone = try await api.call(.delete, "/api/v1/imports/\(started.id)")
            #expect(undone.status == .ok && undone["status"] == "undone", "\(undone.text)")
            #expect(try await api.get("/api/v1/contacts")["data"].arrayValue?.isEmpty == true)
            #expect(try await api.call(.delete, "/api/v1/imports/\(started.id)").status == .conflict)
            #expect(try await api.call(.delete, "/api/v1/imports/\(UUIDv7.make().lowercased)").status == .notFound)
            let badEncoding = try await api.call(.post, "/api/v1/imports?kind=contacts&encoding=ebcdic", raw: csv, contentType: "text/csv")
            #expect(badEncoding.status == .unprocessableContent && badEncoding.text.contains("encoding"))
        }
    }

    @Test("a search with no word finds nothing; slots filter by company; read-only rows refuse DELETE with 405", arguments: TestEngine.all)
    func listsAndFilters(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let acme = try await api.post("/api/v1/companies", ["name": "Acme", "domain": "acme.io"])
            _ = try await api.post("/api/v1/companies", ["name": "Beta", "domain": "beta.io"])
            for q in ["%22", "%F0%9F%98%80", "%20"] {
                let found = try await api.get("/api/v1/companies?q=\(q)")
                #expect(found.status == .ok && found["data"].arrayValue?.isEmpty == true, "q=\(q): \(found.text)")
            }
            #expect(try await api.get("/api/v1/companies?q=acme")["data"].arrayValue?.count == 1)
            let slots = try await api.get("/api/v1/company-slots?company_id=\(acme.id)")
            #expect(slots["data"].arrayValue?.count == 3 && slots["data"].arrayValue?.allSatisfy { $0["company_id"] == .string(acme.id) } == true)
            #expect(try await api.get("/api/v1/company-slots?colour=red").status == .badRequest)
            let slot = try #require(slots["data"].arrayValue?.first?["slot_id"]?.stringValue)
            #expect(try await api.get("/api/v1/company-slots/\(slot)")["role_code"] != nil)
            let refused = try await api.call(.delete, "/api/v1/company-slots/\(slot)")
            #expect(refused.status == .methodNotAllowed && refused.headers[.allow] == "GET")
            let entry = try #require(try await api.get("/api/v1/audit-log?limit=1")["data"].arrayValue?.first?["id"]?.stringValue)
            #expect(try await api.call(.delete, "/api/v1/audit-log/\(entry)").status == .methodNotAllowed)
        }
    }

    @Test("audit rows write booleans as JSON true/false on both engines; each response carries its request id", arguments: TestEngine.all)
    func auditBooleans(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let contact = try await api.post("/api/v1/contacts", ["first_name": "Bo", "is_champion": true])
            #expect(contact.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
            let rows = try await api.get("/api/v1/audit-log?table_name=contacts&record_id=\(contact.id)")
            let values = try #require(rows["data"].arrayValue?.first?["new_values"])
            #expect(values["is_champion"] == .bool(true) && values["is_decision_maker"] == .bool(false) && values["do_not_contact"] == .bool(false))
            // A contact is known by an email alone; with neither name nor email nor LinkedIn URL it is refused.
            let emailOnly = try await api.post("/api/v1/contacts", ["email": "only@mail.example"])
            #expect(emailOnly.status == .created && emailOnly["first_name"] == "")
            let nobody = try await api.post("/api/v1/contacts", ["title": "CTO"])
            #expect(nobody.status == .unprocessableContent && nobody.text.contains("first_name"))
        }
    }
}
