using System.Text.Json;
using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Platform;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Catalogue;
using DthGrains.Grains.Platform;
using Marten;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;

namespace DthGrains.Grains.Runs;

/// <summary>
/// One simulation run. Thin: folds its stream, decides with <see cref="RunDecisions"/>, appends. It hands shards to
/// <see cref="RunWorkerGrain"/>s (at most <see cref="RunOptions.MaxShardsInFlight"/> at once), counts each shard once,
/// asks the policy decision point at submission and at every shard boundary, and pushes durable events and progress to
/// its followers. A timer supervises the workers (a shard lost with its silo is dispatched again); a reminder brings
/// an unfinished run back on a live silo.
/// </summary>
[PreferLocalPlacement]
public sealed class RunGrain(IDatasetAccessPolicy policy, IDocumentStore store, IOptions<RunOptions> options, ILogger<RunGrain> logger)
    : EventSourcedGrain<RunState>, IRunGrain, IRemindable
{
    private const string KeepAliveReminder = "run-keepalive";
    internal static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    private readonly HashSet<int> _dispatched = [];
    private readonly Dictionary<int, long> _inShard = [];
    private readonly Dictionary<IRunObserver, DateTime> _followers = [];
    private RunPlan? _plan;
    private IGrainTimer? _supervisor;
    private DateTime _lastProgress;

    private string Id => this.GetPrimaryKeyString();

    protected override string StreamKey => RunEventTypes.StreamOf(Id);

    protected override RunState InitialState() => RunState.Initial(Id);

    protected override RunState Evolve(RunState state, object @event) => RunState.Evolve(state, @event);

    private RunPlan Plan => _plan ??= RunPlanner.Plan(State.Submitted!.Request).Plan
        ?? throw new InvalidOperationException($"The stored request of run {Id} no longer plans.");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (State.Exists && !State.IsTerminal) StartSupervising();
    }

    public Task<Outcome<RunView>> GetAsync(Actor viewer) =>
        Task.FromResult(RunDecisions.MaySee(State, viewer) ? Outcome<RunView>.Ok(State.ToView(), Version) : Problem.NotFound($"Run '{Id}'"));

    public async Task<Outcome<RunView>> SubmitAsync(RunRequest request, CommandContext context)
    {
        if (State.Exists)
            return IsRepeat(context) && RunDecisions.MaySee(State, context.Actor) ? Outcome<RunView>.Ok(State.ToView(), Version) : Problem.Conflict($"Run '{Id}' exists.");
        if (!context.Actor.HasRole(Roles.Researcher)) return Problem.Forbidden("Runs are submitted by researchers.");
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

        var now = Clock.GetUtcNow();
        var (_, problem) = await AppendAsync(context with { Purpose = plan.Request.Purpose ?? context.Purpose }, s => RunDecisions.Submit(s, plan, context.Actor, [.. datasets], [.. grants], now));
        if (problem is not null) return problem;
        _plan = plan;
        // Shards first: the keep-alive reminder (a write to the reminder table) need not delay the solves.
        await DispatchAsync();
        await this.RegisterOrUpdateReminder(KeepAliveReminder, options.Value.KeepAlivePeriod, options.Value.KeepAlivePeriod);
        StartSupervising();
        return Outcome<RunView>.Ok(State.ToView(), Version);
    }

    public async Task<Outcome<RunView>> CancelAsync(string? reason, CommandContext context)
    {
        var (_, problem) = await AppendAsync(context, s => RunDecisions.Cancel(s, context.Actor, reason, Clock.GetUtcNow()));
        if (problem is not null) return problem;
        await StopAsync();
        return Outcome<RunView>.Ok(State.ToView(), Version);
    }

    public async Task ReportShardAsync(ShardResult result)
    {
        _dispatched.Remove(result.Shard);
        _inShard.Remove(result.Shard);
        if (!State.Exists || State.IsTerminal || State.Shards.ContainsKey(result.Shard)) return;
        var context = SystemContext();
        if (result.Error is not null || result.Payload is null)
        {
            await AppendAsync(context, s => RunDecisions.Fail(s, $"Shard {result.Shard} failed on {result.Silo}: {result.Error}", Clock.GetUtcNow()));
            await StopAsync();
            return;
        }
        // A shard boundary: a result that arrives after the grant stopped permitting the run is not counted, and no
        // further shard starts; the run is suspended with the reason until a grant permits it again.
        if (State.Status == RunStatus.Running && !await StillPermittedAsync()) return;
        var output = JsonSerializer.Deserialize<ShardOutput>(result.Payload, PayloadJson)!;
        var (from, to) = Plan.ShardRange(result.Shard);
        var shard = new ShardCompleted(Id, result.Shard, from, to, output.Statistics, null, output.Sensitivity, result.Silo, result.ElapsedMs, Clock.GetUtcNow(), output.Rows);
        var (_, problem) = await AppendAsync(context, s => RunDecisions.CompleteShard(s, shard, Plan));
        if (problem is not null)
        {
            logger.LogWarning("Run {RunId}: shard {Shard} refused: {Detail}", Id, result.Shard, problem.Detail);
            return;
        }
        if (State.IsTerminal)
        {
            await StopAsync();
            return;
        }
        await DispatchAsync();
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
        _followers[observer] = DateTime.UtcNow;
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
            if (await this.GetReminder(KeepAliveReminder) is { } reminder) await this.UnregisterReminder(reminder);
            return;
        }
        // Being called is the point: the activation (re)starts supervising in OnActivateAsync.
        StartSupervising();
    }

    /// <summary>Appends through the one append path and pushes the new events to the followers.</summary>
    private async Task<(long Version, Problem? Problem)> AppendAsync(CommandContext context, Func<RunState, Decision> decide)
    {
        Decision decided = default;
        var (before, prior) = (Version, State);
        var result = await ExecuteAsync(context, s => decided = decide(s));
        if (result.Problem is null && Version > before && decided.Events is { Count: > 0 } events)
        {
            var (state, version) = (prior, before);
            foreach (var e in events)
            {
                state = RunState.Evolve(state, e);
                Publish(RunEventJson.Describe(Id, ++version, e, state, TimeProvider.System.GetUtcNow()));
            }
            PublishProgress();
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
        var progress = new RunProgress(Id, State.Status, State.Shards.Count, State.ShardsTotal, State.SubjectsDone + _inShard.Values.Sum(), State.Submitted!.Subjects, Version);
        foreach (var follower in _followers.Keys.ToArray())
        {
            try { follower.OnProgressAsync(progress).Ignore(); }
            catch (Exception ex) { logger.LogDebug(ex, "Follower of run {RunId} unreachable", Id); _followers.Remove(follower); }
        }
    }

    private CommandContext SystemContext() =>
        new(Actor.System(State.Submitted?.OwnerInstitution), $"run-{Id}", Purpose: State.Submitted?.Purpose);

    private ShardWork WorkOf(int shard)
    {
        var (from, to) = Plan.ShardRange(shard);
        return new ShardWork(Id, shard, from, to, State.Submitted!.Request);
    }

    private IRunWorkerGrain Worker(int shard) => GrainFactory.GetGrain<IRunWorkerGrain>($"{Id}/{shard}");

    /// <summary>Hands out shards in index order while fewer than the limit are in flight.</summary>
    private async Task DispatchAsync()
    {
        if (State.Status != RunStatus.Running) return;
        var next = State.Outstanding.Where(i => !_dispatched.Contains(i)).Take(Math.Max(0, options.Value.MaxShardsInFlight - _dispatched.Count)).ToList();
        foreach (var i in next) _dispatched.Add(i);
        await Task.WhenAll(next.Select(EnsureRunningAsync));
    }

    private async Task EnsureRunningAsync(int shard)
    {
        try
        {
            await Worker(shard).EnsureRunningAsync(WorkOf(shard));
        }
        catch (Exception ex)
        {
            // Its silo is gone or going: the supervisor asks again, and the worker is placed on a live silo.
            logger.LogInformation(ex, "Run {RunId}: shard {Shard} could not be handed out; will retry", Id, shard);
        }
    }

    private void StartSupervising()
    {
        _supervisor ??= this.RegisterGrainTimer(SuperviseAsync, TimeSpan.Zero, options.Value.SupervisePeriod);
    }

    private async Task SuperviseAsync(CancellationToken ct)
    {
        var expired = _followers.Where(f => DateTime.UtcNow - f.Value > options.Value.FollowerExpiry).Select(f => f.Key).ToList();
        foreach (var f in expired) _followers.Remove(f);
        if (!State.Exists || State.IsTerminal)
        {
            await StopAsync();
            return;
        }
        if (State.Status == RunStatus.Suspended)
        {
            var (permit, _, _, grants) = await CheckGrantsAsync(record: false);
            if (!permit) return;
            await AppendAsync(SystemContext(), s => RunDecisions.Resume(s, grants, Clock.GetUtcNow()));
            await DispatchAsync();
            return;
        }
        // Ask every worker in flight to be running (a new activation after a silo loss starts the shard again), then fill free slots.
        await Task.WhenAll(_dispatched.Where(i => !State.Shards.ContainsKey(i)).ToList().Select(EnsureRunningAsync));
        _dispatched.RemoveWhere(State.Shards.ContainsKey);
        await DispatchAsync();
    }

    private async Task StopAsync()
    {
        foreach (var shard in _dispatched) Worker(shard).CancelAsync().Ignore();
        _dispatched.Clear();
        _inShard.Clear();
        _supervisor?.Dispose();
        _supervisor = null;
        if (await this.GetReminder(KeepAliveReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    /// <summary>At a shard boundary: every dataset must still be permitted; otherwise the run is suspended with the reason, and the refusal recorded.</summary>
    private async Task<bool> StillPermittedAsync()
    {
        var (permit, reason, dataset, _) = await CheckGrantsAsync(record: true);
        if (permit) return true;
        await AppendAsync(SystemContext(), s => RunDecisions.Suspend(s, reason!, dataset, Clock.GetUtcNow()));
        // Shards in flight stop at their next chunk and are not counted; they run again after a resumption.
        foreach (var shard in _dispatched) Worker(shard).CancelAsync().Ignore();
        _dispatched.Clear();
        _inShard.Clear();
        return false;
    }

    private async Task<(bool Permit, string? Reason, string? Dataset, string[] Grants)> CheckGrantsAsync(bool record)
    {
        var grants = new List<string>();
        foreach (var dataset in State.Submitted!.Datasets)
        {
            var decision = await DecideAsync(dataset, State.Owner, State.Submitted.Purpose);
            if (!decision.Permit)
            {
                if (record) await RecordDenialAsync(dataset, State.Owner, State.Submitted.Purpose, decision.Reason, SystemContext());
                return (false, decision.Reason, dataset.Id, []);
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
