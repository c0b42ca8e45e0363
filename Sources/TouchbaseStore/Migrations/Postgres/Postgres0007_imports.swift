// Migration 0007 for PostgreSQL: import jobs (POST /api/v1/imports) and the indexes that match imported rows
// without a domain, email or LinkedIn URL. A shipped migration is never edited.

extension Migrations {
    static let postgres0007: [String] =
        PostgresDDL.table("imports", importColumns0007.map { PostgresDDL.Col.raw($0.postgres) })
        + [
            "CREATE INDEX ix_companies__name_without_domain ON companies (lower(name)) WHERE domain IS NULL",
            "CREATE INDEX ix_contacts__name_without_keys ON contacts (lower(first_name)) WHERE email IS NULL AND linkedin_url IS NULL",
        ]

    /// imports' columns in both dialects (the table is written only by the importer, so its checks are few).
    static let importColumns0007: [(sqlite: String, postgres: String)] = [
        ("kind TEXT NOT NULL CONSTRAINT ck_imports__kind CHECK (kind IN ('companies','contacts'))",
         "kind text NOT NULL CONSTRAINT ck_imports__kind CHECK (kind IN ('companies','contacts'))"),
        ("format TEXT", "format text"),
        ("options TEXT NOT NULL DEFAULT '{}'", "options jsonb NOT NULL DEFAULT '{}'::jsonb"),
        ("status TEXT NOT NULL DEFAULT 'queued' CONSTRAINT ck_imports__status CHECK (status IN ('queued','running','completed','failed'))",
         "status text NOT NULL DEFAULT 'queued' CONSTRAINT ck_imports__status CHECK (status IN ('queued','running','completed','failed'))"),
        ("rows INTEGER NOT NULL DEFAULT 0", "rows integer NOT NULL DEFAULT 0"),
        ("inserted INTEGER NOT NULL DEFAULT 0", "inserted integer NOT NULL DEFAULT 0"),
        ("updated INTEGER NOT NULL DEFAULT 0", "updated integer NOT NULL DEFAULT 0"),
        ("skipped INTEGER NOT NULL DEFAULT 0", "skipped integer NOT NULL DEFAULT 0"),
        ("failed INTEGER NOT NULL DEFAULT 0", "failed integer NOT NULL DEFAULT 0"),
        ("bytes INTEGER NOT NULL DEFAULT 0", "bytes bigint NOT NULL DEFAULT 0"),
        ("total_bytes INTEGER NOT NULL DEFAULT 0", "total_bytes bigint NOT NULL DEFAULT 0"),
        ("errors TEXT NOT NULL DEFAULT '[]'", "errors jsonb NOT NULL DEFAULT '[]'::jsonb"),
        ("message TEXT", "message text"),
        ("created_by TEXT", "created_by text"),
        ("started_at TEXT", "started_at timestamptz"),
        ("finished_at TEXT", "finished_at timestamptz"),
    ]
}
