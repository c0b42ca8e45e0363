import Foundation
import Testing
import TouchbaseDomain

@Suite("Timestamps and ids")
struct TimeTests {
    @Test("formats UTC with milliseconds and parses the forms users send", arguments: [
        ("2026-11-23T01:53:19.123Z", "2026-11-23T01:53:19.123Z"),
        ("2026-11-23T01:53:19Z", "2026-11-23T01:53:19.000Z"),
        ("2026-11-23T03:53:19+02:00", "2026-11-23T01:53:19.000Z"),
        ("2026-11-22T20:53:19-0500", "2026-11-23T01:53:19.000Z"),
        ("2026-11-23 01:53:19", "2026-11-23T01:53:19.000Z"),
        ("2024-02-29", "2024-02-29T00:00:00.000Z"),
        ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
    ])
    func roundTrip(input: String, expected: String) throws {
        let date = try #require(Timestamp.parse(input))
        #expect(Timestamp.format(date) == expected)
        // The stored form is recognised as such, and only it.
        #expect(Timestamp.isCanonical(expected))
        #expect(Timestamp.isCanonical(input) == (input == expected))
    }

    @Test("rejects what is not a timestamp", arguments: [
        "", "yesterday", "2026-13-01", "2023-02-29", "2026-11-23T25:00:00Z", "2026-11-23T10:00:00Q", "0000-01-01",
        "2026-11-23T10:00:00.Z",
    ])
    func rejects(input: String) {
        #expect(Timestamp.parse(input) == nil)
    }

    @Test("UUIDv7 carries version 7, the variant bits and the time, and sorts by time")
    func uuidV7() {
        let early = UUIDv7.make(at: Date(timeIntervalSince1970: 1_700_000_000))
        let late = UUIDv7.make(at: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(early.lowercased.count == 36)
        #expect(Array(early.lowercased)[14] == "7")
        #expect("89ab".contains(Array(early.lowercased)[19]))
        #expect(early.lowercased < late.lowercased)
        #expect(early.lowercased.hasPrefix(String(1_700_000_000_000, radix: 16).leftPadded(12).prefix(8)))
        #expect(UUIDv7.make() != UUIDv7.make())
    }

    @Test("ids made one after another are strictly increasing, even within a millisecond")
    func uuidV7Monotonic() {
        let ids = (0..<20_000).map { _ in UUIDv7.make() }
        for (a, b) in zip(ids, ids.dropFirst()) where !(a.lowercased < b.lowercased) {
            Issue.record("\(a.lowercased) is not before \(b.lowercased)")
            return
        }
        #expect(ids.allSatisfy { Array($0.lowercased)[14] == "7" && "89ab".contains(Array($0.lowercased)[19]) })
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}

@Suite("Validation from the entity descriptions")
struct ValidationTests {
    @Test("emails, domains and LinkedIn URLs are normalised", arguments: [
        (Normalization.email, "  John.Smith@Acme.COM ", "john.smith@acme.com"),
        (.domain, "https://www.Acme.com/about?x=1", "acme.com"),
        (.domain, "ACME.co.uk.", "acme.co.uk"),
        (.domain, "sales@acme.io", "acme.io"),
        (.domain, "www.com", "www.com"),
        (.url, "http://linkedin.com/in/Jane-Doe/?utm=x", "https://www.linkedin.com/in/jane-doe"),
        (.url, "https://example.com/Page", "https://example.com/Page"),
    ])
    func normalises(kind: Normalization, input: String, expected: String) throws {
        #expect(try Field.normalize(input, kind) == expected)
    }

    @Test("malformed emails and domains are refused", arguments: [
        (Normalization.email, "not-an-email"), (.email, "a@b"), (.email, "a b@c.com"), (.email, "@acme.com"),
        (.domain, "localhost"), (.domain, "acme..com"), (.domain, ""),
    ])
    func refuses(kind: Normalization, input: String) {
        #expect(throws: FieldProblem.self) { try Field.normalize(input, kind) }
    }

    @Test("create needs required fields and refuses unknown, read-only and out-of-vocabulary ones")
    func createRules() {
        let e = Entities.companies
        #expect(throws: DomainError.validation([FieldIssue(field: "name", message: "is required")])) {
            try e.validate(["domain": "acme.com"], mode: .create)
        }
        let error = #expect(throws: DomainError.self) {
            try e.validate(["name": "A", "colour": "red", "total_contacts": 3, "account_tier": "gold"], mode: .create)
        }
        guard case .validation(let issues)? = error else { Issue.record("expected a validation error"); return }
        #expect(issues.map(\.field) == ["account_tier", "colour", "total_contacts"])
        #expect(issues[0].message.contains("strategic, tier1, tier2, tier3"))
    }

