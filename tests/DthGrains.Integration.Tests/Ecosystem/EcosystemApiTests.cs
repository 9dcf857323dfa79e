using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Ecosystem;

[Collection(HostCollection.Name)]
public sealed class EcosystemApiTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    private static string NewId(string prefix = "org") => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<HttpResponseMessage> CreateOrganisation(HttpClient client, string id, string name = "Test Hospital") =>
        await client.PostAsync("/api/ecosystem/organisations", Json($$"""{"id":"{{id}}","name":"{{name}}","type":"hospital","country":"DE"}"""));

    private async Task<int> HistoryCount(string path)
    {
        var response = await Host.ClientAs("auditor").GetAsync(path + "/history");
        if (response.StatusCode == HttpStatusCode.NotFound) return 0;
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength();
    }

    [Fact]
    public async Task A_platform_admin_registers_reads_and_updates_an_organisation_with_versions_as_etags()
    {
        var admin = Host.ClientAs("platform-admin", "bsc");
        var id = NewId();

        var created = await CreateOrganisation(admin, id);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        created.Headers.Location!.ToString().Should().Be($"/api/ecosystem/organisations/{id}");
        created.Headers.ETag!.Tag.Should().Be("\"1\"");

        var read = await Host.ClientAs("researcher", "tum").GetAsync($"/api/ecosystem/organisations/{id}");
        read.StatusCode.Should().Be(HttpStatusCode.OK);
        (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("organisation").GetProperty("type").GetString().Should().Be("hospital");

        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/ecosystem/organisations/{id}") { Content = Json("""{"name":"Renamed","type":"hospital","country":"DE"}""") };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"7\"");
        var refused = await admin.SendAsync(stale);
        refused.StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
        (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("currentVersion").GetInt64().Should().Be(1);

        var update = new HttpRequestMessage(HttpMethod.Put, $"/api/ecosystem/organisations/{id}") { Content = Json("""{"name":"Renamed","type":"hospital","country":"DE"}""") };
        update.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        var updated = await admin.SendAsync(update);
        updated.StatusCode.Should().Be(HttpStatusCode.OK);
        updated.Headers.ETag!.Tag.Should().Be("\"2\"");
        (await HistoryCount($"/api/ecosystem/organisations/{id}")).Should().Be(2);
    }

    /// <summary>If-Match as RFC 9110 has it: * matches any current state, a weak ETag never matches, a list is not one version.</summary>
    [Fact]
    public async Task If_match_star_matches_a_weak_etag_never_does_and_a_list_is_refused()
    {
        var admin = Host.ClientAs("platform-admin", "bsc");
        var id = NewId();
        (await CreateOrganisation(admin, id)).EnsureSuccessStatusCode();
        async Task<HttpResponseMessage> Update(string ifMatch)
        {
            var request = new HttpRequestMessage(HttpMethod.Put, $"/api/ecosystem/organisations/{id}") { Content = Json("""{"name":"Renamed","type":"hospital","country":"DE"}""") };
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            return await admin.SendAsync(request);
        }

        (await Update("W/\"1\"")).StatusCode.Should().Be(HttpStatusCode.PreconditionFailed, "a weak ETag never matches If-Match");
        (await Update("\"1\", \"2\"")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Update("1")).StatusCode.Should().Be(HttpStatusCode.BadRequest, "an ETag is quoted");
        (await HistoryCount($"/api/ecosystem/organisations/{id}")).Should().Be(1, "nothing refused changed anything");
        var any = await Update("*");
        any.StatusCode.Should().Be(HttpStatusCode.OK);
        any.Headers.ETag!.Tag.Should().Be("\"2\"");
    }

    [Fact]
    public async Task History_carries_the_envelope_actor_correlation_and_time()
    {
        var admin = Host.ClientAs("platform-admin", "bsc", subject: "pia-admin");
        var id = NewId();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/ecosystem/organisations") { Content = Json($$"""{"id":"{{id}}","name":"Envelope Clinic","type":"hospital","country":"FR"}""") };
        request.Headers.Add("X-Correlation-Id", "corr-123");
        (await admin.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.Created);

        var history = await (await admin.GetAsync($"/api/ecosystem/organisations/{id}/history")).Content.ReadFromJsonAsync<JsonElement>();
        var e = history.EnumerateArray().Single();
        e.GetProperty("eventType").GetString().Should().Be("ecosystem.organisation_registered");
        e.GetProperty("version").GetInt64().Should().Be(1);
        var envelope = e.GetProperty("envelope");
        envelope.GetProperty("actorSubject").GetString().Should().Be("pia-admin");
        envelope.GetProperty("actorInstitution").GetString().Should().Be("bsc");
        envelope.GetProperty("actorRoles").EnumerateArray().Select(r => r.GetString()).Should().Equal("platform-admin");
        envelope.GetProperty("correlationId").GetString().Should().Be("corr-123");
        envelope.GetProperty("traceId").GetString().Should().MatchRegex("^[0-9a-f]{32}$");
        envelope.GetProperty("recordedAt").GetDateTimeOffset().Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task A_repeated_command_with_the_same_idempotency_key_appends_nothing()
    {
        var admin = Host.ClientAs("platform-admin", "bsc");
        var id = NewId();
        (await CreateOrganisation(admin, id)).EnsureSuccessStatusCode();

        async Task<HttpResponseMessage> Update()
        {
            var request = new HttpRequestMessage(HttpMethod.Put, $"/api/ecosystem/organisations/{id}") { Content = Json("""{"name":"Once","type":"hospital","country":"DE"}""") };
            request.Headers.Add("Idempotency-Key", $"key-{id}");
            return await admin.SendAsync(request);
        }

        var first = await Update();
        var second = await Update();
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        second.StatusCode.Should().Be(HttpStatusCode.OK);
        second.Headers.ETag!.Tag.Should().Be(first.Headers.ETag!.Tag);
        (await HistoryCount($"/api/ecosystem/organisations/{id}")).Should().Be(2);
    }

    [Fact]
    public async Task Two_concurrent_updates_with_the_same_if_match_give_exactly_one_winner()
    {
        var admin = Host.ClientAs("platform-admin", "bsc");
        var id = NewId();
        (await CreateOrganisation(admin, id)).EnsureSuccessStatusCode();

        var responses = await Task.WhenAll(Enumerable.Range(0, 2).Select(i =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, $"/api/ecosystem/organisations/{id}") { Content = Json($$"""{"name":"Writer {{i}}","type":"hospital","country":"DE"}""") };
            request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
            return admin.SendAsync(request);
        }));

        responses.Count(r => r.StatusCode == HttpStatusCode.OK).Should().Be(1);
        responses.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed).Should().Be(1);
        (await HistoryCount($"/api/ecosystem/organisations/{id}")).Should().Be(2);
    }

    [Fact]
    public async Task Relations_appear_in_the_graph_with_their_evidence_and_disappear_when_removed()
    {
        var admin = Host.ClientAs("platform-admin", "bsc");
        var a = NewId();
        var b = NewId();
        (await CreateOrganisation(admin, a, "Alpha")).EnsureSuccessStatusCode();
        (await CreateOrganisation(admin, b, "Beta")).EnsureSuccessStatusCode();

        var related = await admin.PostAsync("/api/ecosystem/relations", Json($$"""{"from":"organisation:{{a}}","kind":"partner-of","to":"organisation:{{b}}"}"""));
        related.StatusCode.Should().Be(HttpStatusCode.OK);

        var graph = await (await admin.GetAsync("/api/ecosystem/graph")).Content.ReadFromJsonAsync<JsonElement>();
        var edge = graph.GetProperty("edges").EnumerateArray().Single(e => e.GetProperty("from").GetString() == $"organisation:{a}");
        edge.GetProperty("kind").GetString().Should().Be("partner-of");
        edge.GetProperty("to").GetString().Should().Be($"organisation:{b}");
        edge.GetProperty("evidenceStream").GetString().Should().Be($"organisation:{a}");
        edge.GetProperty("evidenceVersion").GetInt64().Should().Be(2);

        var removed = await admin.DeleteAsync($"/api/ecosystem/relations?from=organisation:{a}&kind=partner-of&to=organisation:{b}");
        removed.StatusCode.Should().Be(HttpStatusCode.OK);
        graph = await (await admin.GetAsync("/api/ecosystem/graph")).Content.ReadFromJsonAsync<JsonElement>();
        graph.GetProperty("edges").EnumerateArray().Should().NotContain(e => e.GetProperty("from").GetString() == $"organisation:{a}");
    }

    [Fact]
    public async Task A_relation_to_a_missing_node_is_refused_and_records_nothing()
    {
        var admin = Host.ClientAs("platform-admin", "bsc");
        var a = NewId();
        (await CreateOrganisation(admin, a)).EnsureSuccessStatusCode();

        var response = await admin.PostAsync("/api/ecosystem/relations", Json($$"""{"from":"organisation:{{a}}","kind":"partner-of","to":"organisation:nobody-here"}"""));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("to", out _).Should().BeTrue();
        (await HistoryCount($"/api/ecosystem/organisations/{a}")).Should().Be(1);
    }

    [Fact]
    public async Task The_seeded_graph_is_served_as_json_and_graphml()
    {
        var client = Host.ClientAs("researcher", "tum");
        var graph = await (await client.GetAsync("/api/ecosystem/graph")).Content.ReadFromJsonAsync<JsonElement>();
        graph.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString())
            .Should().Contain(["organisation:charite", "organisation:bsc", "person:alice-steward", "initiative:dth-federation"]);

        var request = new HttpRequestMessage(HttpMethod.Get, "/api/ecosystem/graph");
        request.Headers.Accept.ParseAdd("application/graphml+xml");
        var response = await client.SendAsync(request);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/graphml+xml");
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        XNamespace ns = "http://graphml.graphdrawing.org/xmlns";
        xml.Descendants(ns + "node").Select(n => (string?)n.Attribute("id")).Should().Contain("organisation:charite");
        xml.Descendants(ns + "edge").Should().Contain(e => (string?)e.Attribute("source") == "person:alice-steward" && (string?)e.Attribute("target") == "organisation:charite");
    }

    [Fact]
    public async Task The_silo_registers_itself_as_a_hosts_silo_edge_of_its_institution()
    {
        var graph = await (await Host.ClientAs("researcher", "tum").GetAsync("/api/ecosystem/graph")).Content.ReadFromJsonAsync<JsonElement>();
        graph.GetProperty("edges").EnumerateArray()
            .Should().Contain(e => e.GetProperty("kind").GetString() == "hosts-silo" && e.GetProperty("from").GetString() == "organisation:charite");
    }

    [Fact]
    public async Task Lists_page_and_filter_by_name()
    {
        var client = Host.ClientAs("researcher", "tum");
        var page = await (await client.GetAsync("/api/ecosystem/people?limit=2")).Content.ReadFromJsonAsync<JsonElement>();
        page.GetProperty("items").GetArrayLength().Should().Be(2);
        page.GetProperty("total").GetInt32().Should().BeGreaterThanOrEqualTo(6);

        var filtered = await (await client.GetAsync("/api/ecosystem/organisations?q=supercomputing")).Content.ReadFromJsonAsync<JsonElement>();
        filtered.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("entityId").GetString()).Should().Equal("bsc");

        (await client.GetAsync("/api/ecosystem/people?limit=100000")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }
}
