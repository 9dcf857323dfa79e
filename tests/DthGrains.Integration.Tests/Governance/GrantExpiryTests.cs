using System.Net;
using DthGrains.Domain.Catalogue;
using DthGrains.Grains.Platform;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;

namespace DthGrains.Integration.Tests.Governance;

/// <summary>A grant expires with the domain clock: reads after the end are refused and recorded, without waiting.</summary>
[Collection(PostgresCollection.Name)]
public sealed class GrantExpiryTests
{
    [Fact]
    public async Task A_read_after_the_grant_expired_is_refused_with_the_reason_and_recorded()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var host = await TestHost.StartAsync("charite", alsoHosts: [], clock: clock);
        var steward = host.ClientAs("steward", "charite");
        (await steward.PostAsync("/api/catalogue/resources", Draft("expiring-cohort", "dataset", RestrictedDatasetMetadata()))).EnsureSuccessStatusCode();
        (await steward.PostAsync("/api/catalogue/resources/expiring-cohort/versions?version=1.0.0", AsFhir(Bundle("p1")))).EnsureSuccessStatusCode();
        (await steward.PostAsync("/api/catalogue/resources/expiring-cohort/publish", null)).EnsureSuccessStatusCode();

        var researcher = host.ClientAs("researcher", "tum", subject: "ezra");
        var applied = await researcher.PostAsync("/api/access/requests", Body(Application(["expiring-cohort"], months: 1)));
        var id = (await GovernanceTestData.JsonOf(applied)).GetProperty("id").GetString()!;
        (await steward.SendAsync(Decision(id, applied.Headers.ETag!.Tag, approve: true))).EnsureSuccessStatusCode();

        const string path = "/api/catalogue/resources/expiring-cohort/versions/1.0.0/payload?purpose=scientific-research";
        (await researcher.GetAsync(path)).StatusCode.Should().Be(HttpStatusCode.OK);

        clock.Advance(TimeSpan.FromDays(32));
        var refused = await researcher.GetAsync(path);
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await refused.Content.ReadAsStringAsync()).Should().Contain("expired");

        var log = await host.Services.GetRequiredService<EventLog>().ReadAsync(CatalogueEventTypes.AccessLogOf("charite", "expiring-cohort"));
        log.Select(e => e.Data.GetType().Name).Should().Equal(nameof(DataAccessed), nameof(AccessDenied));
    }
}
