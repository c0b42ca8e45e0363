// Migration 0016: SQLite's full-text indexes keep prefix indexes for 1 to 8 characters, so a search's prefix words
// are answered in rowid order without first merging every term that starts with them. Emails are single tokens
// (`tokenchars '.@-'`), so "maya"* meant merging ~50,000 terms (every maya.…@… address) at 1M contacts: 30-50 ms a
// search; with the prefix index it is under a millisecond (words over 8 characters still merge, a few ms).
// The tables are made again with the same columns, tokenizer and external content, and rebuilt from their tables;
// 0001's triggers keep them in step as before (they name the tables, not their options). About a minute at 1M
// contacts. PostgreSQL's GIN index is unchanged. A shipped migration is never edited.

extension Migrations {
    static let searchPrefixesSQLite0016: [String] = [
        ("companies", "name, domain, industry"), ("contacts", "first_name, last_name, email, title"),
    ].flatMap { table, columns in
        [
            "DROP TABLE \(table)_fts",
            """
            CREATE VIRTUAL TABLE \(table)_fts USING fts5(\(columns), content='\(table)', content_rowid='rowid', \
            prefix='1 2 3 4 5 6 7 8', tokenize = "unicode61 remove_diacritics 2 tokenchars '.@-'")
            """,
            "INSERT INTO \(table)_fts(\(table)_fts) VALUES ('rebuild')",
        ]
    }
}
