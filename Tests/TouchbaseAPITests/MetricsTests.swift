import Foundation
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

@Suite("Metrics at /metrics in the Prometheus text format")
struct MetricsTests {
    /// The value of one series (`name{labels}`) in an exposition text, or nil.
    static func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test("requests by route template and status, the pool, the backlogs; an admin token's", arguments: TestEngine.all)
    func scrape(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            #expect(try await api.get("/metrics", as: nil).status == .unauthorized)
            #expect(try await api.get("/metrics", as: .member).status == .forbidden)
            let company = try await api.post("/api/v1/companies", ["name": "Metric Works", "domain": "metric.example"])
            let before = try await api.get("/metrics")
            // A route and status no other test asks for (tests share the process's metrics): deleting unknown webhooks.
            let series = #"touchbase_http_requests_total{route="/api/v1/webhooks/{id}",method="DELETE",status="404"}"#
            let was = Self.value(before.text, series) ?? 0
            for _ in 0..<3 { #expect(try await api.call(.delete, "/api/v1/webhooks/\(UUID().uuidString.lowercased())").status == .notFound) }
            #expect(try await api.get("/api/v1/companies/\(company.id)").status == .ok)
            _ = try await api.get("/no/such/path/\(UUID().uuidString)")
            let after = try await api.get("/metrics")
            #expect(after.status == .ok && after.contentType.hasPrefix("text/plain; version=0.0.4"))
            #expect(Self.value(after.text, series) == was + 3)
            #expect((Self.value(after.text, #"touchbase_http_requests_total{route="/api/v1/companies/{id}",method="GET",status="200"}"#) ?? 0) >= 1)
            // Ids and unknown paths never become labels.
            #expect(!after.text.contains(company.id) && after.text.contains(#"route="unmatched""#))
            #expect(after.text.contains(#"touchbase_http_request_duration_seconds_bucket{route="/api/v1/companies/{id}",method="GET",le="#))
            for name in ["touchbase_db_connections_in_use", "touchbase_db_connections_waiting", "touchbase_http_requests_in_flight",
                         "touchbase_webhook_deliveries_pending", "touchbase_inbound_unmatched", "touchbase_import_jobs_queued"] {
                #expect(after.text.contains("\n\(name) ") || after.text.hasPrefix("\(name) ") || after.text.contains("# TYPE \(name) "), "\(name)")
            }
            #expect(Self.value(after.text, "touchbase_database_up") == 1)
            // A webhook's waiting delivery is counted at the next scrape.
            _ = try await api.post("/api/v1/webhooks", ["url": "http://127.0.0.1:9/x", "event_types": ["contact.created"]])
            _ = try await api.post("/api/v1/contacts", ["first_name": "Mo", "last_name": "Tric", "email": "mo@metric.example"])
            #expect(Self.value(try await api.get("/metrics").text, "touchbase_webhook_deliveries_pending") == 1)
        }
    }
}
