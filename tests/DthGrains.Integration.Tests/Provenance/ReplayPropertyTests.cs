using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// Invariant 6 through the audit API: a seeded random sequence of commands on one organisation, then its replay at
/// every version, and as of every event's recorded time, equals what the live grain answered at that version.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class ReplayPropertyTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData(7)]
    [InlineData(2026)]
    public async Task Replay_equals_the_live_state_at_every_version(int seed)
    {
        var random = new Random(seed);
        var admin = Host.ClientAs("platform-admin", "bsc");
        string[] partners = ["organisation:charite", "organisation:tum", "organisation:inria", "organisation:bsc"];
        // The demo seed runs in the background after start: relations need their targets registered.
        await Eventually.Until(async () => (await Task.WhenAll(partners.Select(p => admin.GetAsync($"/api/ecosystem/organisations/{p["organisation:".Length..]}"))))
            .All(r => r.IsSuccessStatusCode), seeded => seeded, TimeSpan.FromSeconds(60), "the seeded organisations");
        var id = $"replay-{seed}-{Guid.NewGuid():N}"[..24];
        var path = $"/api/ecosystem/organisations/{id}";
        (await admin.PostAsync("/api/ecosystem/organisations", Json($$"""{"id":"{{id}}","name":"Replay {{seed}}","type":"hospital","country":"DE"}""")))
            .StatusCode.Should().Be(HttpStatusCode.Created);

        var live = new Dictionary<long, JsonNode>();
        async Task Record()
        {
            var response = await admin.GetAsync(path);
            var version = long.Parse(response.Headers.ETag!.Tag.Trim('"'));
            live[version] = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        }
        await Record();

        string[] countries = ["DE", "FR", "ES", "IT", "NL"];
        for (var step = 0; step < 24; step++)
        {
            HttpResponseMessage response;
            switch (random.Next(4))
            {
                case 0:
                    response = await admin.PutAsync(path, Json($$"""{"name":"Replay {{seed}} step {{step}}","type":"hospital","country":"{{countries[random.Next(countries.Length)]}}"}"""));
                    break;
                case 1:
                case 2:
                    response = await admin.PostAsync("/api/ecosystem/relations", Json($$"""{"from":"organisation:{{id}}","kind":"partner-of","to":"{{partners[random.Next(partners.Length)]}}"}"""));
                    break;
                default:
                    response = await admin.DeleteAsync($"/api/ecosystem/relations?from=organisation:{id}&kind=partner-of&to={partners[random.Next(partners.Length)]}");
                    break;
            }
            response.StatusCode.Should().BeOneOf([HttpStatusCode.OK, HttpStatusCode.NotFound], await response.Content.ReadAsStringAsync());
            await Record();
        }

        var auditor = Host.ClientAs("auditor", "dth-oversight");
        var full = await auditor.GetFromJsonAsync<JsonElement>($"/api/audit/streams/organisation:{id}");
        var events = full.GetProperty("events").EnumerateArray().ToList();
        events.Count.Should().Be((int)live.Keys.Max());
        full.GetProperty("chainIntact").GetBoolean().Should().BeTrue();
        full.GetProperty("stateType").GetString().Should().Be("NodeState");

        foreach (var (version, expected) in live)
        {
            var atVersion = await auditor.GetFromJsonAsync<JsonElement>($"/api/audit/streams/organisation:{id}?version={version}");
            atVersion.GetProperty("events").GetArrayLength().Should().Be((int)version);
            JsonNode.DeepEquals(JsonNode.Parse(atVersion.GetProperty("state").GetRawText()), expected).Should()
                .BeTrue("replay at version {0} must equal the live state: {1} vs {2}", version, atVersion.GetProperty("state"), expected);

            var recordedAt = events[(int)version - 1].GetProperty("envelope").GetProperty("recordedAt").GetString()!;
            var asOf = await auditor.GetFromJsonAsync<JsonElement>($"/api/audit/streams/organisation:{id}?asOf={Uri.EscapeDataString(recordedAt)}");
            // Events recorded in the same instant fold together; the state as of that time is the last of them.
            var last = asOf.GetProperty("version").GetInt64();
            last.Should().BeGreaterThanOrEqualTo(version);
            JsonNode.DeepEquals(JsonNode.Parse(asOf.GetProperty("state").GetRawText()), live[last]).Should().BeTrue();
        }
    }

    /// <summary>
    /// A replay's events come in pages (a run's or an access log's stream can hold millions): the pages, followed by
    /// their links, join into the whole; the first carries the chain's check and the state, the others their events only
    /// (so reading every page reads the stream once); and the stream growing meanwhile does not shift them, since the
    /// link names the version the first page replayed to.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task Pages_join_into_the_whole_replay_and_stay_on_its_version(int limit)
    {
        var admin = Host.ClientAs("platform-admin", "bsc");
        var id = $"pages-{limit}-{Guid.NewGuid():N}"[..24];
        var path = $"/api/ecosystem/organisations/{id}";
        (await admin.PostAsync("/api/ecosystem/organisations", Json($$"""{"id":"{{id}}","name":"Pages","type":"hospital","country":"DE"}""")))
            .StatusCode.Should().Be(HttpStatusCode.Created);
        for (var i = 0; i < 9; i++)
            (await admin.PutAsync(path, Json($$"""{"name":"Pages {{i}}","type":"hospital","country":"DE"}"""))).StatusCode.Should().Be(HttpStatusCode.OK);

        var auditor = Host.ClientAs("auditor", "dth-oversight");
        var whole = await auditor.GetFromJsonAsync<JsonElement>($"/api/audit/streams/organisation:{id}");
        whole.GetProperty("events").GetArrayLength().Should().Be(10);
        whole.TryGetProperty("nextAfter", out _).Should().BeFalse("one page of the default size holds the whole stream");

        var joined = new List<JsonElement>();
        var next = $"/api/audit/streams/organisation:{id}?limit={limit}";
        var pages = 0;
        while (next is not null)
        {
            var response = await auditor.GetAsync(next);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            page.GetProperty("events").GetArrayLength().Should().BeInRange(1, limit);
            page.GetProperty("version").GetInt64().Should().Be(10);
            if (pages == 0)
            {
                page.GetProperty("chainIntact").GetBoolean().Should().BeTrue();
                JsonNode.DeepEquals(JsonNode.Parse(page.GetProperty("state").GetRawText()), JsonNode.Parse(whole.GetProperty("state").GetRawText()))
                    .Should().BeTrue("the first page carries the state at the version replayed to");
            }
            else
                page.TryGetProperty("state", out _).Should().BeFalse("a following page carries its events only");
            joined.AddRange(page.GetProperty("events").EnumerateArray().Select(e => e.Clone()));
            next = response.Headers.TryGetValues("Link", out var links) ? links.Single().Split('<', '>')[1] : null;
            (next is null).Should().Be(!page.TryGetProperty("nextAfter", out _), "the link and the body agree on a next page");
            if (pages++ == 0)
                // A change after the first page: the following pages still end at version 10.
                (await admin.PutAsync(path, Json("""{"name":"Later","type":"hospital","country":"DE"}"""))).StatusCode.Should().Be(HttpStatusCode.OK);
        }
        pages.Should().Be((10 + limit - 1) / limit);
        joined.Select(e => e.GetRawText()).Should().Equal(whole.GetProperty("events").EnumerateArray().Select(e => e.GetRawText()));

        // As of a moment, the pages stop where the moment does.
        var moment = Uri.EscapeDataString(whole.GetProperty("events")[6].GetProperty("envelope").GetProperty("recordedAt").GetString()!);
        var asOfWhole = await auditor.GetFromJsonAsync<JsonElement>($"/api/audit/streams/organisation:{id}?asOf={moment}");
        var asOfJoined = new List<string>();
        for (var link = $"/api/audit/streams/organisation:{id}?asOf={moment}&limit={limit}"; link is not null;)
        {
            var response = await auditor.GetAsync(link);
            asOfJoined.AddRange(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetRawText()));
            link = response.Headers.TryGetValues("Link", out var links) ? links.Single().Split('<', '>')[1] : null;
        }
        asOfJoined.Should().Equal(asOfWhole.GetProperty("events").EnumerateArray().Select(e => e.GetRawText()));
        asOfJoined.Count.Should().BeInRange(7, 10);

        // Past the end is an empty page; a following page needs the version it continues to; malformed paging is a 400
        // that names the parameter.
        var beyond = await auditor.GetFromJsonAsync<JsonElement>($"/api/audit/streams/organisation:{id}?after=10&version=10");
        beyond.GetProperty("events").GetArrayLength().Should().Be(0);
        beyond.GetProperty("version").GetInt64().Should().Be(10);
        foreach (var (query, name) in new[] { ("limit=0", "limit"), ("limit=10001", "limit"), ("limit=x", "limit"), ("after=-1", "after"), ("after=1.5", "after"), ("after=3", "version") })
        {
            var bad = await auditor.GetAsync($"/api/audit/streams/organisation:{id}?{query}");
            bad.StatusCode.Should().Be(HttpStatusCode.BadRequest, query);
            (await bad.Content.ReadAsStringAsync()).Should().Contain($"'{name}'");
        }
        (await auditor.GetAsync($"/api/audit/streams/organisation:nobody-{id}?after=3&version=5")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
