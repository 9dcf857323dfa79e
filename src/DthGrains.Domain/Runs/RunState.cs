using System.Collections.Immutable;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;

namespace DthGrains.Domain.Runs;

/// <summary>One run, folded from its stream: submission, completed shards (by index), status.</summary>
public sealed record RunState(
    string Id,
    bool Exists,
    RunSubmitted? Submitted,
    RunStatus Status,
    string? StatusReason,
    ImmutableSortedDictionary<int, ShardCompleted> Shards,
    long SubjectsDone,
    long Failed,
    ImmutableArray<string> Grants,
    RunCompleted? Completed,
    long Version,
    DateTimeOffset UpdatedAt)
{
    public static RunState Initial(string id) =>
        new(id, false, null, RunStatus.Submitted, null, ImmutableSortedDictionary<int, ShardCompleted>.Empty, 0, 0, [], null, 0, default);

    public bool IsTerminal => Status is RunStatus.Cancelled or RunStatus.Failed or RunStatus.Completed;

    /// <summary>The fitted seed of a cohort seeded after its submission (<see cref="CohortSeeded"/>); null otherwise.</summary>
    public CohortSeeded? Seeded { get; init; }

    /// <summary>When the per-subject rows stored beside the stream were released (deleted); null while they are kept.</summary>
    public RunRowsReleased? RowsReleased { get; init; }

    /// <summary>A seeded cohort whose distributions are not fitted yet: nothing runs until they are.</summary>
    public bool AwaitsSeed => Exists && Seeded is null && Submitted!.Request.CohortFrom is { Parameters: null };

    /// <summary>The run's request: the submitted one, with the fitted seed once there is one. Workers plan from it.</summary>
    public RunRequest Request => Seeded is { } seeded ? Submitted!.Request with { CohortFrom = seeded.Seed } : Submitted!.Request;

    /// <summary>The canonical hash of <see cref="Request"/>, the one the results point at.</summary>
    public string RequestHash => Seeded?.RequestHash ?? Submitted!.RequestHash;

    public int ShardsTotal => Submitted?.Shards ?? 0;

    /// <summary>Shards not completed yet, in index order.</summary>
    public IEnumerable<int> Outstanding => Enumerable.Range(0, ShardsTotal).Where(i => !Shards.ContainsKey(i));

    /// <summary>
    /// The shards to hand out next: outstanding, not in flight, at most <paramref name="slots"/>, and none
    /// <paramref name="ahead"/> or more past the first outstanding one. A shard recorded ahead of a missing one waits,
    /// encoded, in the run's statistics fold (<see cref="ShardStatisticsFold"/>) until the missing one comes (run again
    /// after its silo was lost, a supervision period later): the limit bounds how many can wait.
    /// </summary>
    public IReadOnlyList<int> NextShards(IReadOnlySet<int> inFlight, int slots, int ahead)
    {
        if (slots <= 0) return [];
        var outstanding = Outstanding.GetEnumerator();
        if (!outstanding.MoveNext()) return [];
        var limit = outstanding.Current + Math.Max(1, ahead);
        var next = new List<int>(slots);
        do
        {
            var i = outstanding.Current;
            if (i >= limit) break;
            if (!inFlight.Contains(i)) next.Add(i);
        }
        while (next.Count < slots && outstanding.MoveNext());
        return next;
    }

    public Actor Owner => new(Submitted!.Owner, Submitted.OwnerName, Submitted.OwnerInstitution, [.. Submitted.OwnerRoles]);

    public static RunState Evolve(RunState s, object @event) => (@event switch
    {
        RunSubmitted e => s with { Exists = true, Submitted = e, Status = RunStatus.Submitted, Grants = [.. e.Grants], UpdatedAt = e.SubmittedAt },
        RunStarted e => s with { Status = RunStatus.Running, UpdatedAt = e.StartedAt },
        CohortSeeded e => s with { Seeded = e, UpdatedAt = e.SeededAt },
        ShardCompleted e => s.Shards.ContainsKey(e.Shard) ? s : s with
        {
            // The rows are stored beside the stream (or, in older shards, in it) and results are read from there; the
            // state keeps their digest, so a run of a million subjects does not hold ~130 MB of rows in its grain. Nor
            // does it keep the statistics (32 KB a shard): their counts stay, and the run merges them as they come
            // (ShardStatisticsFold).
            Shards = s.Shards.Add(e.Shard, (e.RowsDigest is null ? e : e with { Rows = null, DetachedRows = null }) with
            {
                Statistics = e.Statistics is { } statistics ? statistics with { Data = [] } : null,
            }),
            SubjectsDone = s.SubjectsDone + (e.To - e.From),
            Failed = s.Failed + (e.Statistics?.Failed ?? 0),
            UpdatedAt = e.CompletedAt,
        },
        RunSuspended e => s with { Status = RunStatus.Suspended, StatusReason = e.Reason, UpdatedAt = e.SuspendedAt },
        RunResumed e => s with { Status = RunStatus.Running, StatusReason = null, Grants = [.. s.Grants.Union(e.Grants)], UpdatedAt = e.ResumedAt },
        RunCancelled e => s with { Status = RunStatus.Cancelled, StatusReason = $"cancelled by {e.By}: {e.Reason}", UpdatedAt = e.CancelledAt },
        RunFailed e => s with { Status = RunStatus.Failed, StatusReason = e.Reason, UpdatedAt = e.FailedAt },
        RunCompleted e => s with { Status = RunStatus.Completed, StatusReason = null, Completed = e, UpdatedAt = e.CompletedAt },
        RunRowsReleased e => s with { RowsReleased = e },
        _ => s,
    }) with { Version = s.Version + 1 };

    public RunView ToView() => new(Id, Submitted!.Owner, Submitted.Kind, Status, StatusReason, ShardsTotal, Shards.Count, Submitted.Subjects, SubjectsDone,
        RequestHash, Version, Submitted.SubmittedAt, UpdatedAt);
}
