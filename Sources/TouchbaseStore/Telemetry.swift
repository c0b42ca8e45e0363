import Metrics
import SQLKit
import Foundation

/// Every metric Touchbase records, named once (swift-metrics; `/metrics` exports them in the Prometheus text format).
/// Labels are short fixed vocabularies — never an id, an address or free text — so that the number of series stays
/// small whatever the data. Each metric is looked up by its label at each use (the factory keeps one per label), so
/// that a metric first used before `MetricsSystem.bootstrap` still reaches the exporter.
public enum Telemetry {
    // HTTP: by route template (`/api/v1/contacts/{id}`, never the id), method and status.
    public static func request(route: String, method: String, status: Int, seconds: Double) {
        Counter(label: "touchbase_http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))]).increment()
        Timer(label: "touchbase_http_request_duration_seconds", dimensions: [("route", route), ("method", method)])
            .recordNanoseconds(Int64(seconds * 1e9))
    }
    public static var requestsInFlight: Meter { Meter(label: "touchbase_http_requests_in_flight") }

    // The database pool: connections held by work, and requests waiting for one (SQLite writers waiting for the
    // write lock are counted apart).
    public static var connectionsInUse: Meter { Meter(label: "touchbase_db_connections_in_use") }
    public static var connectionsWaiting: Meter { Meter(label: "touchbase_db_connections_waiting") }
    public static var writersWaiting: Meter { Meter(label: "touchbase_db_writers_waiting") }

    // The job runner.
    public static var jobsQueued: Meter { Meter(label: "touchbase_jobs_queued") }
    public static var jobsRunning: Meter { Meter(label: "touchbase_jobs_running") }
    public static func job(outcome: String) {
        Counter(label: "touchbase_jobs_total", dimensions: [("outcome", outcome)]).increment()
    }

    /// Rows an import took, by what became of them (inserted, updated, skipped, failed).
    public static func importRows(_ result: String, _ count: Int) {
        guard count > 0 else { return }
        Counter(label: "touchbase_import_rows_total", dimensions: [("result", result)]).increment(by: count)
    }

    /// A send's outcome: sent, retrying, failed, uncertain.
    public static func send(_ result: String) {
        Counter(label: "touchbase_sends_total", dimensions: [("result", result)]).increment()
    }

    /// A tracking hit (open or click) by its label (human, privacy_proxy, scanner).
    public static func trackingHit(kind: String, label: String) {
        Counter(label: "touchbase_tracking_hits_total", dimensions: [("kind", kind), ("label", label)]).increment()
    }

    /// A message taken in, by kind (reply, auto_reply, …, or none when unreadable) and status.
    public static func inbound(kind: String?, status: String) {
        Counter(label: "touchbase_inbound_messages_total", dimensions: [("kind", kind ?? "none"), ("status", status)]).increment()
    }

    /// A PostgreSQL transaction run again after it lost a deadlock (or a serialization conflict).
    public static func transactionRetried() {
        Counter(label: "touchbase_db_transactions_retried_total").increment()
    }

    /// A read meant for the replica that went to the primary because the replica did not answer.
    public static func replicaFallback() {
        Counter(label: "touchbase_db_replica_fallbacks_total").increment()
    }

    /// A webhook delivery attempt's result: delivered, retrying, failed.
    public static func webhookDelivery(_ result: String) {
        Counter(label: "touchbase_webhook_deliveries_total", dimensions: [("result", result)]).increment()
    }

    /// The backlogs read when metrics are scraped, each by its index: webhook deliveries waiting, messages waiting to be
    /// assigned, import jobs queued or running.
    public static func backlogs(_ database: Database) async throws -> [(name: String, help: String, value: Int)] {
        let queries: [(String, String, String)] = [
            ("touchbase_webhook_deliveries_pending", "Webhook deliveries not yet delivered (nor failed).",
             "SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'"),
            ("touchbase_inbound_unmatched", "Inbound messages waiting for a person to assign them.",
             "SELECT count(*) AS n FROM inbound_messages WHERE status = 'unmatched'"),
            ("touchbase_import_jobs_queued", "Import jobs queued or running.", "SELECT count(*) AS n FROM imports WHERE status IN ('queued', 'running')"),
        ]
        return try await database.withConnection { sql in
            var out: [(name: String, help: String, value: Int)] = []
            for (name, help, query) in queries {
                out.append((name, help, try await sql.raw(SQLQueryString(query)).first()?.decode(column: "n", as: Int.self) ?? 0))
            }
            return out
        }
    }
}
