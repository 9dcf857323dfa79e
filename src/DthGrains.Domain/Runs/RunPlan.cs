using DthGrains.Contracts.Runs;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Domain.Runs;

/// <summary>
/// A validated run: the normalised request (every default filled in) and everything derived from it. Workers plan
/// again from the normalised request and get the same subjects, grid and shards: the plan depends on nothing else.
/// </summary>
public sealed class RunPlan
{
    internal RunPlan(RunRequest request, SimulationModel model, Scenario scenario, IReadOnlyList<Scenario> scenarios, SolverOptions solver,
        double[] times, long subjects, int shardSize, int shards, string requestHash)
    {
        Request = request; Model = model; Scenario = scenario; Scenarios = scenarios; Solver = solver; Times = times;
        Subjects = subjects; ShardSize = shardSize; Shards = shards; RequestHash = requestHash;
    }

    public RunRequest Request { get; }
    public SimulationModel Model { get; }
    public Scenario Scenario { get; }
    public IReadOnlyList<Scenario> Scenarios { get; }
    public SolverOptions Solver { get; }
    public double[] Times { get; }
    public long Subjects { get; }
    public int ShardSize { get; }
    public int Shards { get; }
    public string RequestHash { get; }

    public string[] Outputs => Model.Info.Outputs.Select(o => o.Name).ToArray();

    public string[] Units => Model.Info.Outputs.Select(o => o.Unit.Symbol).ToArray();

    public (long From, long To) ShardRange(int shard) =>
        (shard * (long)ShardSize, Math.Min(Subjects, (shard + 1) * (long)ShardSize));
}

/// <summary>What one shard produced (before it becomes a <see cref="ShardCompleted"/>).</summary>
/// <remarks><see cref="Sensitivity"/> (a whole study's indices from its one shard) is what shards of sensitivity runs recorded before 2026-12-06 carry; they now carry <see cref="SensitivitySums"/>.</remarks>
public sealed record ShardOutput(ShardStatistics? Statistics, ShardRows? Rows, SensitivityResult? Sensitivity, SensitivitySums? SensitivitySums = null)
{
    /// <summary>The sums of a sensitivity study's further targets (<see cref="RunRequest.SensitivityAlso"/>), in their order.</summary>
    public SensitivitySums[]? SensitivityAlso { get; init; }

    /// <summary>The event recording this output as shard <paramref name="shard"/> of the run, covering subjects [from, to).</summary>
    public ShardCompleted ToShard(string runId, int shard, (long From, long To) range, string silo, double elapsedMs, DateTimeOffset at) =>
        new(runId, shard, range.From, range.To, Statistics, null, Sensitivity, silo, elapsedMs, at, Rows) { SensitivitySums = SensitivitySums, SensitivityAlso = SensitivityAlso };
}
