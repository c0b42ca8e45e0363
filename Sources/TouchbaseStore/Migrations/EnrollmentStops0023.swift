// Migration 0023: enrolments stop themselves, whichever face (or plain SQL) records what stops them. A reply stops the
// contact's open enrolments (an unsubscribe reply as `unsubscribed`), and by each sequence's `on_account_reply` stops
// or pauses those of the other contacts at the same company (`account_replied`); do-not-contact, a red email, a
// bounced touch, a booked meeting and an opportunity stop the contact's open enrolments with that reason.
// A shipped migration is never edited.

extension Migrations {
    /// The SQL that stops the open enrolments of `contact` (an SQL expression) for `reason` (an SQL expression).
    static func stopEnrollments0023(_ contact: String, _ reason: String) -> String {
        "UPDATE enrollments SET state = 'stopped', stop_reason = \(reason) WHERE contact_id = \(contact) AND state IN ('active','paused');"
    }

    /// The account rule: the other contacts of `contact`'s company, by their sequences' `on_account_reply`.
    static func accountRule0023(_ contact: String) -> [String] {
        let others = "contact_id IN (SELECT o.id FROM contacts o JOIN contacts c ON c.company_id = o.company_id WHERE c.id = \(contact) AND o.id <> \(contact))"
        return [
            "UPDATE enrollments SET state = 'stopped', stop_reason = 'account_replied' WHERE \(others) AND state IN ('active','paused') AND sequence_id IN (SELECT id FROM sequences WHERE on_account_reply = 'stop');",
            "UPDATE enrollments SET state = 'paused' WHERE \(others) AND state = 'active' AND sequence_id IN (SELECT id FROM sequences WHERE on_account_reply = 'pause');",
        ]
    }

    static let replyReason0023 = "CASE WHEN NEW.intent = 'unsubscribe' THEN 'unsubscribed' ELSE 'replied' END"
    static let contactReason0023 = "CASE WHEN NEW.do_not_contact OR NEW.status = 'do_not_contact' THEN 'do_not_contact' ELSE 'red_email' END"
    static let touchContact0023 = "coalesce(NEW.contact_id, (SELECT contact_id FROM conversations WHERE id = NEW.conversation_id))"

    static let enrollmentStopsSQLite0023: [String] = [
        """
        CREATE TRIGGER replies_stop_enrollments AFTER INSERT ON replies BEGIN
            \(stopEnrollments0023("NEW.contact_id", replyReason0023))
            \(accountRule0023("NEW.contact_id").joined(separator: "\n    "))
        END
        """,
        """
        CREATE TRIGGER contacts_stop_enrollments AFTER UPDATE OF do_not_contact, status, email_status ON contacts
        WHEN NEW.do_not_contact = 1 OR NEW.status = 'do_not_contact' OR NEW.email_status = 'red' BEGIN
            \(stopEnrollments0023("NEW.id", contactReason0023.replacingOccurrences(of: "NEW.do_not_contact OR", with: "NEW.do_not_contact = 1 OR")))
        END
        """,
        """
        CREATE TRIGGER touchpoints_stop_enrollments_insert AFTER INSERT ON touchpoints WHEN NEW.outcome = 'bounced' BEGIN
            \(stopEnrollments0023(touchContact0023, "'bounced'"))
        END
        """,
        """
        CREATE TRIGGER touchpoints_stop_enrollments_update AFTER UPDATE OF outcome ON touchpoints
        WHEN NEW.outcome = 'bounced' AND OLD.outcome IS NOT 'bounced' BEGIN
            \(stopEnrollments0023(touchContact0023, "'bounced'"))
        END
        """,
        """
        CREATE TRIGGER meetings_stop_enrollments AFTER INSERT ON meetings BEGIN
            \(stopEnrollments0023("NEW.contact_id", "'meeting_booked'"))
        END
        """,
        """
        CREATE TRIGGER opportunities_stop_enrollments AFTER INSERT ON opportunities BEGIN
            \(stopEnrollments0023("NEW.contact_id", "'opportunity'"))
        END
        """,
    ]

    static func postgresStopFunction0023(_ name: String, _ body: [String], returning: String = "NULL") -> String {
        """
        CREATE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            \(body.joined(separator: "\n    "))
            RETURN \(returning);
        END $$
        """
    }

    static let enrollmentStopsPostgres0023: [String] = [
        postgresStopFunction0023(
            "touchbase_replies_stop_enrollments",
            [stopEnrollments0023("NEW.contact_id", replyReason0023)] + accountRule0023("NEW.contact_id"), returning: "NEW"),
        // Before the reply's own rules (an unsubscribe marks the contact do-not-contact), so it is named as the cause, as
        // on SQLite, whose newest trigger runs first.
        "CREATE TRIGGER replies_stop_enrollments BEFORE INSERT ON replies FOR EACH ROW EXECUTE FUNCTION touchbase_replies_stop_enrollments()",
        postgresStopFunction0023("touchbase_contacts_stop_enrollments", [stopEnrollments0023("NEW.id", contactReason0023)]),
        """
        CREATE TRIGGER contacts_stop_enrollments AFTER UPDATE OF do_not_contact, status, email_status ON contacts FOR EACH ROW
        WHEN (NEW.do_not_contact OR NEW.status = 'do_not_contact' OR NEW.email_status = 'red')
        EXECUTE FUNCTION touchbase_contacts_stop_enrollments()
        """,
        postgresStopFunction0023("touchbase_touchpoints_stop_enrollments", [stopEnrollments0023(touchContact0023, "'bounced'")]),
        """
        CREATE TRIGGER touchpoints_stop_enrollments_insert AFTER INSERT ON touchpoints FOR EACH ROW WHEN (NEW.outcome = 'bounced')
        EXECUTE FUNCTION touchbase_touchpoints_stop_enrollments()
        """,
        """
        CREATE TRIGGER touchpoints_stop_enrollments_update AFTER UPDATE OF outcome ON touchpoints FOR EACH ROW
        WHEN (NEW.outcome = 'bounced' AND OLD.outcome IS DISTINCT FROM 'bounced')
        EXECUTE FUNCTION touchbase_touchpoints_stop_enrollments()
        """,
        postgresStopFunction0023("touchbase_meetings_stop_enrollments", [stopEnrollments0023("NEW.contact_id", "'meeting_booked'")]),
        "CREATE TRIGGER meetings_stop_enrollments AFTER INSERT ON meetings FOR EACH ROW EXECUTE FUNCTION touchbase_meetings_stop_enrollments()",
        postgresStopFunction0023("touchbase_opportunities_stop_enrollments", [stopEnrollments0023("NEW.contact_id", "'opportunity'")]),
        "CREATE TRIGGER opportunities_stop_enrollments AFTER INSERT ON opportunities FOR EACH ROW EXECUTE FUNCTION touchbase_opportunities_stop_enrollments()",
    ]
}
