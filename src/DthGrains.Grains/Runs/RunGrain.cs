using System.Text.Json;
using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Platform;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Catalogue;
using DthGrains.Grains.Federation;
using DthGrains.Grains.Platform;
using DthGrains.Simulation.Cohorts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;

namespace DthGrains.Grains.Runs;

/// <summary>
/// One simulation run. Thin: folds its stream, decides with <see cref="RunDecisions"/>, appends. It hands shards to
/// <see cref="RunWorkerGrain"/>s (at most <see cref="RunOptions.MaxShardsInFlight"/> at once), counts each shard once,
/// asks the policy decision point at submission and at every shard boundary, has a seeded cohort's seed fitted at the
/// data after the submission is recorded, and pushes durable events and progress to its followers. A timer supervises
/// the workers (a shard lost with its silo is dispatched again); a reminder brings an unfinished run back on a live silo.
/// Its parts: commands, appends and followers here; RunGrain.Seeding, .Shards, .Supervision, .KeepAlive and .Grants.
/// </summary>
[PreferLocalPlacement]
public sealed partial class RunGrain(IDatasetAccessPolicy policy, IOptions<RunOptions> options, ILogger<RunGrain> logger, InstitutionSilos silos, ExternalModelHosts codeHosts)
    : EventSourcedGrain<RunState>, IRunGrain, IRemindable
{
    private const string KeepAliveReminder = "run-keepalive";
    internal static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    private readonly HashSet<int> _dispatched = [];
    // The last ask to each dispatched shard's worker (Ask): never awaited on a turn.
    private readonly Dictionary<int, Asking> _asks = [];
    private readonly Dictionary<int, long> _inShard = [];
    private readonly Dictionary<IRunObserver, DateTime> _followers = [];
    private readonly List<(ShardResult Result, TaskCompletionSource Done)> _reports = [];
    // The one-shot timer that records the queued results in a turn of its own (ScheduleFlush); null when none is due.
    private IGrainTimer? _flush;
    // Both fed once per recorded shard (Recorded): the results merged in shard order, and the partial bands in any order.
    private ShardStatisticsFold? _statistics;
    private ShardAccumulator? _partial;
    private readonly HashSet<int> _inPartial = [];
    private int _cells;
    // Times the stream was replayed into this activation (Replaying): AppendAsync publishes only what it appended itself.
    private int _replays;
    private RunPlan? _plan;
    private IGrainTimer? _supervisor;
    // The keep-alive reminder's registration (EnsureKeepAlive): in flight or ended, true once this activation has it;
    // null before any, and once removed.
    private Task<bool>? _keepAlive;
    private bool _seedAbandoned;
    private DateTime _lastProgress;
    private TaskCompletionSource? _ended;
    private Task? _seeding;
    private CancellationTokenSource? _seedFit;
    // Fits that came back refused or undone in a row, and supervision rounds still to wait before the next (SeedRetry).
    private int _seedFailures;
    private int _seedRoundsToWait;

    private string Id => this.GetPrimaryKeyString();

    protected override string StreamKey => RunEventTypes.StreamOf(Id);

    protected override RunState InitialState() => RunState.Initial(Id);

    protected override RunState Evolve(RunState state, object @event) => RunState.Evolve(state, @event);

    private RunPlan Plan => _plan ??= RunPlanner.Plan(State.Request).Plan
        ?? throw new InvalidOperationException($"The stored request of run {Id} no longer plans.");

    /// <summary>
    /// An unfinished run is supervised from whichever activation loaded it: at activation, and after a reload that found it
    /// further on than this activation knew (its own submission, recorded although its answer said the outcome was
    /// unknown: before, the run then waited for its keep-alive reminder).
    /// </summary>
    protected override void Reloaded()
    {
        if (State.Exists && !State.IsTerminal) StartSupervising();
    }

    public async Task<Outcome<RunView>> WaitForEndAsync(Actor viewer, TimeSpan timeout)
    {
        if (State.Exists && !State.IsTerminal && RunDecisions.MaySee(State, viewer) && timeout > TimeSpan.Zero)
        {
            _ended ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var ended = _ended.Task;
            await Task.WhenAny(ended, Task.Delay(timeout < IRunGrain.MaxWait ? timeout : IRunGrain.MaxWait));
        }
        return await GetAsync(viewer);
    }

    public Task<Outcome<RunView>> GetAsync(Actor viewer) =>
        Task.FromResult(RunDecisions.MaySee(State, viewer) ? Outcome<RunView>.Ok(State.ToView(), Version) : Problem.NotFound($"Run '{Id}'"));

    public async Task<Outcome<RunView>> SubmitAsync(RunRequest request, CommandContext context)
    {
        if (ReusedKey(context) is { } reused) return reused;
        if (State.Exists)
            return IsRepeat(context) && RunDecisions.MaySee(State, context.Actor) ? Outcome<RunView>.Ok(State.ToView(), Version) : Problem.Conflict($"Run '{Id}' exists.");
        if (RunDecisions.MaySubmit(context.Actor) is { } notResearcher) return notResearcher;
        if (CohortSeeding.CheckRequested(request.CohortFrom) is { } untrusted) return untrusted;
        var (plan, invalid) = RunPlanner.Plan(request);
        if (invalid is not null) return invalid;
        if (codeHosts.NoHost(plan!.Model) is { } noHost) return Problem.Unavailable(noHost);

        // Policy first: no run on data without a live grant for 'simulate'; each refusal is recorded in the dataset's access log.
        var datasets = new List<RunDataset>();
        var grants = new List<string>();
        foreach (var id in plan!.Request.Datasets ?? [])
        {
            var entry = GrainFactory.GetGrain<IResourceGrain>(id);
            var resource = (await entry.GetAsync(Actor.System())).Value ?? (await entry.GetAsync(context.Actor)).Value;
            // A draft counts for its publisher's members (as for twins linking data); everyone else needs it published.
            if (resource is null || resource.Kind != ResourceKind.Dataset || resource.LatestVersion is null
                || !(resource.Status == ResourceStatus.Published || (resource.Status == ResourceStatus.Draft && resource.Publisher == context.Actor.Institution)))
                return Problem.Invalid("datasets", $"'{id}': no such published dataset in the catalogue.");
            var dataset = new RunDataset(id, resource.LatestVersion, resource.Publisher);
            var decision = await DecideAsync(dataset, context.Actor, plan.Request.Purpose);
            if (!decision.Permit)
            {
                await RecordDenialAsync(dataset, context.Actor, plan.Request.Purpose, decision.Reason, context);
                return Problem.Forbidden(decision.Reason);
            }
            datasets.Add(dataset);
            if (decision.GrantId is { } grant) grants.Add(grant);
        }

        // A seeded cohort is fitted at the data after the submission is recorded (it takes seconds, and the data holder's
        // silos may be away): the run starts when its seed is recorded (StartSeeding), and nothing runs before.
        var awaitsSeed = plan.Request.CohortFrom is { Parameters: null };
        var now = Clock.GetUtcNow();
        // The keep-alive reminder (a write to the reminder table) is registered while the submission is appended, not
        // after it (see below for what the 202 waits for).
        var keepAlive = EnsureKeepAlive();
        // The first shards start meanwhile too: the policy has permitted the run, and the append takes several ms that the
        // numerics need not wait for. Nothing they compute counts before the submission is recorded (a result that comes
        // earlier waits for this turn to end; one for a run whose append was refused finds no run and is dropped), and a
        // refused append stops them at once. The cohort is re-planned by the workers from the normalised request alone.
        _plan = awaitsSeed ? null : plan;
        if (!awaitsSeed) StartShards(plan, context.Actor.Subject);
        var submitted = plan;
        var recorded = false;
        try
        {
            var (_, problem) = await AppendAsync(context with { Purpose = plan.Request.Purpose ?? context.Purpose }, s => RunDecisions.Submit(s, submitted, context.Actor, [.. datasets], [.. grants], now));
            if (problem is not null) return problem;
            recorded = true;
        }
        finally
        {
            if (!recorded) StopStartedShards();
        }
        // Answered as the repeat of a submission recorded by another activation under this key, but that submission's
        // request is another (a key recorded without a fingerprint): the run is that one. The plan of this request goes,
        // and the supervisor asks the shards started with it for the recorded request's work (their workers switch).
        if (State.Submitted!.RequestHash != plan.RequestHash) _plan = null;
        StartSupervising(justDispatched: true);
        if (awaitsSeed) StartSeeding();
        // The run is accepted once its submission is recorded, whatever becomes of the reminder. The 202 waits for it too,
        // so that an accepted run normally has it, but only for a bound: the reminder's share of the ring may be kept by
        // a frozen silo, or the reminder table be locked. It used to wait for ever, and a failed registration failed the
        // answer of a run that was recorded and running. Past the bound, the registration goes on, and the supervisor
        // registers the reminder again if it failed.
        try
        {
            await keepAlive.WaitAsync(options.Value.KeepAliveWait);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Run {RunId}: accepted before its keep-alive reminder was registered (not within {Bound}); the registration goes on", Id,
                options.Value.KeepAliveWait);
        }
        return Outcome<RunView>.Ok(State.ToView(), Version);
    }

    public async Task<Outcome<RunView>> CancelAsync(string? reason, CommandContext context)
    {
        var (_, problem) = await AppendAsync(context, s => RunDecisions.Cancel(s, context.Actor, reason, Clock.GetUtcNow()));
        if (problem is not null) return problem;
        Stop();
        return Outcome<RunView>.Ok(State.ToView(), Version);
    }

    public async Task<Outcome<RunView>> ReleaseRowsAsync(string? reason, CommandContext context)
    {
        var (_, problem) = await AppendAsync(context, s => RunDecisions.ReleaseRows(s, context.Actor, reason, Clock.GetUtcNow()));
        if (problem is not null) return problem;
        return Outcome<RunView>.Ok(State.ToView(), Version);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        FailQueuedReports(new InvalidOperationException($"Run {Id} deactivated ({reason.ReasonCode}) before recording the shard result."));
        // A seed's fit in flight stops at the data holder instead of running to its bound for nobody; the next
        // activation's supervisor fits again.
        if (_seeding is { IsCompleted: false })
        {
            Volatile.Write(ref _seedAbandoned, true);
            _seedFit?.Cancel();
        }
        // An unfinished run deactivated because a silo left (its own, or the one holding its grain directory entry) is
        // called again from the survivors (RunRevival), not from here: a stopping silo's messaging may be closing.
        if (State.Exists && !State.IsTerminal && reason.ReasonCode is DeactivationReasonCode.DirectoryFailure or DeactivationReasonCode.ShuttingDown)
            logger.LogInformation("Run {RunId} deactivated while unfinished ({Reason})", Id, reason);
        // Waiters get the run as it stands; asking again reaches the next activation.
        _ended?.TrySetResult();
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    public Task<long> FollowAsync(IRunObserver observer)
    {
        var isNew = !_followers.ContainsKey(observer);
        _followers[observer] = DateTime.UtcNow;
        // A new follower sees where the run stands (shards, patients, partial bands) at once, not only at the next change.
        if (isNew && State.Exists) Send(observer, CurrentProgress());
        return Task.FromResult(Version);
    }

    public Task UnfollowAsync(IRunObserver observer)
    {
        _followers.Remove(observer);
        return Task.CompletedTask;
    }

    protected override void Appended(object @event) => RunMetrics.Observe(@event, State);

    /// <summary>Appends through the one append path and pushes the new events to the followers.</summary>
    private async Task<(long Version, Problem? Problem)> AppendAsync(CommandContext context, Func<RunState, Decision> decide)
    {
        Decision decided = default;
        var (before, prior, replays) = (Version, State, _replays);
        var result = await ExecuteAsync(context, s => decided = decide(s));
        // A replay during the command (a conflict reloaded the stream) means the events now stored are not the ones
        // decided here, even when they are the command's own (a repeat): followers read those from the stream.
        if (result.Problem is null && Version > before && _replays == replays && decided.Events is { Count: > 0 } events)
        {
            var (state, version) = (prior, before);
            foreach (var e in events)
            {
                state = RunState.Evolve(state, e);
                Publish(RunEventJson.Describe(Id, ++version, e, state, TimeProvider.System.GetUtcNow()));
            }
            // The end of a run is its last word: a follower stops at it, and its observer may be gone when more arrives
            // (Orleans logs a message to a deleted observer as an error).
            if (State.IsTerminal) _ended?.TrySetResult();
            else PublishProgress();
        }
        return result;
    }

    private void Publish(RunStreamEvent e)
    {
        foreach (var follower in _followers.Keys.ToArray())
        {
            try { follower.OnEventAsync(e).Ignore(); }
            catch (Exception ex) { logger.LogDebug(ex, "Follower of run {RunId} unreachable", Id); _followers.Remove(follower); }
        }
    }

    private void PublishProgress()
    {
        _lastProgress = DateTime.UtcNow;
        if (_followers.Count == 0 || !State.Exists) return;
        var progress = CurrentProgress();
        foreach (var follower in _followers.Keys.ToArray()) Send(follower, progress);
    }

    private void Send(IRunObserver follower, RunProgress progress)
    {
        try { follower.OnProgressAsync(progress).Ignore(); }
        catch (Exception ex) { logger.LogDebug(ex, "Follower of run {RunId} unreachable", Id); _followers.Remove(follower); }
    }

    private RunProgress CurrentProgress() =>
        new(Id, State.Status, State.Shards.Count, State.ShardsTotal, State.SubjectsDone + _inShard.Values.Sum(), State.Submitted!.Subjects, Version, PartialBands());

    private CommandContext SystemContext() =>
        new(Actor.System(State.Submitted?.OwnerInstitution), $"run-{Id}", Purpose: State.Submitted?.Purpose);
}
