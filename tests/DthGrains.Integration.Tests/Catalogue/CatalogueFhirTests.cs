using System.Net;
using System.Text.Json;
using DthGrains.Domain.Catalogue;
using DthGrains.Grains.Platform;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;

namespace DthGrains.Integration.Tests.Catalogue;

/// <summary>Dataset uploads are all or nothing; a bad Bundle gets 400/422 with an OperationOutcome naming the element (RELIABILITY.md row 15).</summary>
[Collection(HostCollection.Name)]
public sealed class CatalogueFhirTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    private async Task<string> NewDataset()
    {
        var id = $"ds-{Guid.NewGuid():N}"[..20];
        (await Host.ClientAs("steward", "charite").PostAsync("/api/catalogue/resources", Draft(id, "dataset", RestrictedDatasetMetadata()))).EnsureSuccessStatusCode();
        return id;
    }

    private Task<HttpResponseMessage> Upload(string id, string bundle, string version = "1.0.0") =>
        Host.ClientAs("steward", "charite").PostAsync($"/api/catalogue/resources/{id}/versions?version={version}&notes=test", AsFhir(bundle));

    private static async Task<JsonElement> Outcome(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/fhir+json");
        var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        outcome.GetProperty("resourceType").GetString().Should().Be("OperationOutcome");
        return outcome;
    }

    public static TheoryData<string, string, int, string?> BadBundles()
    {
        var good = Bundle("p1", "p2");
        return new()
        {
            { "truncated", good[..(good.Length / 2)], 400, null },
            { "wrong-resource-type", good.Replace("\"resourceType\":\"Bundle\"", "\"resourceType\":\"Patient\""), 400, null },
            { "unresolved-reference", good.Replace("\"reference\":\"Patient/p2\"", "\"reference\":\"Patient/nobody\""), 422, "subject" },
            { "one-bad-entry", good.Replace("\"status\":\"final\"", "\"status\":\"not-a-status\""), 422, "entry" },
        };
    }

    [Theory]
    [MemberData(nameof(BadBundles))]
    public async Task A_bad_bundle_is_refused_with_an_operation_outcome_and_nothing_is_stored(string name, string bundle, int status, string? expressionPart)
    {
        var id = await NewDataset();
        var response = await Upload(id, bundle);

        ((int)response.StatusCode).Should().Be(status, name);
        var issue = (await Outcome(response)).GetProperty("issue")[0];
        issue.GetProperty("severity").GetString().Should().Be("error");
        if (expressionPart is not null)
            issue.GetProperty("expression")[0].GetString().Should().Contain(expressionPart);

        var view = JsonDocument.Parse(await Host.ClientAs("steward", "charite").GetStringAsync($"/api/catalogue/resources/{id}")).RootElement;
        view.GetProperty("versions").GetArrayLength().Should().Be(0);
        (await Host.ClientAs("steward", "charite").GetAsync($"/api/catalogue/resources/{id}/versions/1.0.0/payload")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_good_bundle_becomes_a_version_with_counts_and_checksum_and_reads_back_for_the_owner()
    {
        var id = await NewDataset();
        var response = await Upload(id, Bundle("p1", "p2"));

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        var version = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("versions")[0];
        version.GetProperty("checksum").GetString().Should().StartWith("sha256:");
        version.GetProperty("dataset").GetProperty("subjects").GetInt32().Should().Be(2);
        version.GetProperty("dataset").GetProperty("resourcesByType").GetProperty("Observation").GetInt32().Should().Be(2);

        var payload = await Host.ClientAs("steward", "charite").GetAsync($"/api/catalogue/resources/{id}/versions/1.0.0/payload?purpose=quality-check");
        payload.StatusCode.Should().Be(HttpStatusCode.OK);
        var bundle = JsonDocument.Parse(await payload.Content.ReadAsStringAsync()).RootElement;
        bundle.GetProperty("type").GetString().Should().Be("collection");
        bundle.GetProperty("entry").GetArrayLength().Should().Be(4);

        (await Upload(id, Bundle("p3"))).StatusCode.Should().Be(HttpStatusCode.Conflict, "version 1.0.0 exists and is immutable");
    }

    [Fact]
    public async Task A_payload_read_from_another_institution_is_refused_and_both_reads_and_refusals_are_recorded()
    {
        var id = await NewDataset();
        (await Upload(id, Bundle("p1"))).EnsureSuccessStatusCode();
        (await Host.ClientAs("steward", "charite").PostAsync($"/api/catalogue/resources/{id}/publish", null)).EnsureSuccessStatusCode();

        var refused = await Host.ClientAs("researcher", "tum", subject: "eve").GetAsync($"/api/catalogue/resources/{id}/versions/1.0.0/payload?purpose=curiosity");
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await Outcome(refused)).GetProperty("issue")[0].GetProperty("diagnostics").GetString().Should().Contain("grant");
        (await Host.ClientAs("steward", "charite", subject: "alice").GetAsync($"/api/catalogue/resources/{id}/versions/1.0.0/payload?purpose=quality")).EnsureSuccessStatusCode();

        var log = await Host.Services.GetRequiredService<EventLog>().ReadAsync(CatalogueEventTypes.AccessLogOf("charite", id));
        log.Select(e => e.Data).Should().SatisfyRespectively(
            first => first.Should().BeOfType<AccessDenied>().Which.Should().Match<AccessDenied>(d => d.Actor == "eve" && d.Purpose == "curiosity" && d.Reason.Contains("grant")),
            second => second.Should().BeOfType<DataAccessed>().Which.Should().Match<DataAccessed>(a => a.Actor == "alice" && a.Subjects == 1 && a.Purpose == "quality"));
    }
}
