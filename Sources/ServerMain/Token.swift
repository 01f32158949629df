// `seoulworld token issue`: mint a member token for development and tests.

import ArgumentParser
import Foundation
import WorldServer

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Member tokens for development and tests.", subcommands: [Issue.self])

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a signed member token as hex (the secret: --token-secret-file or $SEOULWORLD_TOKEN_SECRET).")

        @Option(help: "The member's account id (1 to 64 bytes).")
        var account: String

        @Option(help: "The display name others see (1 to 48 bytes).")
        var name: String

        @Option(help: "Comma-separated roles: member, staff, mentor, mentee, editor (writes the notice board), answerer (answers suggestions).")
        var roles = "member"

        @Option(help: "Hours until the token expires.")
        var validForHours = 24

        @Option(help: "File holding the token secret as hex.")
        var tokenSecretFile: String?

        func validate() throws {
            guard (1...64).contains(account.utf8.count) else { throw ValidationError("--account must be 1 to 64 bytes") }
            guard (1...48).contains(name.utf8.count) else { throw ValidationError("--name must be 1 to 48 bytes") }
            guard (1...(24 * 366)).contains(validForHours) else { throw ValidationError("--valid-for-hours must be 1 to 8784") }
        }

        func run() throws {
            let (secret, source) = try TokenSecret.load(file: tokenSecretFile)
            guard source != .generated else {
                throw ValidationError("no secret: pass --token-secret-file or set SEOULWORLD_TOKEN_SECRET (the server must use the same one)")
            }
            var parsed: MemberToken.Roles = []
            let known = MemberToken.Roles.named.map(\.0).joined(separator: ", ")
            for role in roles.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                guard let bit = MemberToken.Roles.named.first(where: { $0.0 == role })?.1 else {
                    throw ValidationError("unknown role '\(role)'; roles are \(known)")
                }
                parsed.insert(bit)
            }
            let expires = UInt64(Date().timeIntervalSince1970) + UInt64(validForHours) * 3_600
            print(encodeHex(MemberToken(accountID: account, displayName: name, roles: parsed, expiresAtUnixSeconds: expires).signed(secret: secret)))
        }
    }
}
