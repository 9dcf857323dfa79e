using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Grains.Provenance;
using DthGrains.Integration.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// The lineage store is not hash-chained, the ledger is: an auditor checks the store against the ledger (API and
/// <c>dth audit verify-lineage</c>). A node changed, an edge deleted and an edge forged by SQL are each named; the
/// store emptied is read again from the ledger and matches. In the host collection only so that no other CLI test
/// redirects the console at the same time.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class LineageVerificationTests
{
    [Fact]
    public async Task An_auditor_finds_every_fact_changed_deleted_or_forged_in_the_lineage_store()
    {
        await using var host = await TestHost.StartAsync("charite", alsoHosts: []);
        var store = host.Services.GetRequiredService<IDocumentStore>();
        var modeller = await ModelReleasedAsync(host, "verified-model", "1.0.0", "1.1.0");
        var auditor = host.ClientAs("auditor", "dth-oversight");

        var clean = await VerifyAsync(auditor);
        clean.GetProperty("ok").GetBoolean().Should().BeTrue(clean.ToString());
        clean.GetProperty("differences").GetInt64().Should().Be(0);
        clean.GetProperty("eventsRead").GetInt64().Should().BeGreaterThanOrEqualTo(3);
        clean.GetProperty("edges").GetInt64().Should().BeGreaterThan(0);
        var (code, output) = await CliRunner.RunAsync(host.BaseAddress, host.Token("auditor", "dth-oversight"), "audit", "verify-lineage");
        code.Should().Be(0, output);
        output.Should().Contain("matches the ledger");

        // Someone with write access to the database rewrites history: a release relabelled, the revision link
        // removed, and a use that never happened added.
        (await SqlAsync(store, "update dth.lineage_nodes set label = 'released 9.9.9' where id = 'resource:verified-model@1.1.0/release'")).Should().Be(1);
        (await SqlAsync(store, "delete from dth.lineage_edges where from_id = 'resource:verified-model@1.1.0' and relation = 'wasRevisionOf'")).Should().Be(1);
        (await SqlAsync(store, "insert into dth.lineage_edges (from_id, relation, to_id, ord, at, stream, version, attributes) " +
            "select 'run:forged', 'used', 'resource:verified-model@1.0.0', 1000000, at, stream, version, null from dth.lineage_edges limit 1")).Should().Be(1);

        var tampered = await VerifyAsync(auditor);
        tampered.GetProperty("ok").GetBoolean().Should().BeFalse();
        tampered.GetProperty("differences").GetInt64().Should().Be(3);
        tampered.GetProperty("first").EnumerateArray().Select(d => (d.GetProperty("kind").GetString(), d.GetProperty("what").GetString())).Should().BeEquivalentTo(new[]
        {
            ("edge-missing", "resource:verified-model@1.1.0 wasRevisionOf resource:verified-model@1.0.0"),
            ("edge-unexplained", "run:forged used resource:verified-model@1.0.0"),
            ("node-differs", "resource:verified-model@1.1.0/release"),
        });
        (code, output) = await CliRunner.RunAsync(host.BaseAddress, host.Token("auditor", "dth-oversight"), "audit", "verify-lineage");
        code.Should().Be(DthGrains.Cli.Audit.AuditCommands.Broken, output);
        output.Should().Contain("DIFFERS").And.Contain("run:forged");

        // The ledger is the truth: the store emptied is read again from it, and matches.
        await LineageStore.EmptyAsync(store);
        var rebuilt = await VerifyAsync(auditor);
        rebuilt.GetProperty("ok").GetBoolean().Should().BeTrue(rebuilt.ToString());
        rebuilt.GetProperty("edges").GetInt64().Should().Be(clean.GetProperty("edges").GetInt64());

        // Only auditors and platform admins may ask (it reads the whole ledger).
        (await modeller.GetAsync("/api/audit/lineage/verify")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_store_stated_by_other_rules_is_read_again_from_the_ledger_at_its_next_catch_up()
    {
        await using var host = await TestHost.StartAsync("charite", alsoHosts: []);
        var store = host.Services.GetRequiredService<IDocumentStore>();
        await ModelReleasedAsync(host, "restated-model", "1.0.0");
        var auditor = host.ClientAs("auditor", "dth-oversight");
        async Task<string> ReleaseLabel() => (await auditor.GetFromJsonAsync<JsonElement>("/api/audit/lineage?entity=resource:restated-model@1.0.0&depth=1"))
            .GetProperty("graph").GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("id").GetString() == "resource:restated-model@1.0.0/release")
            .GetProperty("label").GetString()!;
        var stated = await ReleaseLabel();

        // A store as the rules before this version left it: its facts in their wording, and no rules version written.
        (await SqlAsync(store, "update dth.lineage_nodes set label = 'as older rules said it' where id = 'resource:restated-model@1.0.0/release'")).Should().Be(1);
        (await SqlAsync(store, "update dth.lineage_progress set rules = null")).Should().Be(1);

        // The next query's catch-up empties it and reads the whole ledger again with the current rules.
        (await ReleaseLabel()).Should().Be(stated);
        await using (var connection = store.Storage.Database.CreateConnection())
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("select rules from dth.lineage_progress", connection);
            (await command.ExecuteScalarAsync()).Should().Be(DthGrains.Domain.Provenance.LineageRules.Version);
        }
        var verified = await VerifyAsync(auditor);
        verified.GetProperty("ok").GetBoolean().Should().BeTrue(verified.ToString());
    }

    /// <summary>A model drafted by Charité's modeller and released at <paramref name="versions"/>; the modeller's client.</summary>
    private static async Task<HttpClient> ModelReleasedAsync(TestHost host, string id, params string[] versions)
    {
        var modeller = host.ClientAs("modeller", "charite");
        (await modeller.PostAsync("/api/catalogue/resources", Draft(id, "model", ModelMetadata()))).EnsureSuccessStatusCode();
        foreach (var version in versions)
            (await modeller.PostAsync($"/api/catalogue/resources/{id}/versions", AsJson(new { version, releaseNotes = "r", checksum = "sha256:abc" })))
                .EnsureSuccessStatusCode();
        return modeller;
    }

    private static async Task<JsonElement> VerifyAsync(HttpClient auditor)
    {
        var response = await auditor.GetAsync("/api/audit/lineage/verify");
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Rows changed.</summary>
    private static async Task<int> SqlAsync(IDocumentStore store, string sql)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }
}
