using System.CommandLine;

namespace DthGrains.Cli.Simulation;

/// <summary>The <c>dth sim</c> command tree. Program.cs wires it in; this class is its only entry point.</summary>
public static class SimulationCommands
{
    /// <summary>Builds <c>sim</c> with its subcommands <c>local</c> and <c>external</c>.</summary>
    public static Command Build()
    {
        var sim = new Command("sim", "Simulate physiological models (the DthGrains simulation engine).");
        sim.Subcommands.Add(LocalCommand.Build());
        sim.Subcommands.Add(ExternalCommand.Build());
        return sim;
    }
}
