using DthGrains.Contracts.Catalogue;

namespace DthGrains.Silo.Catalogue;

/// <summary>Drafts a resource; the publisher is the caller's institution, never a body member.</summary>
public sealed record DraftResourceRequest(string? Id, ResourceKind Kind, ResourceMetadata Metadata);

/// <summary>Deprecates or withdraws, with a reason a person can read.</summary>
public sealed record ReasonRequest(string Reason);

/// <summary>One page of search results, the facet counts over every match, and the cursor of the next page.</summary>
public sealed record CataloguePage(IReadOnlyList<CatalogueEntry> Items, int Total, string? NextCursor, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Facets);

public sealed record CatalogueEntry(
    string Id, ResourceKind Kind, string Publisher, string? PublisherCountry, ResourceStatus Status, string? StatusReason,
    string Title, string Description, string[] Keywords, AccessRights AccessRights, string? LatestVersion, int? CredibilityLevel,
    DateTimeOffset UpdatedAt, double Rank);
