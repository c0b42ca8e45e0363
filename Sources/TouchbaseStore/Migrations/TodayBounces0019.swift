// Migration 0019: Today's bounced emails are the newest touchpoints whose outcome is bounced. With only the outcome
// index, SQLite walked touchpoints' primary key backwards to find them (9 s at 5M touchpoints, with few bounces);
// outcome and id together let both engines walk just the bounces, newest first.
// A shipped migration is never edited.

extension Migrations {
    static let todayBounces0019: [String] = [
        "CREATE INDEX ix_touchpoints_outcome_id ON touchpoints (outcome, id)",
    ]
}
