// Migration 0020: the data-quality page's samples and capped counts walk only the rows they look for. Contacts
// without a name and contacts whose email was never verified each get a partial index on id, so that finding none
// (or the first 50) does not read every contact (9 s at 1,000,000 contacts when none is nameless).
// A shipped migration is never edited.

extension Migrations {
    static let dataQualityIndexes0020: [String] = [
        "CREATE INDEX ix_contacts_nameless ON contacts (id) WHERE first_name = '' AND coalesce(last_name, '') = ''",
        "CREATE INDEX ix_contacts_unverified ON contacts (id) WHERE email IS NOT NULL AND email_checked_at IS NULL",
    ]
}
