// Migration 0018: sign-in to the web UI. `users` are people with a password (a PBKDF2-SHA256 hash with its own salt
// and round count, never the password); `web_sessions` are signed-in browsers, each kept by the SHA-256 of its
// cookie secret with the CSRF token its forms carry, for a user or for an API token that signed in. A session ends
// when it expires, on sign-out, or at once when its user is disabled or its token revoked (the lookup joins both).
// Today's page reads replies not yet handled and drafts by approval state through indexes of their own.
// Like api_tokens, these credentials are not copied into the audit log; what a signed-in person writes is audited
// as `user:<name>`.
// A shipped migration is never edited.

extension Migrations {
    static let webSignInSQLite0018: [String] = [
        """
        CREATE TABLE users (
            id TEXT PRIMARY KEY NOT NULL,
            email TEXT NOT NULL CONSTRAINT ck_users__email CHECK (instr(email, '@') > 1 AND length(email) <= 320),
            name TEXT NOT NULL CONSTRAINT ck_users__name CHECK (length(name) BETWEEN 1 AND 100),
            role TEXT NOT NULL CONSTRAINT ck_users__role CHECK (role IN ('admin','member','agent','viewer')),
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            last_sign_in_at TEXT,
            disabled_at TEXT
        )
        """,
        "CREATE UNIQUE INDEX ux_users__email ON users (lower(email))",
        """
        CREATE TABLE web_sessions (
            id TEXT PRIMARY KEY NOT NULL,
            user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
            token_id TEXT REFERENCES api_tokens (id) ON DELETE CASCADE,
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            expires_at TEXT NOT NULL,
            CONSTRAINT ck_web_sessions__who CHECK ((user_id IS NULL) <> (token_id IS NULL))
        )
        """,
        "CREATE INDEX ix_web_sessions_expires ON web_sessions (expires_at)",
        "CREATE INDEX ix_web_sessions_user ON web_sessions (user_id)",
        "CREATE INDEX ix_web_sessions_token ON web_sessions (token_id)",
        "CREATE INDEX ix_replies_handled ON replies (handled_at, id)",
        "CREATE INDEX ix_message_drafts_approval ON message_drafts (approval_status, qc_passed, id)",
    ]

    static let webSignInPostgres0018: [String] = [
        """
        CREATE TABLE users (
            id uuid PRIMARY KEY,
            email text NOT NULL CONSTRAINT ck_users__email CHECK (strpos(email, '@') > 1 AND length(email) <= 320),
            name text NOT NULL CONSTRAINT ck_users__name CHECK (length(name) BETWEEN 1 AND 100),
            role text NOT NULL CONSTRAINT ck_users__role CHECK (role IN ('admin','member','agent','viewer')),
            password_hash text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            last_sign_in_at timestamptz,
            disabled_at timestamptz
        )
        """,
        "CREATE UNIQUE INDEX ux_users__email ON users (lower(email))",
        """
        CREATE TABLE web_sessions (
            id text PRIMARY KEY,
            user_id uuid REFERENCES users (id) ON DELETE CASCADE,
            token_id uuid REFERENCES api_tokens (id) ON DELETE CASCADE,
            csrf text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            CONSTRAINT ck_web_sessions__who CHECK ((user_id IS NULL) <> (token_id IS NULL))
        )
        """,
        "CREATE INDEX ix_web_sessions_expires ON web_sessions (expires_at)",
        "CREATE INDEX ix_web_sessions_user ON web_sessions (user_id)",
        "CREATE INDEX ix_web_sessions_token ON web_sessions (token_id)",
        "CREATE INDEX ix_replies_handled ON replies (handled_at, id)",
        "CREATE INDEX ix_message_drafts_approval ON message_drafts (approval_status, qc_passed, id)",
    ]
}
