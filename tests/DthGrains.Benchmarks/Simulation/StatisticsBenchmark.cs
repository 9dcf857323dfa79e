using DthGrains.Simulation.Models;
using System.Globalization;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Statistics;

namespace DthGrains.Benchmarks.Simulation;

/// <summary>
/// What a platform shard's statistics cost on top of its solves, per core (process CPU clock, one thread, best of N
/// rounds, the cases interleaved so the machine's noise hits them alike): the runs benchmark's 1,000 Hovorka
/// patient-days solved bare, then by the shard runner with the moments, sketches and per-subject rows a shard stores.
/// Also the adding alone: <see cref="ShardAccumulator.AddBlock(ReadOnlySpan{double}, int, int, int, int)"/> against
/// adding each value by itself (Welford's update and <see cref="LogHistogram.Add"/>, the way it was done until session 8).
/// Usage: <c>statistics [scale: rounds / 10, 3 by default] [patients, 1,000 by default]</c>.
/// </summary>
internal static class StatisticsBenchmark
{
    public static int Run(string[] args)
    {
        // ops/bench.sh passes every benchmark one scale (BENCH_SECONDS, 3 by default): ten rounds per unit.
        int rounds = Math.Max(5, args.Length > 0 ? (int)(double.Parse(args[0], CultureInfo.InvariantCulture) * 10) : 30);
        int n = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
        var plan = RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, "hovorka", Size: n, Seed: 1, Duration: 1440)).Plan!;
        var subjects = RunPlanner.SubjectsOf(plan);
        int nt = plan.Times.Length, ny = plan.Model.Info.Outputs.Count, cells = nt * ny;
        Console.WriteLine($"# statistics benchmark: {n} Hovorka patient-days, {nt} times x {ny} outputs = {cells} cells a subject, one thread, best of {rounds}");
        var workspace = new SimulationWorkspace((ModelDefinition)plan.Model, plan.Solver, plan.Times);
        var p = new double[plan.Model.Info.Parameters.Count];
        var runner = new SubjectShardRunner(plan.Model, plan.Solver, plan.Times, subjects, RunPlanner.BandAccuracy);
        var rows = new double[n * runner.SummaryWidth];

        // A chunk's block of real outputs, added again and again by the two ways of adding.
        var block = new double[SubjectShardRunner.ChunkSize * cells];
        for (int i = 0; i < SubjectShardRunner.ChunkSize; i++)
        {
            subjects.Parameters(i, p);
            workspace.Solve(subjects.ScenarioOf(i), p, block.AsSpan(i * cells, cells));
        }
        var accumulator = new ShardAccumulator(cells, RunPlanner.BandAccuracy);
        var moments = new RunningMoments[cells];
        var sketches = Enumerable.Range(0, cells).Select(_ => new LogHistogram(RunPlanner.BandAccuracy)).ToArray();

        var cases = new (string Name, Action Run)[]
        {
            ("bare solves", () =>
            {
                for (int i = 0; i < n; i++)
                {
                    subjects.Parameters(i, p);
                    workspace.Solve(subjects.ScenarioOf(i), p, block.AsSpan(0, cells));
                }
            }),
            ("shard runner: solves, statistics and rows", () => runner.Run(0, n, rows, 1)),
            ("adding the outputs by block (AddBlock)", () =>
            {
                accumulator.Reset();
                for (int c = 0; c < n; c += SubjectShardRunner.ChunkSize)
                    accumulator.AddBlock(block, Math.Min(SubjectShardRunner.ChunkSize, n - c), cells, nt, ny);
            }),
            ("adding the outputs value by value", () =>
            {
                Array.Clear(moments);
                foreach (var s in sketches) s.Reset();
                for (int c = 0; c < n; c += SubjectShardRunner.ChunkSize)
                    for (int k = 0; k < cells; k++)
                    {
                        int t = k % nt, y = k / nt, at = t * ny + y;
                        for (int i = 0; i < Math.Min(SubjectShardRunner.ChunkSize, n - c); i++, at += cells)
                        {
                            moments[k].Add(block[at]);
                            sketches[k].Add(block[at]);
                        }
                    }
            }),
        };
        var best = cases.Select(_ => double.MaxValue).ToArray();
        for (int r = 0; r < rounds; r++)
            for (int k = 0; k < cases.Length; k++)
            {
                double t0 = CpuClock.ProcessSeconds();
                cases[k].Run();
                best[k] = Math.Min(best[k], CpuClock.ProcessSeconds() - t0);
            }
        for (int k = 0; k < cases.Length; k++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{cases[k].Name}: {best[k] * 1000:F2} ms CPU (best)"));
        Ratio("bare solves vs the shard runner with statistics and rows, per core", best[0] / best[1], ">=", 0.85);
        Ratio("adding by value vs by block", best[3] / best[2], ">=", 1);
        return 0;
    }

    private static void Ratio(string name, double value, string relation, double target) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio {name}: {value:F2} (target {relation} {target})"));
}
