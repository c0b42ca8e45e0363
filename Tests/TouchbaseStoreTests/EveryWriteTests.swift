import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

/// The holds, the contact of a touch's conversation, the counters a move changes and the append-only audit log, on
/// every write path: the store's update (what the API's PATCH runs) and plain SQL.
@Suite("Rules hold on every write")
struct EveryWriteTests {
    struct World {
        let db: Database
        let store: RecordStore
        let ann: UUID, bob: UUID, dnc: UUID, red: UUID
        let convAnn: UUID, convBob: UUID, convDnc: UUID, convRed: UUID

        static func make(_ db: Database) async throws -> World {
            let store = RecordStore(database: db)
            let company = try await store.create(Entities.companies, ["name": "Acme", "domain": "acme.example"]).id
            func person(_ name: String, _ extra: [String: JSONValue] = [:]) async throws -> UUID {
                var input: [String: JSONValue] = ["first_name": .string(name), "company_id": .string(company.lowercased),
                                                  "email": .string("\(name.lowercased())@acme.example")]
                for (k, v) in extra { input[k] = v }
                return try await store.create(Entities.contacts, input).id
            }
            let ann = try await person("Ann"), bob = try await person("Bob")
            let dnc = try await person("Dana", ["do_not_contact": true])
            let red = try await person("Rae")
            _ = try await SlotRepository(database: db).verify(contactID: red, ["email_status": "red"])
            func conversation(_ contact: UUID) async throws -> UUID {
                try await store.create(Entities.conversations, ["contact_id": .string(contact.lowercased)]).id
            }
            return World(
                db: db, store: store, ann: ann, bob: bob, dnc: dnc, red: red, convAnn: try await conversation(ann),
                convBob: try await conversation(bob), convDnc: try await conversation(dnc), convRed: try await conversation(red))
        }

        func touch(_ conversation: UUID, direction: String = "outbound", channel: String = "email", sentAt: String? = nil) async throws -> UUID {
            var input: [String: JSONValue] = ["conversation_id": .string(conversation.lowercased), "direction": .string(direction), "channel": .string(channel)]
            if let sentAt { input["sent_at"] = .string(sentAt) }
            return try await store.create(Entities.touchpoints, input).id
        }

        func sql(_ text: String) async throws {
            try await db.withConnection { sql in try await sql.raw(SQLQueryString(text)).run() }
        }

        func count(_ table: String, _ column: String, _ id: UUID) async throws -> Int {
            Int(try await store.get(Entities.named(table)!, id)[column].intValue ?? -99)
        }
    }

    /// The two write paths: the store's update and a plain SQL UPDATE of the same column.
    static func update(_ w: World, _ touch: UUID, _ column: String, _ value: String, viaSQL: Bool) async throws {
        if viaSQL {
            try await w.sql("UPDATE touchpoints SET \(column) = '\(value)' WHERE id = '\(touch.lowercased)'")
        } else {
            _ = try await w.store.update(Entities.touchpoints, touch, [column: .string(value)])
        }
    }

    static func refusal(_ error: any Error) -> String {
        switch error {
        case DomainError.refused(let m): return m
        case DomainError.validation(let issues): return issues.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        default: return "unexpected: \(error)"
        }
    }

