using System.Net;
using System.Text.Json;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;
using JsonOfResponse = DthGrains.Integration.Tests.Governance.GovernanceTestData;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// The auditor's view of the decisions on an application checks the chain of the rows it shows: a refusal edited into
/// an approval by SQL is flagged there, not only by a whole-ledger verification. A host of its own: the edit breaks its ledger.
/// </summary>
public sealed class DecisionTamperingTests
{
    [Fact]
    public async Task A_refusal_edited_into_an_approval_is_flagged_in_the_auditors_view_of_the_decisions()
    {
        await using var host = await TestHost.StartAsync();
        var steward = host.ClientAs("steward", "charite", subject: "alice-steward");
        var dataset = $"ds-{Guid.NewGuid():N}"[..20];
        (await steward.PostAsync("/api/catalogue/resources", Draft(dataset, "dataset", RestrictedDatasetMetadata()))).EnsureSuccessStatusCode();
        (await steward.PostAsync($"/api/catalogue/resources/{dataset}/versions?version=1.0.0&notes=t", AsFhir(Bundle("p1")))).EnsureSuccessStatusCode();
        (await steward.PostAsync($"/api/catalogue/resources/{dataset}/publish", null)).EnsureSuccessStatusCode();
        var applied = await host.ClientAs("researcher", "tum").PostAsync("/api/access/requests", Body(Application([dataset])));
        applied.StatusCode.Should().Be(HttpStatusCode.Created, await applied.Content.ReadAsStringAsync());
        var id = (await JsonOfResponse.JsonOf(applied)).GetProperty("id").GetString()!;
        (await steward.SendAsync(Decision(id, applied.Headers.ETag!.Tag, approve: false, reason: "Purpose not covered."))).EnsureSuccessStatusCode();
        var auditor = host.ClientAs("auditor", "dth-oversight");
        JsonElement ChainCheck(JsonElement decisions) =>
            decisions.EnumerateArray().Single().GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("what").GetString()!.Contains("hash chain"));

        ChainCheck(await JsonOfResponse.JsonOf(await auditor.GetAsync($"/api/audit/access-requests/{id}/decisions"))).GetProperty("agrees").GetBoolean().Should().BeTrue();

        await using (var connection = new Npgsql.NpgsqlConnection(host.Host.ConnectionString))
        {
            await connection.OpenAsync();
            await using var edit = new Npgsql.NpgsqlCommand(
                "update dth.mt_events set data = jsonb_set(data, '{approve}', 'true') where stream_id = @s and type = 'governance.decision_recorded'", connection);
            edit.Parameters.AddWithValue("s", $"access-request:{id}");
            (await edit.ExecuteNonQueryAsync()).Should().Be(1);
        }
        var edited = await JsonOfResponse.JsonOf(await auditor.GetAsync($"/api/audit/access-requests/{id}/decisions"));
        edited.EnumerateArray().Single().GetProperty("approve").GetBoolean().Should().BeTrue("the view shows what is stored");
        var check = ChainCheck(edited);
        check.GetProperty("agrees").GetBoolean().Should().BeFalse();
        check.GetProperty("ledger").GetString().Should().Contain("version 2");
    }
}
