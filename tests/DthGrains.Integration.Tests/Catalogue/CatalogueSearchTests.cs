using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;

namespace DthGrains.Integration.Tests.Catalogue;

/// <summary>Full-text search, facets, sorting and cursor pagination. Each test works in its own vocabulary (a unique token).</summary>
[Collection(HostCollection.Name)]
public sealed class CatalogueSearchTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    private async Task<string> Publish(string title, string description, string[] keywords, string kind = "model", Action<JsonObject>? edit = null, string institution = "tum")
    {
        var role = kind == "dataset" ? "steward" : "modeller";
        var client = Host.ClientAs(role, institution);
        var id = $"s-{Guid.NewGuid():N}"[..20];
        var metadata = kind == "dataset" ? RestrictedDatasetMetadata(title) : ModelMetadata(title, keywords);
        metadata["description"] = description;
        metadata["keywords"] = new JsonArray(keywords.Select(k => (JsonNode?)k).ToArray());
        edit?.Invoke(metadata);
        (await client.PostAsync("/api/catalogue/resources", Draft(id, kind, metadata))).EnsureSuccessStatusCode();
        if (kind == "dataset")
            (await client.PostAsync($"/api/catalogue/resources/{id}/versions?version=1.0.0", AsFhir(Bundle("p1")))).EnsureSuccessStatusCode();
        else
            (await client.PostAsync($"/api/catalogue/resources/{id}/versions", AsJson(new { version = "1.0.0", releaseNotes = "n", checksum = "sha256:1" }))).EnsureSuccessStatusCode();
        (await client.PostAsync($"/api/catalogue/resources/{id}/publish", null)).EnsureSuccessStatusCode();
        return id;
    }

    private async Task<JsonElement> Search(string query) =>
        JsonDocument.Parse(await Host.ClientAs("researcher", "inria").GetStringAsync($"/api/catalogue/resources?{query}")).RootElement;

    private static string[] Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToArray();

    [Fact]
    public async Task Results_are_ordered_by_relevance_title_over_keywords_over_description()
    {
        var token = $"qx{Guid.NewGuid():N}"[..10];
        var inDescription = await Publish("Plain model", $"mentions {token} once", ["other"]);
        var inTitle = await Publish($"The {token} model", "nothing", ["other"]);
        var inKeywords = await Publish("Keyword model", "nothing", [token]);

        Ids(await Search($"q={token}")).Should().Equal(inTitle, inKeywords, inDescription);
    }

    [Fact]
    public async Task Every_facet_filters_and_is_counted()
    {
        var token = $"fx{Guid.NewGuid():N}"[..10];
        var model = await Publish($"{token} model", "d", [token], edit: m => { m["themes"] = new JsonArray("HEAL", token); m["licence"] = "MIT"; m["conformsTo"] = new JsonArray("CellML"); m["codingSystems"] = new JsonArray("ICD-10"); m["healthCategories"] = new JsonArray("cardiovascular"); });
        var dataset = await Publish($"{token} cohort", "d", [token], kind: "dataset", institution: "charite");

        var all = await Search($"q={token}");
        all.GetProperty("total").GetInt32().Should().Be(2);
        var facets = all.GetProperty("facets");
        facets.GetProperty("kind").GetProperty("model").GetInt32().Should().Be(1);
        facets.GetProperty("kind").GetProperty("dataset").GetInt32().Should().Be(1);
        facets.GetProperty("accessRights").GetProperty("restricted").GetInt32().Should().Be(1);
        facets.GetProperty("country").GetProperty("DE").GetInt32().Should().Be(2);

        Ids(await Search($"q={token}&kind=dataset")).Should().Equal(dataset);
        Ids(await Search($"q={token}&theme={token}")).Should().Equal(model);
        Ids(await Search($"q={token}&healthCategory=cardiovascular")).Should().Equal(model);
        Ids(await Search($"q={token}&codingSystem=ICD-10")).Should().Equal(model);
        Ids(await Search($"q={token}&publisher=charite")).Should().Equal(dataset);
        Ids(await Search($"q={token}&country=FR")).Should().BeEmpty();
        Ids(await Search($"q={token}&accessRights=restricted")).Should().Equal(dataset);
        Ids(await Search($"q={token}&licence=MIT")).Should().Equal(model);
        Ids(await Search($"q={token}&conformsTo=CellML")).Should().Equal(model);
        Ids(await Search($"q={token}&minCredibility=1")).Should().BeEmpty();
        Ids(await Search($"q={token}&status=draft")).Should().BeEmpty();
    }

    [Fact]
    public async Task Cursor_pages_stay_stable_while_entries_are_added()
    {
        var token = $"px{Guid.NewGuid():N}"[..10];
        var created = new List<string>();
        foreach (var letter in "bdfhj") created.Add(await Publish($"{letter} {token}", "d", [token]));

        var first = await Search($"q={token}&sort=title&limit=2");
        Ids(first).Should().Equal(created[0], created[1]);
        var cursor = first.GetProperty("nextCursor").GetString();

        // An entry sorting before the cursor must not shift the next page.
        await Publish($"a {token}", "d", [token]);
        var second = await Search($"q={token}&sort=title&limit=2&cursor={cursor}");
        Ids(second).Should().Equal(created[2], created[3]);
        var third = await Search($"q={token}&sort=title&limit=2&cursor={second.GetProperty("nextCursor").GetString()}");
        Ids(third).Should().Equal(created[4]);
        third.TryGetProperty("nextCursor", out _).Should().BeFalse();

        // A cursor carries its order: one of the title order sent with the relevance order (whose key is a rank) is a
        // 400 naming the fix, not a cast the database refuses (a 500).
        var carried = await Host.ClientAs("researcher", "inria").GetAsync($"/api/catalogue/resources?q={token}&limit=2&cursor={cursor}");
        carried.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await carried.Content.ReadAsStringAsync()).Should().Contain("same q and sort");
    }

    /// <summary>Cursors that decode but no page made: another order's key, a NUL the database's text type refuses, no id.</summary>
    [Theory]
    [InlineData("Relevance\ntitle text\nsome-id", "")]
    [InlineData("Title\nab\u0000c\nsome-id", "&sort=title")]
    [InlineData("Title\nab\nsome\u0000id", "&sort=title")]
    [InlineData("Title\nab\n", "&sort=title")]
    [InlineData("ab\nsome-id", "&sort=title")]
    [InlineData("Updated\n2026\nsome-id", "&sort=title")]
    public async Task Crafted_cursors_get_400_never_a_500(string text, string sort)
    {
        var cursor = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(System.Text.RegularExpressions.Regex.Unescape(text))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var response = await Host.ClientAs("researcher", "inria").GetAsync($"/api/catalogue/resources?q=anything{sort}&cursor={cursor}");
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("limit=101")]
    [InlineData("limit=0")]
    [InlineData("cursor=%%%")]
    [InlineData("sort=random")]
    [InlineData("kind=spaceship")]
    public async Task Bad_search_parameters_get_400(string query)
    {
        var response = await Host.ClientAs("researcher", "inria").GetAsync($"/api/catalogue/resources?{query}");
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }
}
