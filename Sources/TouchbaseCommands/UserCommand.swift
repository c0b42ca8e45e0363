import ArgumentParser
import Foundation
import TouchbaseDomain
import TouchbaseStore

/// `touchbase user create|list|disable|enable`: people who sign in to the web UI.
public struct UserCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Create, list, disable and enable the people who sign in to the web UI.",
        subcommands: [Create.self, List.self, Disable.self, Enable.self])

    public init() {}

    /// `touchbase user create --email E --role R [--name N]`; the password from TOUCHBASE_PASSWORD or standard input.
    public struct Create: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Create a user who signs in at /login with an email and a password.",
            discussion: "The password (at least 10 characters) is read from TOUCHBASE_PASSWORD, or else the first line of standard input; only a slow salted hash (PBKDF2-SHA256, 210,000 rounds) is stored.")

        @OptionGroup public var global: GlobalOptions
        @Option(help: "The email the user signs in with (unique, case-insensitively).") public var email: String
        @Option(help: "admin, member, agent or viewer (as for API tokens).") public var role: String = "member"
        @Option(help: "The name shown and audited (default: the part of the email before @).") public var name: String?

        public init() {}

        public func validate() throws {
            guard Role(rawValue: role) != nil else { throw ValidationError("Unknown role '\(role)': use admin, member, agent or viewer.") }
        }

        public func run() async throws {
            let password: String
            if let env = ProcessInfo.processInfo.environment["TOUCHBASE_PASSWORD"], !env.isEmpty {
                password = env
            } else {
                FileHandle.standardError.write(Data("Password (at least 10 characters): ".utf8))
                password = readLine(strippingNewline: true) ?? ""
            }
            let (email, name, role) = (email, name, Role(rawValue: role)!)
            try await UserCommand.withUsers(global) { users in
                let user = try await users.create(email: email, name: name, role: role, password: password)
                print("Created user \(user.email) ('\(user.name)', role \(user.role.rawValue), id \(user.id.lowercased)); sign in at /login.")
            }
        }
    }

    public struct List: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "List the users: email, name, role, last sign-in, disabled.")
        @OptionGroup public var global: GlobalOptions
        public init() {}

        public func run() async throws {
            try await UserCommand.withUsers(global) { store in
                let users = try await store.list()
                for u in users {
                    print("\(u.email)  \(u.name)  \(u.role.rawValue)  last sign-in \(u.lastSignInAt ?? "never")\(u.disabledAt.map { "  disabled \($0)" } ?? "")")
                }
                if users.isEmpty { print("No user yet: touchbase user create --email you@example.com --role member") }
            }
        }
    }

    public struct Disable: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Disable a user (by email or id); their sessions end at once.")
        @OptionGroup public var global: GlobalOptions
        @Argument(help: "The user's email or id.") public var user: String
        public init() {}

        public func run() async throws { try await set(global, user, disabled: true) }
    }

    public struct Enable: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Enable a disabled user again (by email or id).")
        @OptionGroup public var global: GlobalOptions
        @Argument(help: "The user's email or id.") public var user: String
        public init() {}

        public func run() async throws { try await set(global, user, disabled: false) }
    }

    static func set(_ global: GlobalOptions, _ who: String, disabled: Bool) async throws {
        try await withUsers(global) { users in
            let user = try await users.setDisabled(who, disabled)
            print("\(disabled ? "Disabled" : "Enabled") \(user.email).")
        }
    }

    /// The users of the database the options name, migrated first.
    static func withUsers(_ global: GlobalOptions, _ body: @escaping @Sendable (UserStore) async throws -> Void) async throws {
        let settings = try Settings.read(global, defaultLevel: "warning")
        try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
            try await Migrator(database: database).upgradeAll()
            try await body(UserStore(database: database))
        }
    }
}
