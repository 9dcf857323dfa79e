using DthGrains.Contracts.Platform;
using Orleans.Concurrency;

namespace DthGrains.Contracts.Runs;

/// <summary>One simulation run: its plan, shard states and results summary. Key: the run id.</summary>
public interface IRunGrain : IGrainWithStringKey
{
    /// <summary>Checks the policy (action simulate) for every dataset, records the submission and starts dispatching shards.</summary>
    Task<Outcome<RunView>> SubmitAsync(RunRequest request, CommandContext context);

    /// <summary>The run's status and progress, for its owner, auditors and platform admins.</summary>
    [ReadOnly]
    Task<Outcome<RunView>> GetAsync(Actor viewer);

    /// <summary>
    /// The run as <see cref="GetAsync"/> gives it, once it has ended or <paramref name="timeout"/> has passed (at most
    /// <see cref="MaxWait"/>, under the call timeout), whichever comes first: a caller waits for the end without polling.
    /// </summary>
    [AlwaysInterleave]
    Task<Outcome<RunView>> WaitForEndAsync(Actor viewer, TimeSpan timeout);

    /// <summary>The longest one <see cref="WaitForEndAsync"/> waits; a longer wait asks again.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    /// <summary>Cancels the run: no shard is dispatched or counted after this.</summary>
    Task<Outcome<RunView>> CancelAsync(string? reason, CommandContext context);

    /// <summary>Releases (deletes) the per-subject rows of an ended run; the summary, bands and the ledger's digests stay.</summary>
    Task<Outcome<RunView>> ReleaseRowsAsync(string? reason, CommandContext context);

    /// <summary>
    /// A worker's result for one shard; idempotent by shard index (a repeat is ignored). Completes once the result is
    /// durable (or was refused). Interleaves, but only queues: results that arrive while an append is in flight are
    /// recorded together, in one append after one policy check, in a turn of the run's own.
    /// </summary>
    [AlwaysInterleave]
    Task ReportShardAsync(ShardResult result);

    /// <summary>
    /// The outcome of fitting a seeded cohort at the data holder's silos (the run calls this on itself when the fit,
    /// which runs off its turns, is over): records the seed and starts the run, or suspends or fails it with the reason.
    /// </summary>
    Task SeedFittedAsync(Outcome<CohortSeed> fitted);

    /// <summary>A worker's progress inside a shard (subjects done so far); ephemeral.</summary>
    [OneWay]
    Task ReportProgressAsync(int shard, long subjectsDone);

    /// <summary>Adds (or refreshes) a follower of durable events and progress; returns the stream's current version.</summary>
    Task<long> FollowAsync(IRunObserver observer);

    /// <summary>Removes a follower.</summary>
    Task UnfollowAsync(IRunObserver observer);
}

/// <summary>Executes shards off the grain turn. Key: <c>{runId}/{shard}</c>; placed on hpc silos first.</summary>
public interface IRunWorkerGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts the shard unless this activation already runs or ran it (then re-reports an unacknowledged result). True when started.
    /// Interleaves: the worker may be awaiting the run (its report) while the run asks it again.
    /// </summary>
    [AlwaysInterleave]
    Task<bool> EnsureRunningAsync(ShardWork work);

    /// <summary>Stops the shard at the next chunk; nothing is reported.</summary>
    [OneWay, AlwaysInterleave]
    Task CancelAsync();
}

/// <summary>A follower of a run (an SSE stream on some silo).</summary>
public interface IRunObserver : IGrainObserver
{
    [OneWay]
    Task OnEventAsync(RunStreamEvent e);

    [OneWay]
    Task OnProgressAsync(RunProgress progress);
}

/// <summary>
/// Admits one researcher's run submissions one at a time (key: the researcher's subject), so that the cap on their
/// unfinished runs holds when they submit many at once.
/// </summary>
public interface IRunAdmissionGrain : IGrainWithStringKey
{
    /// <summary>Submits the run <paramref name="runId"/> through <see cref="IRunGrain.SubmitAsync"/> unless the researcher is at the cap (429).</summary>
    Task<Outcome<RunView>> SubmitAsync(string runId, RunRequest request, CommandContext context);
}
