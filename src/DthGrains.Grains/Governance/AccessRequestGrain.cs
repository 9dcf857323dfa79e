using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Governance;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Platform;
using DthGrains.Grains.Platform;

namespace DthGrains.Grains.Governance;

/// <summary>
/// One access application. Thin: folds its stream, decides with <see cref="GovernanceDecisions"/>, appends.
/// A reminder records the grant's expiry; the policy decision point refuses expired grants by time alone, so
/// a late reminder never lets data through.
/// </summary>
public sealed class AccessRequestGrain : EventSourcedGrain<AccessRequestState>, IAccessRequestGrain, IRemindable
{
    private const string ExpiryReminder = "grant-expiry";

    private string Id => this.GetPrimaryKeyString();

    protected override string StreamKey => GovernanceEventTypes.StreamOf(Id);

    protected override AccessRequestState InitialState() => AccessRequestState.Initial(Id);

    protected override AccessRequestState Evolve(AccessRequestState state, object @event) => AccessRequestState.Evolve(state, @event);

    protected override void Appended(object @event) => GovernanceMetrics.Observe(@event);

    public Task<Outcome<AccessRequestView>> GetAsync(Actor viewer) =>
        Task.FromResult(State.Exists && MaySee(viewer) ? Outcome<AccessRequestView>.Ok(State.ToView(Clock.GetUtcNow()), Version) : Problem.NotFound($"Access request '{Id}'"));

    /// <summary>The applicant, the persons named, stewards of an owning institution, auditors and platform admins.</summary>
    private bool MaySee(Actor viewer) =>
        viewer.Subject == State.Applicant
        || State.Application!.Persons.Contains(viewer.Subject)
        || (viewer.HasRole(Roles.Steward) && State.SlotOf(viewer.Institution) is not null)
        || viewer.HasRole(Roles.Auditor) || viewer.HasRole(Roles.PlatformAdmin) || viewer.HasRole(Roles.System);

    public async Task<Outcome<AccessRequestView>> SubmitAsync(AccessApplication application, CommandContext context)
    {
        if (State.Exists && !MaySee(context.Actor)) return Problem.NotFound($"Access request '{Id}'");
        var data = await ResolveAsync(application.Datasets ?? []);
        return await Run(context, s => GovernanceDecisions.Submit(s, application, context.Actor, data, Clock.GetUtcNow()));
    }

    public Task<Outcome<AccessRequestView>> ResubmitAsync(AccessApplication application, CommandContext context) =>
        State.Exists ? SubmitAsync(application, context) : Task.FromResult<Outcome<AccessRequestView>>(Problem.NotFound($"Access request '{Id}'"));

    public async Task<Outcome<AccessRequestView>> DecideAsync(StewardDecision decision, CommandContext context)
    {
        var seen = State.Exists && MaySee(context.Actor) ? await SeenAsync() : [];
        return await RunDecision(context, s => GovernanceDecisions.Decide(s, decision, context.Actor, Clock.GetUtcNow(),
            new DecisionContext(s.Version, seen, GovernancePolicy.Current)));
    }

    public Task<Outcome<AccessRequestView>> ReturnAsync(string reason, CommandContext context) =>
        RunDecision(context, s => GovernanceDecisions.Return(s, reason, context.Actor, Clock.GetUtcNow()));

    public Task<Outcome<AccessRequestView>> RevokeAsync(string reason, CommandContext context) =>
        RunDecision(context, s => GovernanceDecisions.Revoke(s, reason, context.Actor, Clock.GetUtcNow()));

