using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Ecosystem;

namespace DthGrains.Grains.Ecosystem;

public sealed class PersonGrain : EcosystemNodeGrain, IPersonGrain
{
    protected override NodeKind Kind => NodeKind.Person;

    public async Task<Outcome<EcosystemNode>> RegisterAsync(PersonDetails details, CommandContext context)
    {
        var affiliationExists = await AffiliationExistsAsync(details);
        return await Run(context, s => EcosystemDecisions.Register(s, details, affiliationExists, Clock.GetUtcNow()));
    }

    public async Task<Outcome<EcosystemNode>> UpdateAsync(PersonDetails details, CommandContext context)
    {
        var affiliationExists = await AffiliationExistsAsync(details);
        return await Run(context, s => EcosystemDecisions.Update(s, details, affiliationExists, Clock.GetUtcNow()));
    }

    private Task<bool> AffiliationExistsAsync(PersonDetails? details) =>
        details is { Affiliation: { } a } && Ids.IsValid(a) ? NodeExistsAsync(new NodeRef(NodeKind.Organisation, a)) : Task.FromResult(false);
}
