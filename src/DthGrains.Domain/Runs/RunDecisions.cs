using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Platform;
using DthGrains.Simulation.Cohorts;

namespace DthGrains.Domain.Runs;

/// <summary>Pure decide functions of a simulation run.</summary>
public static class RunDecisions
{
    /// <summary>Who may see and cancel a run: its owner, auditors (see only), platform admins, the platform.</summary>
    public static bool MaySee(RunState s, Actor viewer) =>
        s.Exists && (viewer.Subject == s.Submitted!.Owner || viewer.HasRole(Roles.Auditor) || viewer.HasRole(Roles.PlatformAdmin) || viewer.HasRole(Roles.System));

    /// <summary>Null when <paramref name="actor"/> may submit runs (researchers), else the 403.</summary>
    public static Problem? MaySubmit(Actor actor) => actor.HasRole(Roles.Researcher) ? null : Problem.Forbidden("Runs are submitted by researchers.");

    /// <summary>
    /// Records the submission and the start. The grants are those the policy decision point named for each dataset. A
    /// cohort still to be seeded from a dataset is only submitted: it starts with its seed (<see cref="Seed"/>).
    /// </summary>
    public static Decision Submit(RunState s, RunPlan plan, Actor actor, RunDataset[] datasets, string[] grants, DateTimeOffset now)
    {
        if (MaySubmit(actor) is { } notResearcher) return notResearcher;
        if (s.Exists) return Problem.Conflict($"Run '{s.Id}' exists.", s.Version);
        var r = plan.Request;
        var info = plan.Model.Info;
        var submitted = new RunSubmitted(s.Id, actor.Subject, actor.Name, actor.Institution, actor.Roles.IsDefault ? [] : [.. actor.Roles], r.Kind, r,
            info.Id, info.Version, RunPlanner.EngineVersion, plan.RequestHash, r.Seed, r.Solver!, datasets, grants.Distinct().Order(StringComparer.Ordinal).ToArray(),
            datasets.Length > 0 ? r.Purpose : null, plan.Shards, plan.ShardSize, plan.Subjects, plan.Times, plan.Outputs, now)
        {
            ModelCodeDigest = (plan.Model as Simulation.Models.External.ExternalModel)?.CodeDigest,
        };
        return r.CohortFrom is { Parameters: null } ? Decision.Of(submitted) : Decision.Of(submitted, new RunStarted(s.Id, now));
    }

    /// <summary>
    /// The cohort's seed was fitted at the data: record it with the seeded request's hash (<paramref name="seeded"/> is the
    /// plan of the submitted request with this seed), and start the run, or resume it when it was suspended waiting for
    /// the data holder or a grant (<paramref name="grants"/>: those permitting it now). Nothing for a run that is not
    /// waiting for its seed (ended, or seeded already).
    /// </summary>
    public static Decision Seed(RunState s, CohortSeed seed, RunPlan seeded, string[] grants, DateTimeOffset now)
    {
        if (!s.AwaitsSeed || s.IsTerminal) return Decision.Nothing;
        var fitted = new CohortSeeded(s.Id, seed, seeded.RequestHash, now);
        return s.Status == RunStatus.Suspended
            ? Decision.Of(fitted, new RunResumed(s.Id, grants.Distinct().Order(StringComparer.Ordinal).ToArray(), now))
            : Decision.Of(fitted, new RunStarted(s.Id, now));
    }

    /// <summary>
    /// Counts a shard once: a repeat of a completed shard, or any shard after the run ended (cancelled, failed,
    /// completed), appends nothing. Nor does a shard that finishes while the run is suspended: nothing completes after
    /// a suspension; the shard runs again after the resumption (with the same result). The last shard also completes
    /// the run, with the merged results.
    /// </summary>
    /// <param name="statistics">the statistics of the shards recorded so far (the state keeps only their counts).</param>
    /// <param name="unrecorded">shards decided before this one in the same decision, not recorded yet.</param>
    public static Decision CompleteShard(RunState s, ShardCompleted shard, RunPlan plan, ShardStatisticsFold statistics, IReadOnlyList<ShardCompleted>? unrecorded = null)
    {
        if (!s.Exists) return Problem.NotFound($"Run '{s.Id}'");
        if (s.IsTerminal || s.Status == RunStatus.Suspended || s.Shards.ContainsKey(shard.Shard)) return Decision.Nothing;
        if (shard.Shard < 0 || shard.Shard >= s.ShardsTotal) return Problem.Invalid("shard", $"Run '{s.Id}' has shards 0 to {s.ShardsTotal - 1}.");
        var (from, to) = plan.ShardRange(shard.Shard);
        if (shard.From != from || shard.To != to) return Problem.Invalid("shard", $"Shard {shard.Shard} covers subjects [{from}, {to}).");
        shard = shard.Detached();
        if (s.Shards.Count + 1 < s.ShardsTotal) return Decision.Of(shard);
        var all = s.Shards.SetItem(shard.Shard, shard);
        try
        {
            return Decision.Of(shard, Complete(s, all, plan, shard.CompletedAt, statistics, [.. unrecorded ?? [], shard]));
        }
        catch (UnmergeableStatisticsException unmergeable)
        {
            // Statistics this engine cannot merge (another format, undecodable) never will be: the run fails with the
            // reason. Refusing the shard instead would have its worker report it again and again, the run never ending.
            return Decision.Of(shard, new RunFailed(s.Id, unmergeable.Message, shard.CompletedAt));
        }
    }

