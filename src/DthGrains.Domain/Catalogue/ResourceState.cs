using System.Collections.Immutable;
using DthGrains.Contracts.Catalogue;

namespace DthGrains.Domain.Catalogue;

/// <summary>One catalogue entry, folded from its stream.</summary>
public sealed record ResourceState(
    string Id,
    bool Exists,
    ResourceKind Kind,
    string Publisher,
    ResourceStatus Status,
    string? StatusReason,
    ResourceMetadata? Metadata,
    ImmutableList<ResourceVersion> Versions,
    long Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static ResourceState Initial(string id) =>
        new(id, false, ResourceKind.Model, "", ResourceStatus.Draft, null, null, [], 0, default, default);

    public string? LatestVersion =>
        Versions.Select(v => SemanticVersion.TryParse(v.Version, out var s) ? s : null).Where(s => s is not null).Max()?.ToString();

    public ResourceVersion? FindVersion(string version) => Versions.FirstOrDefault(v => v.Version == version);

    public static ResourceState Evolve(ResourceState s, object @event) => (@event switch
    {
        ResourceDrafted e => s with { Exists = true, Kind = e.Kind, Publisher = e.Publisher, Metadata = e.Metadata, Status = ResourceStatus.Draft, CreatedAt = e.DraftedAt, UpdatedAt = e.DraftedAt },
        ResourceMetadataRevised e => s with { Metadata = e.Metadata, UpdatedAt = e.RevisedAt },
        ResourceVersionReleased e => s with
        {
            Versions = s.Versions.Add(new ResourceVersion(e.Version, e.ReleaseNotes, e.Checksum, e.ConformsTo, e.ReleasedAt, e.Dataset, null)),
            UpdatedAt = e.ReleasedAt,
        },
        ResourcePublished e => s with { Status = ResourceStatus.Published, StatusReason = null, UpdatedAt = e.PublishedAt },
        ResourceDeprecated e => s with { Status = ResourceStatus.Deprecated, StatusReason = e.Reason, UpdatedAt = e.DeprecatedAt },
        ResourceWithdrawn e => s with { Status = ResourceStatus.Withdrawn, StatusReason = e.Reason, UpdatedAt = e.WithdrawnAt },
        CredibilityRecorded e => s with
        {
            Versions = s.Versions.Select(v => v.Version == e.Version ? v with { Credibility = e.Record } : v).ToImmutableList(),
            UpdatedAt = e.RecordedAt,
        },
        _ => s,
    }) with { Version = s.Version + 1 };

    public ResourceView ToView() =>
        new(Id, Kind, Publisher, Status, StatusReason, Metadata!, Versions, LatestVersion, Version, CreatedAt, UpdatedAt);
}
