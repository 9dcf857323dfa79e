using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Platform;

namespace DthGrains.Domain.Runs;

/// <summary>What executing a run's request off the platform gave: the figures a completed run records, to compare with them.</summary>
public sealed record ReproducedRun(string RequestHash, string EngineVersion, int Shards, long Subjects, long Failed, RunSummary? Summary,
    SensitivityResult? Sensitivity, string ResultHash);

/// <summary>
/// Executes a run's recorded (normalised) request on this machine, shard by shard as the workers do, and completes it with
/// the run's own decisions (<see cref="RunDecisions.CompleteShard"/>), so the result hash is computed by the same code as
/// on the platform. A run's results depend on its request alone (seed, model and engine version, the shards' cut), never
/// on where or in which order its shards ran: anyone holding the request (an auditor with the run's RO-Crate, a
/// researcher checking a published figure) gets the recorded result hash back, or learns that the results were not made
/// from this request by this engine.
/// </summary>
public static class RunReproduction
{
    private static readonly Actor Reproducer = new("reproduction", "Reproduction", "local", [Roles.Researcher]);

    /// <summary>
    /// Executes <paramref name="request"/>: up to <paramref name="maxParallelShards"/> shards at a time (each on one thread,
    /// like a worker), folded in shard order as they come; a shard's statistics and rows are let go once folded, so memory
    /// holds a few shards per thread whatever the run's size. <paramref name="progress"/> gets the subjects done so far, from any thread.
    /// </summary>
    /// <returns>the reproduction, or the problem that keeps the request from planning (it was not made by this engine's planner).</returns>
    public static (ReproducedRun? Run, Problem? Problem) Reproduce(RunRequest request, int maxParallelShards = -1, Action<long>? progress = null, CancellationToken ct = default)
    {
        var (plan, problem) = RunPlanner.Plan(request);
        return plan is null ? (null, problem) : Reproduce(plan, maxParallelShards, progress, ct);
    }

    /// <summary>The same, for a request planned already.</summary>
    public static (ReproducedRun? Run, Problem? Problem) Reproduce(RunPlan plan, int maxParallelShards = -1, Action<long>? progress = null, CancellationToken ct = default)
    {
        // A cohort still waiting for its seed has no subjects to draw: only a seeded request (its parameters fitted) reproduces.
        if (plan.Request.CohortFrom is { Parameters: null } unseeded)
            return (null, Problem.Invalid("cohortFrom", $"'{unseeded.Dataset}' seeds this cohort: the seed is fitted at the data holder's silos, under a grant, so the " +
                "request runs on the platform (dth run submit --cohort-from). A completed run's request.json carries the fitted seed and runs anywhere."));
        var at = DateTimeOffset.UnixEpoch;
        var state = RunState.Initial("reproduction");
        state = Apply(state, RunDecisions.Submit(state, plan, Reproducer, [], [], at));
        var statistics = new ShardStatisticsFold(plan.Times.Length * plan.Outputs.Length);
        var parallel = Math.Min(plan.Shards, maxParallelShards > 0 ? maxParallelShards : Environment.ProcessorCount);
        var done = new long[plan.Shards];
        // Each thread takes a permit, then the next shard, so the lowest shard not folded yet always holds a permit and
        // ends: shards finished ahead of it wait at most 2 per thread, and no core idles while another finishes a batch.
        using var permits = new SemaphoreSlim(2 * parallel);
        var waiting = new SortedDictionary<int, ShardOutput>();
        var (next, folded) = (-1, 0);
        // A shard that throws stops the others too: they would wait for permits its fold was to give back.
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            Parallel.For(0, parallel, new ParallelOptions { MaxDegreeOfParallelism = parallel }, _ =>
            {
                try
                {
                    Work(failed.Token);
                }
                catch
                {
                    failed.Cancel();
                    throw;
                }
            });
        }
        catch (AggregateException ex)
        {
            // The caller's cancellation as such; otherwise the shard's own failure, not the others it stopped.
            ct.ThrowIfCancellationRequested();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.Flatten().InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException) ?? ex);
        }

        void Work(CancellationToken stop)
        {
            while (true)
            {
                permits.Wait(stop);
                var shard = Interlocked.Increment(ref next);
                if (shard >= plan.Shards)
                {
                    permits.Release();
                    return;
                }
                var output = RunPlanner.ExecuteShard(plan, shard, 1, n =>
                {
                    Interlocked.Exchange(ref done[shard], n);
                    progress?.Invoke(done.Sum());
                }, stop);
                lock (waiting)
                {
                    waiting.Add(shard, output);
                    // In shard order, whatever order they finish in: the run's decisions and the fold see what the platform's run sees.
                    while (waiting.Remove(folded, out var first))
                    {
                        var decided = RunDecisions.CompleteShard(state, first.ToShard(state.Id, folded, plan.ShardRange(folded), "local", 0, at), plan, statistics);
                        if (decided.Problem is { } refused) throw new InvalidOperationException($"Shard {folded} was refused by the run's decisions: {refused.Detail}");
                        foreach (var recorded in decided.Events.OfType<ShardCompleted>()) statistics.Record(recorded);
                        state = Apply(state, decided);
                        folded++;
                        permits.Release();
                    }
                }
            }
        }
        var completed = state.Completed ?? throw new InvalidOperationException("Every shard was folded, yet the run did not complete.");
        return (new ReproducedRun(plan.RequestHash, RunPlanner.EngineVersion, plan.Shards, plan.Subjects, completed.Failed, completed.Summary,
            completed.Sensitivity, completed.ResultHash), null);
    }

    private static RunState Apply(RunState state, Decision decision)
    {
        if (decision.Problem is { } problem) throw new InvalidOperationException($"The run's decisions refused a step of the reproduction: {problem.Detail}");
        return decision.Events.Aggregate(state, RunState.Evolve);
    }
}
