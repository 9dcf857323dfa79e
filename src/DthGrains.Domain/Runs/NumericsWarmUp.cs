using System.Diagnostics;
using DthGrains.Contracts.Runs;
using DthGrains.Simulation.Models;

namespace DthGrains.Domain.Runs;

/// <summary>What a warm-up did: rounds over the models, and how long its first and last rounds took.</summary>
public sealed record NumericsWarmUpReport(int Models, int Rounds, long Subjects, TimeSpan FirstRound, TimeSpan LastRound, TimeSpan Elapsed);

/// <summary>
/// Brings the solvers to optimised code before the first run needs them. The tiered JIT starts every method in tier 0 and
/// promotes a hot one only after a quiet spell with no new tier-0 code; a silo that just started, or is busy, keeps
/// compiling, and measured with the runs benchmark its numerics then ran 3–8× slower for roughly the first 10–40 s.
/// Solving small cohorts of every shipped model through the workers' own path (<see cref="RunPlanner.ExecuteShard"/>:
/// sampling, solving, statistics, rows) for a few seconds at start lets the promotions land while nobody waits on them,
/// and keeps what dynamic PGO gives (fully optimising these methods up front instead measured 56 ms against 32 ms for
/// 1,000 single-thread solves).
/// </summary>
public static class NumericsWarmUp
{
    /// <summary>Subjects per model per round: a round is a few ms, so the budget is kept closely and a stop is prompt.</summary>
    public const int SubjectsPerRound = 16;

    /// <summary>Solves rounds of every model until <paramref name="budget"/> has passed (at least one round) or <paramref name="ct"/> stops it.</summary>
    public static NumericsWarmUpReport Run(TimeSpan budget, CancellationToken ct = default)
    {
        var plans = ModelLibrary.Engine
            .Select(m => RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, m.Info.Id, Size: SubjectsPerRound, Seed: 1)).Plan)
            .OfType<RunPlan>()
            .ToList();
        var clock = Stopwatch.StartNew();
        var (rounds, subjects, first, last) = (0, 0L, TimeSpan.Zero, TimeSpan.Zero);
        while (!ct.IsCancellationRequested && (rounds == 0 || clock.Elapsed < budget))
        {
            var round = Stopwatch.StartNew();
            try
            {
                foreach (var plan in plans)
                {
                    RunPlanner.ExecuteShard(plan, 0, 1, null, ct);
                    subjects += plan.Subjects;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            last = round.Elapsed;
            if (rounds++ == 0) first = last;
        }
        return new NumericsWarmUpReport(plans.Count, rounds, subjects, first, last, clock.Elapsed);
    }
}
