/// The pipeline's rules in one place, as tables: a contact's stages and how they move, and what a reply's intent asks
/// for next. The database enforces the same rules in triggers (migration 0004, frozen); `PipelineRulesTests` proves
/// on both engines that the triggers agree with these tables, so a face can explain a refusal before it is made.
public enum StageRules {
    /// Each stage's rank. Automatic moves (a touch sent, a reply received, a follow-up due) only go up; `dormant` and
    /// `re_engaged` sit below every stage so that any move leaves them; `closed` sits above all.
    public static let rank: [String: Int] = [
        "new": 0, "researched": 1, "drafted": 2, "sent": 3, "follow_up": 4, "replied": 5, "meeting_booked": 6,
        "meeting_held": 7, "opportunity": 8, "dormant": -1, "re_engaged": -1, "closed": 100,
    ]

    /// Stages a person may set from any stage.
    public static let settableFromAnywhere: Set<String> = ["dormant", "re_engaged", "closed"]

    /// Whether a person (or an API write) may move a contact from `from` to `to`: forward or sideways in rank, or to
    /// a stage settable from anywhere. Every other move is refused with "stage cannot move back".
    public static func allowsManualMove(from: String, to: String) -> Bool {
        settableFromAnywhere.contains(to) || (rank[to] ?? 0) >= (rank[from] ?? 0)
    }

    /// Whether an automatic move to `to` changes a contact now at `from` (it never moves one back).
    public static func advances(from: String, to: String) -> Bool {
        (rank[to] ?? 0) > (rank[from] ?? 0)
    }

    /// The stages a contact at `from` may be moved to by hand, in the vocabulary's order.
    public static func manualMoves(from: String) -> [String] {
        Vocabulary.stage.filter { $0 != from && allowsManualMove(from: from, to: $0) }
    }
}

/// What a reply's intent asks for next, filled into `replies.recommended_next_step` when the writer gives none.
public enum ReplyRules {
    /// Days before a `not_now` reply is followed up when the reply does not say.
    public static let defaultFollowUpDays = 30

    public static func nextStep(intent: String, followUpDays: Int? = nil) -> String? {
        switch intent {
        case "positive": "Book a meeting"
        case "neutral": "Answer their question and send a soft follow-up"
        case "not_now": "Follow up in \(followUpDays ?? defaultFollowUpDays) days"
        case "referral": "Create the referred contact and reach out, mentioning who referred you"
        case "unsubscribe": "Stop all outreach: the contact is now do-not-contact"
        case "negative": "Close the contact; do not follow up"
        default: nil
        }
    }
}
