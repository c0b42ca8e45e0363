// Migration 0002: API tokens. Moved here unchanged from Migrations.swift, which keeps only the machinery and the
// registry. A shipped migration is never edited.

extension Migrations {
    static let sqlite0002: [String] = [
        """
        CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            role TEXT NOT NULL CONSTRAINT ck_api_tokens__role CHECK (role IN ('admin','member','agent','viewer')),
            token_hash TEXT NOT NULL,
            token_prefix TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            last_used_at TEXT,
            revoked_at TEXT
        )
        """,
        "CREATE UNIQUE INDEX ux_api_tokens__token_hash ON api_tokens (token_hash)",
        "CREATE UNIQUE INDEX ux_api_tokens__name ON api_tokens (name) WHERE revoked_at IS NULL",
    ]

    static let postgres0002: [String] = [
        """
        CREATE TABLE api_tokens (
            id uuid PRIMARY KEY,
            name text NOT NULL,
            role text NOT NULL CONSTRAINT ck_api_tokens__role CHECK (role IN ('admin','member','agent','viewer')),
            token_hash text NOT NULL,
            token_prefix text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            last_used_at timestamptz,
            revoked_at timestamptz
        )
        """,
        "CREATE UNIQUE INDEX ux_api_tokens__token_hash ON api_tokens (token_hash)",
        "CREATE UNIQUE INDEX ux_api_tokens__name ON api_tokens (name) WHERE revoked_at IS NULL",
    ]
}