    /// <summary>
    /// Several shard results recorded in one decision (one append): folded in the order given with
    /// <see cref="CompleteShard"/>, each against the state the previous ones left, so each shard counts once by index
    /// (a repeat in the batch or in the stream appends nothing), nothing counts after the run ended, and the shard that
    /// completes the run is followed by RunCompleted and nothing else. A refused shard (outside the plan) refuses the batch.
    /// </summary>
    public static Decision CompleteShards(RunState s, IReadOnlyList<ShardCompleted> shards, RunPlan plan, ShardStatisticsFold statistics)
    {
        var events = new List<object>();
        var unrecorded = new List<ShardCompleted>();
        var state = s;
        foreach (var shard in shards)
        {
            var decided = CompleteShard(state, shard, plan, statistics, unrecorded);
            if (decided.Problem is not null) return decided.Problem;
            foreach (var e in decided.Events)
            {
                events.Add(e);
                if (e is ShardCompleted completed) unrecorded.Add(completed);
                state = RunState.Evolve(state, e);
            }
        }
        return events.Count == 0 ? Decision.Nothing : new Decision(events, null);
    }

    /// <summary>
    /// Merges the shards in shard-index order, never arrival order: the same request gives bit-identical results. The
    /// statistics come from <paramref name="statistics"/> (the recorded shards) and <paramref name="unrecorded"/> (the
    /// shards recorded with the completion); everything else from <paramref name="shards"/>, all of the run's.
    /// </summary>
    public static RunCompleted Complete(RunState s, IReadOnlyDictionary<int, ShardCompleted> shards, RunPlan plan, DateTimeOffset now,
        ShardStatisticsFold statistics, IEnumerable<ShardCompleted> unrecorded)
    {
        var sub = s.Submitted!;
        var ordered = shards.OrderBy(p => p.Key).Select(p => p.Value).ToList();
        RunSummary? summary = null;
        // SHA-256 over the merged statistics (binary), every shard's rows digest (SHA-256 of its binary subject rows, in
        // shard order) and the sensitivity indices: the same request and seed give the same hash on any number of silos.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (ordered.Count > 0 && statistics.MergedWith(unrecorded) is { } merged)
        {
            summary = RunSummary.From(merged, sub.Times, sub.Outputs, plan.Request.Percentiles ?? RunPlanner.DefaultPercentiles, plan.Units);
            hash.AppendData(ShardStatistics.Encode(merged));
        }
        foreach (var shard in ordered) hash.AppendData(shard.RowsSha256());
        // A sensitivity run's shards carry sums, merged here in shard order; one recorded before 2026-12-06 had one
        // shard carrying the whole study's indices.
        var sensitivity = ordered.Select(x => x.Sensitivity).FirstOrDefault(x => x is not null)
            ?? (ordered.Count > 0 && ordered.All(x => x.SensitivitySums is not null) ? RunPlanner.SensitivityOf(plan, ordered.Select(x => x.SensitivitySums!)) : null);
        // The further targets' indices (a study that names them), each merged over the shards likewise; only when present,
        // so a study of one target keeps its hash.
        var also = plan.Request.SensitivityAlso is { Length: > 0 } further && ordered.Count > 0 && ordered.All(x => x.SensitivityAlso?.Length == further.Length)
            ? Enumerable.Range(0, further.Length).Select(k => RunPlanner.SensitivityOf(plan, ordered.Select(x => x.SensitivityAlso![k]), k + 1)).ToArray()
            : null;
        foreach (var result in new[] { sensitivity }.Concat(also ?? []))
            if (result is not null) hash.AppendData(Encoding.UTF8.GetBytes(string.Join(',', result.FirstOrder.Concat(result.Total).Select(v => v?.ToString("R", CultureInfo.InvariantCulture)))));
        var resultHash = Convert.ToHexStringLower(hash.GetHashAndReset());
        return new RunCompleted(s.Id, sub.ModelId, sub.ModelVersion, sub.EngineVersion, s.RequestHash, sub.Seed, sub.Solver, sub.Datasets, [.. s.Grants],
            sub.Shards, sub.Subjects, ordered.Sum(x => x.Statistics?.Failed ?? 0), summary, sensitivity, resultHash, now)
        { SensitivityAlso = also, ComputedAt = ComputeSite.Of(ordered) };
    }

