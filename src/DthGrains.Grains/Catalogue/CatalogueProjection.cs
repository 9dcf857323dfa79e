using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Ecosystem;
using DthGrains.Domain.Catalogue;
using DthGrains.Grains.Ecosystem;
using DthGrains.Grains.Platform;
using Marten;

namespace DthGrains.Grains.Catalogue;

/// <summary>Keeps <see cref="CatalogueEntryDocument"/>s in step with resource streams, in the appending transaction.</summary>
public sealed class CatalogueProjection : IInlineProjection
{
    public async Task ProjectAsync(IDocumentSession session, IReadOnlyList<PendingEvent> events, CancellationToken ct)
    {
        // Group commit puts several streams in one batch: one document per resource stream.
        foreach (var stream in events.GroupBy(e => e.StreamKey))
            await ProjectStreamAsync(session, stream.ToList(), ct);
    }

    private static async Task ProjectStreamAsync(IDocumentSession session, IReadOnlyList<PendingEvent> events, CancellationToken ct)
    {
        CatalogueEntryDocument? doc = null;
        foreach (var e in events)
        {
            if (!CatalogueEventTypes.Names.ContainsKey(e.Data.GetType()) || e.Data is DataAccessed or AccessDenied) continue;
            doc ??= e.Data is ResourceDrafted ? new CatalogueEntryDocument() : await session.LoadAsync<CatalogueEntryDocument>(IdOf(e.StreamKey), ct);
            if (doc is null) continue;
            switch (e.Data)
            {
                case ResourceDrafted d:
                    doc.Id = d.Id;
                    doc.Kind = d.Kind;
                    doc.Publisher = d.Publisher;
                    doc.CreatedAt = d.DraftedAt;
                    doc.Status = ResourceStatus.Draft;
                    var org = await session.LoadAsync<EcosystemNodeDocument>(new NodeRef(NodeKind.Organisation, d.Publisher).ToString(), ct);
                    doc.PublisherCountry = org?.Organisation?.Country;
                    Apply(doc, d.Metadata);
                    break;
                case ResourceMetadataRevised r:
                    Apply(doc, r.Metadata);
                    break;
                case ResourceVersionReleased v:
                    doc.Versions = [.. doc.Versions, v.Version];
                    doc.LatestVersion = doc.Versions.Select(x => SemanticVersion.TryParse(x, out var s) ? s : null).Max()?.ToString();
                    if (doc.LatestVersion == v.Version) doc.CredibilityLevel = null;
                    break;
                case ResourcePublished:
                    doc.Status = ResourceStatus.Published;
                    doc.StatusReason = null;
                    break;
                case ResourceDeprecated dep:
                    doc.Status = ResourceStatus.Deprecated;
                    doc.StatusReason = dep.Reason;
                    break;
                case ResourceWithdrawn w:
                    doc.Status = ResourceStatus.Withdrawn;
                    doc.StatusReason = w.Reason;
                    break;
                case CredibilityRecorded c when c.Version == doc.LatestVersion:
                    doc.CredibilityLevel = c.Record.Level;
                    break;
            }
            doc.StreamVersion = e.Version;
            doc.UpdatedAt = e.Envelope.RecordedAt;
        }
        if (doc is not null) session.Store(doc);
    }

    private static string IdOf(string streamKey) => streamKey["resource:".Length..];

    private static void Apply(CatalogueEntryDocument doc, ResourceMetadata m)
    {
        doc.Metadata = m;
        doc.Title = m.Title;
        doc.Description = m.Description;
        doc.Keywords = m.Keywords;
        doc.KeywordsText = string.Join(' ', m.Keywords);
        doc.Themes = m.Themes;
        doc.HealthCategories = m.HealthCategories;
        doc.CodingSystems = m.CodingSystems;
        doc.ConformsTo = m.ConformsTo;
        doc.Licence = m.Licence;
        doc.AccessRights = m.AccessRights;
    }
}
