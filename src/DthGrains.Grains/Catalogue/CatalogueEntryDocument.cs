using DthGrains.Contracts.Catalogue;

namespace DthGrains.Grains.Catalogue;

/// <summary>One catalogue entry as search and lists see it: flattened facets plus the full metadata.</summary>
public sealed class CatalogueEntryDocument
{
    public string Id { get; set; } = "";
    public ResourceKind Kind { get; set; }
    public string Publisher { get; set; } = "";
    public string? PublisherCountry { get; set; }
    public ResourceStatus Status { get; set; }
    public string? StatusReason { get; set; }
    public string Title { get; set; } = "";
    public string Description { get; set; } = "";
    public string KeywordsText { get; set; } = "";
    public string[] Keywords { get; set; } = [];
    public string[] Themes { get; set; } = [];
    public string[] HealthCategories { get; set; } = [];
    public string[] CodingSystems { get; set; } = [];
    public string[] ConformsTo { get; set; } = [];
    public string Licence { get; set; } = "";
    public AccessRights AccessRights { get; set; }
    /// <summary>The lowest achieved V&amp;V 40 level of the latest version's credibility record (models), else null.</summary>
    public int? CredibilityLevel { get; set; }
    public string? LatestVersion { get; set; }
    public string[] Versions { get; set; } = [];
    public ResourceMetadata? Metadata { get; set; }
    public long StreamVersion { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
