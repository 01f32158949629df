// The `seoulworld` command: one binary, one subcommand per job.

import ArgumentParser

@main
struct SeoulWorldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seoulworld",
        abstract: "SeoulWorld: the world simulation server for a city's public metaverse.",
        subcommands: [Serve.self, ReplayCommand.self, BotsCommand.self, Simulate.self, SimulateCityCommand.self, Worlds.self, StatsCommand.self, DataCommand.self, ModerationCommand.self, PolicyCommand.self, Token.self, SnapshotCostCommand.self, HostileCommand.self, TaxCommand.self, NoticesCommand.self, SuggestionsCommand.self],
        defaultSubcommand: Serve.self
    )
}
