import Foundation

/// A contact's priority, 1-5 (seed 002's `priority_score` with its `priority_factors`).
///
/// Base from the latest ICP total: 0-2 → 1, 3-5 → 2, 6-8 → 3, 9-10 → 4, 11-12 → 5 (3 when never scored);
/// +1 when recently hired (new leaders change tools); +1 with an unexpired signal; capped at 5.
public struct Priority: Sendable, Hashable {
    public let score: Int
    public let factors: [String: JSONValue]

    public init(icpTotal: Int?, recentlyHired: Bool, activeSignals: Int) {
        let base: Int
        switch icpTotal {
        case .none: base = 3
        case .some(let t) where t <= 2: base = 1
        case .some(let t) where t <= 5: base = 2
        case .some(let t) where t <= 8: base = 3
        case .some(let t) where t <= 10: base = 4
        default: base = 5
        }
        let hired = recentlyHired ? 1 : 0
        let signals = activeSignals > 0 ? 1 : 0
        score = min(5, base + hired + signals)
        factors = [
            "icp_total": icpTotal.map { .int(Int64($0)) } ?? .null, "icp_base": .int(Int64(base)),
            "recently_hired": .int(Int64(hired)), "active_signals": .int(Int64(activeSignals)),
            "signal_bonus": .int(Int64(signals)), "formula": "min(5, icp_base + recently_hired + signal_bonus)",
        ]
    }
}
