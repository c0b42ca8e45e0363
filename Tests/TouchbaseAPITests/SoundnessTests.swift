import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SQLKit
import Testing
import TouchbaseAPI
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

/// Bad input that used to reach a 500, a database that is away, and writers that come all at once.
@Suite("Sound under bad input, faults and concurrency")
struct SoundnessTests {
    @Test("over-long keys are 422 on both engines, naming the field; an oversized body is 413; nothing is stored", arguments: TestEngine.all)
    func limits(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let long = String(repeating: "ü", count: 1_500)  // 3,000 bytes: over PostgreSQL's B-tree entry limit
            let company = try await api.call(.post, "/api/v1/companies", ["name": .string(long)])
            #expect(company.status == .unprocessableContent, "\(company.text)")
            #expect(company["errors"].arrayValue?.first?["field"] == "name")
            let contact = try await api.call(.post, "/api/v1/contacts", ["first_name": "Ann", "email": .string(String(repeating: "a", count: 2_990) + "@example.com")])
            #expect(contact.status == .unprocessableContent, "\(contact.text)")
            #expect(contact["errors"].arrayValue?.first?["field"] == "email")
            let fine = try await api.call(.post, "/api/v1/companies", ["name": .string(String(repeating: "ü", count: 1_000))])
            #expect(fine.status == .created, "\(fine.text)")
            let big = "{\"name\": \"" + String(repeating: "x", count: 11 * 1024 * 1024) + "\"}"
            let tooLarge = try await api.call(.post, "/api/v1/companies", raw: big)
            #expect(tooLarge.status == .contentTooLarge, "\(tooLarge.status)")
            #expect(tooLarge.contentType == "application/problem+json")
            let count = try await api.database.withConnection { sql in
                try await sql.raw("SELECT count(*) AS n FROM companies").first()!.decode(column: "n", as: Int.self)
            }
            #expect(count == 1)
        }
    }

    @Test("8 writers at once are all answered, with every counter exact", arguments: TestEngine.all)
    func concurrentWriters(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let contact = try await api.call(.post, "/api/v1/contacts", ["first_name": "Ann", "email": "ann@acme.example"]).id
            let conversation = try await api.call(.post, "/api/v1/conversations", ["contact_id": .string(contact)]).id
            let statuses = try await withThrowingTaskGroup(of: [HTTPResponse.Status].self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        var statuses: [HTTPResponse.Status] = []
                        for n in 0..<15 {
                            let reply = try await api.call(.post, "/api/v1/touchpoints", [
                                "conversation_id": .string(conversation), "channel": "email", "subject": .string("w\(writer) n\(n)"),
                            ])
                            statuses.append(reply.status)
                        }
                        return statuses
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.count == 120)
            #expect(statuses.allSatisfy { $0 == .created }, "\(Set(statuses.map(\.code)))")
            #expect(try await api.call(.get, "/api/v1/conversations/\(conversation)")["touchpoint_count"] == 120)
            #expect(try await api.call(.get, "/api/v1/contacts/\(contact)")["total_touchpoints"] == 120)
        }
    }

    @Test("a database that cannot be reached is 503 with Retry-After, at once")
    func unreachable() async throws {
        // Nothing listens on port 9 of this machine: every connection is refused.
        let db = try Database(location: .postgres(url: "postgres://postgres@127.0.0.1:9/none"), logger: Logger(label: "test"))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = Application(router: buildRouter(database: db, importsDirectory: nil), logger: logger)
        try await app.test(.router) { client in
            let started = ContinuousClock.now
            try await client.execute(uri: "/api/v1/companies", method: .get, headers: [.authorization: "Bearer tb_0123456789abcdef0123456789abcdef"]) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == String(Problem.retryAfterSeconds))
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            #expect(ContinuousClock.now - started < .seconds(15))
        }
        await db.shutdown()
    }

    @Test("a write stuck behind another program's lock is answered 503 at its deadline and never lands afterwards")
    func deadline() async throws {
        try await TestEngine.sqlite.withDatabase { db in
            let token = try await TokenStore(database: db).create(name: "deadline", role: .admin).secret
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let app = Application(router: buildRouter(database: db, importsDirectory: nil, requestTimeout: .milliseconds(700)), logger: logger)
            // Another program holds SQLite's write lock for two seconds.
            let other = try Database(location: db.location, logger: Logger(label: "other"), maxConnections: 1)
            let locked = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await other.withConnection { sql in
                    try await sql.raw("BEGIN IMMEDIATE").run()
                    locked.continuation.yield()
                    try await Task.sleep(for: .seconds(2))
                    try await sql.raw("ROLLBACK").run()
                }
            }
            for await _ in locked.stream { break }
            try await app.test(.router) { client in
                let body = ByteBuffer(string: #"{"name": "Late Corp"}"#)
                try await client.execute(
                    uri: "/api/v1/companies", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: body
                ) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.retryAfter] != nil)
                }
            }
            try await holder.value
            try await Task.sleep(for: .seconds(1))
            let count = try await db.withConnection { sql in
                try await sql.raw("SELECT count(*) AS n FROM companies WHERE name = 'Late Corp'").first()!.decode(column: "n", as: Int.self)
            }
            #expect(count == 0)
            await other.shutdown()
        }
    }

    @Test("writes cut off at a very short deadline leave no connection in a transaction, and the counters exact", arguments: TestEngine.all)
    func cancelledWrites(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let token = try await TokenStore(database: db).create(name: "short", role: .admin).secret
            let store = RecordStore(database: db)
            let contact = try await store.create(Entities.contacts, ["first_name": "Ann"]).id
            let conversation = try await store.create(Entities.conversations, ["contact_id": .string(contact.lowercased)]).id
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let app = Application(router: buildRouter(database: db, importsDirectory: nil, requestTimeout: .milliseconds(15)), logger: logger)
            try await app.test(.router) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            for _ in 0..<25 {
                                let body = ByteBuffer(string: #"{"conversation_id": "\#(conversation.lowercased)", "channel": "email"}"#)
                                try await client.execute(
                                    uri: "/api/v1/touchpoints", method: .post,
                                    headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: body
                                ) { response in
                                    #expect(response.status == .created || response.status == .serviceUnavailable, "\(String(buffer: response.body))")
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await Task.sleep(for: .seconds(1))
            // Every connection of the pool is clean: new writes go in, and what is counted is what is stored.
            for _ in 0..<8 { _ = try await store.create(Entities.touchpoints, ["conversation_id": .string(conversation.lowercased), "channel": "email"]) }
            let stored = try await store.select(Entities.touchpoints, where: [("conversation_id", .string(conversation.lowercased))]).count
            #expect(try await store.get(Entities.conversations, conversation).int("touchpoint_count") == stored)
            #expect(try await store.get(Entities.contacts, contact).int("total_touchpoints") == stored)
        }
    }
}
