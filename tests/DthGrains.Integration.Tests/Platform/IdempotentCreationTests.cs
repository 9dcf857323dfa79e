using System.Net;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Runs;
using DthGrains.Domain.Twins;
using DthGrains.Grains.Platform;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// RELIABILITY row 10 for the routes where the server names what it creates (runs, access applications, twins): a
/// creation sent again with its Idempotency-Key (a client retrying after a timeout or a 503) reaches the same resource and
/// gets the first answer, also when the two race; the key reused for a different body is a 422 that records nothing;
/// another caller's same key names another resource.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class IdempotentCreationTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    public static TheoryData<string> Routes => ["/api/runs", "/api/access/requests", "/api/twins"];

    private static object BodyOf(string route, int variant) => route switch
    {
        "/api/runs" => new { kind = "cohort-trial", model = "hovorka", size = 20 + variant, seed = 3, duration = 60 },
        "/api/access/requests" => Application(["charite-t1d-synthetic"], months: 6 + variant),
        _ => Twins.TwinTestData.Design($"Idempotent twin {variant}"),
    };

    private static string StreamOf(string route, string id) => route switch
    {
        "/api/runs" => RunEventTypes.StreamOf(id),
        "/api/access/requests" => GovernanceEventTypes.StreamOf(id),
        _ => TwinEventTypes.StreamOf(id),
    };

    private static HttpRequestMessage Post(string route, object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = Body(body) };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    private async Task<int> EventsWithKeyAsync(string stream, string key) =>
        (await Host.Services.GetRequiredService<EventLog>().ReadAsync(stream))
        .Count(e => e.Headers?.TryGetValue(EnvelopeHeaders.IdempotencyKey, out var k) == true && k?.ToString() == key);

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_repeated_creation_gets_the_first_answer_and_a_reused_key_with_another_body_is_refused(string route)
    {
        await Twins.TwinTestData.SeedReady(Host);
        var who = $"idem-{Guid.NewGuid():N}"[..16];
        var carla = Host.ClientAs("researcher", "tum", subject: who);
        var key = $"create-{Guid.NewGuid():N}";

        // The original and its retry race (a client that timed out and sent again while the first was still in flight).
        var raced = await Task.WhenAll(carla.SendAsync(Post(route, BodyOf(route, 0), key)), carla.SendAsync(Post(route, BodyOf(route, 0), key)));
        raced.Select(r => r.StatusCode).Should().AllSatisfy(s => ((int)s).Should().BeInRange(200, 299), await raced[0].Content.ReadAsStringAsync());
        raced.Select(r => r.StatusCode).Distinct().Should().ContainSingle("both are answered as the creation was");
        var ids = new List<string>();
        foreach (var r in raced) ids.Add((await JsonOf(r)).GetProperty("id").GetString()!);
        ids.Distinct().Should().ContainSingle("the repeat reaches the resource the first one created");
        var id = ids[0];
        raced.Select(r => r.Headers.Location?.ToString()).Should().AllBe($"{route}/{id}");
        var stream = StreamOf(route, id);
        var recorded = await EventsWithKeyAsync(stream, key);
        recorded.Should().BeGreaterThan(0);

        var later = await carla.SendAsync(Post(route, BodyOf(route, 0), key));
        later.StatusCode.Should().Be(raced[0].StatusCode);
        (await JsonOf(later)).GetProperty("id").GetString().Should().Be(id);

        var reused = await carla.SendAsync(Post(route, BodyOf(route, 1), key));
        reused.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var problem = await JsonOf(reused);
        problem.GetProperty("detail").GetString().Should().Contain(key).And.Contain("new key");
        (await EventsWithKeyAsync(stream, key)).Should().Be(recorded, "neither the repeats nor the refused reuse recorded anything");

        // Another caller's key of the same text is another name: a new resource, not a look at Carla's.
        var dora = Host.ClientAs("researcher", "tum", subject: $"{who}-d");
        var theirs = await dora.SendAsync(Post(route, BodyOf(route, 0), key));
        ((int)theirs.StatusCode).Should().BeInRange(200, 299);
        (await JsonOf(theirs)).GetProperty("id").GetString().Should().NotBe(id);

        // Without a key nothing is taken for a repeat.
        var a = await JsonOf(await carla.SendAsync(Post(route, BodyOf(route, 0), key: null)));
        var b = await JsonOf(await carla.SendAsync(Post(route, BodyOf(route, 0), key: null)));
        a.GetProperty("id").GetString().Should().NotBe(b.GetProperty("id").GetString()).And.NotBe(id);
    }

    [Fact]
    public async Task The_same_body_with_other_whitespace_and_member_order_is_the_same_request()
    {
        var carla = Host.ClientAs("researcher", "tum", subject: $"idem-{Guid.NewGuid():N}"[..16]);
        var key = $"ws-{Guid.NewGuid():N}";
        HttpRequestMessage Raw(string json)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", key);
            return request;
        }
        var first = await carla.SendAsync(Raw("""{"kind":"cohort-trial","model":"hovorka","size":12,"seed":5,"duration":60}"""));
        first.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var again = await carla.SendAsync(Raw("""{ "seed": 5, "duration": 60,  "model": "hovorka", "size": 12, "kind": "cohort-trial" }"""));
        again.StatusCode.Should().Be(HttpStatusCode.Accepted, await again.Content.ReadAsStringAsync());
        again.Headers.Location.Should().Be(first.Headers.Location);
    }

    [Fact]
    public async Task A_command_repeated_with_its_key_appends_nothing_and_the_key_sent_with_another_body_is_refused()
    {
        var modeller = Host.ClientAs("modeller", "charite");
        var id = $"idem-model-{Guid.NewGuid():N}"[..24];
        (await modeller.PostAsync("/api/catalogue/resources", Catalogue.CatalogueTestData.Draft(id, "model", Catalogue.CatalogueTestData.ModelMetadata())))
            .EnsureSuccessStatusCode();
        HttpRequestMessage Release(string version)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/catalogue/resources/{id}/versions")
            {
                Content = Catalogue.CatalogueTestData.AsJson(new { version, releaseNotes = "r", checksum = "sha256:abc" }),
            };
            request.Headers.Add("Idempotency-Key", $"release-{id}");
            return request;
        }
        var stream = Domain.Catalogue.CatalogueEventTypes.StreamOf(id);

        (await modeller.SendAsync(Release("1.0.0"))).StatusCode.Should().Be(HttpStatusCode.Created);
        var recorded = (await Host.Services.GetRequiredService<EventLog>().ReadAsync(stream)).Count;
        (await modeller.SendAsync(Release("1.0.0"))).StatusCode.Should().Be(HttpStatusCode.Created, "the repeat is answered as the first");
        var reused = await modeller.SendAsync(Release("2.0.0"));
        reused.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity, "the key came with another version: not a repeat");
        (await Host.Services.GetRequiredService<EventLog>().ReadAsync(stream)).Count.Should().Be(recorded);
    }
}
