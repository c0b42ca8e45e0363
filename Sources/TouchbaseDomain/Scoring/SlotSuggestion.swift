import Foundation

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
