using System.Text.Json;
using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Platform;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Catalogue;
using DthGrains.Grains.Federation;
using DthGrains.Grains.Platform;
using DthGrains.Simulation.Cohorts;
using Marten;
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
/// </summary>
[PreferLocalPlacement]
public sealed class RunGrain(IDatasetAccessPolicy policy, IDocumentStore store, IOptions<RunOptions> options, ILogger<RunGrain> logger, InstitutionSilos silos)
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

    /// <summary>
    /// Fits the cohort's seed at the data holder's silos, off this grain's turns (it takes seconds, during which the run
    /// answers, is followed and can be cancelled), and hands the outcome back in a turn of its own
    /// (<see cref="SeedFittedAsync"/>). At most one fit at a time; the supervisor starts another after a failure or a silo
    /// loss. The subjects are read under the owner's grant and purpose, so the dataset's access log names the researcher.
    /// </summary>
    private void StartSeeding()
    {
        if (_seeding is { IsCompleted: false } || !State.AwaitsSeed || State.IsTerminal) return;
        var submitted = State.Submitted!;
        var dataset = SeedDataset();
        var context = new CommandContext(State.Owner, $"run-{Id}", Purpose: submitted.Purpose);
        var self = this.AsReference<IRunGrain>();
        // Taken on this turn: off it, the grain's own GrainFactory refuses to serve (it belongs to the activation).
        var grains = GrainFactory;
        var id = Id;
        // Bounded, and stopped at the data holder when the bound passes or the run ends meanwhile (StopAsync).
        _seedFit?.Dispose();
        // The bound this fit has, named in its failure: the option may change meanwhile (an operator giving fits more time),
        // and a fit stopped at 50 ms was reported as not fitted within the new 3 minutes, a second suspension whose reason
        // was false (seen under load in SeededCohortResidencyTests).
        var within = options.Value.SeedFitTimeout;
        var fit = _seedFit = new CancellationTokenSource(within);
        _seeding = Task.Run(async () =>
        {
            Outcome<CohortSeed> fitted;
            try
            {
                fitted = await FitSeedAsync(grains, dataset, submitted.ModelId, submitted.ModelVersion, context, within, fit.Token);
            }
            catch (Exception ex)
            {
                // Anything else the holder's silo threw: the run waits saying so, and tries again after the same back-off as
                // for a refusal, not at every period. The error itself is in the logs, not in the ledger.
                logger.LogError(ex, "Run {RunId}: the cohort seed from {Dataset} was not fitted; the supervisor tries again", id, dataset.Id);
                fitted = Problem.Unavailable($"The cohort seed from '{dataset.Id}' could not be fitted at the silos of '{dataset.Institution}' " +
                    "(an unexpected error there, in the platform's logs); it is tried again.");
            }
            // This activation was deactivated meanwhile (and the fit stopped): the next one fits again, and this outcome
            // (a stopped fit) would reach it as a failure while its own fit runs.
            if (Volatile.Read(ref _seedAbandoned)) return;
            try
            {
                await self.SeedFittedAsync(fitted);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Run {RunId}: the outcome of the seed's fit was not recorded; the supervisor tries again", id);
            }
        });
    }

    /// <summary>
    /// A run suspended while waiting for its seed tries again only once its data holder has a live silo and every grant
    /// permits (a refused read would be recorded in the dataset's access log at every period), and, when fits came back
    /// refused or undone although both held, after waits that double (<see cref="SeedRetry"/>). While it waits, the
    /// suspension says what holds it now, and a grant found not permitting is recorded once as a refusal, as at a shard
    /// boundary.
    /// </summary>
    private async Task<bool> SeedingPermittedAsync()
    {
        var dataset = SeedDataset();
        if (silos.LiveSilosOf(dataset.Institution).Count == 0)
        {
            // Nothing is asked while the holder is away; when one of its silos is back, the first try goes at once.
            ResetSeedRetry();
            await AppendAsync(SystemContext(), s => RunDecisions.Suspend(s, NoLiveSilo(dataset), dataset.Id, Clock.GetUtcNow()));
            return false;
        }
        return (await SeedGrantsAsync()).Permit;
    }

    /// <summary>
    /// Whether every grant of a run waiting for its seed permits now, and which. When one does not, the run is suspended
    /// with the policy's reason and the refusal recorded, once per reason. Nothing is asked of the data meanwhile; once a
    /// grant permits (a renewed one, say), the first try goes at once.
    /// </summary>
    private async Task<(bool Permit, string[] Grants)> SeedGrantsAsync()
    {
        var (permit, reason, refused, grants) = await CheckGrantsAsync(record: false);
        if (permit) return (true, grants);
        ResetSeedRetry();
        if (reason != State.StatusReason)
        {
            await RecordDenialAsync(refused!, State.Owner, State.Submitted!.Purpose, reason!, SystemContext());
            await AppendAsync(SystemContext(), s => RunDecisions.Suspend(s, reason!, refused!.Id, Clock.GetUtcNow()));
        }
        return (false, []);
    }

    private void ResetSeedRetry() => (_seedFailures, _seedRoundsToWait) = (0, 0);

    private RunDataset SeedDataset() => State.Submitted!.Datasets.Single(d => d.Id == State.Submitted.Request.CohortFrom!.Dataset);

    private static string NoLiveSilo(RunDataset dataset) =>
        $"Institution '{dataset.Institution}' has no live silo. Its data stay at home: the cohort cannot be seeded from '{dataset.Id}' until one of its silos is back.";

    public async Task SeedFittedAsync(Outcome<CohortSeed> fitted)
    {
        if (!State.Exists || State.IsTerminal || !State.AwaitsSeed) return;
        var dataset = SeedDataset().Id;
        var now = Clock.GetUtcNow();
        if (fitted.Problem is { } problem)
        {
            // The data holder is away, busy or failing, or its grant does not permit the read now: wait (suspended, with the
            // reason) and try again, after the back-off (SeedRetry). Anything else (too few usable subjects, say) will not change by waiting. A refused read
            // was recorded at the data already; the reason is the policy's own, so the supervisor does not record it again.
            var reason = problem.Kind == ProblemKind.Forbidden && await CheckGrantsAsync(record: false) is { Permit: false, Reason: { } policy } ? policy : problem.Detail;
            _seedRoundsToWait = SeedRetry.RoundsToWait(++_seedFailures, SeedRetry.MaxRounds(options.Value.SeedRetryMax, options.Value.SupervisePeriod));
            if (_seedRoundsToWait > 0)
                logger.LogInformation("Run {RunId}: the seed's fit came back undone {Failures} times in a row ({Detail}); the next try in {Rounds} supervision rounds",
                    Id, _seedFailures, problem.Detail, _seedRoundsToWait + 1);
            await AppendAsync(SystemContext(), s => problem.Kind is ProblemKind.Unavailable or ProblemKind.Forbidden
                ? RunDecisions.Suspend(s, reason, dataset, now)
                : RunDecisions.Fail(s, $"The cohort could not be seeded from '{dataset}': {problem.Detail}", now));
            if (State.IsTerminal) Stop();
            return;
        }
        var (seeded, invalid) = RunPlanner.Plan(State.Submitted!.Request with { CohortFrom = fitted.Value });
        if (invalid is not null)
        {
            await AppendAsync(SystemContext(), s => RunDecisions.Fail(s, $"The seeded cohort does not plan: {invalid.Detail}", now));
            Stop();
            return;
        }
        // The grants again: a fit takes up to SeedFitTimeout, and one may have been revoked or have expired meanwhile. Then
        // the run does not start (nor resume under no grant): it waits suspended with the reason, the fit is not recorded,
        // and the seed is fitted again once a grant permits. A run suspended while it waited resumes under the grants that
        // permit it now (a renewed one, say).
        var (permitted, grants) = await SeedGrantsAsync();
        if (!permitted) return;
        var resumedUnder = State.Status == RunStatus.Suspended ? grants : [];
        var (_, refused) = await AppendAsync(SystemContext(), s => RunDecisions.Seed(s, fitted.Value!, seeded!, resumedUnder, now));
        if (refused is not null)
        {
            logger.LogWarning("Run {RunId}: the fitted seed was not recorded ({Detail}); the supervisor tries again", Id, refused.Detail);
            return;
        }
        _plan = seeded;
        Dispatch();
    }

    /// <summary>
    /// Fits the seed on the dataset owner's silos under the run's purpose. With no live silo of that institution (or when its
    /// last one leaves during the call) the answer is 503: the data stay at home; so is a fit stopped at its bound
    /// (<see cref="RunOptions.SeedFitTimeout"/>), with its own reason (the holder is there, but busy), since a later try may well succeed.
    /// </summary>
    private async Task<Outcome<CohortSeed>> FitSeedAsync(IGrainFactory grains, RunDataset dataset, string modelId, string modelVersion, CommandContext context,
        TimeSpan within, CancellationToken bound)
    {
        var noSilo = Problem.Unavailable(NoLiveSilo(dataset));
        if (silos.LiveSilosOf(dataset.Institution).Count == 0) return noSilo;
        try
        {
            return await grains.GetGrain<ICohortSeedGrain>(DatasetKeys.For(dataset.Institution, dataset.Id))
                .FitAsync(dataset.Version, modelId, modelVersion, context, bound);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && bound.IsCancellationRequested))
        {
            return Problem.Unavailable($"The cohort seed from '{dataset.Id}' was not fitted within {within} at the silos of '{dataset.Institution}' " +
                "(a busy silo, or a dataset slow to read); the fit was stopped there, and it is tried again.");
        }
        catch (Exception ex) when (ex is OrleansException or SiloUnavailableException)
        {
            return noSilo;
        }
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

    public Task ReportShardAsync(ShardResult result)
    {
        // Interleaved with any turn, so it only queues (no await, no state change); the queue is recorded in a turn of
        // its own, which Orleans queues behind the one in flight: every result that came meanwhile goes into one append.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _reports.Add((result, done));
        if (_flush is null) ScheduleFlush();
        return done.Task;
    }

    private async Task FlushShardsAsync(CancellationToken cancellation)
    {
        _flush?.Dispose();
        _flush = null;
        if (_reports.Count == 0) return;
        var batch = _reports.ToArray();
        _reports.Clear();
        try
        {
            await RecordShardsAsync(batch.Select(b => b.Result).ToList());
            foreach (var b in batch) b.Done.TrySetResult();
        }
        catch (Exception ex)
        {
            // Not acknowledged: the workers keep their results, and the supervisor asks them again.
            logger.LogWarning(ex, "Run {RunId}: {Count} shard results not recorded", Id, batch.Length);
            foreach (var b in batch) b.Done.TrySetException(ex);
        }
    }

    /// <summary>
    /// A turn of its own for <see cref="FlushShardsAsync"/>, queued behind the one in flight as a message would be (a grain
    /// timer does not interleave), but local to the activation. It used to be a call of the run to itself, which goes
    /// through messaging and the grain directory: while a silo holding the run's directory entry stopped, that call was
    /// forwarded and waited for the response timeout (30 s) with the queued results unacknowledged. Should the activation
    /// go first, its timers go with it, and <see cref="OnDeactivateAsync"/> fails what was queued.
    /// </summary>
    private void ScheduleFlush() => _flush = this.RegisterGrainTimer(FlushShardsAsync, TimeSpan.Zero, Timeout.InfiniteTimeSpan);

    private void FailQueuedReports(Exception ex)
    {
        var queued = _reports.ToArray();
        _reports.Clear();
        foreach (var q in queued) q.Done.TrySetException(ex);
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

    /// <summary>
    /// Records shard results in one append: one shard boundary for the batch (one policy check), each shard counted once by
    /// index (<see cref="RunDecisions.CompleteShards"/>), nothing after the run ended.
    /// </summary>
    private async Task RecordShardsAsync(IReadOnlyList<ShardResult> results)
    {
        foreach (var r in results)
        {
            _dispatched.Remove(r.Shard);
            _asks.Remove(r.Shard);
            _inShard.Remove(r.Shard);
        }
        if (!State.Exists || State.IsTerminal) return;
        var fresh = results.Where(r => !State.Shards.ContainsKey(r.Shard)).DistinctBy(r => r.Shard).ToList();
        if (fresh.Count == 0) return;
        var context = SystemContext();
        if (fresh.FirstOrDefault(r => r.Error is not null || r.Payload is null) is { } failed)
        {
            await AppendAsync(context, s => RunDecisions.Fail(s, $"Shard {failed.Shard} failed on {failed.Silo}: {failed.Error}", Clock.GetUtcNow()));
            Stop();
            return;
        }
        // A shard boundary: results that arrive after the grant stopped permitting the run are not counted, and no
        // further shard starts; the run is suspended with the reason until a grant permits it again.
        if (State.Status == RunStatus.Running && !await StillPermittedAsync()) return;
        var now = Clock.GetUtcNow();
        var shards = fresh.Select(r =>
        {
            var output = JsonSerializer.Deserialize<ShardOutput>(r.Payload!, PayloadJson)!;
            // The binary parts travel beside the JSON (ShardResult); put them back.
            var statistics = output.Statistics is { } s && r.Statistics is { } sb ? s with { Data = sb } : output.Statistics;
            var rows = output.Rows is { } w && r.Rows is { } rb ? w with { Data = rb } : output.Rows;
            return (output with { Statistics = statistics, Rows = rows }).ToShard(Id, r.Shard, Plan.ShardRange(r.Shard), r.Silo, r.ElapsedMs, now)
                with { SiloRole = r.SiloRole, SiloInstitutions = r.SiloInstitutions };
        }).ToList();
        var (_, problem) = await AppendAsync(context, s => RunDecisions.CompleteShards(s, shards, Plan, Statistics));
        if (problem is not null)
        {
            logger.LogWarning("Run {RunId}: shards {Shards} refused: {Detail}", Id, string.Join(',', shards.Select(x => x.Shard)), problem.Detail);
            return;
        }
        if (State.IsTerminal)
        {
            Stop();
            return;
        }
        Dispatch();
    }

    public Task ReportProgressAsync(int shard, long subjectsDone)
    {
        if (State.IsTerminal || !_dispatched.Contains(shard)) return Task.CompletedTask;
        _inShard[shard] = subjectsDone;
        var now = DateTime.UtcNow;
        // Followers coalesce on their side too; this only spares the fan-out when many workers report at once.
        if (now - _lastProgress >= TimeSpan.FromMilliseconds(50)) PublishProgress();
        return Task.CompletedTask;
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

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != KeepAliveReminder) return;
        if (!State.Exists || State.IsTerminal)
        {
            await UnregisterKeepAliveAsync();
            return;
        }
        // Being called is the point: the activation (re)starts supervising when it loads the run (Reloaded).
        StartSupervising();
    }

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

    private ShardStatisticsFold Statistics => _statistics
        ?? throw new InvalidOperationException($"Run {Id} has no submission: nothing to merge.");

    protected override void Replaying()
    {
        _replays++;
        _statistics = null;
        _partial = null;
        _inPartial.Clear();
    }

    /// <summary>
    /// Each recorded shard's statistics, decoded once: into the run's results, merged in shard order
    /// (<see cref="ShardStatisticsFold"/>), and into the coarse partial bands that followers see, merged in whatever
    /// order the shards came (the histograms merge exactly in any order, so the bands do not depend on it).
    /// </summary>
    protected override void Recorded(object @event)
    {
        switch (@event)
        {
            case RunSubmitted submitted:
                _cells = submitted.Times.Length * submitted.Outputs.Length;
                _statistics = new ShardStatisticsFold(_cells);
                break;
            case ShardCompleted { Statistics: { } statistics } shard when _statistics is not null:
                ShardPartial? decoded = null;
                // Each shard index once (the fold ignores repeats itself).
                if (statistics.Format == ShardStatistics.CurrentFormat && _inPartial.Add(shard.Shard))
                {
                    try
                    {
                        decoded = statistics.ToPartial(_cells);
                        _partial ??= new ShardAccumulator(_cells, decoded.RelativeAccuracy);
                        _partial.Merge(decoded);
                    }
                    catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or IndexOutOfRangeException)
                    {
                        decoded = null;
                        logger.LogDebug(ex, "Run {RunId}: shard {Shard} statistics not in the partial bands", Id, shard.Shard);
                    }
                }
                _statistics.Record(shard, decoded);
                break;
            case ShardCompleted shard when _statistics is not null:
                _statistics.Record(shard);
                break;
        }
    }

    /// <summary>Coarse partial bands (p5, p50, p95 of each output at the last time point) over the shards recorded so far.</summary>
    private RunProgressBand[]? PartialBands()
    {
        var sub = State.Submitted!;
        int times = sub.Times.Length;
        if (times == 0 || _partial is null) return null;
        var bands = new RunProgressBand[sub.Outputs.Length];
        for (int y = 0; y < bands.Length; y++)
        {
            int cell = y * times + times - 1;
            bands[y] = new RunProgressBand(sub.Outputs[y], sub.Times[^1], _partial.CountOf(cell),
                Finite(_partial.Quantile(cell, 0.05)), Finite(_partial.Quantile(cell, 0.5)), Finite(_partial.Quantile(cell, 0.95)));
        }
        return bands;

        static double? Finite(double v) => double.IsFinite(v) ? v : null;
    }

    private CommandContext SystemContext() =>
        new(Actor.System(State.Submitted?.OwnerInstitution), $"run-{Id}", Purpose: State.Submitted?.Purpose);

    /// <summary>A shard's work: its range and the normalised request (the one recorded in RunSubmitted), from which the worker re-plans.</summary>
    /// <param name="owner">the run's owner (the silos' worker slots take turns between researchers: RunWorkerSlots); the recorded one when not given.</param>
    private ShardWork WorkOf(RunPlan plan, int shard, string? owner = null)
    {
        var (from, to) = plan.ShardRange(shard);
        return new ShardWork(Id, shard, from, to, plan.Request, owner ?? State.Submitted?.Owner);
    }

    private IRunWorkerGrain Worker(int shard) => GrainFactory.GetGrain<IRunWorkerGrain>($"{Id}/{shard}");

    /// <summary>Hands out shards in index order while fewer than the limit are in flight.</summary>
    private void Dispatch()
    {
        if (State.Status != RunStatus.Running) return;
        var next = State.NextShards(_dispatched, options.Value.MaxShardsInFlight - _dispatched.Count,
            Math.Max(options.Value.MaxShardsAhead, options.Value.MaxShardsInFlight));
        foreach (var i in next)
        {
            _dispatched.Add(i);
            Ask(i, WorkOf(Plan, i));
        }
    }

    /// <summary>Hands out the first shards of a run whose submission is being recorded (see <see cref="SubmitAsync"/>).</summary>
    /// <param name="owner">who is submitting: the submission is not recorded yet.</param>
    private void StartShards(RunPlan plan, string owner)
    {
        for (var i = 0; i < Math.Min(plan.Shards, options.Value.MaxShardsInFlight); i++)
        {
            _dispatched.Add(i);
            Ask(i, WorkOf(plan, i, owner));
        }
    }

    /// <summary>
    /// The submission was not recorded: the shards started with it stop. The keep-alive reminder is not waited for (a
    /// reminder left behind finds no run when it fires and removes itself).
    /// </summary>
    private void StopStartedShards()
    {
        _plan = null;
        StopDispatched();
    }

    /// <summary>
    /// Registers the keep-alive reminder unless this activation has it or is registering it. The returned task never
    /// fails: a failed registration is logged and left to the supervisor, which calls this at every period.
    /// </summary>
    private Task EnsureKeepAlive()
    {
        var kept = _keepAlive is { IsCompletedSuccessfully: true, Result: true };
        if (!kept && _keepAlive is not { IsCompleted: false }) _keepAlive = RegisterKeepAliveAsync();
        return _keepAlive ?? Task.CompletedTask;
    }

    private async Task<bool> RegisterKeepAliveAsync()
    {
        try
        {
            await this.RegisterOrUpdateReminder(KeepAliveReminder, options.Value.KeepAlivePeriod, options.Value.KeepAlivePeriod);
            return true;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Run {RunId}: its keep-alive reminder was not registered; the supervisor tries again", Id);
            return false;
        }
    }

    /// <summary>
    /// Asks a shard's worker to be running without waiting for the answer on this grain's turn. A frozen silo (a paused
    /// VM, a stalled node) keeps its sockets open and answers nothing until membership declares it dead or the call times
    /// out (30 s), and a turn waiting for it held everything else of the run meanwhile: its status, its followers, its
    /// cancellation, and the results of the shards on live silos. A shard whose ask is unanswered is not asked again; one
    /// that failed (its silo is gone) is asked again by the supervisor, and its worker is placed on a live silo.
    /// </summary>
    private void Ask(int shard, ShardWork work)
    {
        if (_asks.TryGetValue(shard, out var pending) && !pending.Call.IsCompleted)
        {
            // Said once per ask, when a supervision period finds it unanswered.
            if (!pending.Reported)
            {
                pending.Reported = true;
                logger.LogWarning("Run {RunId}: the worker of shard {Shard} has not answered for a supervision period (its silo frozen, stalled or overloaded?); " +
                    "the run goes on answering, and asks again once that call ends", Id, shard);
            }
            return;
        }
        _asks[shard] = new Asking(AskAsync(shard, work));
    }

    /// <summary>An ask in flight or ended, and whether it was reported as unanswered.</summary>
    private sealed class Asking(Task call)
    {
        public Task Call { get; } = call;

        public bool Reported { get; set; }
    }

    private async Task AskAsync(int shard, ShardWork work)
    {
        try
        {
            await Worker(shard).EnsureRunningAsync(work);
        }
        catch (Exception ex)
        {
            logger.LogInformation(ex, "Run {RunId}: shard {Shard} could not be handed out; will retry", Id, shard);
        }
    }

    /// <summary>Stops the shards in flight: each stops at its next chunk and is not counted.</summary>
    private void StopDispatched()
    {
        foreach (var shard in _dispatched) Worker(shard).CancelAsync().Ignore();
        _dispatched.Clear();
        _asks.Clear();
    }

    /// <param name="justDispatched">the shards were handed out a moment ago: the first check can wait a period.</param>
    private void StartSupervising(bool justDispatched = false)
    {
        _supervisor ??= this.RegisterGrainTimer(SuperviseAsync, justDispatched ? options.Value.SupervisePeriod : TimeSpan.Zero, options.Value.SupervisePeriod);
    }

    private async Task SuperviseAsync(CancellationToken ct)
    {
        var expired = _followers.Where(f => DateTime.UtcNow - f.Value > options.Value.FollowerExpiry).Select(f => f.Key).ToList();
        foreach (var f in expired) _followers.Remove(f);
        if (!State.Exists || State.IsTerminal)
        {
            Stop();
            return;
        }
        EnsureKeepAlive().Ignore();
        if (State.AwaitsSeed)
        {
            if (State.Status == RunStatus.Suspended && !await SeedingPermittedAsync()) return;
            if (_seedRoundsToWait > 0 && _seeding is not { IsCompleted: false })
            {
                _seedRoundsToWait--;
                return;
            }
            StartSeeding();
            return;
        }
        if (State.Status == RunStatus.Suspended)
        {
            var (permit, _, _, grants) = await CheckGrantsAsync(record: false);
            if (!permit) return;
            await AppendAsync(SystemContext(), s => RunDecisions.Resume(s, grants, Clock.GetUtcNow()));
            Dispatch();
            return;
        }
        // Ask every worker in flight to be running (a new activation after a silo loss starts the shard again), then fill free slots.
        foreach (var shard in _dispatched.Where(i => !State.Shards.ContainsKey(i))) Ask(shard, WorkOf(Plan, shard));
        _dispatched.RemoveWhere(State.Shards.ContainsKey);
        Dispatch();
    }

    private void Stop()
    {
        _seedFit?.Cancel();
        StopDispatched();
        _inShard.Clear();
        _supervisor?.Dispose();
        _supervisor = null;
        RemoveKeepAliveAsync().Ignore();
    }

    /// <summary>
    /// Removes the keep-alive reminder, and forgets that this activation has it: a submission whose append failed after
    /// its registration leaves a reminder that removes itself when it fires, and a retry of that submission (same
    /// Idempotency-Key, so the same run and often the same activation) must register it again, not take it for kept.
    /// </summary>
    private async Task UnregisterKeepAliveAsync()
    {
        _keepAlive = null;
        if (await this.GetReminder(KeepAliveReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    /// <summary>
    /// Not waited for on the turn that ends the run: reminders are kept by the silos in shares of a hash ring, and the
    /// share of this run may be on a frozen silo, which answers nothing until it is declared dead. A reminder left behind
    /// finds the run ended when it fires, and removes itself (<see cref="ReceiveReminder"/>).
    /// </summary>
    private async Task RemoveKeepAliveAsync()
    {
        // After a registration still in flight, which would otherwise land after the removal.
        if (_keepAlive is { } registering) await registering;
        // Up to three times: after PostgreSQL restarted or the connections were cut, the first use of each pooled
        // connection fails, and the reminder table's store meets the stale ones one by one (seen after a test's cut that
        // took the store away: the removal failed, and the reminder was left to remove itself an hour later).
        const int Attempts = 3;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                await UnregisterKeepAliveAsync();
                return;
            }
            catch (Exception ex)
            {
                logger.LogInformation(ex, "Run {RunId}: its keep-alive reminder was not removed at attempt {Attempt} of {Attempts}{Then}", Id, attempt, Attempts,
                    attempt < Attempts ? "; trying again" : "; it removes itself when it next fires");
            }
        }
    }

    /// <summary>At a shard boundary: every dataset must still be permitted; otherwise the run is suspended with the reason, and the refusal recorded.</summary>
    private async Task<bool> StillPermittedAsync()
    {
        var (permit, reason, refused, _) = await CheckGrantsAsync(record: true);
        if (permit) return true;
        await AppendAsync(SystemContext(), s => RunDecisions.Suspend(s, reason!, refused!.Id, Clock.GetUtcNow()));
        // Shards in flight stop at their next chunk and are not counted; they run again after a resumption.
        StopDispatched();
        _inShard.Clear();
        return false;
    }

    private async Task<(bool Permit, string? Reason, RunDataset? Refused, string[] Grants)> CheckGrantsAsync(bool record)
    {
        var grants = new List<string>();
        foreach (var dataset in State.Submitted!.Datasets)
        {
            var decision = await DecideAsync(dataset, State.Owner, State.Submitted.Purpose);
            if (!decision.Permit)
            {
                if (record) await RecordDenialAsync(dataset, State.Owner, State.Submitted.Purpose, decision.Reason, SystemContext());
                return (false, decision.Reason, dataset, []);
            }
            if (decision.GrantId is { } g) grants.Add(g);
        }
        return (true, null, null, [.. grants]);
    }

    private Task<DatasetAccessDecision> DecideAsync(RunDataset dataset, Actor actor, string? purpose) =>
        policy.DecideAsync(new DatasetAccessRequest(dataset.Institution, dataset.Id, dataset.Version, actor, purpose, "simulate"), Clock.GetUtcNow());

    /// <summary>Records the refusal in the dataset's access log, as the payload read path does (the append retries on a concurrent head).</summary>
    private async Task RecordDenialAsync(RunDataset dataset, Actor actor, string? purpose, string reason, CommandContext context)
    {
        var denied = new AccessDenied(dataset.Id, dataset.Institution, dataset.Version, actor.Subject, actor.Institution, purpose,
            $"simulate (run {Id}): {reason}", Clock.GetUtcNow());
        var stream = CatalogueEventTypes.AccessLogOf(dataset.Institution, dataset.Id);
        for (var attempt = 0; ; attempt++)
        {
            await using var session = store.QuerySession();
            var head = (await session.Events.FetchStreamStateAsync(stream))?.Version ?? 0;
            try
            {
                await Log.AppendAsync(stream, head, [denied], context);
                return;
            }
            catch (StreamConflictException) when (attempt < 3)
            {
            }
        }
    }
}