    /// <summary>
    /// A grant stopped permitting the run, or its cohort cannot be seeded for now: suspend it (a running run, or one
    /// submitted and waiting for its seed). A suspended run keeps its reason, except one waiting for its seed when what
    /// holds it changes (its data holder's silo came back, but the grant no longer permits the read, say): the reason
    /// it shows must be the one that holds it now.
    /// </summary>
    public static Decision Suspend(RunState s, string reason, string? dataset, DateTimeOffset now) =>
        s.Exists && (s.Status is RunStatus.Running or RunStatus.Submitted || (s.Status == RunStatus.Suspended && s.AwaitsSeed && s.StatusReason != reason))
            ? Decision.Of(new RunSuspended(s.Id, reason, dataset, now))
            : Decision.Nothing;

    /// <summary>Every dataset is permitted again: resume (only a suspended run).</summary>
    public static Decision Resume(RunState s, string[] grants, DateTimeOffset now) =>
        s.Status == RunStatus.Suspended ? Decision.Of(new RunResumed(s.Id, grants.Distinct().Order(StringComparer.Ordinal).ToArray(), now)) : Decision.Nothing;

    public static Decision Cancel(RunState s, Actor actor, string? reason, DateTimeOffset now)
    {
        if (!MaySee(s, actor)) return Problem.NotFound($"Run '{s.Id}'");
        if (actor.Subject != s.Submitted!.Owner && !actor.HasRole(Roles.PlatformAdmin) && !actor.HasRole(Roles.System))
            return Problem.Forbidden("Only the run's owner or a platform admin cancels a run.");
        if (s.IsTerminal) return Problem.Conflict($"The run is {s.Status.ToString().ToLowerInvariant()}; there is nothing to cancel.", s.Version);
        var why = string.IsNullOrWhiteSpace(reason) ? "no reason given" : reason.Trim();
        if (why.Length > 1000 || why.Any(char.IsControl)) return Problem.Invalid("reason", "'reason' is at most 1000 characters without control characters.");
        return Decision.Of(new RunCancelled(s.Id, actor.Subject, why, now));
    }

    /// <summary>
    /// Releases (deletes) the per-subject rows stored beside the stream, once the run has ended: storage is given back,
    /// and what the ledger pins stays (each shard's rows digest, the summary, the result hash). The owner or a platform
    /// admin asks; the retention policy asks as the system. Releasing again records nothing.
    /// </summary>
    public static Decision ReleaseRows(RunState s, Actor actor, string? reason, DateTimeOffset now)
    {
        if (!MaySee(s, actor)) return Problem.NotFound($"Run '{s.Id}'");
        if (actor.Subject != s.Submitted!.Owner && !actor.HasRole(Roles.PlatformAdmin) && !actor.HasRole(Roles.System))
            return Problem.Forbidden("Only the run's owner or a platform admin releases a run's per-subject rows.");
        if (!s.IsTerminal)
            return Problem.Conflict($"The run is {s.Status.ToString().ToLowerInvariant()}; its rows are released once it has ended (cancel it first, or wait).", s.Version);
        if (s.RowsReleased is not null) return Decision.Nothing;
        var why = string.IsNullOrWhiteSpace(reason) ? "no reason given" : reason.Trim();
        if (why.Length > 1000 || why.Any(char.IsControl)) return Problem.Invalid("reason", "'reason' is at most 1000 characters without control characters.");
        var stored = s.Shards.Values.Count(x => x.RowsDigest is not null);
        return Decision.Of(new RunRowsReleased(s.Id, actor.Subject, why, stored, now));
    }

    public static Decision Fail(RunState s, string reason, DateTimeOffset now) =>
        s.Exists && !s.IsTerminal ? Decision.Of(new RunFailed(s.Id, reason, now)) : Decision.Nothing;
}
