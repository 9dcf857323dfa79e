using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Ecosystem;

namespace DthGrains.Grains.Ecosystem;

public sealed class InitiativeGrain : EcosystemNodeGrain, IInitiativeGrain
{
    protected override NodeKind Kind => NodeKind.Initiative;

    public Task<Outcome<EcosystemNode>> RegisterAsync(InitiativeDetails details, CommandContext context) =>
        Run(context, s => EcosystemDecisions.Register(s, details, Clock.GetUtcNow()));

    public Task<Outcome<EcosystemNode>> UpdateAsync(InitiativeDetails details, CommandContext context) =>
        Run(context, s => EcosystemDecisions.Update(s, details, Clock.GetUtcNow()));
}
