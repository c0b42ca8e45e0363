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

/// A PostgreSQL primary with a real streaming replica on loopback (pg_basebackup): lists, the overview and the
/// dashboards read the replica; a record by id and every write, the primary.
@Suite("Reads that may lag go to a streaming replica")
struct ReplicaTests {
    static let available = TestEngine.postgresURL != nil && PostgresCluster.binaries != nil

    static func count(_ sql: any SQLDatabase, _ query: String) async throws -> Int {
        try await sql.raw(SQLQueryString(query)).first()!.decode(column: "n", as: Int.self)
    }

    @Test("a primary with a streaming replica serves lists and the overview from the replica", .enabled(if: available, "needs PostgreSQL's binaries (TOUCHBASE_TEST_POSTGRES_URL)"))
    func replica() async throws {
        let primary = try PostgresCluster.primary()
        let direct = try Database(location: .postgres(url: primary.url))
        try await Migrator(database: direct).upgradeAll()
        let token = try await TokenStore(database: direct).create(name: "replica", role: .admin).secret
        await direct.shutdown()
        let standby = try PostgresCluster.replica(of: primary)
        let replicaOnly = try Database(location: .postgres(url: standby.url))
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let database = try Database(location: .postgres(url: primary.url), logger: logger, replica: .postgres(url: standby.url))
        let app = Application(router: buildRouter(database: database, requestTimeout: .seconds(60)), logger: logger)
        do {
            try await app.test(.router) { client in
                func call(_ method: HTTPRequest.Method, _ path: String, _ body: JSONValue? = nil) async throws -> (HTTPResponse.Status, JSONValue) {
                    var headers: HTTPFields = [.authorization: "Bearer \(token)"]
                    if body != nil { headers[.contentType] = "application/json" }
                    return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0.serialized) }) {
                        ($0.status, (try? JSONValue.parse(String(buffer: $0.body))) ?? .null)
                    }
                }
                let (created, company) = try await call(.post, "/api/v1/companies", ["name": "Replica Works", "domain": "replica.example"])
                #expect(created == .created)
                let companyID = try #require(company["id"]?.stringValue)
                // The replica catches up with the primary.
                func replicated(_ query: String, _ expected: Int) async throws -> Bool {
                    for _ in 0..<100 {
                        if try await replicaOnly.withConnection({ try await Self.count($0, query) }) == expected { return true }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return false
                }
                #expect(try await replicated("SELECT count(*) AS n FROM companies WHERE domain = 'replica.example'", 1))
                // Replay paused: the replica stays where it is while the primary takes writes.
                try await replicaOnly.withConnection { sql in try await sql.raw("SELECT pg_wal_replay_pause()").run() }
                let (made, contact) = try await call(.post, "/api/v1/contacts", [
                    "first_name": "Rita", "last_name": "Lag", "email": "rita@replica.example", "company_id": .string(companyID),
                ])
                #expect(made == .created)
                let contactID = try #require(contact["id"]?.stringValue)
                // A record by id is the primary's: the write is read back at once.
                #expect(try await call(.get, "/api/v1/contacts/\(contactID)").0 == .ok)
                // The list and the overview are the replica's: not there yet.
                let (listed, page) = try await call(.get, "/api/v1/contacts?company_id=\(companyID)")
                #expect(listed == .ok && page["data"]?.arrayValue?.isEmpty == true)
                let (seen, overview) = try await call(.get, "/api/v1/companies/\(companyID)/overview")
                #expect(seen == .ok && overview["company"]?["total_contacts"]?.intValue == 0)
                // Replay resumed: the list catches up.
                try await replicaOnly.withConnection { sql in try await sql.raw("SELECT pg_wal_replay_resume()").run() }
                var caught = false
                for _ in 0..<100 where !caught {
                    caught = try await call(.get, "/api/v1/contacts?company_id=\(companyID)").1["data"]?.arrayValue?.count == 1
                    if !caught { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(caught)
                #expect(try await call(.get, "/api/v1/companies/\(companyID)/overview").1["company"]?["total_contacts"]?.intValue == 1)
                // The replica gone: lists are read from the primary, not refused.
                standby.stop()
                let (fallback, again) = try await call(.get, "/api/v1/contacts?company_id=\(companyID)")
                #expect(fallback == .ok && again["data"]?.arrayValue?.count == 1)
                #expect(try await call(.post, "/api/v1/contacts", ["first_name": "Ron", "last_name": "Lag", "email": "ron@replica.example"]).0 == .created)
            }
        } catch {
            await replicaOnly.shutdown()
            await database.shutdown()
            throw error
        }
        await replicaOnly.shutdown()
        await database.shutdown()
        _ = (primary, standby)
    }
}
