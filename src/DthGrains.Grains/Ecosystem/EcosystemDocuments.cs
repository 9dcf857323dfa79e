using DthGrains.Contracts.Ecosystem;

namespace DthGrains.Grains.Ecosystem;

/// <summary>A node of the ecosystem map as the inline projection keeps it. Id: <c>kind:id</c>.</summary>
public sealed class EcosystemNodeDocument
{
    public string Id { get; set; } = "";
    public NodeKind Kind { get; set; }
    public string EntityId { get; set; } = "";
    public string Name { get; set; } = "";
    public OrganisationDetails? Organisation { get; set; }
    public PersonDetails? Person { get; set; }
    public InitiativeDetails? Initiative { get; set; }
    /// <summary>Silo facts (address, role, institution) for silo nodes.</summary>
    public Dictionary<string, string> Attributes { get; set; } = [];
    public long Version { get; set; }
    public DateTimeOffset RegisteredAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>An edge of the map, with its evidence: the stream and version of the event that recorded it.</summary>
public sealed class EcosystemEdgeDocument
{
    public string Id { get; set; } = "";
    public string From { get; set; } = "";
    public RelationKind Kind { get; set; }
    public string To { get; set; } = "";
    public string EvidenceStream { get; set; } = "";
    public long EvidenceVersion { get; set; }
    public DateTimeOffset Since { get; set; }

    public static string IdFor(string from, RelationKind kind, string to) => $"{from}|{kind}|{to}";
}
