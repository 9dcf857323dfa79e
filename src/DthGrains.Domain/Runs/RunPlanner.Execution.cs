using DthGrains.Contracts.Runs;
using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;
using DthGrains.Simulation.Statistics;

namespace DthGrains.Domain.Runs;

/// <summary>Executing a planned run's shards with the engine, and merging sensitivity studies' shards.</summary>
public static partial class RunPlanner
{
    /// <summary>The subjects of a (non-sensitivity) run.</summary>
    public static ISubjectSource SubjectsOf(RunPlan plan)
    {
        var r = plan.Request;
        var info = plan.Model.Info;
        var p = plan.Model.Parameters(r.Parameters);
        var scenario = CompiledScenario.Compile(info, plan.Scenario);
        switch (r.Kind)
        {
            case RunKind.Single:
                return new ScenarioSubjects(p, [scenario]);
            case RunKind.ScenarioSet:
                return new ScenarioSubjects(p, plan.Scenarios.Select(s => CompiledScenario.Compile(info, s)).ToArray());
            case RunKind.Sweep:
            {
                var ranges = r.Ranges!.Select(g => new SweepRange(g.Parameter, g.Lower, g.Upper)).ToArray();
                var rows = r.PointsPerAxis is { } points ? ParameterSweep.Grid(ranges, points) : ParameterSweep.LatinHypercube(ranges, r.Size!.Value, r.Seed);
                return new DesignSubjects(p, ranges.Select(g => info.ParameterIndex(g.Parameter)).ToArray(), rows, scenario);
            }
            case RunKind.MonteCarlo:
            {
                var overrides = r.Uncertain!.ToDictionary(u => u.Parameter, u => (Distribution)LogNormalDistribution.FromMedianCv(p[info.ParameterIndex(u.Parameter)], u.Cv));
                var sampler = new CohortSampler(info, p, r.Uncertain!.Select(u => u.Parameter).ToArray(), overrides: overrides);
                return new SampledSubjects(sampler, r.Seed, plan.Subjects, scenario);
            }
            case RunKind.CohortTrial:
                // A seeded cohort draws the seeded parameters from the dataset's distributions, the rest from the model's.
                var seeded = r.CohortFrom is { } seed ? CohortSeeding.Overrides(seed) : null;
                return new SampledSubjects(new CohortSampler(info, p, overrides: seeded), r.Seed, plan.Subjects, scenario);
            default:
                throw new InvalidOperationException($"A {r.Kind} run has no subject source.");
        }
    }

    /// <summary>Executes one shard on the calling thread (callers run it off any grain turn).</summary>
    public static ShardOutput ExecuteShard(RunPlan plan, int shard, int maxDegreeOfParallelism = 1, Action<long>? progress = null, CancellationToken ct = default)
    {
        if (plan.Model.NotRunnableHere is { } why) throw new InvalidOperationException(why);
        if (plan.Request.Kind == RunKind.Sensitivity)
        {
            var sums = SensitivityShard(plan, shard, maxDegreeOfParallelism, progress, ct);
            return new ShardOutput(null, null, null, sums[0]) { SensitivityAlso = sums.Length > 1 ? sums[1..] : null };
        }
        var (from, to) = plan.ShardRange(shard);
        var runner = new SubjectShardRunner(plan.Model, plan.Solver, plan.Times, SubjectsOf(plan), BandAccuracy, plan.Request.Seed);
        var rows = new double[(to - from) * runner.SummaryWidth];
        var partial = runner.Run(from, to, rows, maxDegreeOfParallelism, progress, ct);
        return new ShardOutput(ShardStatistics.From(partial), ShardRows.From(rows, runner.SummaryWidth), null);
    }

