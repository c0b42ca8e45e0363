import Foundation

/// What an ICP score is computed against (seed 002's ICP: titles, verticals, size, seniority, QA ownership).
public struct ICPProfile: Sendable, Hashable {
    public var exactTitles: [String]
    public var primaryTitles: [String]
    public var secondaryTitles: [String]
    public var topVerticals: [String]
    public var adjacentVerticals: [String]
    public var sweetSpot: ClosedRange<Int>
    public var acceptable: ClosedRange<Int>
    public var seniorityMap: [String: Int]
    public var qaOwnershipKeywords: [String]
    public var version: String

    public init(
        exactTitles: [String], primaryTitles: [String], secondaryTitles: [String], topVerticals: [String],
        adjacentVerticals: [String], sweetSpot: ClosedRange<Int>, acceptable: ClosedRange<Int>, seniorityMap: [String: Int],
        qaOwnershipKeywords: [String], version: String
    ) {
        self.exactTitles = exactTitles
        self.primaryTitles = primaryTitles
        self.secondaryTitles = secondaryTitles
        self.topVerticals = topVerticals
        self.adjacentVerticals = adjacentVerticals
        self.sweetSpot = sweetSpot
        self.acceptable = acceptable
        self.seniorityMap = seniorityMap
        self.qaOwnershipKeywords = qaOwnershipKeywords
        self.version = version
    }

    /// Seniority points when the profile does not say: director and above 2, manager 1, others 0.
    public static let defaultSeniority: [String: Int] = ["c-level": 2, "vp": 2, "director": 2, "manager": 1, "individual_contributor": 0]
}

/// The facts about a contact and its company that the ICP score reads.
public struct ICPSubject: Sendable, Hashable {
    public var title: String?
    public var personaType: String?
    public var seniority: String?
    public var industry: String?
    public var subIndustry: String?
    public var employeeCount: Int?
    public var buyerIntent: Bool

    public init(
        title: String?, personaType: String?, seniority: String?, industry: String?, subIndustry: String?,
        employeeCount: Int?, buyerIntent: Bool
    ) {
        self.title = title
        self.personaType = personaType
        self.seniority = seniority
        self.industry = industry
        self.subIndustry = subIndustry
        self.employeeCount = employeeCount
        self.buyerIntent = buyerIntent
    }
}

/// Seed 002's 0-12 ICP composite, exactly as its columns define it.
///
/// - `title_match` 0-3: 3 when the title equals an exact title, 2 when it contains a primary keyword,
///   1 when it contains a secondary keyword, else 0 (case-insensitive);
/// - `vertical_match` 0-2: 2 when the industry (or sub-industry) is a top vertical, 1 when adjacent;
/// - `company_size_fit` 0-2: 2 inside the sweet spot, 1 inside the acceptable range, 0 otherwise or unknown;
/// - `seniority_fit` 0-2: from the profile's seniority map (default: director and above 2, manager 1);
/// - `software_qa_confirmed` 0-1: the title or persona contains a QA-ownership keyword;
/// - `buyer_intent_bonus` +2 when the company shows buyer intent.
public struct ICPScore: Sendable, Hashable {
    public let titleMatch: Int
    public let verticalMatch: Int
    public let companySizeFit: Int
    public let seniorityFit: Int
    public let softwareQAConfirmed: Bool
    public let buyerIntentBonus: Int

    public var total: Int { titleMatch + verticalMatch + companySizeFit + seniorityFit + (softwareQAConfirmed ? 1 : 0) + buyerIntentBonus }

    public init(profile p: ICPProfile, subject s: ICPSubject) {
        func norm(_ x: String?) -> String { (x ?? "").lowercased().trimmed }
        let title = norm(s.title)
        func containsAny(_ text: String, _ words: [String]) -> Bool {
            !text.isEmpty && words.contains { !norm($0).isEmpty && text.contains(norm($0)) }
        }
        if !title.isEmpty && p.exactTitles.contains(where: { norm($0) == title }) {
            titleMatch = 3
        } else if containsAny(title, p.primaryTitles) {
            titleMatch = 2
        } else if containsAny(title, p.secondaryTitles) {
            titleMatch = 1
        } else {
            titleMatch = 0
        }
        let verticals = [norm(s.industry), norm(s.subIndustry)].filter { !$0.isEmpty }
        if verticals.contains(where: { v in p.topVerticals.contains { norm($0) == v } }) {
            verticalMatch = 2
        } else if verticals.contains(where: { v in p.adjacentVerticals.contains { norm($0) == v } }) {
            verticalMatch = 1
        } else {
            verticalMatch = 0
        }
        if let n = s.employeeCount {
            companySizeFit = p.sweetSpot.contains(n) ? 2 : (p.acceptable.contains(n) ? 1 : 0)
        } else {
            companySizeFit = 0
        }
        let map = p.seniorityMap.isEmpty ? ICPProfile.defaultSeniority : p.seniorityMap
        seniorityFit = min(2, max(0, s.seniority.flatMap { map[$0] } ?? 0))
        softwareQAConfirmed = containsAny(title, p.qaOwnershipKeywords) || containsAny(norm(s.personaType), p.qaOwnershipKeywords)
        buyerIntentBonus = s.buyerIntent ? 2 : 0
    }
}
