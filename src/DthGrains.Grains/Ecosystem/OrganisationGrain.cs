using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Ecosystem;

namespace DthGrains.Grains.Ecosystem;

public sealed class OrganisationGrain : EcosystemNodeGrain, IOrganisationGrain
{
    protected override NodeKind Kind => NodeKind.Organisation;

    public Task<Outcome<EcosystemNode>> RegisterAsync(OrganisationDetails details, CommandContext context) =>
        Run(context, s => EcosystemDecisions.Register(s, details, Clock.GetUtcNow()));

    public Task<Outcome<EcosystemNode>> UpdateAsync(OrganisationDetails details, CommandContext context) =>
        Run(context, s => EcosystemDecisions.Update(s, details, Clock.GetUtcNow()));
}
