using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;

namespace DthGrains.Integration.Tests.Twins;

public static class TwinTestData
{
    public const string CharitéData = "charite-t1d-synthetic";

    public static async Task SeedReady(TestHost host) =>
        await Eventually.Until(async () => (await host.ClientAs("researcher", "tum").GetAsync("/api/catalogue/resources/inria-t1d-synthetic")).StatusCode,
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(120), "the demo catalogue to be seeded");

    /// <summary>Applies for simulate access to <paramref name="dataset"/> and has Charité's steward approve it; returns (request id, grant id).</summary>
    public static async Task<(string RequestId, string GrantId)> GrantAsync(TestHost host, HttpClient researcher, string dataset = CharitéData)
    {
        var applied = await researcher.PostAsync("/api/access/requests", Body(Application([dataset], actions: ["simulate"])));
        applied.StatusCode.Should().Be(HttpStatusCode.Created, await applied.Content.ReadAsStringAsync());
        var id = (await JsonOf(applied)).GetProperty("id").GetString()!;
        var approved = await host.ClientAs("steward", "charite", subject: "alice-steward").SendAsync(Decision(id, applied.Headers.ETag!.Tag, approve: true));
        approved.StatusCode.Should().Be(HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
        return (id, (await JsonOf(approved)).GetProperty("grant").GetProperty("id").GetString()!);
    }

    public static object Design(string name = "Meal-plan twin") => new
    {
        name,
        modelId = "hovorka-2004",
        questionOfInterest = "Does a lighter breakfast keep this patient's glucose in range after the meal?",
        contextOfUse = "Research exploration of meal plans for one adult with type 1 diabetes; no clinical decision rests on it.",
        purpose = "scientific-research",
        modelInfluence = 2,
        decisionConsequence = 1,
    };

    public static object LighterBreakfast => new
    {
        name = "lighter breakfast",
        hours = 24,
        meals = new object[]
        {
            new { atMinute = 420, carbohydrate = 25, bolusUnits = 2.0 },
            new { atMinute = 720, carbohydrate = 65, bolusUnits = 5.5 },
            new { atMinute = 1110, carbohydrate = 75, bolusUnits = 6.5 },
        },
    };

    public static async Task<string> CreateAsync(HttpClient owner, object? design = null)
    {
        var response = await owner.PostAsync("/api/twins", Body(design ?? Design()));
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await JsonOf(response)).GetProperty("id").GetString()!;
    }

    public static async Task<JsonElement> PostOk(HttpClient client, string path, object? body = null)
    {
        var response = await client.PostAsync(path, body is null ? null : Body(body));
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }

    public static async Task<(HttpStatusCode Status, string Text)> PostRaw(HttpClient client, string path, object? body = null)
    {
        var response = await client.PostAsync(path, body is null ? null : Body(body));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Design → link → calibrate → validate; returns the validated twin's id.</summary>
    public static async Task<string> ValidatedTwinAsync(HttpClient owner, string dataset, string subject)
    {
        var id = await CreateAsync(owner);
        await PostOk(owner, $"/api/twins/{id}/link", new { datasetId = dataset, subject });
        await PostOk(owner, $"/api/twins/{id}/calibrate");
        var validated = await PostOk(owner, $"/api/twins/{id}/validate");
        validated.GetProperty("validation").GetProperty("passed").GetBoolean().Should().BeTrue(validated.GetProperty("validation").ToString());
        return id;
    }

    public static async Task<JsonElement> ListedAsync(HttpClient owner, string id) =>
        (await owner.GetFromJsonAsync<JsonElement>("/api/twins?limit=100")).GetProperty("items").EnumerateArray().Single(t => t.GetProperty("id").GetString() == id);
}
