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

/// Fisher's exact test of a 2×2 table (successes and failures of two groups), two-sided: the sum of the
/// probabilities of every table with the same margins that is no more likely than the one observed. Used where a
/// z-test's normal approximation does not hold (an expected cell count under 5).
public struct FisherExactTest: Sendable, Hashable {
    public let pValue: Double

    public init(successes1: Int, trials1: Int, successes2: Int, trials2: Int) {
        let k = successes1 + successes2
        let n = trials1 + trials2
        func logChoose(_ a: Int, _ b: Int) -> Double { lgamma(Double(a + 1)) - lgamma(Double(b + 1)) - lgamma(Double(a - b + 1)) }
        func logP(_ x: Int) -> Double { logChoose(trials1, x) + logChoose(trials2, k - x) - logChoose(n, k) }
        let observed = logP(successes1)
        var p = 0.0
        for x in max(0, k - trials2)...min(k, trials1) where logP(x) <= observed + 1e-7 { p += exp(logP(x)) }
        pValue = min(1, p)
    }
}

/// An experiment's verdict: the two best groups by rate are tested against each other — a two-proportion z-test, or
/// Fisher's exact test when an expected cell count is under 5 — and a winner is named only when each group has had at
/// least `minimumSent` sends and the difference is significant at 5%. Before that the verdict says how many more sends
/// each group needs.
public struct ExperimentVerdict: Sendable {
    public static let defaultMinimumSent = 30

    public let metric: String
    public let test: ProportionTest?
    /// `z_test` or `fisher_exact`.
    public let method: String?
    public let pValue: Double?
    public let winner: String?
    public let compared: (String, String)?
    public let minimumSent: Int
    /// Sends each group still needs before a verdict (empty once every group has enough).
    public let needed: [String: Int]

    public init(groups: [GroupCounts], metric: String, minimumSent: Int = defaultMinimumSent) {
        self.metric = metric
        self.minimumSent = minimumSent
        func successes(_ g: GroupCounts) -> Int { metric == "meetings" ? g.meetings : g.replies }
        var needed: [String: Int] = [:]
        for g in groups where g.sent < minimumSent { needed[g.group] = minimumSent - g.sent }
        self.needed = needed
        let usable = groups.filter { $0.sent > 0 }
            .sorted { Double(successes($0)) / Double($0.sent) > Double(successes($1)) / Double($1.sent) }
        guard usable.count >= 2 else {
            test = nil
            method = nil
            pValue = nil
            winner = nil
            compared = nil
            return
        }
        let (a, b) = (usable[0], usable[1])
        let t = ProportionTest(successes1: successes(a), trials1: a.sent, successes2: successes(b), trials2: b.sent)
        test = t
        compared = (a.group, b.group)
        let total = Double(a.sent + b.sent)
        let k = Double(successes(a) + successes(b))
        let smallest = min(k, total - k) * Double(min(a.sent, b.sent)) / total
        if smallest < 5 {
            method = "fisher_exact"
            pValue = FisherExactTest(successes1: successes(a), trials1: a.sent, successes2: successes(b), trials2: b.sent).pValue
        } else {
            method = "z_test"
            pValue = t?.pValue
        }
        let enough = a.sent >= minimumSent && b.sent >= minimumSent
        winner = enough && (pValue ?? 1) < 0.05 && (t?.difference ?? 0) > 0 ? a.group : nil
    }

    /// `winner_X`, `insufficient_data` (a group has fewer than `minimumSent` sends) or `inconclusive`.
    public var label: String {
        if let winner { return "winner_\(winner)" }
        if let compared, needed[compared.0] != nil || needed[compared.1] != nil { return "insufficient_data" }
        return compared == nil ? "insufficient_data" : "inconclusive"
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
