using DthGrains.Contracts.Ecosystem;

namespace DthGrains.Domain.Ecosystem;

// Events are past-tense facts. Their stable type names are in EcosystemEventTypes; never rename a member.

public sealed record OrganisationRegistered(string Id, OrganisationDetails Details, DateTimeOffset RegisteredAt);

public sealed record OrganisationUpdated(string Id, OrganisationDetails Details, DateTimeOffset UpdatedAt);

public sealed record PersonRegistered(string Id, PersonDetails Details, DateTimeOffset RegisteredAt);

public sealed record PersonUpdated(string Id, PersonDetails Details, DateTimeOffset UpdatedAt);

public sealed record InitiativeRegistered(string Id, InitiativeDetails Details, DateTimeOffset RegisteredAt);

public sealed record InitiativeUpdated(string Id, InitiativeDetails Details, DateTimeOffset UpdatedAt);

public sealed record RelationAdded(NodeRef From, RelationKind Kind, NodeRef To, DateTimeOffset AddedAt);

public sealed record RelationRemoved(NodeRef From, RelationKind Kind, NodeRef To, DateTimeOffset RemovedAt);

/// <summary>The stable, explicit names under which ecosystem events are stored (schemas/events/ecosystem.*.json).</summary>
public static class EcosystemEventTypes
{
    public static readonly IReadOnlyDictionary<Type, string> Names = new Dictionary<Type, string>
    {
        [typeof(OrganisationRegistered)] = "ecosystem.organisation_registered",
        [typeof(OrganisationUpdated)] = "ecosystem.organisation_updated",
        [typeof(PersonRegistered)] = "ecosystem.person_registered",
        [typeof(PersonUpdated)] = "ecosystem.person_updated",
        [typeof(InitiativeRegistered)] = "ecosystem.initiative_registered",
        [typeof(InitiativeUpdated)] = "ecosystem.initiative_updated",
        [typeof(RelationAdded)] = "ecosystem.relation_added",
        [typeof(RelationRemoved)] = "ecosystem.relation_removed",
    };
}
