import Foundation
import Hummingbird
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

@Suite("HTTP API")
struct APITests {
    @Test("a new user's account: counters, rates, overview, colleagues, targets, follow-ups and health", arguments: TestEngine.all)
    func newUserScenario(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            // Given a company with four contacts
            let acme = try await api.post("/api/v1/companies", ["name": "Acme Health", "domain": "https://www.AcmeHealth.com/", "industry": "Healthcare", "account_tier": "tier1"])
            #expect(acme.status == .created)
            #expect(acme["domain"] == "acmehealth.com")
            #expect(acme.headers[.location] == "/api/v1/companies/\(acme.id)")
            var people: [String: String] = [:]
            for (name, extra) in [
                ("Sue", ["is_primary_contact": true, "seniority_level": "director"] as [String: JSONValue]),
                ("Raj", ["is_decision_maker": true, "seniority_level": "c-level", "title": "CMO"]),
                ("Ana", ["seniority_level": "manager"]), ("Tom", ["seniority_level": "individual_contributor"]),
            ] {
                var body = extra
                body["company_id"] = .string(acme.id)
                body["first_name"] = .string(name)
                body["last_name"] = "Lee"
                body["email"] = .string("\(name.lowercased())@acmehealth.com")
                let c = try await api.post("/api/v1/contacts", .object(body))
                #expect(c.status == .created, "\(c.text)")
                people[name] = c.id
            }
            #expect(try await api.get("/api/v1/companies/\(acme.id)")["total_contacts"] == 4)

            // And relationships between them
            for (a, b, strength) in [("Sue", "Raj", "strong"), ("Ana", "Sue", "medium"), ("Sue", "Tom", "weak")] {
                let r = try await api.post("/api/v1/relationships", ["contact_id_1": .string(people[a]!), "contact_id_2": .string(people[b]!), "strength": .string(strength)])
                #expect(r.status == .created, "\(r.text)")
            }

            // And a conversation with Sue, three emails, an open, a click and a reply
            let conv = try await api.post("/api/v1/conversations", ["contact_id": .string(people["Sue"]!), "qualification_tier": "hot", "next_touchpoint_at": "2020-03-01T09:00:00Z"])
            #expect(conv.status == .created)
            #expect(conv["company_id"] == .string(acme.id))
            var sent: [String] = []
            for i in 1...3 {
                let t = try await api.post("/api/v1/touchpoints", ["conversation_id": .string(conv.id), "channel": "email", "subject": .string("Note \(i)"), "sent_at": .string("2026-11-0\(i)T10:00:00Z")])
                #expect(t.status == .created, "\(t.text)")
                #expect(t["outcome"] == "sent")
                sent.append(t.id)
            }
            #expect(try await api.post("/api/v1/touchpoints/\(sent[0])/events", ["type": "opened"])["outcome"] == "opened")
            #expect(try await api.post("/api/v1/touchpoints/\(sent[1])/events", ["type": "clicked"])["outcome"] == "clicked")
            let replied = try await api.post("/api/v1/touchpoints/\(sent[0])/events", ["type": "replied", "response": "Call me Tuesday"])
            #expect(replied["outcome"] == "replied")
            #expect(replied["response"] == "Call me Tuesday")

            // Then the counters are exact
            let c = try await api.get("/api/v1/conversations/\(conv.id)")
            #expect(c["touchpoint_count"] == 3)
            #expect(c["last_touchpoint_at"] == "2026-11-03T10:00:00.000Z")
            #expect(try await api.get("/api/v1/contacts/\(people["Sue"]!)")["total_touchpoints"] == 3)
            #expect(try await api.get("/api/v1/companies/\(acme.id)")["active_conversations"] == 1)

            // And the rates are percent of outbound touches: 2 of 3 opened, 1 clicked, 1 replied
            let m = try await api.get("/api/v1/conversations/\(conv.id)/metrics")
            #expect(m["open_rate"] == 66.7)
            #expect(m["click_rate"] == 33.3)
            #expect(m["reply_rate"] == 33.3)
            #expect(m["emails_sent"] == 3)
            let history = try await api.get("/api/v1/conversations/\(conv.id)/touchpoints")
            #expect(history["data"].arrayValue?.map { $0["subject"] } == ["Note 1", "Note 2", "Note 3"])

            // And the overview, colleagues and targets
            let overview = try await api.get("/api/v1/companies/\(acme.id)/overview")
            #expect(overview["summary"]["total_contacts"] == 4)
            #expect(overview["summary"]["decision_makers"] == 1)
            #expect(overview["summary"]["relationship_count"] == 3)
            #expect(overview["relationships"].arrayValue?.count == 3)
            #expect(overview["contacts"]["primary"]?.arrayValue?.first?["first_name"] == "Sue")
            let colleagues = try await api.get("/api/v1/contacts/\(people["Sue"]!)/colleagues")
            #expect(colleagues["data"].arrayValue?.count == 3)
            let rels = try await api.get("/api/v1/contacts/\(people["Sue"]!)/relationships")
            #expect(rels["data"].arrayValue?.count == 3)
            let targets = try await api.get("/api/v1/contacts/\(people["Sue"]!)/expansion-targets?min_strength=medium")
            #expect(targets["data"].arrayValue?.map { $0["contact"]?["first_name"] } == ["Raj", "Ana"])
            #expect(targets["data"].arrayValue?.first?["priority_score"] == 95.0)
            let allTargets = try await api.get("/api/v1/contacts/\(people["Sue"]!)/expansion-targets?min_strength=weak")
            #expect(allTargets["data"].arrayValue?.count == 3)
            let context = try await api.get("/api/v1/contacts/\(people["Raj"]!)/context")
            #expect(context["company"]["name"] == "Acme Health")
            #expect(context["relationships"]["related"]?.arrayValue?.count == 1)

            // And the follow-up queue shows the due conversation
            let due = try await api.get("/api/v1/conversations/needing-followup")
            #expect(due["data"].arrayValue?.map { $0["conversation_id"] } == [.string(conv.id)])

            // And the health score is computed from all of it
            let health = try await api.get("/api/v1/companies/\(acme.id)/health")
            #expect(health.status == .ok)
            #expect(health["health_status"].stringValue != nil)
            #expect(health["breakdown"]["coverage"]?["score"] == 17.0)
            #expect(health["breakdown"]["relationships"]?["score"] == 6.0)
            let total = health["total_score"].doubleValue ?? -1
            #expect(total >= 0 && total <= 100)

            // When a touchpoint is inserted with plain SQL, the counters move
            try await api.sql("INSERT INTO touchpoints (conversation_id, channel) VALUES ('\(conv.id)', 'call')")
            #expect(try await api.get("/api/v1/conversations/\(conv.id)")["touchpoint_count"] == 4)
            #expect(try await api.get("/api/v1/contacts/\(people["Sue"]!)")["total_touchpoints"] == 4)

            // When the conversation is won, it closes
            let won = try await api.patch("/api/v1/conversations/\(conv.id)", ["status": "won", "actual_value": 12000.5])
            #expect(won["closed_at"].stringValue != nil)
            #expect(won["actual_value"] == 12000.5)
            #expect(try await api.get("/api/v1/companies/\(acme.id)")["active_conversations"] == 0)
            #expect(try await api.get("/api/v1/conversations/needing-followup")["data"].arrayValue?.isEmpty == true)
        }
    }

    @Test("bad input gets its status and a problem+json body", arguments: TestEngine.all)
    func badInput(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let acme = try await api.post("/api/v1/companies", ["name": "Acme", "domain": "acme.com"])
            let a = try await api.post("/api/v1/contacts", ["company_id": .string(acme.id), "first_name": "A", "email": "a@acme.com"])

            // 400: malformed JSON, a body that is not an object, an unknown filter, a bad cursor
            let malformed = try await api.call(.post, "/api/v1/companies", raw: "{\"name\": ")
            #expect(malformed.status == .badRequest)
            #expect(malformed.contentType == "application/problem+json")
            #expect(malformed["status"] == 400)
            #expect(try await api.call(.post, "/api/v1/companies", raw: "[1,2]").status == .badRequest)
            #expect(try await api.get("/api/v1/companies?colour=red").status == .badRequest)
            #expect(try await api.get("/api/v1/companies?cursor=nope").status == .badRequest)

            // 401: no token, a wrong token
            let noToken = try await api.get("/api/v1/companies", as: nil)
            #expect(noToken.status == .unauthorized)
            #expect(noToken.contentType == "application/problem+json")
            var headers = HTTPFields()
            headers[.authorization] = "Bearer tb_wrong"
            let wrong = try await api.client.execute(uri: "/api/v1/companies", method: .get, headers: headers) { $0.status }
            #expect(wrong == .unauthorized)

            // 403: a viewer writes, an agent deletes
            #expect(try await api.post("/api/v1/companies", ["name": "Nope"], as: .viewer).status == .forbidden)
            #expect(try await api.get("/api/v1/companies", as: .viewer).status == .ok)
            #expect(try await api.call(.delete, "/api/v1/companies/\(acme.id)", as: .agent).status == .forbidden)
            #expect(try await api.post("/api/v1/companies", ["name": "Agent Co"], as: .agent).status == .created)

            // 404: unknown id, malformed id, unknown route
            #expect(try await api.get("/api/v1/companies/\(UUIDv7.make().lowercased)").status == .notFound)
            #expect(try await api.get("/api/v1/companies/not-a-uuid").status == .notFound)
            let noRoute = try await api.get("/api/v1/nothing-here")
            #expect(noRoute.status == .notFound)
            #expect(noRoute.contentType == "application/problem+json")

            // 409: duplicate domain (normalised), duplicate email (any case), duplicate relationship either way
            let dupDomain = try await api.post("/api/v1/companies", ["name": "Acme 2", "domain": "WWW.ACME.COM"])
            #expect(dupDomain.status == .conflict)
            #expect(dupDomain["field"] == "domain")
            let dupEmail = try await api.post("/api/v1/contacts", ["company_id": .string(acme.id), "first_name": "B", "email": "A@Acme.com"])
            #expect(dupEmail.status == .conflict)
            #expect(dupEmail["field"] == "email")
            let b = try await api.post("/api/v1/contacts", ["company_id": .string(acme.id), "first_name": "B", "email": "b@acme.com"])
            #expect(try await api.post("/api/v1/relationships", ["contact_id_1": .string(a.id), "contact_id_2": .string(b.id)]).status == .created)
            #expect(try await api.post("/api/v1/relationships", ["contact_id_1": .string(a.id), "contact_id_2": .string(b.id)]).status == .conflict)
            let reverse = try await api.post("/api/v1/relationships", ["contact_id_1": .string(b.id), "contact_id_2": .string(a.id)])
            #expect(reverse.status == .conflict)
            #expect(reverse.contentType == "application/problem+json")

            // 422: unknown vocabulary word, self relationship, wrong type, missing field, unknown field, read-only field
            let tier = try await api.post("/api/v1/companies", ["name": "X", "account_tier": "platinum"])
            #expect(tier.status == .unprocessableContent)
            #expect(tier["errors"].arrayValue?.first?["field"] == "account_tier")
            let selfRel = try await api.post("/api/v1/relationships", ["contact_id_1": .string(a.id), "contact_id_2": .string(a.id)])
            #expect(selfRel.status == .unprocessableContent)
            #expect(selfRel["errors"].arrayValue?.first?["field"] == "contact_id_2")
            #expect(try await api.post("/api/v1/contacts", ["first_name": 42]).status == .unprocessableContent)
            let missing = try await api.post("/api/v1/companies", ["domain": "x.com"])
            #expect(missing.status == .unprocessableContent)
            #expect(missing["errors"].arrayValue?.first?["field"] == "name")
            #expect(try await api.post("/api/v1/companies", ["name": "X", "colour": "red"]).status == .unprocessableContent)
            #expect(try await api.patch("/api/v1/companies/\(acme.id)", ["total_contacts": 99]).status == .unprocessableContent)
            #expect(try await api.post("/api/v1/contacts", ["first_name": "C", "email": "not-an-email"]).status == .unprocessableContent)
            #expect(try await api.post("/api/v1/contacts", ["first_name": "C", "company_id": .string(UUIDv7.make().lowercased)]).status == .unprocessableContent)
            #expect(try await api.post("/api/v1/touchpoints/\(UUIDv7.make().lowercased)/events", ["type": "opened"]).status == .notFound)
            let t = try await api.post("/api/v1/touchpoints", ["contact_id": .string(a.id), "channel": "email"])
            #expect(t.status == .created)
            #expect(try await api.post("/api/v1/touchpoints/\(t.id)/events", ["type": "exploded"]).status == .unprocessableContent)
            #expect(try await api.get("/api/v1/companies?limit=0").status == .unprocessableContent)
            #expect(try await api.get("/api/v1/contacts/\(a.id)/expansion-targets?min_strength=huge").status == .unprocessableContent)

            // An integer past what the column holds reads the same on both engines: 422 naming the field (PostgreSQL's
            // own "out of range" text used to reach a 400 there, while SQLite answered 200).
            let huge = try await api.get("/api/v1/companies?total_contacts=3000000000")
            #expect(huge.status == .unprocessableContent, "\(huge.text)")
            #expect(huge["errors"].arrayValue?.first?["field"] == "total_contacts")
            #expect(huge["errors"].arrayValue?.first?["message"] == "must be between -2147483648 and 2147483647")
            #expect(try await api.get("/api/v1/companies?total_contacts=2147483647")["data"] == [])

            // Nothing stored was lost or changed by any of it
            let stored = try await api.get("/api/v1/companies/\(acme.id)")
            #expect(stored["total_contacts"] == 2)
            #expect(stored["name"] == "Acme")
        }
    }

    @Test("lists filter, search and page with a cursor", arguments: TestEngine.all)
    func listing(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            for i in 1...7 {
                _ = try await api.post("/api/v1/companies", ["name": .string("Company \(i)"), "domain": .string("c\(i).com"), "account_tier": i % 2 == 0 ? "tier1" : "tier2", "industry": i == 3 ? "Medical devices" : "Software"])
            }
            var seen: [JSONValue] = []
            var cursor: String?
            repeat {
                let page = try await api.get("/api/v1/companies?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""))
                seen += page["data"].arrayValue ?? []
                cursor = page["next_cursor"].stringValue
            } while cursor != nil
            #expect(seen.map { $0["name"] } == (1...7).map { .string("Company \($0)") })
            #expect(try await api.get("/api/v1/companies?account_tier=tier1")["data"].arrayValue?.count == 3)
            #expect(try await api.get("/api/v1/companies?q=medic")["data"].arrayValue?.map { $0["name"] } == ["Company 3"])
            #expect(try await api.get("/api/v1/companies?domain=C5.COM")["data"].arrayValue?.count == 1)
            let deleted = try await api.call(.delete, "/api/v1/companies/\(seen[0]["id"]?.stringValue ?? "")")
            #expect(deleted.status == .noContent)
            #expect(try await api.get("/api/v1/companies")["data"].arrayValue?.count == 6)
        }
    }

    @Test("health and the OpenAPI document need no token; the document covers every route", arguments: TestEngine.all)
    func publicRoutes(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let health = try await api.get("/health", as: nil)
            #expect(health.status == .ok)
            #expect(health["database"] == .string(engine.rawValue))
            let doc = try await api.get("/openapi.json", as: nil)
            #expect(doc.status == .ok)
            #expect(doc["openapi"] == "3.1.0")
            let paths = doc["paths"].objectValue ?? [:]
            for path in [
                "/api/v1/companies", "/api/v1/companies/{id}", "/api/v1/companies/{id}/overview", "/api/v1/companies/{id}/health",
                "/api/v1/contacts", "/api/v1/contacts/{id}", "/api/v1/conversations", "/api/v1/touchpoints/{id}",
                "/api/v1/relationships", "/api/v1/contacts/{id}/relationships", "/api/v1/contacts/{id}/colleagues",
                "/api/v1/contacts/{id}/expansion-targets", "/api/v1/contacts/{id}/context",
                "/api/v1/conversations/needing-followup", "/api/v1/conversations/{id}/touchpoints",
                "/api/v1/conversations/{id}/metrics", "/api/v1/touchpoints/{id}/events", "/health", "/openapi.json",
            ] {
                #expect(paths[path] != nil, "\(path) is missing from the document")
            }
            var operationIDs: [String] = []
            for (_, item) in paths {
                for (_, op) in item.objectValue ?? [:] { operationIDs += op["operationId"]?.stringValue.map { [$0] } ?? [] }
            }
            #expect(Set(operationIDs).count == operationIDs.count, "operation ids must be unique")
            for (path, item) in paths {
                let names = path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
                for (_, op) in item.objectValue ?? [:] {
                    let declared = (op["parameters"]?.arrayValue ?? []).filter { $0["in"] == "path" }.compactMap { $0["name"]?.stringValue }
                    #expect(declared.sorted() == names.sorted(), "\(path) declares its path parameters")
                }
            }
            let schemas = doc["components"]["schemas"]?.objectValue ?? [:]
            for entity in Entities.all {
                #expect(schemas[entity.schemaName]?["properties"]?.objectValue?.count == entity.fields.count)
            }
            // Every $ref points at a schema that exists
            func refs(_ v: JSONValue) -> [String] {
                switch v {
                case .object(let o): return (o["$ref"]?.stringValue.map { [$0] } ?? []) + o.values.flatMap(refs)
                case .array(let a): return a.flatMap(refs)
                default: return []
                }
            }
            for ref in Set(refs(doc.json)) {
                #expect(schemas[String(ref.dropFirst("#/components/schemas/".count))] != nil, "dangling \(ref)")
            }
        }
    }
}

@Suite("HTTP details")
struct HTTPDetailTests {
    @Test("a known path with the wrong method is 405 with Allow; 401 says Bearer", arguments: TestEngine.all)
    func methodNotAllowed(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let r = try await api.call(.put, "/api/v1/companies")
            #expect(r.status == .methodNotAllowed)
            #expect(r.headers[.allow] == "GET, POST")
            #expect(r.contentType == "application/problem+json")
            let followup = try await api.call(.delete, "/api/v1/conversations/needing-followup")
            #expect(followup.headers[.allow] == "GET")
            let unauthorized = try await api.get("/api/v1/contacts", as: nil)
            #expect(unauthorized.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test("tokens: a revoked token stops working at once", arguments: TestEngine.all)
    func revokedToken(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            #expect(try await api.get("/api/v1/companies", as: .member).status == .ok)
            _ = try await TokenStore(database: api.database).revoke("test-member")
            #expect(try await api.get("/api/v1/companies", as: .member).status == .unauthorized)
        }
    }
}
