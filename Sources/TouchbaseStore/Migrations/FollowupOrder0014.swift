// Migration 0014: the conversations needing follow-up are a walk of one index in their whole order.
// 0001's partial index on `next_touchpoint_at` served the filter, but the list is ordered by
// (next_touchpoint_at, id): where many conversations share a due time (a sequence step scheduled for a whole batch
// at once) the engine sorted every conversation of that time to give the first 50 (about a second at 100,000
// conversations on SQLite). The index now holds the id too. A shipped migration is never edited.

extension Migrations {
    static let followupOrder0014: [String] = [
        "DROP INDEX ix_conversations_next_touchpoint",
        """
        CREATE INDEX ix_conversations_next_touchpoint ON conversations (next_touchpoint_at, id)
        WHERE status = 'active' AND next_touchpoint_at IS NOT NULL
        """,
    ]
}
