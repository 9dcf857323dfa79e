using DthGrains.Contracts.Twins;

namespace DthGrains.Grains.Twins;

/// <summary>A twin as lists and the staleness watcher see it (inline projection): what it rests on and where it stands.</summary>
public sealed class TwinDocument
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Owner { get; set; } = "";
    public string? OwnerInstitution { get; set; }
    public TwinStatus Status { get; set; }
    public string[] StaleReasons { get; set; } = [];
    public string ModelId { get; set; } = "";
    public string ModelVersion { get; set; } = "";
    public string EngineVersion { get; set; } = "";
    public string? DatasetId { get; set; }
    public string? DatasetVersion { get; set; }
    public string? SubjectPseudonym { get; set; }
    public string? GrantId { get; set; }
    public bool? ValidationPassed { get; set; }
    public int Scenarios { get; set; }
    public long Version { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
