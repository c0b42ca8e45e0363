// Migration 0007 for SQLite: import jobs (POST /api/v1/imports) and the indexes that match imported rows
// without a domain, email or LinkedIn URL. A shipped migration is never edited.

extension Migrations {
    static let sqlite0007: [String] =
        SQLiteDDL.table("imports", importColumns0007.map { SQLiteDDL.Col.raw($0.sqlite) })
        + [
            "CREATE INDEX ix_companies__name_without_domain ON companies (lower(name)) WHERE domain IS NULL",
            "CREATE INDEX ix_contacts__name_without_keys ON contacts (lower(first_name)) WHERE email IS NULL AND linkedin_url IS NULL",
        ]
}
