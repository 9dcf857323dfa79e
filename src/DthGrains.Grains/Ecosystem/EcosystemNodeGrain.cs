using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Ecosystem;
using DthGrains.Domain.Platform;
using DthGrains.Grains.Platform;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Grains.Ecosystem;

/// <summary>What organisation, person and initiative grains share: their stream, state, relations and reads.</summary>
public abstract class EcosystemNodeGrain : EventSourcedGrain<NodeState>, IEcosystemNodeGrain
{
    protected abstract NodeKind Kind { get; }

    protected NodeRef Ref => new(Kind, this.GetPrimaryKeyString());

    protected override string StreamKey => Ref.ToString();

    protected override NodeState InitialState() => NodeState.Initial(Ref);

    protected override NodeState Evolve(NodeState state, object @event) => NodeState.Evolve(state, @event);

    public Task<Outcome<EcosystemNode>> GetAsync() =>
        Task.FromResult(State.Exists ? Outcome<EcosystemNode>.Ok(State.ToView(), Version) : Problem.NotFound($"{Ref}"));

    public async Task<Outcome<EcosystemNode>> RelateAsync(RelationKind kind, NodeRef target, CommandContext context)
    {
        // Existence is read from the inline read model, not by calling the target grain: two nodes relating
        // to each other at once would otherwise deadlock (A→B→A on non-reentrant grains).
        var targetExists = await NodeExistsAsync(target);
        return await Run(context, s => EcosystemDecisions.Relate(s, kind, target, targetExists, Clock.GetUtcNow()));
    }

    public Task<Outcome<EcosystemNode>> UnrelateAsync(RelationKind kind, NodeRef target, CommandContext context) =>
        Run(context, s => EcosystemDecisions.Unrelate(s, kind, target, Clock.GetUtcNow()));

    protected async Task<Outcome<EcosystemNode>> Run(CommandContext context, Func<NodeState, Decision> decide)
    {
        var (version, problem) = await ExecuteAsync(context, decide);
        return problem is null ? Outcome<EcosystemNode>.Ok(State.ToView(), version) : problem;
    }

    protected async Task<bool> NodeExistsAsync(NodeRef node)
    {
        await using var session = ServiceProvider.GetRequiredService<IDocumentStore>().QuerySession();
        return await session.LoadAsync<EcosystemNodeDocument>(node.ToString()) is not null;
    }
}
