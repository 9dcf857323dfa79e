using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Platform;

namespace DthGrains.Domain.Runs;

/// <summary>What executing a run's request off the platform gave: the figures a completed run records, to compare with them.</summary>
/// <param name="ShardFingerprints">each shard's <see cref="ShardFingerprint"/>, in shard order: which shards differ when the result hash does.</param>
public sealed record ReproducedRun(string RequestHash, string EngineVersion, int Shards, long Subjects, long Failed, RunSummary? Summary,
    SensitivityResult? Sensitivity, string ResultHash, IReadOnlyList<string> ShardFingerprints)
{
    /// <summary>The indices of a sensitivity study's further targets, in their order (null when it has none).</summary>
    public SensitivityResult[]? SensitivityAlso { get; init; }
}

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
        if (Unrunnable(plan) is { } unrunnable) return (null, unrunnable);
        var folder = new ShardFolder(plan);
        var parallel = Math.Min(plan.Shards, maxParallelShards > 0 ? maxParallelShards : Environment.ProcessorCount);
        var done = new long[plan.Shards];
        // Each thread takes a permit, then the next shard, so the lowest shard not folded yet always holds a permit and
        // ends: shards finished ahead of it wait at most 2 per thread, and no core idles while another finishes a batch.
        using var permits = new SemaphoreSlim(2 * parallel);
        var waiting = new SortedDictionary<int, ShardOutput>();
        var (next, folded) = (-1, 0);
        InParallel(parallel, ct, stop =>
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
                        var refused = folder.Fold(first.ToShard(folder.Id, folded, plan.ShardRange(folded), "local", 0, ShardFolder.At));
                        if (refused is not null) throw new InvalidOperationException($"Shard {folded} was refused by the run's decisions: {refused.Detail}");
                        folded++;
                        permits.Release();
                    }
                }
            }
        });
        return (folder.Result(), null);
    }

    /// <summary>
    /// Executes only the given shards of <paramref name="plan"/> (each on one thread, up to <paramref name="maxParallelShards"/>
    /// at a time) and gives their fingerprints, to compare with the recorded shards': a sample checks a large run for a
    /// fraction of its CPU, and the shards a silo computed can be checked alone.
    /// </summary>
    /// <returns>the fingerprints in the order of <paramref name="shards"/>, or why the request cannot run here.</returns>
    public static (IReadOnlyList<(int Shard, string Fingerprint)>? Fingerprints, Problem? Problem) ReproduceShards(RunPlan plan, IReadOnlyList<int> shards,
        int maxParallelShards = -1, Action<long>? progress = null, CancellationToken ct = default)
    {
        if (Unrunnable(plan) is { } unrunnable) return (null, unrunnable);
        foreach (var shard in shards)
            if (shard < 0 || shard >= plan.Shards) throw new ArgumentOutOfRangeException(nameof(shards), $"The run has shards 0 to {plan.Shards - 1}.");
        var fingerprints = new string[shards.Count];
        var done = new long[shards.Count];
        var next = -1;
        var parallel = Math.Max(1, Math.Min(shards.Count, maxParallelShards > 0 ? maxParallelShards : Environment.ProcessorCount));
        InParallel(parallel, ct, stop =>
        {
            for (int i = Interlocked.Increment(ref next); i < shards.Count; i = Interlocked.Increment(ref next))
            {
                int at = i;
                var output = RunPlanner.ExecuteShard(plan, shards[at], 1, n =>
                {
                    Interlocked.Exchange(ref done[at], n);
                    progress?.Invoke(done.Sum());
                }, stop);
                fingerprints[at] = ShardFingerprint.Of(output.ToShard(ShardFolder.RunId, shards[at], plan.ShardRange(shards[at]), "local", 0, ShardFolder.At));
            }
        });
        return ([.. shards.Select((shard, i) => (shard, fingerprints[i]))], null);
    }

    /// <summary>A cohort still waiting for its seed has no subjects to draw: only a seeded request (its parameters fitted) reproduces.</summary>
    private static Problem? Unrunnable(RunPlan plan) => plan.Request.CohortFrom is { Parameters: null } unseeded
        ? Problem.Invalid("cohortFrom", $"'{unseeded.Dataset}' seeds this cohort: the seed is fitted at the data holder's silos, under a grant, so the " +
            "request runs on the platform (dth run submit --cohort-from). A completed run's request.json carries the fitted seed and runs anywhere.")
        : null;

    /// <summary>
    /// Folds a run's recorded shards (in shard order, with the run's own decisions) without executing anything: the
    /// figures they make, to compare with the run's recorded results. The recorded shards make the recorded results when
    /// the result hashes agree; with a sample of shards re-run (<see cref="ReproduceShards"/>), that checks a run for a
    /// fraction of its cost.
    /// </summary>
    /// <returns>the figures, or the problem that keeps the shards from making a run of this plan (a shard missing, or outside it).</returns>
    public static (ReproducedRun? Run, Problem? Problem) Refold(RunPlan plan, IReadOnlyList<RecordedShard> recorded)
    {
        // The first recorded of each index, as the run counted it.
        var byShard = new SortedDictionary<int, RecordedShard>();
        foreach (var shard in recorded) byShard.TryAdd(shard.Shard, shard);
        for (int i = 0; i < plan.Shards; i++)
            if (!byShard.ContainsKey(i))
                return (null, Problem.Invalid("shards", $"The request plans {plan.Shards} shards; shard {i} is not among the {byShard.Count} recorded."));
        if (byShard.Count > plan.Shards)
            return (null, Problem.Invalid("shards", $"The request plans shards 0 to {plan.Shards - 1}; shard {byShard.Keys.Last()} was recorded too."));
        var folder = new ShardFolder(plan);
        try
        {
            foreach (var (index, shard) in byShard)
                if (folder.Fold(shard.ToShardCompleted(ShardFolder.RunId)) is { } refused)
                    return (null, Problem.Invalid("shards", $"Shard {index} is not a shard of this request: {refused.Detail}"));
            return (folder.Result(), null);
        }
        catch (InvalidOperationException ex)
        {
            // Statistics this engine cannot merge (another format, undecodable bytes) complete no run.
            return (null, Problem.Invalid("shards", ex.Message));
        }
    }

    /// <summary>Runs <paramref name="work"/> on <paramref name="parallel"/> threads; one that throws stops the others (they may wait for what it would have given).</summary>
    private static void InParallel(int parallel, CancellationToken ct, Action<CancellationToken> work)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            Parallel.For(0, parallel, new ParallelOptions { MaxDegreeOfParallelism = parallel }, _ =>
            {
                try
                {
                    work(failed.Token);
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
    }

    /// <summary>A run of one plan completed shard by shard, in shard order, with the run's own decisions.</summary>
    private sealed class ShardFolder
    {
        public const string RunId = "reproduction";
        public static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

        private readonly RunPlan _plan;
        private readonly ShardStatisticsFold _statistics;
        private readonly List<string> _fingerprints = [];
        private RunState _state;

        public ShardFolder(RunPlan plan)
        {
            _plan = plan;
            _statistics = new ShardStatisticsFold(plan.Times.Length * plan.Outputs.Length);
            _state = RunState.Initial(RunId);
            _state = Apply(_state, RunDecisions.Submit(_state, plan, Reproducer, [], [], At));
        }

        public string Id => _state.Id;

        /// <summary>Folds the next shard; the problem when the run's decisions refuse it.</summary>
        public Problem? Fold(ShardCompleted shard)
        {
            var decided = RunDecisions.CompleteShard(_state, shard, _plan, _statistics);
            if (decided.Problem is { } refused) return refused;
            foreach (var recorded in decided.Events.OfType<ShardCompleted>())
            {
                _statistics.Record(recorded);
                _fingerprints.Add(ShardFingerprint.Of(recorded));
            }
            _state = Apply(_state, decided);
            return null;
        }

        public ReproducedRun Result()
        {
            // A run whose shards' statistics cannot be merged fails at its completion, with the reason (the shard named).
            var completed = _state.Completed ?? throw new InvalidOperationException(_state.Status == RunStatus.Failed
                ? _state.StatusReason : "Every shard was folded, yet the run did not complete.");
            return new ReproducedRun(_plan.RequestHash, RunPlanner.EngineVersion, _plan.Shards, _plan.Subjects, completed.Failed, completed.Summary,
                completed.Sensitivity, completed.ResultHash, [.. _fingerprints]) { SensitivityAlso = completed.SensitivityAlso };
        }
    }

    private static RunState Apply(RunState state, Decision decision)
    {
        if (decision.Problem is { } problem) throw new InvalidOperationException($"The run's decisions refused a step of the reproduction: {problem.Detail}");
        return decision.Events.Aggregate(state, RunState.Evolve);
    }
}
