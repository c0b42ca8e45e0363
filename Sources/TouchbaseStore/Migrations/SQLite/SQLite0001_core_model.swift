// Migration 0001 for SQLite: the core ABM model of seeds 000 and 001.
// A shipped migration is never edited; later changes go into a new numbered migration.

/// A time-ordered UUID (version 7) in canonical lowercase text, as a column default.
private let uuid7 = """
    (lower(substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)), 1, 8) || '-' || \
    substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)), 9, 4) || '-7' || \
    substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || \
    substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))))
    """
private let now = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
private let nowExpr = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

private func inList(_ words: [String]) -> String { words.map { "'\($0)'" }.joined(separator: ",") }

private let closed = inList(["closed", "won", "lost"])

/// The outcome a touchpoint has reached, from its event timestamps; explicit terminal outcomes stay.
private func derivedOutcome(_ r: String) -> String {
    """
    CASE WHEN \(r).outcome IN ('bounced','failed','connected','voicemail','no_answer','wrong_number') THEN \(r).outcome
         WHEN \(r).replied_at IS NOT NULL OR \(r).outcome = 'replied' THEN 'replied'
         WHEN \(r).clicked_at IS NOT NULL OR \(r).outcome = 'clicked' THEN 'clicked'
         WHEN \(r).opened_at IS NOT NULL OR \(r).outcome = 'opened' THEN 'opened'
         WHEN \(r).delivered_at IS NOT NULL OR \(r).outcome = 'delivered' THEN 'delivered'
         WHEN \(r).sent_at IS NOT NULL OR \(r).outcome = 'sent' THEN 'sent'
         ELSE \(r).outcome END
    """
}

/// `updated_at` moves when a writable column changes, whoever writes.
private func touchUpdatedAt(_ table: String, _ columns: [String]) -> String {
    """
    CREATE TRIGGER \(table)_updated_at AFTER UPDATE OF \(columns.joined(separator: ", ")) ON \(table)
    WHEN NEW.updated_at IS OLD.updated_at
    BEGIN UPDATE \(table) SET updated_at = \(nowExpr) WHERE id = NEW.id; END
    """
}

private func bool(_ table: String, _ name: String) -> String {
    "\(name) INTEGER NOT NULL DEFAULT 0 CONSTRAINT ck_\(table)__\(name) CHECK (\(name) IN (0, 1))"
}

private func json(_ table: String, _ name: String, array: Bool = false) -> String {
    let kind = array ? "array" : "object"
    return "\(name) TEXT NOT NULL DEFAULT '\(array ? "[]" : "{}")' CONSTRAINT ck_\(table)__\(name) CHECK (json_valid(\(name)) AND json_type(\(name)) = '\(kind)')"
}

private func vocab(_ table: String, _ name: String, _ words: [String], default value: String? = nil) -> String {
    let def = value.map { " NOT NULL DEFAULT '\($0)'" } ?? ""
    return "\(name) TEXT\(def) CONSTRAINT ck_\(table)__\(name) CHECK (\(name) IN (\(inList(words))))"
}

/// The FTS5 index of a table over some text columns, kept in step by triggers (external content).
private func fts(_ table: String, _ columns: [String]) -> [String] {
    let cols = columns.joined(separator: ", ")
    let newValues = columns.map { "NEW.\($0)" }.joined(separator: ", ")
    let oldValues = columns.map { "OLD.\($0)" }.joined(separator: ", ")
    return [
        "CREATE VIRTUAL TABLE \(table)_fts USING fts5(\(cols), content='\(table)', content_rowid='rowid', tokenize = \"unicode61 remove_diacritics 2 tokenchars '.@-'\")",
        "CREATE TRIGGER \(table)_fts_insert AFTER INSERT ON \(table) BEGIN INSERT INTO \(table)_fts(rowid, \(cols)) VALUES (NEW.rowid, \(newValues)); END",
        "CREATE TRIGGER \(table)_fts_delete AFTER DELETE ON \(table) BEGIN INSERT INTO \(table)_fts(\(table)_fts, rowid, \(cols)) VALUES ('delete', OLD.rowid, \(oldValues)); END",
        "CREATE TRIGGER \(table)_fts_update AFTER UPDATE OF \(cols) ON \(table) BEGIN INSERT INTO \(table)_fts(\(table)_fts, rowid, \(cols)) VALUES ('delete', OLD.rowid, \(oldValues)); INSERT INTO \(table)_fts(rowid, \(cols)) VALUES (NEW.rowid, \(newValues)); END",
    ]
}

