import Foundation

/// The corpus in `Tests/mail/`: messages written as Gmail, Outlook, Apple Mail, Exchange, Postfix, Exim and a feedback
/// loop write them, with `{{MESSAGE_ID}}` (the Message-ID they answer) and `{{CONTACT_EMAIL}}` to fill in; as LF (a
/// maildir file) or CRLF (the wire).
public enum MailCorpus {
    public static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("mail")
    public static let messageID = "0193f5a2-7c41-7e0a-9b1d-5c2e8f6a4b3c@touchbase.example"
    public static let contact = "maya.chen@acme.example"

    public static func bytes(_ name: String, crlf: Bool = false, messageID: String = messageID, contact: String = contact) -> [UInt8] {
        var data = try! [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
        data = replace(data, "{{MESSAGE_ID}}", messageID)
        data = replace(data, "{{CONTACT_EMAIL}}", contact)
        if crlf {
            var out: [UInt8] = []
            for b in data {
                if b == 0x0A && out.last != 0x0D { out.append(0x0D) }
                out.append(b)
            }
            data = out
        }
        return data
    }

    static func replace(_ data: [UInt8], _ token: String, _ value: String) -> [UInt8] {
        let t = Array(token.utf8), v = Array(value.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < data.count {
            if data[i] == t[0], i + t.count <= data.count, Array(data[i..<i + t.count]) == t {
                out += v
                i += t.count
            } else {
                out.append(data[i])
                i += 1
            }
        }
        return out
    }
}

