import Foundation

/// Counts of one experiment group, computed from its batches.
public struct GroupCounts: Sendable, Hashable {
    public var group: String
    public var prospects: Int
    public var sent: Int
    public var replies: Int
    public var meetings: Int
    public var opportunities: Int

    public init(group: String, prospects: Int, sent: Int, replies: Int, meetings: Int, opportunities: Int) {
        self.group = group
        self.prospects = prospects
        self.sent = sent
        self.replies = replies
        self.meetings = meetings
        self.opportunities = opportunities
    }
}

/// A two-sided two-proportion z-test and the 95% interval of the difference.
///
/// `z = (p1 − p2) / √(p̂(1 − p̂)(1/n1 + 1/n2))` with the pooled `p̂`; `p = erfc(|z| / √2)`;
/// interval `(p1 − p2) ± 1.96 × √(p1(1 − p1)/n1 + p2(1 − p2)/n2)` (Wald, unpooled).
public struct ProportionTest: Sendable, Hashable {
    public let rate1: Double
    public let rate2: Double
    public let difference: Double
    public let z: Double
    public let pValue: Double
    public let lower: Double
    public let upper: Double

    public init?(successes1: Int, trials1: Int, successes2: Int, trials2: Int) {
        guard trials1 > 0, trials2 > 0 else { return nil }
        let n1 = Double(trials1)
        let n2 = Double(trials2)
        let p1 = Double(successes1) / n1
        let p2 = Double(successes2) / n2
        let pooled = Double(successes1 + successes2) / (n1 + n2)
        let se = (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).squareRoot()
        rate1 = p1
        rate2 = p2
        difference = p1 - p2
        z = se > 0 ? (p1 - p2) / se : 0
        pValue = se > 0 ? erfc(abs(z) / 2.0.squareRoot()) : 1
        let seDiff = (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2).squareRoot()
        lower = difference - 1.959964 * seDiff
        upper = difference + 1.959964 * seDiff
    }

    public var significant: Bool { pValue < 0.05 }

    public var json: JSONValue {
        func r(_ x: Double, _ digits: Double = 10_000) -> JSONValue { .double((x * digits).rounded() / digits) }
        return [
            "rate_1": r(rate1), "rate_2": r(rate2), "difference": r(difference), "z": r(z, 1000),
            "p_value": r(pValue, 1_000_000), "ci95_lower": r(lower), "ci95_upper": r(upper), "significant": .bool(significant),
        ]
    }
}

/// An experiment's verdict: the two best groups by rate are tested against each other; a winner is named only
/// when the difference is significant at 5%, otherwise the verdict is `inconclusive`.
public struct ExperimentVerdict: Sendable {
    public let metric: String
    public let test: ProportionTest?
    public let winner: String?
    public let compared: (String, String)?

    public init(groups: [GroupCounts], metric: String) {
        self.metric = metric
        func successes(_ g: GroupCounts) -> Int { metric == "meetings" ? g.meetings : g.replies }
        let usable = groups.filter { $0.sent > 0 }
            .sorted { Double(successes($0)) / Double($0.sent) > Double(successes($1)) / Double($1.sent) }
        guard usable.count >= 2 else {
            test = nil
            winner = nil
            compared = nil
            return
        }
        let (a, b) = (usable[0], usable[1])
        let t = ProportionTest(successes1: successes(a), trials1: a.sent, successes2: successes(b), trials2: b.sent)
        test = t
        compared = (a.group, b.group)
        winner = (t?.significant ?? false) && (t?.difference ?? 0) > 0 ? a.group : nil
    }
}

/// Balanced, reproducible A/B(/C) assignment: a seeded shuffle, then groups dealt in turn,
/// so group sizes differ by at most one and the same seed always gives the same groups.
public enum GroupAssignment {
    public static func assign<T>(_ items: [T], groups: [String], seed: UInt64) -> [(T, String)] {
        var rng = SplitMix64(seed: seed)
        var shuffled = items
        if shuffled.count > 1 {
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                shuffled.swapAt(i, j)
            }
        }
        return shuffled.enumerated().map { ($1, groups[$0 % groups.count]) }
    }
}

/// SplitMix64: a tiny, well-mixed, seedable generator (Steele, Lea and Flood, 2014).
public struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
