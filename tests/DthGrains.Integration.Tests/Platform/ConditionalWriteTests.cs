using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// If-Match is evaluated wherever a write changes a versioned resource, and refused where a write has no version to
/// compare it with: a client that guards a change with it is never silently unguarded.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class ConditionalWriteTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    private static HttpRequestMessage Send(HttpMethod method, string path, string? json, string ifMatch, string mediaType = "application/json")
    {
        var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, mediaType) };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return request;
    }

    [Fact]
    public async Task A_write_with_no_version_to_compare_refuses_if_match_and_changes_nothing()
    {
        var admin = Host.ClientAs("platform-admin", "bsc");
        var id = $"cond-{Guid.NewGuid():N}"[..20];
        var create = await admin.SendAsync(Send(HttpMethod.Post, "/api/ecosystem/organisations", $$"""{"id":"{{id}}","name":"Conditional","type":"hospital","country":"DE"}""", "\"1\""));
        create.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await create.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("errors").TryGetProperty("If-Match", out _).Should().BeTrue(problem.ToString());
        (await admin.GetAsync($"/api/ecosystem/organisations/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound, "the refused creation created nothing");

        var researcher = Host.ClientAs("researcher", "tum", subject: id);
        (await researcher.SendAsync(Send(HttpMethod.Post, "/api/runs", """{"kind":"cohort-trial","model":"hovorka","size":5,"seed":3,"duration":60}""", "*")))
            .StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await researcher.GetFromJsonAsync<JsonElement>("/api/runs")).GetProperty("total").GetInt64().Should().Be(0, "no run was submitted");
        // A method the path does not take is a 405 first, as without the header.
        (await admin.SendAsync(Send(HttpMethod.Delete, "/api/ecosystem/organisations", null, "\"1\""))).StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);

        // Refused the same way on a FHIR route, as an OperationOutcome: a dataset version uploaded as a Bundle.
        var upload = await Host.ClientAs("steward", "charite").SendAsync(
            Send(HttpMethod.Post, "/api/catalogue/resources/charite-t1d-synthetic/versions?version=9.9.9", """{"resourceType":"Bundle","type":"collection"}""", "\"1\"", "application/fhir+json"));
        upload.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        upload.Content.Headers.ContentType!.MediaType.Should().Be("application/fhir+json");
        (await upload.Content.ReadAsStringAsync()).Should().Contain("OperationOutcome").And.Contain("If-Match");

        // Without the header, the same creation is made: the refusal was for the header alone.
        (await admin.PostAsync("/api/ecosystem/organisations", new StringContent($$"""{"id":"{{id}}","name":"Conditional","type":"hospital","country":"DE"}""", Encoding.UTF8, "application/json")))
            .StatusCode.Should().Be(HttpStatusCode.Created);
    }

    /// <summary>Releasing a run's rows deletes them: the release can be guarded by the run's version, as read.</summary>
    [Fact]
    public async Task Releasing_a_run_s_rows_evaluates_if_match()
    {
        var researcher = Host.ClientAs("researcher", "tum", subject: $"cond-{Guid.NewGuid():N}"[..16]);
        var id = await Runs.RunTestData.SubmitAsync(researcher, Runs.RunTestData.Cohort(size: 20, shardSize: 10));
        await Runs.RunTestData.WaitForStatusAsync(researcher, id, "completed");
        var read = await researcher.GetAsync($"/api/runs/{id}");
        var etag = read.Headers.ETag!.Tag;

        var stale = await researcher.SendAsync(Send(HttpMethod.Post, $"/api/runs/{id}/rows/release", """{"reason":"kept the bands"}""", "\"1\""));
        stale.StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
        stale.Headers.ETag!.Tag.Should().Be(etag);
        (await researcher.GetAsync($"/api/runs/{id}/results?format=csv")).StatusCode.Should().Be(HttpStatusCode.OK, "the rows are still there");
        var released = await researcher.SendAsync(Send(HttpMethod.Post, $"/api/runs/{id}/rows/release", """{"reason":"kept the bands"}""", etag));
        released.StatusCode.Should().Be(HttpStatusCode.OK, await released.Content.ReadAsStringAsync());
        (await researcher.GetAsync($"/api/runs/{id}/results?format=csv")).StatusCode.Should().Be(HttpStatusCode.Gone);
    }

    [Fact]
    public async Task Relations_and_closing_an_application_evaluate_if_match()
    {
        var admin = Host.ClientAs("platform-admin", "bsc");
        var id = $"cond-{Guid.NewGuid():N}"[..20];
        (await admin.PostAsync("/api/ecosystem/organisations", new StringContent($$"""{"id":"{{id}}","name":"Relating","type":"hospital","country":"DE"}""", Encoding.UTF8, "application/json")))
            .StatusCode.Should().Be(HttpStatusCode.Created);
        await Eventually.Until(() => admin.GetAsync("/api/ecosystem/organisations/charite"), r => r.IsSuccessStatusCode, TimeSpan.FromSeconds(60), "the seeded organisation");
        var relation = $$"""{"from":"organisation:{{id}}","kind":"partner-of","to":"organisation:charite"}""";

        var stale = await admin.SendAsync(Send(HttpMethod.Post, "/api/ecosystem/relations", relation, "\"7\""));
        stale.StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
        stale.Headers.ETag!.Tag.Should().Be("\"1\"", "the refusal names the current version");
        (await admin.GetFromJsonAsync<JsonElement>($"/api/ecosystem/organisations/{id}")).GetProperty("relations").GetArrayLength().Should().Be(0);
        var added = await admin.SendAsync(Send(HttpMethod.Post, "/api/ecosystem/relations", relation, "\"1\""));
        added.StatusCode.Should().Be(HttpStatusCode.OK);
        added.Headers.ETag!.Tag.Should().Be("\"2\"");
        (await admin.SendAsync(Send(HttpMethod.Delete, $"/api/ecosystem/relations?from=organisation:{id}&kind=partner-of&to=organisation:charite", null, "\"1\"")))
            .StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
        (await admin.SendAsync(Send(HttpMethod.Delete, $"/api/ecosystem/relations?from=organisation:{id}&kind=partner-of&to=organisation:charite", null, "\"2\"")))
            .StatusCode.Should().Be(HttpStatusCode.OK);

        var researcher = Host.ClientAs("researcher", "tum");
        var submitted = await researcher.PostAsync("/api/access/requests", Body(Application(["charite-t1d-synthetic"])));
        submitted.StatusCode.Should().Be(HttpStatusCode.Created);
        var request = (await JsonOf(submitted)).GetProperty("id").GetString()!;
        var version = submitted.Headers.ETag!.Tag;
        (await researcher.SendAsync(WithIfMatch(HttpMethod.Post, $"/api/access/requests/{request}/close", new { reason = "No longer needed." }, "\"99\"")))
            .StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
        (await JsonOf(await researcher.GetAsync($"/api/access/requests/{request}"))).GetProperty("status").GetString().Should().NotBe("closed");
        var closed = await researcher.SendAsync(WithIfMatch(HttpMethod.Post, $"/api/access/requests/{request}/close", new { reason = "No longer needed." }, version));
        closed.StatusCode.Should().Be(HttpStatusCode.OK, await closed.Content.ReadAsStringAsync());
        (await JsonOf(closed)).GetProperty("status").GetString().Should().Be("closed");
    }
}
