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
}
