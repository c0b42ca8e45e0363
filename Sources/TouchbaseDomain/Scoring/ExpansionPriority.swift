/// What an expansion target's priority is computed from.
public struct ExpansionCandidate: Sendable, Hashable {
    public var strength: String
    public var confidence: Double?
    public var seniority: String?
    public var isDecisionMaker: Bool
    public var isChampion: Bool
    /// Conversations with this contact: none, some but none active, or an active one.
    public var conversationState: ConversationState

    public enum ConversationState: String, Sendable, Hashable { case none, inactive, active }

    public init(
        strength: String, confidence: Double?, seniority: String?, isDecisionMaker: Bool, isChampion: Bool,
        conversationState: ConversationState
    ) {
        self.strength = strength
        self.confidence = confidence
        self.seniority = seniority
        self.isDecisionMaker = isDecisionMaker
        self.isChampion = isChampion
        self.conversationState = conversationState
    }
}

/// Priority of a colleague as an expansion target, 0-100 (seed 000's `find_expansion_targets`).
///
/// `strength (strong 30, medium 20, weak 10) + 10 × confidence (1 when unknown)
///  + seniority (c-level 20, vp 16, director 12, manager 8, individual contributor 4, unknown 6)
///  + 15 if decision maker + 5 if champion
///  + headroom (no conversation yet 20, only paused/closed ones 10, an active one 0)`,
/// rounded to one decimal.
public enum ExpansionPriority {
    public static func strengthRank(_ s: String) -> Int {
        switch s {
        case "strong": 3
        case "medium": 2
        case "weak": 1
        default: 0
        }
    }

    public static func score(_ c: ExpansionCandidate) -> Double {
        let strength: Double =
            switch c.strength {
            case "strong": 30
            case "medium": 20
            default: 10
            }
        let confidence = 10 * min(max(c.confidence ?? 1, 0), 1)
        let seniority: Double =
            switch c.seniority {
            case "c-level": 20
            case "vp": 16
            case "director": 12
            case "manager": 8
            case "individual_contributor": 4
            default: 6
            }
        let flags: Double = (c.isDecisionMaker ? 15 : 0) + (c.isChampion ? 5 : 0)
        let headroom: Double =
            switch c.conversationState {
            case .none: 20
            case .inactive: 10
            case .active: 0
            }
        return ((strength + confidence + seniority + flags + headroom) * 10).rounded() / 10
    }
}
