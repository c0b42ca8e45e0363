import Foundation
import SQLKit
import TouchbaseDomain

/// What LLM calls cost, summed (seed 003).
public struct LLMUsageRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    /// Token and cost sums, call counts and p50/p95 latency per workflow, node, model or day since a time.
    public func llmSummary(groupBy: String, since: Date?) async throws -> [JSONValue] {
        let keys = ["workflow": "workflow_name", "node": "node_name", "model": "model", "day": "created_at"]
        guard let column = keys[groupBy] else {
            throw DomainError.invalid("group_by", "must be one of workflow, node, model, day; got '\(groupBy)'")
        }
        var condition = SQLQueryString("1 = 1")
        if let since { condition += " AND t.created_at >= \(dialect.bind(.string(Timestamp.format(since)), as: .timestamp))" }
        let rows = try await store.view(Entities.llmUsage, where: condition, order: "t.created_at, t.id", alias: "t")
        var groups: [String: [Record]] = [:]
        for r in rows {
            let key = groupBy == "day" ? String((r.string(column) ?? "").prefix(10)) : (r.string(column) ?? "")
            groups[key, default: []].append(r)
        }
        return groups.keys.sorted().map { key in
            let g = groups[key]!
            let latencies = g.map { Double($0.int("latency_ms")) }
            let cost = g.reduce(0.0) { $0 + ($1.double("cost") ?? 0) }
            return [
                "key": .string(key), "calls": .int(Int64(g.count)),
                "prompt_tokens": .int(Int64(g.reduce(0) { $0 + $1.int("prompt_tokens") })),
                "completion_tokens": .int(Int64(g.reduce(0) { $0 + $1.int("completion_tokens") })),
                "total_tokens": .int(Int64(g.reduce(0) { $0 + $1.int("total_tokens") })),
                "cost": .double((cost * 1_000_000).rounded() / 1_000_000),
                "latency_p50_ms": Percentile.of(latencies, 50).map { .double($0) } ?? .null,
                "latency_p95_ms": Percentile.of(latencies, 95).map { .double($0) } ?? .null,
            ]
        }
    }
}
