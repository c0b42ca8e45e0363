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
