/// What the account health score is computed from; all of it is read from maintained counters and
/// per-company aggregates.
public struct AccountHealthInput: Sendable, Hashable {
    public var totalContacts: Int
    public var decisionMakers: Int
    public var activeConversations: Int
    public var wonConversations: Int
    public var relationships: Int
    public var engagement: EngagementCounts
    /// Whole days since the latest engagement of any contact; nil when nobody was ever touched.
    public var daysSinceLastEngagement: Int?

    public init(
        totalContacts: Int, decisionMakers: Int, activeConversations: Int, wonConversations: Int, relationships: Int,
        engagement: EngagementCounts, daysSinceLastEngagement: Int?
    ) {
        self.totalContacts = totalContacts
        self.decisionMakers = decisionMakers
        self.activeConversations = activeConversations
        self.wonConversations = wonConversations
        self.relationships = relationships
        self.engagement = engagement
        self.daysSinceLastEngagement = daysSinceLastEngagement
    }
}

/// Account health, 0-100 (seed 000's `get_account_health_score`).
///
/// Five parts, each capped:
/// - **coverage** (0-20): 3 points per contact up to 5 contacts, plus 5 when a decision maker is known;
/// - **engagement** (0-30): `20 × min(reply_rate / 25%, 1) + 10 × min(open_rate / 50%, 1)` over outbound touches;
/// - **recency** (0-20): days since the latest engagement: ≤7 → 20, ≤14 → 15, ≤30 → 10, ≤60 → 5, else 0;
/// - **pipeline** (0-20): `12 × min(active conversations, 3) / 3`, plus 8 when a conversation was won;
/// - **relationships** (0-10): 2 points per mapped relationship up to 5.
///
/// The total is the sum rounded to one decimal. Status: ≥80 excellent, ≥60 good, ≥40 fair, ≥20 poor,
/// else critical. Each weak part adds a recommendation.
public struct AccountHealth: Sendable, Hashable {
    public let totalScore: Double
    public let breakdown: [(name: String, score: Double, max: Double)]
    public let status: String
    public let recommendations: [String]

    public static func == (a: AccountHealth, b: AccountHealth) -> Bool {
        a.totalScore == b.totalScore && a.status == b.status && a.recommendations == b.recommendations
            && a.breakdown.map(\.score) == b.breakdown.map(\.score)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(totalScore) }

    public static func status(for score: Double) -> String {
        switch score {
        case 80...: "excellent"
        case 60..<80: "good"
        case 40..<60: "fair"
        case 20..<40: "poor"
        default: "critical"
        }
    }

    public init(_ input: AccountHealthInput) {
        func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
        let coverage = Double(min(input.totalContacts, 5) * 3) + (input.decisionMakers > 0 ? 5 : 0)
        let e = input.engagement
        let replyRate = EngagementMetrics.percent(e.replied, of: e.outbound)
        let openRate = EngagementMetrics.percent(e.opened, of: e.outbound)
        let engagement = 20 * min(replyRate / 25, 1) + 10 * min(openRate / 50, 1)
        let recency: Double =
            switch input.daysSinceLastEngagement {
            case .none: 0
            case .some(let d) where d <= 7: 20
            case .some(let d) where d <= 14: 15
            case .some(let d) where d <= 30: 10
            case .some(let d) where d <= 60: 5
            default: 0
            }
        let pipeline = 12 * Double(min(input.activeConversations, 3)) / 3 + (input.wonConversations > 0 ? 8 : 0)
        let relationships = Double(min(input.relationships, 5) * 2)
        breakdown = [
            ("coverage", round1(coverage), 20), ("engagement", round1(engagement), 30), ("recency", recency, 20),
            ("pipeline", round1(pipeline), 20), ("relationships", relationships, 10),
        ]
        totalScore = round1(coverage + engagement + recency + pipeline + relationships)
        status = Self.status(for: totalScore)

        var advice: [String] = []
        if input.totalContacts < 3 { advice.append("Add more contacts: only \(input.totalContacts) known at this account.") }
        if input.decisionMakers == 0 { advice.append("Identify and engage a decision maker.") }
        if e.outbound == 0 {
            advice.append("No outreach yet: start a conversation with the primary contact.")
        } else if engagement < 10 {
            advice.append("Engagement is low (reply rate \(replyRate)%, open rate \(openRate)%): revisit messaging and channel.")
        }
        if let d = input.daysSinceLastEngagement, d > 30 {
            advice.append("No engagement for \(d) days: schedule a touchpoint.")
        }
        if input.activeConversations == 0 { advice.append("No active conversations: open one with an engaged contact.") }
        if input.relationships < 2 { advice.append("Map relationships between contacts to find expansion paths.") }
        recommendations = advice
    }

    public var json: JSONValue {
        var parts: [String: JSONValue] = [:]
        for part in breakdown { parts[part.name] = ["score": .double(part.score), "max": .double(part.max)] }
        return [
            "total_score": .double(totalScore), "breakdown": .object(parts), "health_status": .string(status),
            "recommendations": .array(recommendations.map { .string($0) }),
        ]
    }
}
