import ArgumentParser
import Foundation
import NIOSSL
import TouchbaseMail

/// `touchbase mail test`: checks a mailbox's SMTP settings by sending one message through them.
public struct MailCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "Check a mailbox's SMTP settings.", subcommands: [Test.self])

    public init() {}

    /// `touchbase mail test --from A --to B [--smtp-url URL] [--ca-file PEM] [--subject S]`
    public struct Test: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Send one test message through an SMTP server and print what it answered.",
            discussion: """
                The server is given as smtp://USER:PASS@HOST:PORT (STARTTLS, required; add ?starttls=optional or \
                ?starttls=never) or smtps://USER:PASS@HOST:PORT (TLS from the first byte), by --smtp-url or, so that the \
                password stays out of the process list, TOUCHBASE_SMTP_URL. Certificates are verified against the system's \
                roots (and --ca-file's). A password is never sent without TLS except to this machine. Exit status 0 when \
                the server took the message, 1 when it refused it for good, 75 (EX_TEMPFAIL) when it may take it later.
                """)

        @Option(help: ArgumentHelp("smtp:// or smtps:// URL. Env: TOUCHBASE_SMTP_URL.", valueName: "url")) public var smtpUrl: String?
        @Option(help: "The sender's address (MAIL FROM and From).") public var from: String
        @Option(help: "The recipient's address.") public var to: String
        @Option(help: "The subject.") public var subject = "Touchbase test message"
        @Option(help: ArgumentHelp("A PEM file of certificates to trust besides the system's (a private CA, a self-signed server).", valueName: "path"))
        public var caFile: String?

        public init() {}

        public func run() async throws {
            guard let url = smtpUrl ?? ProcessInfo.processInfo.environment["TOUCHBASE_SMTP_URL"], !url.isEmpty else {
                throw ValidationError("Give the server with --smtp-url or TOUCHBASE_SMTP_URL (smtp://USER:PASS@HOST:PORT).")
            }
            let endpoint: SMTPEndpoint
            let message: MailMessage
            do {
                endpoint = try SMTPEndpoint(url: url)
                let sender = try MailAddress(from)
                message = MailMessage(
                    from: sender, to: [try MailAddress(to)], subject: subject,
                    text: "This is a test message from Touchbase, sent through \(endpoint).\n",
                    messageID: MailMessage.newMessageID(domain: String(sender.address.split(separator: "@").last ?? "localhost")), date: Date())
            } catch {
                throw ValidationError("\(error)")
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile {
                guard FileManager.default.isReadableFile(atPath: caFile) else { throw ValidationError("--ca-file: cannot read \(caFile)") }
                tls.additionalTrustRoots = [.file(caFile)]
            }
            let client = SMTPClient(endpoint: endpoint, heloName: String(message.from.address.split(separator: "@").last ?? "localhost"), tls: tls)
            do {
                let receipt = try await client.send(from: message.from.address, to: message.recipients, message: message.rendered())
                print("Sent <\(message.messageID)> to \(to) through \(endpoint) (\(receipt.usedTLS ? "TLS" : "no TLS")): \(receipt.reply)")
            } catch {
                FileHandle.standardError.write(Data("Error: \(error)\(error.isTransient ? " (temporary: try again later)" : "")\n".utf8))
                throw ExitCode(error.isTransient ? 75 : 1)
            }
        }
    }
}
