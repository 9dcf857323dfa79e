using System.CommandLine;
using DthGrains.Cli.Ecosystem;
using DthGrains.Cli.Identity;
using DthGrains.Cli.Platform;

var root = new RootCommand("dth: the DthGrains command-line client")
{
    CliSettings.Url,
    CliSettings.Token,
    CliSettings.Json,
};
root.Subcommands.Add(TokenCommand.Build());
root.Subcommands.Add(EcosystemCommands.Build());
foreach (var extra in CliExtensions.Commands()) root.Subcommands.Add(extra);
return await root.Parse(args).InvokeAsync();
