using System.CommandLine;

namespace DthGrains.Cli.Platform;

/// <summary>The command groups of the other capabilities, wired here so Program.cs stays a list.</summary>
public static class CliExtensions
{
    public static IEnumerable<Command> Commands()
    {
        yield return Simulation.SimulationCommands.Build();
        yield return Twins.SynthCommands.Build();
        yield return Twins.TwinCommands.Build();
        yield return Catalogue.CatalogueCommands.Build();
        yield return Access.AccessCommands.Build();
        yield return Audit.AuditCommands.Build();
        yield return Runs.RunCommands.Build();
        yield return Federation.ClusterCommands.Build();
    }
}