    @Test("types, ranges, NUL characters and field rules")
    func typesAndRules() throws {
        let contacts = Entities.contacts
        #expect(throws: DomainError.self) { try contacts.validate(["first_name": "A", "engagement_score": 101], mode: .create) }
        #expect(throws: DomainError.self) { try contacts.validate(["first_name": "A", "is_champion": "yes"], mode: .create) }
        #expect(throws: DomainError.self) { try contacts.validate(["first_name": "A\u{0}B"], mode: .create) }
        #expect(throws: DomainError.self) { try contacts.validate(["first_name": "  \n"], mode: .create) }
        #expect(throws: DomainError.self) { try contacts.validate(["first_name": "A", "interests": ["x": 1]], mode: .create) }
        let ok = try contacts.validate(["first_name": "A", "engagement_score": 50.0, "email": "A@B.COM"], mode: .create)
        #expect(ok["engagement_score"] == .int(50))
        #expect(ok["email"] == "a@b.com")
        #expect(throws: DomainError.self) { try contacts.validate(["id": .string(UUIDv7.make().lowercased)], mode: .update) }
        let same = UUIDv7.make().lowercased
        #expect(throws: DomainError.validation([FieldIssue(field: "contact_id_2", message: "must differ from contact_id_1")])) {
            try Entities.relationships.validate(["contact_id_1": .string(same), "contact_id_2": .string(same.uppercased())], mode: .create)
        }
        #expect(throws: DomainError.self) { try Entities.touchpoints.validate(["channel": "email"], mode: .create) }
        _ = try Entities.touchpoints.validate(["channel": "email", "contact_id": .string(same)], mode: .create)
    }

    @Test("JSON numbers compare by value and serialise compactly")
    func json() throws {
        #expect(JSONValue.int(95) == .double(95.0))
        #expect(JSONValue.int(95).hashValue == JSONValue.double(95.0).hashValue)
        let v: JSONValue = ["b": [1, 2.5, "x\n\"q\""], "a": nil, "c": true]
        #expect(v.serialized == #"{"a":null,"b":[1,2.5,"x\n\"q\""],"c":true}"#)
        #expect(try JSONValue.parse(v.serialized) == v)
        #expect(throws: DomainError.self) { try JSONValue.parse("{nope") }
    }
}

@Suite("Scores")
struct ScoreTests {
    @Test("rates are percent of outbound touches, one decimal", arguments: [
        (0, 0, 0.0), (1, 3, 33.3), (2, 3, 66.7), (1, 8, 12.5), (1, 6, 16.7), (3, 3, 100.0), (5, 0, 0.0),
    ])
    func percent(part: Int, whole: Int, expected: Double) {
        #expect(EngagementMetrics.percent(part, of: whole) == expected)
    }

    @Test("expansion priority adds its parts", arguments: [
        (ExpansionCandidate(strength: "strong", confidence: 1, seniority: "c-level", isDecisionMaker: true, isChampion: true, conversationState: .none), 100.0),
        (ExpansionCandidate(strength: "weak", confidence: 0, seniority: nil, isDecisionMaker: false, isChampion: false, conversationState: .active), 16.0),
        (ExpansionCandidate(strength: "medium", confidence: 0.55, seniority: "vp", isDecisionMaker: false, isChampion: false, conversationState: .inactive), 51.5),
        (ExpansionCandidate(strength: "medium", confidence: nil, seniority: "manager", isDecisionMaker: false, isChampion: false, conversationState: .none), 58.0),
    ])
    func expansion(candidate: ExpansionCandidate, expected: Double) {
        #expect(ExpansionPriority.score(candidate) == expected)
    }

    @Test("an empty account is critical, with advice for every weak part")
    func emptyAccount() {
        let h = AccountHealth(AccountHealthInput(totalContacts: 0, decisionMakers: 0, activeConversations: 0, wonConversations: 0, relationships: 0, engagement: EngagementCounts(), daysSinceLastEngagement: nil))
        #expect(h.totalScore == 0)
        #expect(h.status == "critical")
        #expect(h.recommendations.count == 5)
    }

    @Test("a thriving account is excellent and the score is capped at 100")
    func thriving() {
        let h = AccountHealth(AccountHealthInput(totalContacts: 40, decisionMakers: 3, activeConversations: 9, wonConversations: 2, relationships: 30, engagement: EngagementCounts(total: 10, outbound: 10, opened: 9, replied: 6), daysSinceLastEngagement: 1))
        #expect(h.totalScore == 100)
        #expect(h.status == "excellent")
        #expect(h.recommendations.isEmpty)
    }

    @Test("recency points by days since the last engagement", arguments: [
        (0, 20.0), (7, 20.0), (8, 15.0), (14, 15.0), (30, 10.0), (45, 5.0), (60, 5.0), (61, 0.0),
    ])
    func recency(days: Int, expected: Double) {
        let h = AccountHealth(AccountHealthInput(totalContacts: 1, decisionMakers: 0, activeConversations: 0, wonConversations: 0, relationships: 0, engagement: EngagementCounts(), daysSinceLastEngagement: days))
        #expect(h.breakdown.first { $0.name == "recency" }?.score == expected)
        #expect(h.totalScore == 3 + expected)
    }

    @Test("status thresholds", arguments: [(80.0, "excellent"), (79.9, "good"), (60.0, "good"), (40.0, "fair"), (20.0, "poor"), (19.9, "critical")])
    func status(score: Double, expected: String) {
        #expect(AccountHealth.status(for: score) == expected)
    }
}