extension Migrations {
    static let sqlite0001: [String] = [
        // companies
        """
        CREATE TABLE companies (
            id TEXT PRIMARY KEY NOT NULL DEFAULT \(uuid7),
            name TEXT NOT NULL CONSTRAINT ck_companies__name CHECK (length(trim(name)) > 0),
            domain TEXT,
            industry TEXT,
            size TEXT,
            \(json("companies", "research_data")),
            \(vocab("companies", "account_tier", ["strategic", "tier1", "tier2", "tier3"])),
            \(vocab("companies", "account_status", ["prospecting", "engaged", "customer", "churned"], default: "prospecting")),
            total_contacts INTEGER NOT NULL DEFAULT 0,
            active_conversations INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL DEFAULT \(now),
            updated_at TEXT NOT NULL DEFAULT \(now)
        )
        """,
        "CREATE UNIQUE INDEX ux_companies__domain ON companies (lower(domain)) WHERE domain IS NOT NULL",
        "CREATE INDEX ix_companies_industry ON companies (industry)",
        "CREATE INDEX ix_companies_account_tier ON companies (account_tier)",
        "CREATE INDEX ix_companies_account_status ON companies (account_status)",
        touchUpdatedAt("companies", Migrations.companyColumns0001),

        // contacts
        """
        CREATE TABLE contacts (
            id TEXT PRIMARY KEY NOT NULL DEFAULT \(uuid7),
            company_id TEXT REFERENCES companies (id) ON DELETE CASCADE,
            first_name TEXT NOT NULL,
            last_name TEXT,
            full_name TEXT GENERATED ALWAYS AS (trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) VIRTUAL,
            email TEXT,
            linkedin_url TEXT,
            phone TEXT,
            title TEXT,
            role TEXT,
            department TEXT,
            \(vocab("contacts", "seniority_level", ["c-level", "vp", "director", "manager", "individual_contributor"])),
            \(vocab("contacts", "status", ["active", "dormant", "bounced", "do_not_contact"], default: "active")),
            \(json("contacts", "interests", array: true)),
            \(json("contacts", "research_data")),
            engagement_score INTEGER NOT NULL DEFAULT 0 CONSTRAINT ck_contacts__engagement_score CHECK (engagement_score BETWEEN 0 AND 100),
            \(bool("contacts", "is_primary_contact")),
            \(bool("contacts", "is_decision_maker")),
            \(bool("contacts", "is_champion")),
            total_touchpoints INTEGER NOT NULL DEFAULT 0,
            last_engaged_at TEXT,
            created_at TEXT NOT NULL DEFAULT \(now),
            updated_at TEXT NOT NULL DEFAULT \(now)
        )
        """,
        "CREATE UNIQUE INDEX ux_contacts__email ON contacts (lower(email)) WHERE email IS NOT NULL",
        "CREATE UNIQUE INDEX ux_contacts__linkedin_url ON contacts (linkedin_url) WHERE linkedin_url IS NOT NULL",
        "CREATE INDEX ix_contacts_company_role ON contacts (company_id, role)",
        "CREATE INDEX ix_contacts_role ON contacts (role)",
        "CREATE INDEX ix_contacts_status ON contacts (status)",
        "CREATE INDEX ix_contacts_primary ON contacts (company_id) WHERE is_primary_contact = 1",
        "CREATE INDEX ix_contacts_decision_maker ON contacts (company_id) WHERE is_decision_maker = 1",
        touchUpdatedAt("contacts", Migrations.contactColumns0001),
        // companies.total_contacts
        """
        CREATE TRIGGER contacts_count_insert AFTER INSERT ON contacts WHEN NEW.company_id IS NOT NULL
        BEGIN UPDATE companies SET total_contacts = total_contacts + 1 WHERE id = NEW.company_id; END
        """,
        """
        CREATE TRIGGER contacts_count_delete AFTER DELETE ON contacts WHEN OLD.company_id IS NOT NULL
        BEGIN UPDATE companies SET total_contacts = total_contacts - 1 WHERE id = OLD.company_id; END
        """,
        """
        CREATE TRIGGER contacts_count_move AFTER UPDATE OF company_id ON contacts
        WHEN OLD.company_id IS NOT NEW.company_id
        BEGIN
            UPDATE companies SET total_contacts = total_contacts - 1 WHERE id = OLD.company_id;
            UPDATE companies SET total_contacts = total_contacts + 1 WHERE id = NEW.company_id;
        END
        """,

        // relationships
        """
        CREATE TABLE relationships (
            id TEXT PRIMARY KEY NOT NULL DEFAULT \(uuid7),
            contact_id_1 TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
            contact_id_2 TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
            \(vocab("relationships", "relationship_type", ["colleagues", "reports_to", "manager_of", "peer", "assistant_to", "referred_by", "former_colleagues", "influencer", "other"], default: "colleagues")),
            \(vocab("relationships", "strength", ["weak", "medium", "strong"], default: "medium")),
            confidence_score REAL DEFAULT 1.0 CONSTRAINT ck_relationships__confidence_score CHECK (confidence_score BETWEEN 0 AND 1),
            \(json("relationships", "metadata")),
            created_at TEXT NOT NULL DEFAULT \(now),
            updated_at TEXT NOT NULL DEFAULT \(now),
            CONSTRAINT ck_relationships__contact_id_2 CHECK (contact_id_1 <> contact_id_2)
        )
        """,
        "CREATE UNIQUE INDEX ux_relationships__contact_id_1_contact_id_2 ON relationships (contact_id_1, contact_id_2)",
        // One row per unordered pair: the reverse of an existing pair is a duplicate.
        "CREATE UNIQUE INDEX ux_relationships__pair ON relationships (min(contact_id_1, contact_id_2), max(contact_id_1, contact_id_2))",
        "CREATE INDEX ix_relationships_contact_2 ON relationships (contact_id_2)",
        "CREATE INDEX ix_relationships_type ON relationships (relationship_type)",
        """
        CREATE TRIGGER relationships_no_reverse BEFORE INSERT ON relationships
        WHEN EXISTS (SELECT 1 FROM relationships WHERE contact_id_1 = NEW.contact_id_2 AND contact_id_2 = NEW.contact_id_1)
        BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: index ''ux_relationships__pair'''); END
        """,
        touchUpdatedAt("relationships", Migrations.relationshipColumns0001),

        // conversations
        """
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY NOT NULL DEFAULT \(uuid7),
            contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
            company_id TEXT REFERENCES companies (id) ON DELETE CASCADE,
            \(vocab("conversations", "status", ["active", "paused", "closed", "won", "lost", "nurturing"], default: "active")),
            \(vocab("conversations", "qualification_tier", ["scorching", "hot", "warm", "cool", "cold"])),
            subject TEXT,
            touchpoint_count INTEGER NOT NULL DEFAULT 0,
            last_touchpoint_at TEXT,
            next_touchpoint_at TEXT,
            sequence_step INTEGER NOT NULL DEFAULT 0 CONSTRAINT ck_conversations__sequence_step CHECK (sequence_step >= 0),
            \(json("conversations", "context")),
            \(json("conversations", "metadata")),
            estimated_value REAL CONSTRAINT ck_conversations__estimated_value CHECK (estimated_value >= 0),
            actual_value REAL CONSTRAINT ck_conversations__actual_value CHECK (actual_value >= 0),
            outcome TEXT,
            closed_at TEXT,
            created_at TEXT NOT NULL DEFAULT \(now),
            updated_at TEXT NOT NULL DEFAULT \(now)
        )
        """,
        "CREATE INDEX ix_conversations_contact_status ON conversations (contact_id, status)",
        "CREATE INDEX ix_conversations_company_status ON conversations (company_id, status)",
        "CREATE INDEX ix_conversations_status ON conversations (status)",
        "CREATE INDEX ix_conversations_tier ON conversations (qualification_tier)",
        "CREATE INDEX ix_conversations_next_touchpoint ON conversations (next_touchpoint_at) WHERE status = 'active' AND next_touchpoint_at IS NOT NULL",
        touchUpdatedAt("conversations", Migrations.conversationColumns0001),
        // Company filled from the contact; closed_at; companies.active_conversations.
        """
        CREATE TRIGGER conversations_after_insert AFTER INSERT ON conversations
        BEGIN
            UPDATE conversations SET
                company_id = coalesce(NEW.company_id, (SELECT company_id FROM contacts WHERE id = NEW.contact_id)),
                closed_at = CASE WHEN NEW.status IN (\(closed)) THEN coalesce(NEW.closed_at, \(nowExpr)) ELSE NEW.closed_at END
            WHERE id = NEW.id AND (NEW.company_id IS NULL OR (NEW.status IN (\(closed)) AND NEW.closed_at IS NULL));
            -- When company_id was filled above, conversations_count_update has already counted it.
            UPDATE companies SET active_conversations = active_conversations + 1
            WHERE NEW.status = 'active' AND NEW.company_id IS NOT NULL AND id = NEW.company_id;
        END
        """,
        """
        CREATE TRIGGER conversations_status_change AFTER UPDATE OF status ON conversations
        WHEN OLD.status IS NOT NEW.status
        BEGIN
            UPDATE conversations SET closed_at = CASE
                WHEN NEW.status IN (\(closed)) AND OLD.status NOT IN (\(closed)) THEN coalesce(NEW.closed_at, \(nowExpr))
                WHEN NEW.status NOT IN (\(closed)) THEN NULL
                ELSE NEW.closed_at END
            WHERE id = NEW.id;
        END
        """,
        """
        CREATE TRIGGER conversations_count_update AFTER UPDATE OF status, company_id ON conversations
        WHEN OLD.status IS NOT NEW.status OR OLD.company_id IS NOT NEW.company_id
        BEGIN
            UPDATE companies SET active_conversations = active_conversations - 1 WHERE OLD.status = 'active' AND id = OLD.company_id;
            UPDATE companies SET active_conversations = active_conversations + 1 WHERE NEW.status = 'active' AND id = NEW.company_id;
        END
        """,
        """
        CREATE TRIGGER conversations_count_delete AFTER DELETE ON conversations WHEN OLD.status = 'active'
        BEGIN UPDATE companies SET active_conversations = active_conversations - 1 WHERE id = OLD.company_id; END
        """,

        // touchpoints
        """
        CREATE TABLE touchpoints (
            id TEXT PRIMARY KEY NOT NULL DEFAULT \(uuid7),
            conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,
            contact_id TEXT REFERENCES contacts (id) ON DELETE CASCADE,
            company_id TEXT REFERENCES companies (id) ON DELETE CASCADE,
            \(vocab("touchpoints", "channel", ["email", "sms", "call", "linkedin", "mail", "whatsapp", "meeting"])) NOT NULL,
            \(vocab("touchpoints", "direction", ["outbound", "inbound"], default: "outbound")),
            subject TEXT,
            content TEXT,
            response TEXT,
            sent_at TEXT,
            delivered_at TEXT,
            opened_at TEXT,
            clicked_at TEXT,
            replied_at TEXT,
            \(vocab("touchpoints", "outcome", ["sent", "delivered", "opened", "clicked", "replied", "bounced", "failed", "connected", "voicemail", "no_answer", "wrong_number"])),
            \(json("touchpoints", "metadata")),
            created_at TEXT NOT NULL DEFAULT \(now),
            updated_at TEXT NOT NULL DEFAULT \(now),
            CONSTRAINT ck_touchpoints__contact_id CHECK (conversation_id IS NOT NULL OR contact_id IS NOT NULL)
        )
        """,
        "CREATE INDEX ix_touchpoints_conversation_created ON touchpoints (conversation_id, created_at)",
        "CREATE INDEX ix_touchpoints_conversation_channel ON touchpoints (conversation_id, channel)",
        "CREATE INDEX ix_touchpoints_contact ON touchpoints (contact_id)",
        "CREATE INDEX ix_touchpoints_company ON touchpoints (company_id)",
        "CREATE INDEX ix_touchpoints_channel ON touchpoints (channel)",
        "CREATE INDEX ix_touchpoints_direction ON touchpoints (direction)",
        "CREATE INDEX ix_touchpoints_outcome ON touchpoints (outcome)",
        "CREATE INDEX ix_touchpoints_sent_at ON touchpoints (sent_at)",
        "CREATE INDEX ix_touchpoints_replied_at ON touchpoints (replied_at) WHERE replied_at IS NOT NULL",
        touchUpdatedAt("touchpoints", Migrations.touchpointColumns0001),
        // Contact and company filled from the conversation; outcome derived; counters moved.
        """
        CREATE TRIGGER touchpoints_after_insert AFTER INSERT ON touchpoints
        BEGIN
            UPDATE touchpoints SET
                contact_id = coalesce(NEW.contact_id, (SELECT contact_id FROM conversations WHERE id = NEW.conversation_id)),
                outcome = \(derivedOutcome("NEW"))
            WHERE id = NEW.id;
            UPDATE touchpoints SET
                company_id = coalesce(NEW.company_id, (SELECT company_id FROM conversations WHERE id = NEW.conversation_id),
                                      (SELECT c.company_id FROM contacts c WHERE c.id = touchpoints.contact_id))
            WHERE id = NEW.id AND NEW.company_id IS NULL;
            UPDATE conversations SET
                touchpoint_count = touchpoint_count + 1,
                last_touchpoint_at = max(coalesce(last_touchpoint_at, ''), coalesce(NEW.sent_at, NEW.created_at))
            WHERE id = NEW.conversation_id;
            UPDATE contacts SET
                total_touchpoints = total_touchpoints + 1,
                last_engaged_at = max(coalesce(last_engaged_at, ''), coalesce(NEW.replied_at, NEW.clicked_at, NEW.opened_at, NEW.sent_at, NEW.created_at))
            WHERE id = (SELECT contact_id FROM touchpoints WHERE id = NEW.id);
        END
        """,
        """
        CREATE TRIGGER touchpoints_engagement AFTER UPDATE OF sent_at, delivered_at, opened_at, clicked_at, replied_at, outcome ON touchpoints
        BEGIN
            UPDATE touchpoints SET outcome = \(derivedOutcome("NEW"))
            WHERE id = NEW.id AND outcome IS NOT (\(derivedOutcome("NEW")));
            UPDATE contacts SET last_engaged_at = nullif(max(coalesce(last_engaged_at, ''), coalesce(NEW.replied_at, ''), coalesce(NEW.clicked_at, ''), coalesce(NEW.opened_at, '')), '')
            WHERE id = NEW.contact_id
              AND (NEW.replied_at IS NOT OLD.replied_at OR NEW.clicked_at IS NOT OLD.clicked_at OR NEW.opened_at IS NOT OLD.opened_at);
        END
        """,
        """
        CREATE TRIGGER touchpoints_after_delete AFTER DELETE ON touchpoints
        BEGIN
            UPDATE conversations SET
                touchpoint_count = touchpoint_count - 1,
                last_touchpoint_at = (SELECT max(coalesce(sent_at, created_at)) FROM touchpoints WHERE conversation_id = OLD.conversation_id)
            WHERE id = OLD.conversation_id;
            UPDATE contacts SET total_touchpoints = total_touchpoints - 1 WHERE id = OLD.contact_id;
        END
        """,

        // Full-text search.
    ] + fts("companies", ["name", "domain", "industry"]) + fts("contacts", ["first_name", "last_name", "email", "title"]) + [
        // Views shared in shape with PostgreSQL.
    ] + Migrations.sharedViews0001(now: nowExpr) + [
        "CREATE VIEW account_overview AS SELECT * FROM account_overview_live",
    ]
}
