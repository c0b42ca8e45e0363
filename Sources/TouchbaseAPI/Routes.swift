import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseImport
import TouchbaseService
import TouchbaseStore

/// Every route of the API: the operations' endpoints, the slot assignment and listing, imports and the derived resources.
enum Routes {
    /// Reads besides the resources' lists that may be a moment stale, served by the read replica when there is one
    /// (a record by id, and everything a write answers, always come from the primary).
    static let staleReads: Set<String> = [
        "getAccountOverview", "getAccountHealth", "getToday", "getDataQuality", "summarizeLLMUsage", "listFollowupsDue",
        "listConversationsNeedingFollowup",
    ]

    static func all(
        database: Database, importsDirectory: URL? = nil, maxUpload: Int = ServerSettings.defaultMaxUpload, jobs runner: JobRunner? = nil
    ) -> [Endpoint] {
        let store = RecordStore(database: database)

        var endpoints: [Endpoint] = [
            Endpoint(.get, "/health", "health", "Liveness and database check", tag: "system", access: nil, response: OpenAPI.ref("Health"))
            { _, _ in
                try await database.ping()
                return HTTP.json(["status": "ok", "database": .string(database.engine.rawValue)])
            },
            MetricsExport.endpoint(database: database),
        ]
        // The operations' endpoints come before the resources, so that their constant paths are matched first.
        endpoints += operations(Catalogue(database: database))
        endpoints += slots(database: database)
        endpoints += inbound(database: database)
        endpoints += imports(database: database, jobs: ImportJobs(database: database, directory: importsDirectory, runner: runner), maxUpload: maxUpload)
        for entity in Entities.all {
            endpoints += Resources.endpoints(entity, store: store, writes: Writes(database: database))
        }
        let resourceLists = Set(Entities.all.map { "list\($0.schemaName)s" })
        for i in endpoints.indices where resourceLists.contains(endpoints[i].operationID) || staleReads.contains(endpoints[i].operationID) {
            endpoints[i].readsMayLag = true
        }
        return endpoints
    }
}
