using System.Net;
using System.Net.Http.Json;
using DthGrains.Contracts.Governance;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Catalogue;
using DthGrains.Grains.Platform;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;

namespace DthGrains.Integration.Tests.Governance;

/// <summary>
/// A grant expires with the domain clock: reads after the end are refused and recorded, without waiting; its expiry
/// reminder is there whenever the grant is active; it covers the dataset version its stewards reviewed.
/// </summary>
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
        // Past its end the grant shows as expired, to its holder and to an auditor's replay, before its reminder has
        // recorded AccessExpired: as the policy decision point treats it.
        var seen = await researcher.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/access/requests/{id}");
        seen.GetProperty("grant").GetProperty("status").GetString().Should().Be("expired");
        var replay = await host.ClientAs("auditor", "dth-oversight").GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/audit/streams/access-request:{id}");
        replay.GetProperty("state").GetProperty("grant").GetProperty("status").GetString().Should().Be("expired");
        replay.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("eventType").GetString()).Should().NotContain("governance.access_expired");
        var refused = await researcher.GetAsync(path);
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await refused.Content.ReadAsStringAsync()).Should().Contain("expired");

        var log = await host.Services.GetRequiredService<EventLog>().ReadAsync(CatalogueEventTypes.AccessLogOf("charite", "expiring-cohort"));
        log.Select(e => e.Data.GetType().Name).Should().Equal(nameof(DataAccessed), nameof(AccessDenied));
    }

    [Fact]
    public async Task A_grant_whose_expiry_reminder_was_lost_gets_it_back_at_its_next_activation()
    {
        await using var host = await TestHost.StartAsync("charite", alsoHosts: []);
        var (id, _) = await GrantedAsync(host, "reminded-cohort");
        (await RemindersOfAsync(host, id)).Should().Be(1, "the approval that issued the grant registers it");

        // The approval committed, and then the reminder's write failed: the steward's retry is a repeat and appends nothing.
        await ExecuteAsync(host, "delete from orleans_reminders where reminder_name = 'grant-expiry' and grain_id like '%' || @id || '%'", id);
        (await RemindersOfAsync(host, id)).Should().Be(0);
        var grain = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IAccessRequestGrain>(id);
        await grain.AsReference<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();

        (await grain.GetAsync(Actor.System())).IsSuccess.Should().BeTrue();
        (await RemindersOfAsync(host, id)).Should().Be(1, "the next activation finds the active grant without its reminder");
    }

    [Fact]
    public async Task A_grant_covers_the_version_its_stewards_reviewed_and_a_later_release_is_refused_and_recorded()
    {
        await using var host = await TestHost.StartAsync("charite", alsoHosts: []);
        var (_, researcher) = await GrantedAsync(host, "versioned-cohort");
        var steward = host.ClientAs("steward", "charite");
        (await steward.PostAsync("/api/catalogue/resources/versioned-cohort/versions?version=2.0.0", AsFhir(Bundle("p1", "p2")))).EnsureSuccessStatusCode();

        (await researcher.GetAsync("/api/catalogue/resources/versioned-cohort/versions/1.0.0/payload?purpose=scientific-research")).StatusCode.Should().Be(HttpStatusCode.OK);
        var refused = await researcher.GetAsync("/api/catalogue/resources/versioned-cohort/versions/2.0.0/payload?purpose=scientific-research");
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await refused.Content.ReadAsStringAsync()).Should().Contain("covers version 1.0.0 of dataset 'versioned-cohort'").And.Contain("not 2.0.0");

        var log = await host.Services.GetRequiredService<EventLog>().ReadAsync(CatalogueEventTypes.AccessLogOf("charite", "versioned-cohort"));
        log.Select(e => e.Data).OfType<AccessDenied>().Should().ContainSingle(d => d.Version == "2.0.0");
    }

    /// <summary>A published restricted dataset of Charité at 1.0.0, and a TUM researcher holding an approved grant for it.</summary>
    private static async Task<(string RequestId, HttpClient Researcher)> GrantedAsync(TestHost host, string dataset)
    {
        var steward = host.ClientAs("steward", "charite");
        (await steward.PostAsync("/api/catalogue/resources", Draft(dataset, "dataset", RestrictedDatasetMetadata()))).EnsureSuccessStatusCode();
        (await steward.PostAsync($"/api/catalogue/resources/{dataset}/versions?version=1.0.0", AsFhir(Bundle("p1")))).EnsureSuccessStatusCode();
        (await steward.PostAsync($"/api/catalogue/resources/{dataset}/publish", null)).EnsureSuccessStatusCode();
        var researcher = host.ClientAs("researcher", "tum", subject: $"r-{dataset}");
        var applied = await researcher.PostAsync("/api/access/requests", Body(Application([dataset])));
        var id = (await GovernanceTestData.JsonOf(applied)).GetProperty("id").GetString()!;
        (await steward.SendAsync(Decision(id, applied.Headers.ETag!.Tag, approve: true))).EnsureSuccessStatusCode();
        return (id, researcher);
    }

    private static async Task<long> RemindersOfAsync(TestHost host, string requestId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(host.Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select count(*) from orleans_reminders where reminder_name = 'grant-expiry' and grain_id like '%' || @id || '%'", connection);
        command.Parameters.AddWithValue("id", requestId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(TestHost host, string sql, string requestId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(host.Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", requestId);
        await command.ExecuteNonQueryAsync();
    }
}
