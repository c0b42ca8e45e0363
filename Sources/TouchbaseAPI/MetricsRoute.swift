import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import TouchbaseDomain
import TouchbaseStore

/// The process's metrics in the Prometheus text format (version 0.0.4): what every part records through swift-metrics
/// (`Telemetry`), plus the backlogs read from the database when scraped.
public enum MetricsExport {
    public static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        ]
        MetricsSystem.bootstrap(factory)
    }()

    /// Makes swift-metrics record into `registry`; once per process (later calls do nothing).
    public static func bootstrap() { _ = bootstrapped }

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The exposition text, with the database's backlogs read now: webhook deliveries waiting, messages waiting to be
    /// assigned, import jobs queued.
    public static func scrape(_ database: Database) async -> [UInt8] {
        bootstrap()
        let up = registry.makeGauge(descriptor: .init(metricName: "touchbase_database_up", unitName: "", helpText: "1 when the database answered the scrape's reads."))
        do {
            for backlog in try await Telemetry.backlogs(database) {
                registry.makeGauge(descriptor: .init(metricName: backlog.name, unitName: "", helpText: backlog.help)).set(to: Double(backlog.value))
            }
            up.set(to: 1.0)
        } catch {
            up.set(to: 0.0)
        }
        return registry.emitToBuffer()
    }

    static func response(_ database: Database) async -> Response {
        let bytes = await scrape(database)
        return Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The `/metrics` endpoint of the API: an admin token's.
    static func endpoint(database: Database) -> Endpoint {
        var endpoint = Endpoint(
            .get, "/metrics", "getMetrics", "Metrics in the Prometheus text format (an admin token; or TOUCHBASE_METRICS_PORT without one)",
            tag: "system", access: .admin
        ) { _, _ in await response(database) }
        endpoint.successContent = [contentType: ["schema": ["type": "string"]]]
        return endpoint
    }

    /// A listener of its own for `/metrics` alone, without a token (`TOUCHBASE_METRICS_PORT`), for a Prometheus on the
    /// same machine or network: bind it to loopback unless the network is trusted.
    public static func application(database: Database, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in await response(database) }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "touchbase-metrics"), logger: logger)
    }
}