    @Test("the do-not-contact and red-email holds refuse an UPDATE as they refuse an INSERT", arguments: TestEngine.all, [false, true])
    func holds(engine: TestEngine, viaSQL: Bool) async throws {
        try await engine.withDatabase { db in
            let w = try await World.make(db)
            // Inbound from a do-not-contact contact is fine; turning it outbound is not.
            let inbound = try await w.touch(w.convDnc, direction: "inbound")
            await #expect { try await Self.update(w, inbound, "direction", "outbound", viaSQL: viaSQL) } throws: {
                Self.refusal($0).contains("do_not_contact")
            }
            // An outbound email moved into a do-not-contact contact's conversation.
            let outbound = try await w.touch(w.convAnn)
            await #expect { try await Self.update(w, outbound, "conversation_id", w.convDnc.lowercased, viaSQL: viaSQL) } throws: {
                Self.refusal($0).contains("do_not_contact")
            }
            // A LinkedIn message to a red email is fine; switching it to email is not.
            let linkedin = try await w.touch(w.convRed, channel: "linkedin")
            await #expect { try await Self.update(w, linkedin, "channel", "email", viaSQL: viaSQL) } throws: {
                Self.refusal($0).contains("email_status_red")
            }
            // Nothing was changed by the refused writes.
            #expect(try await w.store.get(Entities.touchpoints, inbound).string("direction") == "inbound")
            #expect(try await w.store.get(Entities.touchpoints, outbound).uuid("conversation_id") == w.convAnn)
            #expect(try await w.store.get(Entities.touchpoints, linkedin).string("channel") == "linkedin")
            // A write that leaves direction, channel and contact alone is not refused: an open on an old email to a
            // contact marked do-not-contact since.
            _ = try await w.store.update(Entities.contacts, w.ann, ["do_not_contact": true])
            try await Self.update(w, outbound, "opened_at", "2026-11-30T10:00:00Z", viaSQL: viaSQL)
        }
    }

    @Test("a touch's contact is its conversation's contact", arguments: TestEngine.all, [false, true])
    func contactOfConversation(engine: TestEngine, viaSQL: Bool) async throws {
        try await engine.withDatabase { db in
            let w = try await World.make(db)
            if viaSQL {
                await #expect {
                    try await w.sql("INSERT INTO touchpoints (id, conversation_id, contact_id, channel) VALUES ('\(UUIDv7.make().lowercased)', '\(w.convAnn.lowercased)', '\(w.bob.lowercased)', 'email')")
                } throws: { Self.refusal($0).hasPrefix("contact_id:") }
            } else {
                await #expect {
                    _ = try await w.store.create(Entities.touchpoints, [
                        "conversation_id": .string(w.convAnn.lowercased), "contact_id": .string(w.bob.lowercased), "channel": "email",
                    ])
                } throws: { Self.refusal($0).hasPrefix("contact_id:") }
            }
            let touch = try await w.touch(w.convAnn)
            await #expect { try await Self.update(w, touch, "contact_id", w.bob.lowercased, viaSQL: viaSQL) } throws: {
                Self.refusal($0).hasPrefix("contact_id:")
            }
            #expect(try await w.store.get(Entities.touchpoints, touch).uuid("contact_id") == w.ann)
        }
    }

    @Test("moving a touch moves every counter and last time that depends on it; deleting it after leaves none at -1",
          arguments: TestEngine.all, [false, true])
    func moves(engine: TestEngine, viaSQL: Bool) async throws {
        try await engine.withDatabase { db in
            let w = try await World.make(db)
            let early = try await w.touch(w.convAnn, sentAt: "2026-11-01T09:00:00Z")
            let late = try await w.touch(w.convAnn, sentAt: "2026-11-20T09:00:00Z")
            #expect(try await w.count("conversations", "touchpoint_count", w.convAnn) == 2)
            try await Self.update(w, late, "conversation_id", w.convBob.lowercased, viaSQL: viaSQL)
            let moved = try await w.store.get(Entities.touchpoints, late)
            #expect(moved.uuid("contact_id") == w.bob)
            #expect(try await w.count("conversations", "touchpoint_count", w.convAnn) == 1)
            #expect(try await w.count("conversations", "touchpoint_count", w.convBob) == 1)
            #expect(try await w.count("contacts", "total_touchpoints", w.ann) == 1)
            #expect(try await w.count("contacts", "total_touchpoints", w.bob) == 1)
            let convAnn = try await w.store.get(Entities.conversations, w.convAnn)
            #expect(convAnn.string("last_touchpoint_at")?.hasPrefix("2026-11-01") == true)
            #expect(try await w.store.get(Entities.conversations, w.convBob).string("last_touchpoint_at")?.hasPrefix("2026-11-20") == true)
            #expect(try await w.store.get(Entities.contacts, w.ann).string("last_engaged_at")?.hasPrefix("2026-11-01") == true)
            #expect(try await w.store.get(Entities.contacts, w.bob).string("stage") == "sent")
            try await w.store.delete(Entities.touchpoints, late)
            try await w.store.delete(Entities.touchpoints, early)
            for (table, column, id) in [("conversations", "touchpoint_count", w.convAnn), ("conversations", "touchpoint_count", w.convBob),
                                        ("contacts", "total_touchpoints", w.ann), ("contacts", "total_touchpoints", w.bob)] {
                #expect(try await w.count(table, column, id) == 0, "\(table).\(column)")
            }
        }
    }

    @Test("a conversation given to another contact takes its touches and their counts along", arguments: TestEngine.all)
    func conversationMoves(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = try await World.make(db)
            let touch = try await w.touch(w.convAnn)
            _ = try await w.store.update(Entities.conversations, w.convAnn, ["contact_id": .string(w.bob.lowercased)])
            #expect(try await w.store.get(Entities.touchpoints, touch).uuid("contact_id") == w.bob)
            #expect(try await w.count("contacts", "total_touchpoints", w.ann) == 0)
            #expect(try await w.count("contacts", "total_touchpoints", w.bob) == 1)
        }
    }

    @Test("the audit log refuses INSERT OR REPLACE (SQLite) and an upsert (both) over an existing row", arguments: TestEngine.all)
    func auditReplace(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let w = try await World.make(db)
            let before = try await db.withConnection { sql in
                try await sql.raw("SELECT id, action FROM audit_log ORDER BY id LIMIT 1").first()!.decode(column: "action", as: String.self)
            }
            let rewrite = db.engine == .sqlite
                ? "INSERT OR REPLACE INTO audit_log (id, table_name, record_id, action, changed_by) SELECT id, 'x', record_id, 'delete', 'sql' FROM audit_log ORDER BY id LIMIT 1"
                : "INSERT INTO audit_log (id, table_name, record_id, action, changed_by) SELECT id, 'x', record_id, 'delete', 'sql' FROM audit_log ORDER BY id LIMIT 1 ON CONFLICT (id) DO UPDATE SET action = 'delete'"
            await #expect { try await w.sql(rewrite) } throws: { Self.refusal($0).contains("append-only") }
            if db.engine == .sqlite {
                let upsert = "INSERT INTO audit_log (id, table_name, record_id, action, changed_by) SELECT id, 'x', record_id, 'delete', 'sql' FROM audit_log WHERE 1 ORDER BY id LIMIT 1 ON CONFLICT (id) DO UPDATE SET action = 'delete'"
                await #expect { try await w.sql(upsert) } throws: { Self.refusal($0).contains("append-only") }
            }
            let after = try await db.withConnection { sql in
                try await sql.raw("SELECT id, action FROM audit_log ORDER BY id LIMIT 1").first()!.decode(column: "action", as: String.self)
            }
            #expect(before == after)
        }
    }
}
