using System.CommandLine;
using DthGrains.Cli.Ecosystem;
using DthGrains.Cli.Identity;

namespace DthGrains.Cli.Platform;

/// <summary>The whole <c>dth</c> command tree, built in one place for Program.cs and for tests that run the CLI in-process.</summary>
public static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("dth: the DthGrains command-line client")
        {
            CliSettings.Url,
            CliSettings.Token,
            CliSettings.Json,
        };
        root.Subcommands.Add(TokenCommand.Build());
        root.Subcommands.Add(EcosystemCommands.Build());
        foreach (var extra in CliExtensions.Commands()) root.Subcommands.Add(extra);
        return root;
    }
}
