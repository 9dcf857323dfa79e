using System.Text.Json.Serialization;
using DthGrains.Contracts.Ecosystem;

namespace DthGrains.Silo.Ecosystem;

// Request bodies. Only these members are accepted; anything else (status, version, institution...) is a 400.

/// <summary>Registers an organisation. <c>id</c> defaults to a slug of the name.</summary>
// Enums are required on the wire: left out, one binds as its first value (a hospital, a member-of relation, a project).
public sealed record RegisterOrganisationRequest(string? Id, string Name, [property: JsonRequired] OrganisationType Type, string Country, string? Website, string? Description)
{
    public OrganisationDetails Details => new(Name, Type, Country, Website, Description);
}

public sealed record RegisterPersonRequest(string? Id, string Name, string Affiliation, string[]? Roles, string? Orcid)
{
    public PersonDetails Details => new(Name, Affiliation, Roles ?? [], Orcid);
}

public sealed record RegisterInitiativeRequest(string? Id, string Name, [property: JsonRequired] InitiativeKind Kind, string? Description, string? Website, DateOnly? StartsOn, DateOnly? EndsOn)
{
    public InitiativeDetails Details => new(Name, Kind, Description, Website, StartsOn, EndsOn);
}

/// <summary>An edge to add or remove: <c>from</c> and <c>to</c> are <c>kind:id</c> node references.</summary>
public sealed record RelationRequest(string From, [property: JsonRequired] RelationKind Kind, string To);

/// <summary>One page of a list.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total);

/// <summary>The ecosystem map: nodes and edges, each edge with the event that is its evidence.</summary>
public sealed record EcosystemGraph(IReadOnlyList<GraphNode> Nodes, IReadOnlyList<GraphEdge> Edges);

public sealed record GraphNode(string Id, NodeKind Kind, string Name, IReadOnlyDictionary<string, string> Attributes);

public sealed record GraphEdge(string From, RelationKind Kind, string To, DateTimeOffset Since, string EvidenceStream, long EvidenceVersion);
