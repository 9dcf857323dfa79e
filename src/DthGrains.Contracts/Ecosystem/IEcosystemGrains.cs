using Orleans.Concurrency;
using DthGrains.Contracts.Platform;

namespace DthGrains.Contracts.Ecosystem;

/// <summary>Operations every ecosystem node (organisation, person, initiative) offers. Keyed by its id.</summary>
public interface IEcosystemNodeGrain : IGrainWithStringKey
{
    /// <summary>The node as of its latest event, or NotFound when it was never registered.</summary>
    [ReadOnly]
    Task<Outcome<EcosystemNode>> GetAsync();

    /// <summary>Adds an outgoing relation; the target must exist and the pair of kinds must make sense.</summary>
    Task<Outcome<EcosystemNode>> RelateAsync(RelationKind kind, NodeRef target, CommandContext context);

    /// <summary>Removes an outgoing relation that exists.</summary>
    Task<Outcome<EcosystemNode>> UnrelateAsync(RelationKind kind, NodeRef target, CommandContext context);
}

/// <summary>An organisation of the federation (hospital, university, HPC centre...). Key: its slug.</summary>
public interface IOrganisationGrain : IEcosystemNodeGrain
{
    /// <summary>Registers the organisation; fails with 409 when it exists.</summary>
    Task<Outcome<EcosystemNode>> RegisterAsync(OrganisationDetails details, CommandContext context);

    /// <summary>Replaces the organisation's details; <see cref="CommandContext.ExpectedVersion"/> guards lost updates.</summary>
    Task<Outcome<EcosystemNode>> UpdateAsync(OrganisationDetails details, CommandContext context);
}

/// <summary>A person of the ecosystem (researcher, steward, auditor...). Key: slug or GUID.</summary>
public interface IPersonGrain : IEcosystemNodeGrain
{
    /// <summary>Registers the person; the affiliation must be a registered organisation.</summary>
    Task<Outcome<EcosystemNode>> RegisterAsync(PersonDetails details, CommandContext context);

    /// <summary>Replaces the person's details.</summary>
    Task<Outcome<EcosystemNode>> UpdateAsync(PersonDetails details, CommandContext context);
}

/// <summary>A project, network or programme. Key: its slug.</summary>
public interface IInitiativeGrain : IEcosystemNodeGrain
{
    /// <summary>Registers the initiative.</summary>
    Task<Outcome<EcosystemNode>> RegisterAsync(InitiativeDetails details, CommandContext context);

    /// <summary>Replaces the initiative's details.</summary>
    Task<Outcome<EcosystemNode>> UpdateAsync(InitiativeDetails details, CommandContext context);
}
