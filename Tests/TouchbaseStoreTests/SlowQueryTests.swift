import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit
import Testing
import TouchbaseStore
import TouchbaseTestSupport

/// Log messages kept for a test to read.
final class KeptLogs: Sendable {
    let lines = NIOLockedValueBox<[(Logger.Level, String, Logger.Metadata)]>([])

    var logger: Logger {
        Logger(label: "kept") { _ in Handler(kept: self) }
    }

    struct Handler: LogHandler {
        let kept: KeptLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            kept.lines.withLockedValue { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
        }
    }
}

@Suite("Slow-query log")
struct SlowQueryTests {
    @Test("with TOUCHBASE_SLOW_QUERY_MS a statement over the threshold is a warning with its SQL; without it nothing is logged",
          arguments: TestEngine.all)
    func slowQueries(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            for threshold in [0.0, nil, 60_000] as [Double?] {
                let kept = KeptLogs()
                let timed = try Database(location: db.location, logger: kept.logger, maxConnections: 1, slowQueryMilliseconds: threshold)
                _ = try await timed.withConnection { sql in try await sql.raw("SELECT count(*) AS n FROM contacts WHERE email = 'slow@example.com'").all() }
                await timed.shutdown()
                let slow = kept.lines.withLockedValue { $0.filter { $0.1 == "slow query" } }
                if threshold == 0 {
                    #expect(slow.count == 1)
                    #expect(slow.first?.0 == .warning)
                    #expect(slow.first?.2["sql"]?.description.contains("FROM contacts WHERE email = 'slow@example.com'") == true)
                    #expect(slow.first?.2["ms"] != nil)
                } else {
                    #expect(slow.isEmpty, "threshold \(String(describing: threshold))")
                }
            }
        }
    }
}
