using System.Text.Json.Serialization;

namespace DthGrains.Contracts.Ecosystem;

/// <summary>What a caller may set on an organisation. Anything else in a request body is rejected.</summary>
[GenerateSerializer, Immutable, Alias("dth.ecosystem.organisation-details")]
public sealed record OrganisationDetails(
    [property: Id(0)] string Name,
    // Required on the wire, as every enum here: left out, an enum binds as its first value (an update would quietly
    // make the organisation a hospital).
    [property: Id(1), JsonRequired] OrganisationType Type,
    [property: Id(2)] string Country,
    [property: Id(3)] string? Website = null,
    [property: Id(4)] string? Description = null);

/// <summary>What a caller may set on a person. Ecosystem roles describe functions (steward, modeller...), not platform permissions.</summary>
[GenerateSerializer, Immutable, Alias("dth.ecosystem.person-details")]
public sealed record PersonDetails(
    [property: Id(0)] string Name,
    [property: Id(1)] string Affiliation,
    [property: Id(2)] string[] Roles,
    [property: Id(3)] string? Orcid = null);

[GenerateSerializer, Immutable, Alias("dth.ecosystem.initiative-details")]
public sealed record InitiativeDetails(
    [property: Id(0)] string Name,
    [property: Id(1), JsonRequired] InitiativeKind Kind,
    [property: Id(2)] string? Description = null,
    [property: Id(3)] string? Website = null,
    [property: Id(4)] DateOnly? StartsOn = null,
    [property: Id(5)] DateOnly? EndsOn = null);

/// <summary>An outgoing edge of a node, with the evidence (stream version) that recorded it.</summary>
[GenerateSerializer, Immutable, Alias("dth.ecosystem.relation")]
public sealed record Relation(
    [property: Id(0)] NodeRef From,
    [property: Id(1)] RelationKind Kind,
    [property: Id(2)] NodeRef To,
    [property: Id(3)] DateTimeOffset Since);

/// <summary>A node as its grain knows it: kind, id, its details (one of the three) and its outgoing relations.</summary>
[GenerateSerializer, Immutable, Alias("dth.ecosystem.node")]
public sealed record EcosystemNode(
    [property: Id(0)] NodeRef Ref,
    [property: Id(1)] string Name,
    [property: Id(2)] OrganisationDetails? Organisation,
    [property: Id(3)] PersonDetails? Person,
    [property: Id(4)] InitiativeDetails? Initiative,
    [property: Id(5)] IReadOnlyList<Relation> Relations,
    [property: Id(6)] long Version,
    [property: Id(7)] DateTimeOffset RegisteredAt,
    [property: Id(8)] DateTimeOffset UpdatedAt);
