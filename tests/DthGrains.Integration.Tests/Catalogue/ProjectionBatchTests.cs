using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Catalogue;
using DthGrains.Grains.Catalogue;
using DthGrains.Grains.Platform;
using DthGrains.Integration.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Integration.Tests.Catalogue;

/// <summary>Group commit hands projections one batch holding several streams: each stream must land on its own document.</summary>
[Collection(HostCollection.Name)]
public sealed class ProjectionBatchTests(HostFixture fixture)
{
    [Fact]
    public async Task A_batch_of_two_resource_streams_projects_each_onto_its_own_entry()
    {
        var store = fixture.Host.Services.GetRequiredService<IDocumentStore>();
        var (a, b) = ($"batch-a-{Guid.NewGuid():N}"[..20], $"batch-b-{Guid.NewGuid():N}"[..20]);
        var now = DateTimeOffset.UtcNow;
        var envelope = EnvelopeHeaders.Create(CommandContext.ForSystem("tum"), now);
        ResourceMetadata Meta(string title) => new(title, "d", [title], ["HEAL"], [], [], new ContactPoint("n", "e@x.org"), "MIT", AccessRights.Public, [], ["SBML"]);
        var batch = new[]
        {
            new PendingEvent(CatalogueEventTypes.StreamOf(a), 1, new ResourceDrafted(a, ResourceKind.Model, "tum", Meta("Alpha"), now), envelope),
            new PendingEvent(CatalogueEventTypes.StreamOf(a), 2, new ResourceVersionReleased(a, "1.0.0", "n", "sha256:1", ["SBML"], Meta("Alpha"), null, now), envelope),
            new PendingEvent(CatalogueEventTypes.StreamOf(b), 1, new ResourceDrafted(b, ResourceKind.Method, "tum", Meta("Beta"), now), envelope),
        };

        await using (var session = store.LightweightSession())
        {
            await new CatalogueProjection().ProjectAsync(session, batch, CancellationToken.None);
            await session.SaveChangesAsync();
        }

        await using var query = store.QuerySession();
        var docA = await query.LoadAsync<CatalogueEntryDocument>(a);
        var docB = await query.LoadAsync<CatalogueEntryDocument>(b);
        docA!.Title.Should().Be("Alpha");
        docA.LatestVersion.Should().Be("1.0.0");
        docB!.Title.Should().Be("Beta");
        docB.Kind.Should().Be(ResourceKind.Method);
        docB.LatestVersion.Should().BeNull();
    }
}
