using System.Collections.Immutable;
using DthGrains.Contracts.Ecosystem;

namespace DthGrains.Domain.Ecosystem;

/// <summary>The state of one ecosystem node, folded from its stream by <see cref="Evolve"/>.</summary>
public sealed record NodeState(
    NodeRef Ref,
    bool Exists,
    string Name,
    OrganisationDetails? Organisation,
    PersonDetails? Person,
    InitiativeDetails? Initiative,
    ImmutableList<Relation> Relations,
    long Version,
    DateTimeOffset RegisteredAt,
    DateTimeOffset UpdatedAt)
{
    public static NodeState Initial(NodeRef node) =>
        new(node, false, "", null, null, null, [], 0, default, default);

    public bool HasRelation(RelationKind kind, NodeRef to) => Relations.Any(r => r.Kind == kind && r.To == to);

    /// <summary>Applies one event. Pure: the same events give the same state, live or replayed.</summary>
    public static NodeState Evolve(NodeState s, object @event) => (@event switch
    {
        OrganisationRegistered e => s with { Exists = true, Name = e.Details.Name, Organisation = e.Details, RegisteredAt = e.RegisteredAt, UpdatedAt = e.RegisteredAt },
        OrganisationUpdated e => s with { Name = e.Details.Name, Organisation = e.Details, UpdatedAt = e.UpdatedAt },
        PersonRegistered e => s with { Exists = true, Name = e.Details.Name, Person = e.Details, RegisteredAt = e.RegisteredAt, UpdatedAt = e.RegisteredAt },
        PersonUpdated e => s with { Name = e.Details.Name, Person = e.Details, UpdatedAt = e.UpdatedAt },
        InitiativeRegistered e => s with { Exists = true, Name = e.Details.Name, Initiative = e.Details, RegisteredAt = e.RegisteredAt, UpdatedAt = e.RegisteredAt },
        InitiativeUpdated e => s with { Name = e.Details.Name, Initiative = e.Details, UpdatedAt = e.UpdatedAt },
        RelationAdded e => s with { Relations = s.Relations.Add(new Relation(e.From, e.Kind, e.To, e.AddedAt)), UpdatedAt = e.AddedAt },
        RelationRemoved e => s with { Relations = s.Relations.RemoveAll(r => r.Kind == e.Kind && r.To == e.To), UpdatedAt = e.RemovedAt },
        _ => s,
    }) with { Version = s.Version + 1 };

    public EcosystemNode ToView() =>
        new(Ref, Name, Organisation, Person, Initiative, Relations, Version, RegisteredAt, UpdatedAt);
}
