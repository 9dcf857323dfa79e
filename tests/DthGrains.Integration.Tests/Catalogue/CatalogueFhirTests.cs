using System.Net;
using System.Text.Json;
using DthGrains.Domain.Catalogue;
using DthGrains.Grains.Catalogue;
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

    /// <summary>A bundle for another institution's dataset, or for a model, is refused before it is read, with an OperationOutcome.</summary>
    [Fact]
    public async Task A_bundle_for_a_dataset_not_the_callers_or_for_a_model_is_refused_up_front()
    {
        var foreign = await Host.ClientAs("steward", "inria").PostAsync("/api/catalogue/resources/charite-t1d-synthetic/versions?version=9.0.0", AsFhir(Bundle("p1")));
        foreign.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await Outcome(foreign)).GetProperty("issue")[0].GetProperty("code").GetString().Should().Be("forbidden");

        var model = $"model-{Guid.NewGuid():N}"[..20];
        (await Host.ClientAs("modeller", "tum").PostAsync("/api/catalogue/resources", Draft(model, "model", ModelMetadata()))).EnsureSuccessStatusCode();
        var notDataset = await Host.ClientAs("modeller", "tum").PostAsync($"/api/catalogue/resources/{model}/versions?version=1.0.0", AsFhir(Bundle("p1")));
        notDataset.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Outcome(notDataset)).GetProperty("issue")[0].GetProperty("diagnostics").GetString().Should().Contain("not a dataset");
        JsonDocument.Parse(await Host.ClientAs("steward", "charite").GetStringAsync("/api/catalogue/resources/charite-t1d-synthetic")).RootElement
            .GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetString()).Should().NotContain("9.0.0");
    }

    /// <summary>
    /// Withdrawal stops every use of a dataset at once: a researcher's live grant no longer reads it, nor does a member of
    /// the owning institution, and each refusal is recorded with the publisher's reason.
    /// </summary>
    [Fact]
    public async Task A_withdrawn_dataset_is_read_by_nobody_even_under_a_live_grant_and_each_refusal_is_recorded()
    {
        var id = await NewDataset();
        (await Upload(id, Bundle("p1"))).EnsureSuccessStatusCode();
        var steward = Host.ClientAs("steward", "charite", subject: "alice");
        (await steward.PostAsync($"/api/catalogue/resources/{id}/publish", null)).EnsureSuccessStatusCode();
        var subject = $"dora-{Guid.NewGuid():N}"[..16];
        var dora = Host.ClientAs("researcher", "tum", subject: subject);
        var applied = await dora.PostAsync("/api/access/requests", Governance.GovernanceTestData.Body(Governance.GovernanceTestData.Application([id], actions: ["read"])));
        applied.StatusCode.Should().Be(HttpStatusCode.Created, await applied.Content.ReadAsStringAsync());
        var request = (await JsonOf(applied)).GetProperty("id").GetString()!;
        (await steward.SendAsync(Governance.GovernanceTestData.Decision(request, applied.Headers.ETag!.Tag, approve: true))).EnsureSuccessStatusCode();
        var payload = $"/api/catalogue/resources/{id}/versions/1.0.0/payload?purpose=scientific-research";
        (await dora.GetAsync(payload)).StatusCode.Should().Be(HttpStatusCode.OK, "the grant is live and the dataset published");

        (await steward.PostAsync($"/api/catalogue/resources/{id}/withdraw", AsJson(new { reason = "Consent withdrawn by the cohort's ethics board." })))
            .StatusCode.Should().Be(HttpStatusCode.OK);

        foreach (var reader in new[] { dora, steward })
        {
            var refused = await reader.GetAsync(payload);
            refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            (await Outcome(refused)).GetProperty("issue")[0].GetProperty("diagnostics").GetString().Should().Contain("withdrawn").And.Contain("ethics board");
        }
        var log = await Host.Services.GetRequiredService<EventLog>().ReadAsync(CatalogueEventTypes.AccessLogOf("charite", id));
        log.Select(e => e.Data).TakeLast(2).Should().AllSatisfy(e => e.Should().BeOfType<AccessDenied>().Which.Reason.Should().Contain("withdrawn"));
        log.Select(e => e.Data).OfType<AccessDenied>().Select(d => d.Actor).Should().Equal(subject, "alice");
    }

    /// <summary>
    /// An upload's repeat with its Idempotency-Key gets the first answer; the key sent with another bundle or version is
    /// refused (422), and the payload that refused upload wrote is removed again: a 2xx always means recorded.
    /// </summary>
    [Fact]
    public async Task An_upload_s_idempotency_key_answers_its_repeat_and_refuses_another_bundle_leaving_nothing_stored()
    {
        var id = await NewDataset();
        var key = $"upload-{Guid.NewGuid():N}";
        async Task<HttpResponseMessage> UploadWithKey(string bundle, string version)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/catalogue/resources/{id}/versions?version={version}&notes=test") { Content = AsFhir(bundle) };
            request.Headers.Add("Idempotency-Key", key);
            return await Host.ClientAs("steward", "charite").SendAsync(request);
        }

        var bundle = Bundle("p1"); // the same bytes: a bundle made again has new fullUrls
        var first = await UploadWithKey(bundle, "1.0.0");
        first.StatusCode.Should().Be(HttpStatusCode.Created);
        var repeat = await UploadWithKey(bundle, "1.0.0");
        repeat.StatusCode.Should().Be(HttpStatusCode.Created, "the repeat of the same upload gets its first answer, not a 409");
        repeat.Headers.ETag!.Tag.Should().Be(first.Headers.ETag!.Tag);

        (await UploadWithKey(Bundle("p1"), "1.0.0")).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity, "another bundle under the same key and version");
        var reused = await UploadWithKey(Bundle("p2", "p3"), "1.1.0");
        reused.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var view = JsonDocument.Parse(await Host.ClientAs("steward", "charite").GetStringAsync($"/api/catalogue/resources/{id}")).RootElement;
        view.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetString()).Should().Equal("1.0.0");
        (await Host.Services.GetRequiredService<PayloadStore>().VersionExistsAsync("charite", id, "1.1.0")).Should().BeFalse("the refused upload's payload is removed");
    }

    /// <summary>
    /// A payload the catalogue does not list (left by an upload whose record failed with the store out of reach) is never
    /// served, and the version's next upload replaces it, or keeps it when it is the same bundle.
    /// </summary>
    [Fact]
    public async Task A_payload_the_catalogue_does_not_list_is_never_served_and_the_next_upload_of_its_version_takes_its_place()
    {
        var id = await NewDataset();
        var payloads = Host.Services.GetRequiredService<PayloadStore>();
        async Task LeaveOrphan(string bundle, string version)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(bundle);
            var content = DthGrains.Fhir.Datasets.DatasetBundleReader.Read(new MemoryStream(bytes), DthGrains.Fhir.Datasets.DatasetBundleLimits.Default).Content!;
            await payloads.WriteAsync("charite", id, version, content, bytes.LongLength);
        }
        var steward = Host.ClientAs("steward", "charite");

        await LeaveOrphan(Bundle("p1", "p2", "p3"), "1.0.0");
        (await steward.GetAsync($"/api/catalogue/resources/{id}/versions/1.0.0/payload?purpose=quality")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Upload(id, Bundle("p1"))).StatusCode.Should().Be(HttpStatusCode.Created, "the orphan does not make the version 'exist'");
        var read = JsonDocument.Parse(await steward.GetStringAsync($"/api/catalogue/resources/{id}/versions/1.0.0/payload?purpose=quality")).RootElement;
        read.GetProperty("entry").GetArrayLength().Should().Be(2, "the uploaded bundle's patient and observation, not the orphan's six resources");

        var retried = Bundle("p4");
        await LeaveOrphan(retried, "1.1.0");
        (await Upload(id, retried, "1.1.0")).StatusCode.Should().Be(HttpStatusCode.Created, "the same bundle's retry keeps what it wrote");
        (await steward.GetAsync($"/api/catalogue/resources/{id}/versions/1.1.0/payload?purpose=quality")).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
