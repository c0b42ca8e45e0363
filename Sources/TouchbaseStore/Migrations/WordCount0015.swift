// Migration 0015: a draft's word count on PostgreSQL follows the domain's rule (`WordCount`: runs of characters
// between spaces, tabs and line breaks). 0004's function trimmed only spaces before splitting on `\s+`, so a body
// that began or ended with a line break counted an empty word at each end ("\r\n\r\nSee you\r\n" was 4, not 2);
// `PipelineRulesTests` found it. Stored counts that differ are corrected. SQLite's count already agreed.
// A shipped migration is never edited.

extension Migrations {
    static let wordCountPostgres0015: [String] = [
        """
        CREATE OR REPLACE FUNCTION touchbase_word_count(t text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
            SELECT count(*)::integer FROM regexp_split_to_table(coalesce(t, ''), '[ \\t\\r\\n]+') AS w WHERE w <> ''
        $$
        """,
        "UPDATE message_drafts SET word_count = touchbase_word_count(body) WHERE word_count IS DISTINCT FROM touchbase_word_count(body)",
    ]
}
