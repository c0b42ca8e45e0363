import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

@Suite("A PostgreSQL deadlock costs a retry, not a request")
struct DeadlockTests {
    @Test("two transactions locking two rows in opposite orders both commit, each once", .enabled(if: TestEngine.postgresURL != nil, "needs TOUCHBASE_TEST_POSTGRES_URL"))
    func deadlock() async throws {
        try await TestEngine.postgres.withDatabase { database in
            let store = RecordStore(database: database)
            let a = try await store.create(Entities.companies, ["name": "Alpha", "domain": "alpha-lock.example"]).id
            let b = try await store.create(Entities.companies, ["name": "Beta", "domain": "beta-lock.example"]).id
            let d = database.dialect
            @Sendable func cross(_ first: UUID, _ second: UUID, _ mark: String) async throws {
                try await database.transaction { sql in
                    try await sql.raw("UPDATE companies SET name = name || \(bind: mark) WHERE id = \(d.bind(first))").run()
                    // Long enough for the other to take its first row: then each waits for the other's.
                    try await Task.sleep(for: .milliseconds(400))
                    try await sql.raw("UPDATE companies SET name = name || \(bind: mark) WHERE id = \(d.bind(second))").run()
                }
            }
            async let one: Void = cross(a, b, "1")
            async let two: Void = cross(b, a, "2")
            _ = try await (one, two)
            let names = try await [store.get(Entities.companies, a), store.get(Entities.companies, b)].map { $0.string("name") ?? "" }
            for name in names {
                #expect(name.filter { $0 == "1" }.count == 1 && name.filter { $0 == "2" }.count == 1, "\(names)")
            }
        }
    }
}
