using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Domain.Catalogue;
using DthGrains.Grains.Platform;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;

namespace DthGrains.Integration.Tests.Catalogue;

[Collection(HostCollection.Name)]
public sealed class CatalogueApiTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    private async Task<int> EventCount(string stream) => (await Host.Services.GetRequiredService<EventLog>().ReadAsync(stream)).Count;

    [Theory]
    [InlineData("title")]
    [InlineData("description")]
    [InlineData("contactPoint")]
    [InlineData("licence")]
    [InlineData("accessRights")]
    public async Task Each_missing_required_member_gets_its_own_json_pointer_error(string member)
    {
        var metadata = ModelMetadata();
        metadata.Remove(member);
        var id = NewId("schema");
        var response = await Host.ClientAs("modeller", "tum").PostAsync("/api/catalogue/resources", Draft(id, "model", metadata));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = (await JsonOf(response)).GetProperty("errors");
        errors.EnumerateObject().Select(p => p.Name).Should().Equal($"/metadata/{member}");
        (await EventCount(CatalogueEventTypes.StreamOf(id))).Should().Be(0);
    }

    [Fact]
    public async Task A_restricted_dataset_needs_every_healthdcat_ap_property_and_each_missing_one_is_named()
    {
        var metadata = RestrictedDatasetMetadata();
        foreach (var m in new[] { "applicableLegislation", "healthDataAccessBody", "provenanceStatement", "population" }) metadata.Remove(m);
        var response = await Host.ClientAs("steward", "charite").PostAsync("/api/catalogue/resources", Draft(NewId("hdcat"), "dataset", metadata));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await JsonOf(response)).GetProperty("errors").EnumerateObject().Select(p => p.Name)
            .Should().BeEquivalentTo("/metadata/applicableLegislation", "/metadata/healthDataAccessBody", "/metadata/provenanceStatement", "/metadata/population");
    }

    [Fact]
    public async Task A_population_whose_typical_ages_run_backwards_is_refused_on_draft_and_revision_and_a_title_slugs_with_its_base_letters()
    {
        var steward = Host.ClientAs("steward", "charite");
        var backwards = RestrictedDatasetMetadata($"Charité ICU {Guid.NewGuid():N}"[..20]);
        backwards["population"] = new JsonObject { ["uniqueIndividuals"] = 2, ["minTypicalAge"] = 90, ["maxTypicalAge"] = 18 };
        var refused = await steward.PostAsync("/api/catalogue/resources", new StringContent(new JsonObject { ["kind"] = "dataset", ["metadata"] = backwards }.ToJsonString(),
            System.Text.Encoding.UTF8, "application/json"));
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await JsonOf(refused)).GetProperty("errors").GetProperty("/metadata/population/maxTypicalAge")[0].GetString().Should().Contain("at least 'minTypicalAge' (90)");

        // The same title, the right way round: drafted under a slug that keeps the base letters ("charite-", not "charit-").
        var metadata = RestrictedDatasetMetadata(backwards["title"]!.GetValue<string>());
        var drafted = await steward.PostAsync("/api/catalogue/resources", new StringContent(new JsonObject { ["kind"] = "dataset", ["metadata"] = metadata }.ToJsonString(),
            System.Text.Encoding.UTF8, "application/json"));
        drafted.StatusCode.Should().Be(HttpStatusCode.Created, await drafted.Content.ReadAsStringAsync());
        var id = (await JsonOf(drafted)).GetProperty("id").GetString()!;
        id.Should().StartWith("charite-icu-");
        (await EventCount(CatalogueEventTypes.StreamOf(id))).Should().Be(1);

        var revised = RestrictedDatasetMetadata(metadata["title"]!.GetValue<string>());
        revised["population"] = new JsonObject { ["minTypicalAge"] = 65, ["maxTypicalAge"] = 40 };
        using var revise = new HttpRequestMessage(HttpMethod.Put, $"/api/catalogue/resources/{id}/metadata") { Content = new StringContent(revised.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        revise.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"1\""));
        var refusedRevision = await steward.SendAsync(revise);
        refusedRevision.StatusCode.Should().Be(HttpStatusCode.BadRequest, await refusedRevision.Content.ReadAsStringAsync());
        (await JsonOf(refusedRevision)).GetProperty("errors").TryGetProperty("/metadata/population/maxTypicalAge", out _).Should().BeTrue();
        (await EventCount(CatalogueEventTypes.StreamOf(id))).Should().Be(1, "nothing is recorded");
    }

    [Fact]
    public async Task Unknown_members_are_rejected_and_valid_documents_pass()
    {
        var client = Host.ClientAs("modeller", "tum");
        var bad = ModelMetadata();
        bad["status"] = "published";
        var refused = await client.PostAsync("/api/catalogue/resources", Draft(NewId("unknown"), "model", bad));
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await JsonOf(refused)).GetProperty("errors").TryGetProperty("/metadata/status", out _).Should().BeTrue();

        (await client.PostAsync("/api/catalogue/resources", Draft(NewId("valid"), "model", ModelMetadata()))).StatusCode.Should().Be(HttpStatusCode.Created);
        (await client.PostAsync("/api/catalogue/resources", Draft(NewId("valid"), "dataset", RestrictedDatasetMetadata()))).StatusCode.Should().Be(HttpStatusCode.Forbidden, "a modeller does not publish datasets");
    }

    [Fact]
    public async Task A_model_is_drafted_released_published_and_its_released_version_is_immutable()
    {
        var modeller = Host.ClientAs("modeller", "tum");
        var id = NewId("model");
        (await modeller.PostAsync("/api/catalogue/resources", Draft(id, "model", ModelMetadata()))).EnsureSuccessStatusCode();
        (await modeller.PostAsync($"/api/catalogue/resources/{id}/publish", null)).StatusCode.Should().Be(HttpStatusCode.Conflict, "nothing released yet");

        var release = new { version = "1.0.0", releaseNotes = "First", checksum = "sha256:abc" };
        (await modeller.PostAsync($"/api/catalogue/resources/{id}/versions", AsJson(release))).StatusCode.Should().Be(HttpStatusCode.Created);
        (await modeller.PostAsync($"/api/catalogue/resources/{id}/publish", null)).StatusCode.Should().Be(HttpStatusCode.OK);

        var again = await modeller.PostAsync($"/api/catalogue/resources/{id}/versions", AsJson(release with { }));
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await JsonOf(again)).GetProperty("detail").GetString().Should().Contain("immutable");
        var older = await modeller.PostAsync($"/api/catalogue/resources/{id}/versions", AsJson(new { version = "0.9.0", releaseNotes = "Older", checksum = "sha256:def" }));
        older.StatusCode.Should().Be(HttpStatusCode.Conflict);

        var view = await JsonOf(await Host.ClientAs("researcher", "inria").GetAsync($"/api/catalogue/resources/{id}"));
        view.GetProperty("status").GetString().Should().Be("published");
        view.GetProperty("latestVersion").GetString().Should().Be("1.0.0");
        view.GetProperty("versions").EnumerateArray().Single().GetProperty("checksum").GetString().Should().Be("sha256:abc");
    }

    /// <summary>A repeat answered after later changes carries the resource as it stands, and the ETag of that state: the next If-Match succeeds.</summary>
    [Fact]
    public async Task A_repeat_after_later_changes_answers_with_the_current_state_and_its_etag()
    {
        var modeller = Host.ClientAs("modeller", "tum");
        var id = NewId("repeat");
        (await modeller.PostAsync("/api/catalogue/resources", Draft(id, "model", ModelMetadata()))).EnsureSuccessStatusCode();
        var key = $"release-{Guid.NewGuid():N}";
        HttpRequestMessage Release()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/catalogue/resources/{id}/versions") { Content = AsJson(new { version = "1.0.0", releaseNotes = "First", checksum = "sha256:abc" }) };
            request.Headers.Add("Idempotency-Key", key);
            return request;
        }
        (await modeller.SendAsync(Release())).Headers.ETag!.Tag.Should().Be("\"2\"");
        (await modeller.PostAsync($"/api/catalogue/resources/{id}/publish", null)).Headers.ETag!.Tag.Should().Be("\"3\"");

        var repeat = await modeller.SendAsync(Release());
        repeat.IsSuccessStatusCode.Should().BeTrue(await repeat.Content.ReadAsStringAsync());
        repeat.Headers.ETag!.Tag.Should().Be("\"3\"");
        (await JsonOf(repeat)).GetProperty("streamVersion").GetInt64().Should().Be(3);
        (await EventCount($"resource:{id}")).Should().Be(3, "the repeat appended nothing");
    }

    [Fact]
    public async Task Concurrent_releases_of_the_same_version_give_one_winner_and_one_409()
    {
        var modeller = Host.ClientAs("modeller", "tum");
        var id = NewId("race");
        (await modeller.PostAsync("/api/catalogue/resources", Draft(id, "model", ModelMetadata()))).EnsureSuccessStatusCode();

        var responses = await Task.WhenAll(Enumerable.Range(0, 2).Select(i =>
            modeller.PostAsync($"/api/catalogue/resources/{id}/versions", AsJson(new { version = "2.0.0", releaseNotes = $"writer {i}", checksum = $"sha256:{i}" }))));

        responses.Select(r => r.StatusCode).Should().BeEquivalentTo([HttpStatusCode.Created, HttpStatusCode.Conflict]);
        (await EventCount(CatalogueEventTypes.StreamOf(id))).Should().Be(2);
    }

    [Fact]
    public async Task A_draft_is_invisible_to_other_institutions_by_id_list_and_search()
    {
        var keyword = $"zq{Guid.NewGuid():N}"[..12];
        var id = NewId("secret");
        (await Host.ClientAs("modeller", "tum").PostAsync("/api/catalogue/resources", Draft(id, "model", ModelMetadata("Secret draft", [keyword])))).EnsureSuccessStatusCode();

        var outsider = Host.ClientAs("researcher", "inria");
        (await outsider.GetAsync($"/api/catalogue/resources/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await outsider.GetAsync($"/api/catalogue/resources/{id}/history")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await JsonOf(await outsider.GetAsync($"/api/catalogue/resources?q={keyword}"))).GetProperty("total").GetInt32().Should().Be(0);
        (await JsonOf(await outsider.GetAsync($"/api/catalogue/resources?kind=model&limit=100&status=draft"))).GetProperty("items").EnumerateArray()
            .Should().NotContain(i => i.GetProperty("id").GetString() == id);
        // Changing it is NotFound too, not Forbidden: existence is not leaked.
        (await Host.ClientAs("modeller", "inria").PostAsync($"/api/catalogue/resources/{id}/withdraw", AsJson(new { reason = "x" }))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        // Drafting under its id: the id is taken (one namespace), and nothing tells how far the draft has got.
        var taken = await Host.ClientAs("modeller", "inria").PostAsync("/api/catalogue/resources", Draft(id, "model", ModelMetadata("Mine")));
        taken.StatusCode.Should().Be(HttpStatusCode.Conflict);
        taken.Headers.ETag.Should().BeNull();
        (await taken.Content.ReadAsStringAsync()).Should().Contain("is taken").And.NotContain("version").And.NotContain("currentVersion");

        (await JsonOf(await Host.ClientAs("researcher", "tum").GetAsync($"/api/catalogue/resources?q={keyword}"))).GetProperty("total").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task Only_the_publisher_institution_changes_a_published_resource()
    {
        var id = NewId("owned");
        var modeller = Host.ClientAs("modeller", "tum");
        (await modeller.PostAsync("/api/catalogue/resources", Draft(id, "model", ModelMetadata()))).EnsureSuccessStatusCode();
        (await modeller.PostAsync($"/api/catalogue/resources/{id}/versions", AsJson(new { version = "1.0.0", releaseNotes = "n", checksum = "sha256:1" }))).EnsureSuccessStatusCode();
        (await modeller.PostAsync($"/api/catalogue/resources/{id}/publish", null)).EnsureSuccessStatusCode();

        (await Host.ClientAs("modeller", "inria").PostAsync($"/api/catalogue/resources/{id}/deprecate", AsJson(new { reason = "mine now" }))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await Host.ClientAs("researcher", "tum").PostAsync($"/api/catalogue/resources/{id}/deprecate", AsJson(new { reason = "r" }))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await Host.ClientAs("auditor", "dth-oversight").PostAsync($"/api/catalogue/resources/{id}/deprecate", AsJson(new { reason = "r" }))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await EventCount(CatalogueEventTypes.StreamOf(id))).Should().Be(3);

        var deprecated = await modeller.PostAsync($"/api/catalogue/resources/{id}/deprecate", AsJson(new { reason = "Superseded by 2.0" }));
        deprecated.StatusCode.Should().Be(HttpStatusCode.OK);
        (await JsonOf(deprecated)).GetProperty("statusReason").GetString().Should().Be("Superseded by 2.0");
    }

    [Fact]
    public async Task Credibility_levels_rise_only_with_new_evidence()
    {
        var modeller = Host.ClientAs("modeller", "tum");
        var id = NewId("cred");
        (await modeller.PostAsync("/api/catalogue/resources", Draft(id, "model", ModelMetadata()))).EnsureSuccessStatusCode();
        (await modeller.PostAsync($"/api/catalogue/resources/{id}/versions", AsJson(new { version = "1.0.0", releaseNotes = "n", checksum = "sha256:1" }))).EnsureSuccessStatusCode();

        object Record(int achieved, params string[] evidence) => new
        {
            header = new { questionOfInterest = "Q?", contextOfUse = "CoU", modelInfluence = 2, decisionConsequence = 2 },
            factors = new[] { new { factor = "output-comparison", required = 3, achieved, evidence } },
        };
        (await modeller.PutAsync($"/api/catalogue/resources/{id}/versions/1.0.0/credibility", AsJson(Record(1, "report-1")))).StatusCode.Should().Be(HttpStatusCode.OK);
        var noNewEvidence = await modeller.PutAsync($"/api/catalogue/resources/{id}/versions/1.0.0/credibility", AsJson(Record(3, "report-1")));
        noNewEvidence.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await JsonOf(noNewEvidence)).GetProperty("errors").TryGetProperty("factors[0].evidence", out _).Should().BeTrue();
        (await modeller.PutAsync($"/api/catalogue/resources/{id}/versions/1.0.0/credibility", AsJson(Record(3, "report-1", "validation-2")))).StatusCode.Should().Be(HttpStatusCode.OK);

        // A null where a factor or an evidence reference goes is the caller's mistake, named (it was a 500).
        var header = new { questionOfInterest = "Q?", contextOfUse = "CoU", modelInfluence = 2, decisionConsequence = 2 };
        var nullFactor = await modeller.PutAsync($"/api/catalogue/resources/{id}/versions/1.0.0/credibility", AsJson(new { header, factors = new object?[] { null } }));
        nullFactor.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await JsonOf(nullFactor)).GetProperty("errors").TryGetProperty("$.factors[0]", out _).Should().BeTrue();
        var nullEvidence = await modeller.PutAsync($"/api/catalogue/resources/{id}/versions/1.0.0/credibility",
            AsJson(new { header, factors = new[] { new { factor = "output-comparison", required = 3, achieved = 3, evidence = new string?[] { "report-1", null } } } }));
        nullEvidence.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await JsonOf(nullEvidence)).GetProperty("errors").TryGetProperty("$.factors[0].evidence[1]", out _).Should().BeTrue();
    }

    [Fact]
    public async Task The_json_ld_export_parses_and_every_dataset_has_the_healthdcat_ap_mandatory_properties()
    {
        // The published datasets are the demo seed's: without waiting for it, the class run alone found none.
        await Twins.TwinTestData.SeedReady(Host);
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/catalogue/export");
        request.Headers.Accept.ParseAdd("application/ld+json");
        var response = await Host.ClientAs("researcher", "tum").SendAsync(request);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/ld+json");
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        doc["@context"]!["dcat"]!.GetValue<string>().Should().Be("http://www.w3.org/ns/dcat#");
        var datasets = doc["dcat:dataset"]!.AsArray();
        datasets.Should().NotBeEmpty();
        string[] mandatory = ["dct:title", "dct:description", "dct:accessRights", "dcatap:applicableLegislation", "dcat:distribution", "dct:identifier",
            "dct:publisher", "dcat:theme", "healthdcatap:hdab", "healthdcatap:healthCategory", "dcat:contactPoint", "dcat:keyword", "dct:type", "dct:provenance"];
        foreach (var dataset in datasets)
            foreach (var property in mandatory)
                dataset!.AsObject().ContainsKey(property).Should().BeTrue($"dataset {dataset["dct:identifier"]} needs {property}");
        datasets.Select(d => d!["dcat:distribution"]![0]!["dcat:accessURL"]!.GetValue<string>()).Should().OnlyContain(u => u.Contains("/payload"));

        // Values DCAT-AP expects as resources are links: typed so in the context, and written as IRIs.
        foreach (var term in new[] { "dct:accessRights", "dct:license", "dcat:accessURL", "dcat:theme", "dcatap:applicableLegislation", "vcard:hasEmail" })
            doc["@context"]![term]!["@type"]!.GetValue<string>().Should().Be("@id", term);
        doc["@context"]!["adms"]!.GetValue<string>().Should().Be("http://www.w3.org/ns/adms#");
        var seeded = datasets.First(d => d!["dcatap:applicableLegislation"]!.AsArray().Count > 0)!;
        seeded["dcat:theme"]!.AsArray().Select(t => t!.GetValue<string>()).Should().Contain("http://publications.europa.eu/resource/authority/data-theme/HEAL");
        seeded["dcatap:applicableLegislation"]!.AsArray().Select(t => t!.GetValue<string>()).Should().Contain("http://data.europa.eu/eli/reg/2025/327/oj", "the EHDS regulation");
        seeded["dct:license"]!.GetValue<string>().Should().StartWith("http");
    }

    [Fact]
    public async Task A_json_ld_search_page_links_its_next_page_and_counts_the_whole()
    {
        await Twins.TwinTestData.SeedReady(Host);
        var client = Host.ClientAs("researcher", "tum");
        using var first = new HttpRequestMessage(HttpMethod.Get, "/api/catalogue/resources?limit=1&sort=title");
        first.Headers.Accept.ParseAdd("application/ld+json");
        var page = await client.SendAsync(first);
        page.StatusCode.Should().Be(HttpStatusCode.OK);
        var total = int.Parse(page.Headers.GetValues("X-Total-Count").Single(), System.Globalization.CultureInfo.InvariantCulture);
        total.Should().BeGreaterThan(1);
        var link = page.Headers.GetValues("Link").Single();
        link.Should().MatchRegex(@"^<http://[^>]+/api/catalogue/resources\?[^>]*cursor=[^>]+>; rel=""next""$").And.Contain("limit=1").And.Contain("sort=title");

        // Following the links visits every entry once.
        static async Task<string> OnlyEntryOf(HttpResponseMessage response)
        {
            var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return doc["dcat:dataset"]!.AsArray().Concat(doc["dcat:resource"]!.AsArray()).Single()!["dct:identifier"]!.GetValue<string>();
        }
        var seen = new List<string> { await OnlyEntryOf(page) };
        while (page.Headers.TryGetValues("Link", out var next))
        {
            var url = next.Single();
            using var request = new HttpRequestMessage(HttpMethod.Get, url[1..url.IndexOf('>')]);
            request.Headers.Accept.ParseAdd("application/ld+json");
            page = await client.SendAsync(request);
            seen.Add(await OnlyEntryOf(page));
        }
        seen.Should().OnlyHaveUniqueItems().And.HaveCount(total);
    }
}
