using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Platform;
using DthGrains.Grains.Platform;

namespace DthGrains.Grains.Catalogue;

public sealed class ResourceGrain : EventSourcedGrain<ResourceState>, IResourceGrain
{
    private string Id => this.GetPrimaryKeyString();

    protected override string StreamKey => CatalogueEventTypes.StreamOf(Id);

    protected override ResourceState InitialState() => ResourceState.Initial(Id);

    protected override ResourceState Evolve(ResourceState state, object @event) => ResourceState.Evolve(state, @event);

    public Task<Outcome<ResourceView>> GetAsync(Actor viewer) =>
        Task.FromResult(State.Exists && CatalogueAccess.MaySee(viewer, State.Status, State.Publisher)
            ? Outcome<ResourceView>.Ok(State.ToView(), Version)
            : Problem.NotFound($"Resource '{Id}'"));

    public Task<Outcome<ResourceView>> DraftAsync(ResourceKind kind, ResourceMetadata metadata, CommandContext context) =>
        CatalogueAccess.MayDraft(context.Actor, kind) is { } forbidden
            ? Task.FromResult<Outcome<ResourceView>>(forbidden)
            : Run(context, s => CatalogueDecisions.Draft(s, kind, metadata, context.Actor.Institution, Clock.GetUtcNow()), checkAccess: false);

    public Task<Outcome<ResourceView>> ReviseAsync(ResourceMetadata metadata, CommandContext context) =>
        Run(context, s => CatalogueDecisions.Revise(s, metadata, Clock.GetUtcNow()));

    public Task<Outcome<ResourceView>> ReleaseAsync(VersionRelease release, CommandContext context) =>
        Run(context, s => CatalogueDecisions.Release(s, release, null, Clock.GetUtcNow()));

    public Task<Outcome<ResourceView>> RecordDatasetVersionAsync(VersionRelease release, DatasetFacts facts, CommandContext context) =>
        Run(context, s => CatalogueDecisions.Release(s, release, facts, Clock.GetUtcNow()));

    public Task<Outcome<ResourceView>> PublishAsync(CommandContext context) =>
        Run(context, s => CatalogueDecisions.Publish(s, Clock.GetUtcNow()));

    public Task<Outcome<ResourceView>> DeprecateAsync(string reason, CommandContext context) =>
        Run(context, s => CatalogueDecisions.Deprecate(s, reason, Clock.GetUtcNow()));

    public Task<Outcome<ResourceView>> WithdrawAsync(string reason, CommandContext context) =>
        Run(context, s => CatalogueDecisions.Withdraw(s, reason, Clock.GetUtcNow()), platformAdminMay: true);

    public Task<Outcome<ResourceView>> RecordCredibilityAsync(string version, CredibilityRecord record, CommandContext context) =>
        Run(context, s => CatalogueDecisions.RecordCredibility(s, version, record, Clock.GetUtcNow()));

    private async Task<Outcome<ResourceView>> Run(CommandContext context, Func<ResourceState, Decision> decide, bool checkAccess = true, bool platformAdminMay = false)
    {
        if (checkAccess)
        {
            // Existence is not leaked: a draft of another institution is NotFound, exactly as for a read.
            if (!State.Exists || !CatalogueAccess.MaySee(context.Actor, State.Status, State.Publisher)) return Problem.NotFound($"Resource '{Id}'");
            if (!(platformAdminMay && context.Actor.HasRole(Roles.PlatformAdmin)) && CatalogueAccess.MayChange(context.Actor, State.Kind, State.Publisher) is { } forbidden)
                return forbidden;
        }
        var (version, problem) = await ExecuteAsync(context, decide);
        return problem is null ? Outcome<ResourceView>.Ok(State.ToView(), version) : problem;
    }
}