    /// <summary>
    /// A sensitivity shard: base samples [from, to) / (d + 2) of the study (each takes d + 2 evaluations), their
    /// contributions to the Sobol estimators of each of the request's targets (an output's statistic over the time grid),
    /// from one solve per evaluation.
    /// </summary>
    private static SensitivitySums[] SensitivityShard(RunPlan plan, int shard, int maxDegreeOfParallelism, Action<long>? progress, CancellationToken ct)
    {
        var r = plan.Request;
        var info = plan.Model.Info;
        var p = plan.Model.Parameters(r.Parameters);
        var names = InputsOf(r);
        int width = names.Length + 2;
        var inputs = r.Uncertain is { Length: > 0 } u
            ? u.Select(x => (Distribution)LogNormalDistribution.FromMedianCv(p[info.ParameterIndex(x.Parameter)], x.Cv)).ToArray()
            : r.Ranges!.Select(g => (Distribution)new UniformDistribution(g.Lower, g.Upper)).ToArray();
        var indices = names.Select(info.ParameterIndex).ToArray();
        var scenario = CompiledScenario.Compile(info, plan.Scenario);
        int ny = info.Outputs.Count, nt = plan.Times.Length;
        var targets = SensitivityTargets(r);
        var outputs = targets.Select(t => info.OutputIndex(t.Output!)).ToArray();
        var times = plan.Times;
        // A workspace per thread: a solve writes into it.
        using var workspaces = new ThreadLocal<(Simulation.Engine.ISubjectSimulator Ws, double[] X, double[] Y)>(() =>
            (plan.Model.CreateSimulator(plan.Solver, plan.Times), (double[])p.Clone(), new double[nt * ny]));
        // The d + 2 evaluations of a base sample share its seed: a stochastic code's own noise then cancels in the
        // estimators' differences (common random numbers) instead of inflating every index.
        // The full parameter vector of a point v of the study's inputs.
        double[] Place(double[] v, double[] x)
        {
            p.CopyTo(x, 0);
            for (int i = 0; i < indices.Length; i++) x[indices[i]] = v[i];
            return x;
        }
        void F(long sample, double[] v, double[] f)
        {
            var (ws, x, y) = workspaces.Value;
            Place(v, x);
            var solved = ws.Solve(scenario, x, y, Simulation.Engine.SubjectIdentity.Of(r.Seed, sample), ct) == IntegrationStatus.Completed;
            for (int k = 0; k < targets.Length; k++) f[k] = solved ? SeriesStatistic.Of(targets[k].Statistic!, y, ny, outputs[k], times) : double.NaN;
        }
        // A code that takes subjects in batches gets a base sample's evaluations in one process.
        void Announce(long sample, double[][] points)
        {
            if (workspaces.Value.Ws is not Simulation.Engine.IPrefetchingSimulator batches) return;
            var subject = Simulation.Engine.SubjectIdentity.Of(r.Seed, sample);
            batches.Prefetch([.. points.Select(v => new Simulation.Engine.SubjectCase(scenario, Place(v, new double[p.Length]), subject))], ct);
        }
        var (from, to) = plan.ShardRange(shard);
        return [.. SobolAnalysis.Evaluate(inputs, targets.Length, F, r.Seed, from / width, to / width, maxDegreeOfParallelism, progress, ct,
            plan.Model is Simulation.Models.External.ExternalModel { BatchSize: > 1 } ? Announce : null).Select(SensitivitySums.From)];
    }

    /// <summary>The indices of a sensitivity run from its shards' sums, merged in shard order.</summary>
    /// <param name="target">which of the request's targets (<see cref="SensitivityTargets"/>) the sums are of: 0 for its own.</param>
    public static SensitivityResult SensitivityOf(RunPlan plan, IEnumerable<SensitivitySums> inShardOrder, int target = 0)
    {
        var names = InputsOf(plan.Request);
        var merged = new SobolPartial(names.Length);
        foreach (var sums in inShardOrder) merged.Merge(sums.ToPartial());
        var of = SensitivityTargets(plan.Request)[target];
        return SensitivityResult.From(of.Output!, of.Statistic!, merged.Indices(names, plan.Request.Size!.Value));
    }
}
