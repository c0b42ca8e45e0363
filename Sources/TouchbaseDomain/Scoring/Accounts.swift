import Foundation

/// Ranks catalog solutions by how much of their keywords and use cases the research mentions (seed 003).
///
/// Each keyword or use case is a phrase; it matches when every word of it appears in the research text
/// (case-insensitive). A solution's score is `matched phrases / all phrases`, 0 to 1; ties go by name.
public enum SolutionRanking {
    public struct Candidate: Sendable {
        public let id: String
        public let name: String
        public let phrases: [String]
        public init(id: String, name: String, phrases: [String]) {
            self.id = id
            self.name = name
            self.phrases = phrases
        }
    }

    public struct Ranked: Sendable {
        public let id: String
        public let name: String
        public let score: Double
        public let matched: [String]
    }

    static func words(_ text: String) -> Set<String> {
        Set(text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
    }

    public static func rank(_ candidates: [Candidate], evidence: [String]) -> [Ranked] {
        let known = words(evidence.joined(separator: " "))
        return candidates.map { c in
            let phrases = c.phrases.filter { !words($0).isEmpty }
            let matched = phrases.filter { words($0).isSubset(of: known) }
            let score = phrases.isEmpty ? 0 : Double(matched.count) / Double(phrases.count)
            return Ranked(id: c.id, name: c.name, score: (score * 1000).rounded() / 1000, matched: matched)
        }.sorted { ($0.score, $1.name) > ($1.score, $0.name) }
    }
}

/// Which titles fit the CEO, CFO and HR slots (seed 004), with a strength: 3 an exact officer title,
/// 2 a clear head of the function, 1 a related title; nil when the title does not fit.
public enum SlotSuggestion {
    static let patterns: [String: [(String, Int)]] = [
        "CEO": [("chief executive", 3), ("ceo", 3), ("founder", 2), ("president", 2), ("managing director", 2), ("owner", 1), ("general manager", 1)],
        "CFO": [("chief financial", 3), ("cfo", 3), ("vp finance", 2), ("vp of finance", 2), ("finance director", 2), ("head of finance", 2), ("controller", 1), ("treasurer", 1)],
        "HR": [("chief people", 3), ("chro", 3), ("chief human", 3), ("vp people", 2), ("head of people", 2), ("hr director", 2), ("human resources", 2), ("head of hr", 2), ("talent", 1), ("people operations", 1), ("recruit", 1), ("hr", 1)],
    ]

    public static func score(role: String, title: String?) -> Int? {
        guard let title = title?.lowercased(), let patterns = patterns[role] else { return nil }
        let tokens = " " + title.map { $0.isLetter || $0.isNumber ? $0 : " " }.map(String.init).joined() + " "
        var best: Int?
        for (pattern, strength) in patterns where tokens.contains(" " + pattern + " ") || (pattern.count > 4 && title.contains(pattern)) {
            best = max(best ?? 0, strength)
        }
        return best
    }
}

/// Percentiles by the nearest-rank method: the smallest value with at least p% of values at or below it.
public enum Percentile {
    public static func of(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