    public Task<Outcome<AccessRequestView>> CloseAsync(string reason, CommandContext context) =>
        RunDecision(context, s => GovernanceDecisions.Close(s, reason, context.Actor, Clock.GetUtcNow()));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ExpiryReminder) return;
        await ExecuteAsync(CommandContext.ForSystem(correlationId: $"expiry-{Id}"), s => GovernanceDecisions.Expire(s, Clock.GetUtcNow()));
        if (State.Grant is not { Status: GrantStatus.Active } && await this.GetReminder(ExpiryReminder) is { } reminder)
            await this.UnregisterReminder(reminder);
    }

    /// <summary>
    /// Decisions first meet the state itself, so a slot decided by someone else answers 409 naming that decision
    /// (not a bare 412) even when the caller's If-Match is stale; then the version check and the append.
    /// </summary>
    private async Task<Outcome<AccessRequestView>> RunDecision(CommandContext context, Func<AccessRequestState, Decision> decide)
    {
        if (State.Exists && !MaySee(context.Actor)) return Problem.NotFound($"Access request '{Id}'");
        if (ReusedKey(context) is { } reused) return reused;
        if (!IsRepeat(context) && decide(State).Problem is { } refused) return refused;
        return await Run(context, decide);
    }

    private async Task<Outcome<AccessRequestView>> Run(CommandContext context, Func<AccessRequestState, Decision> decide)
    {
        var (version, problem) = await ExecuteAsync(context, decide);
        if (problem is not null) return problem;
        await EnsureExpiryReminderAsync();
        return Outcome<AccessRequestView>.Ok(State.ToView(Clock.GetUtcNow()), version);
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        await EnsureExpiryReminderAsync();
    }

    private bool _expiryReminderSure;

    /// <summary>
    /// An active grant has its expiry reminder: registered by the approval that issued the grant, and again by any later
    /// command or activation that finds it missing (the approval committed, then the reminder's write failed and the
    /// steward's retry was answered as a repeat: without this, AccessExpired would never be recorded).
    /// </summary>
    private async Task EnsureExpiryReminderAsync()
    {
        if (_expiryReminderSure || State.Grant is not { Status: GrantStatus.Active } grant) return;
        if (await this.GetReminder(ExpiryReminder) is null)
        {
            var due = grant.ValidUntil - Clock.GetUtcNow();
            await this.RegisterOrUpdateReminder(ExpiryReminder, due < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : due, TimeSpan.FromHours(1));
        }
        _expiryReminderSure = true;
    }

    /// <summary>The requested datasets' catalogue entries as they stand now: what the deciding steward sees.</summary>
    private async Task<DatasetAsSeen[]> SeenAsync()
    {
        var seen = new List<DatasetAsSeen>();
        foreach (var id in State.Application!.Datasets.Distinct())
        {
            var entry = await GrainFactory.GetGrain<IResourceGrain>(id).GetAsync(Actor.System());
            State.DatasetVersions.TryGetValue(id, out var pinned);
            if (entry.Value is not { } view)
            {
                seen.Add(new DatasetAsSeen(id, pinned, null, 0, "missing", "", "", "", "", null));
                continue;
            }
            seen.Add(new DatasetAsSeen(id, pinned, view.LatestVersion, entry.Version, AccessPolicy.Kebab(view.Status), view.Metadata.Title, view.Publisher,
                AccessPolicy.Kebab(view.Metadata.AccessRights), view.Metadata.Licence, view.Metadata.LegalBasis));
        }
        return [.. seen];
    }

    /// <summary>Owners and latest versions of the requested datasets, from the catalogue (published datasets only).</summary>
    private async Task<RequestedData> ResolveAsync(string[] datasets)
    {
        var owners = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        var unusable = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in datasets.Distinct())
        {
            if (!Ids.IsValid(id)) { unusable[id] = Ids.Rule; continue; }
            var resource = await GrainFactory.GetGrain<IResourceGrain>(id).GetAsync(Actor.System());
            var view = resource.Value;
            if (view is null || view.Status == ResourceStatus.Draft) unusable[id] = "no such published dataset in the catalogue";
            else if (view.Kind != ResourceKind.Dataset) unusable[id] = $"is a {view.Kind.ToString().ToLowerInvariant()}, not a dataset";
            else if (view.Status != ResourceStatus.Published) unusable[id] = $"is {view.Status.ToString().ToLowerInvariant()} ({view.StatusReason})";
            else if (view.LatestVersion is null) unusable[id] = "has no version yet";
            else
            {
                (owners.TryGetValue(view.Publisher, out var list) ? list : owners[view.Publisher] = []).Add(id);
                versions[id] = view.LatestVersion;
            }
        }
        return new RequestedData(owners.ToDictionary(o => o.Key, o => o.Value.ToArray()), versions, unusable);
    }
}
