using System.CommandLine;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Cli.Platform;
using DthGrains.Integration.Tests.Infrastructure;
using Spectre.Console;

namespace DthGrains.Integration.Tests.Catalogue;

/// <summary><c>dth catalogue</c> run in-process against the real seeded host, with its console output captured.</summary>
[Collection(HostCollection.Name)]
public sealed class CatalogueCliTests(HostFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dth-cli-").FullName;

    private TestHost Host => fixture.Host;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Task<(int Code, string Output)> Dth(string token, params string[] args) => CliRunner.RunAsync(Host.BaseAddress, token, args);

    /// <summary>The demo seed runs in the background after start: its last step publishes Inria's dataset.</summary>
    private async Task SeededAsync()
    {
        using var client = Host.ClientAs("platform-admin", "charite");
        // One read a probe; anything but a 200 (a 404 before the seed wrote it, a retryable 503 while the silo is still
        // busy starting: seen once in CI) is "not yet".
        async Task<bool> Published()
        {
            using var response = await client.GetAsync("/api/catalogue/resources/inria-t1d-synthetic");
            return response.IsSuccessStatusCode
                && JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString() == "published";
        }
        await Eventually.Until(Published, published => published, TimeSpan.FromSeconds(90), "the demo catalogue to be seeded");
    }

    private static JsonElement FirstJson(string output)
    {
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(output[output.IndexOf('{')..]));
        return JsonElement.ParseValue(ref reader);
    }

    [Fact]
    public async Task Search_json_finds_the_hovorka_model_for_insulin_with_facets()
    {
        await SeededAsync();

        var (code, output) = await Dth(Host.Token("researcher", "inria"), "catalogue", "search", "insulin", "--json");

        code.Should().Be(0, output);
        var page = FirstJson(output);
        page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()).Should().Contain("hovorka-2004");
        var hovorka = page.GetProperty("items").EnumerateArray().First(i => i.GetProperty("id").GetString() == "hovorka-2004");
        hovorka.GetProperty("kind").GetString().Should().Be("model");
        hovorka.GetProperty("latestVersion").GetString().Should().Be("1.0.0");
        page.GetProperty("facets").GetProperty("kind").TryGetProperty("model", out _).Should().BeTrue();
    }

    [Fact]
    public async Task Search_as_a_table_lists_the_hits_and_the_facets_and_all_follows_every_cursor()
    {
        await SeededAsync();
        var token = Host.Token("researcher", "inria");

        var (code, table) = await Dth(token, "catalogue", "search", "insulin", "--kind", "model");
        code.Should().Be(0, table);
        table.Should().Contain("hovorka-2004").And.Contain("Hovorka 2004 type 1 diabetes model").And.Contain("Facets").And.NotContain("charite-t1d-synthetic");

        var (allCode, all) = await Dth(token, "catalogue", "search", "--all", "--limit", "2", "--sort", "title", "--json");
        allCode.Should().Be(0, all);
        var ids = FirstJson(all).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()).ToList();
        ids.Should().OnlyHaveUniqueItems().And.Contain(["bergman-minimal", "hovorka-2004", "windkessel-3", "pkpd-emax", "lm-calibration", "sobol-sensitivity", "charite-t1d-synthetic", "inria-t1d-synthetic"]);
        ids.Should().HaveCount(FirstJson(all).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_modeller_creates_releases_and_publishes_a_model_from_a_metadata_file()
    {
        await SeededAsync();
        var id = $"cli-model-{Guid.NewGuid():N}"[..24];
        var title = $"CLI glucose model {id}";
        var metadata = Path.Combine(_folder, "metadata.json");
        await File.WriteAllTextAsync(metadata, new JsonObject
        {
            ["title"] = title,
            ["description"] = "A model drafted by the CLI tests.",
            ["keywords"] = new JsonArray("glucose", "cli"),
            ["themes"] = new JsonArray("HEAL"),
            ["contactPoint"] = new JsonObject { ["name"] = "Desk", ["email"] = "desk@example.org" },
            ["licence"] = "Apache-2.0",
            ["accessRights"] = "public",
            ["conformsTo"] = new JsonArray("SBML"),
        }.ToJsonString());
        var artefact = Path.Combine(_folder, "model.xml");
        await File.WriteAllTextAsync(artefact, "<sbml level=\"3\" version=\"2\"/>");
        var expectedChecksum = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(artefact)));
        var modeller = Host.Token("modeller", "charite");

        var (created, createdOutput) = await Dth(modeller, "catalogue", "create", "--kind", "model", "--file", metadata, "--id", id);
        created.Should().Be(0, createdOutput);
        createdOutput.Should().Contain(id).And.Contain("draft").And.Contain("stream version 1");

        var (published0, refused) = await Dth(modeller, "catalogue", "publish", id);
        published0.Should().Be(2, "a draft without a version cannot be published");
        refused.Should().Contain("409").And.Contain("no released version");

        var (released, releasedOutput) = await Dth(modeller, "catalogue", "release", id, "--version", "1.0.0", "--notes", "First release.", "--artefact", artefact);
        released.Should().Be(0, releasedOutput);
        releasedOutput.Should().Contain("Released").And.Contain(expectedChecksum);

        var (published, publishedOutput) = await Dth(modeller, "catalogue", "publish", id);
        published.Should().Be(0, publishedOutput);
        publishedOutput.Should().Contain("published").And.Contain("latest version 1.0.0");

        var (shown, showJson) = await Dth(Host.Token("researcher", "inria"), "catalogue", "show", id, "--json");
        shown.Should().Be(0, showJson);
        var view = FirstJson(showJson);
        view.GetProperty("status").GetString().Should().Be("published");
        view.GetProperty("publisher").GetString().Should().Be("charite");
        view.GetProperty("latestVersion").GetString().Should().Be("1.0.0");
        view.GetProperty("versions")[0].GetProperty("checksum").GetString().Should().Be(expectedChecksum);

        var record = Path.Combine(_folder, "credibility.json");
        await File.WriteAllTextAsync(record, """
            {"header": {"questionOfInterest": "Does the model predict overnight glucose?", "contextOfUse": "CLI test.", "modelInfluence": 2, "decisionConsequence": 2},
             "factors": [{"factor": "model-form", "required": 3, "achieved": 2, "evidence": ["https://example.org/validation"]},
                         {"factor": "output-comparison", "required": 3, "achieved": 3, "evidence": ["https://example.org/comparison"]}]}
            """);
        var (recorded, recordedOutput) = await Dth(modeller, "catalogue", "credibility", id, "--version", "1.0.0", "--file", record);
        recorded.Should().Be(0, recordedOutput);
        recordedOutput.Should().Contain("level 2").And.Contain("model risk 4").And.Contain("output-comparison");

        var (_, showTable) = await Dth(Host.Token("researcher", "inria"), "catalogue", "show", id);
        showTable.Should().Contain(title).And.Contain("Versions").And.Contain("First release.").And.Contain(expectedChecksum);
    }

    [Fact]
    public async Task Payload_summarises_a_dataset_version_for_its_institution_and_shows_the_refusal_to_others()
    {
        await SeededAsync();

        var (code, output) = await Dth(Host.Token("steward", "charite"), "catalogue", "payload", "charite-t1d-synthetic", "--version", "1.0.0", "--purpose", "quality-check", "--json");
        code.Should().Be(0, output);
        var summary = FirstJson(output);
        summary.GetProperty("resourcesByType").GetProperty("Patient").GetInt32().Should().Be(5);
        summary.GetProperty("total").GetInt32().Should().BeGreaterThan(5);

        var file = Path.Combine(_folder, "payload.json");
        var (written, writtenOutput) = await Dth(Host.Token("steward", "charite"), "catalogue", "payload", "charite-t1d-synthetic", "--version", "1.0.0", "--out", file);
        written.Should().Be(0, writtenOutput);
        var bundle = JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement;
        bundle.GetProperty("resourceType").GetString().Should().Be("Bundle");
        // The subjects' pseudonyms, which 'dth twin link --subject' asks for, are the bundle's patients.
        var patients = bundle.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource"))
            .Where(r => r.GetProperty("resourceType").GetString() == "Patient").Select(r => r.GetProperty("id").GetString()).ToList();
        summary.GetProperty("subjects").EnumerateArray().Select(s => s.GetString()).Should().Equal(patients);
        var (_, table) = await Dth(Host.Token("steward", "charite"), "catalogue", "payload", "charite-t1d-synthetic", "--version", "1.0.0");
        table.Should().Contain($"Subjects: {string.Join(", ", patients)}").And.Contain($"--subject {patients[0]}");

        var (refused, refusal) = await Dth(Host.Token("researcher", "inria"), "catalogue", "payload", "charite-t1d-synthetic", "--version", "1.0.0");
        refused.Should().Be(3, refusal);
        refusal.Should().Contain("OperationOutcome").And.Contain("forbidden").And.Contain("403");
    }

    [Fact]
    public async Task Uploading_an_invalid_bundle_prints_the_operation_outcome_exits_non_zero_and_stores_nothing()
    {
        await SeededAsync();
        var bundle = Path.Combine(_folder, "not-a-bundle.json");
        await File.WriteAllTextAsync(bundle, """{"resourceType":"Patient","id":"p1","gender":"female"}""");
        using var reader = Host.ClientAs("steward", "charite");
        var before = await reader.GetFromJsonAsync<JsonElement>("/api/catalogue/resources/charite-t1d-synthetic");

        var (code, output) = await Dth(Host.Token("steward", "charite"), "catalogue", "upload", "charite-t1d-synthetic", "--bundle", bundle, "--version", "9.0.0", "--notes", "Should not be stored.");

        code.Should().NotBe(0);
        output.Should().Contain("OperationOutcome").And.Contain("Severity").And.Contain("Diagnostics")
            .And.Contain("error").And.Contain("invalid").And.Contain("found 'Patient'").And.Contain("400");
        var after = await reader.GetFromJsonAsync<JsonElement>("/api/catalogue/resources/charite-t1d-synthetic");
        after.GetProperty("streamVersion").GetInt64().Should().Be(before.GetProperty("streamVersion").GetInt64());
        after.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetString()).Should().NotContain("9.0.0");
    }

    [Fact]
    public async Task A_folder_of_bundles_is_uploaded_as_one_version_leaving_out_files_that_are_not_bundles()
    {
        await SeededAsync();
        var id = $"cli-folder-{Guid.NewGuid():N}"[..24];
        using (var steward = Host.ClientAs("steward", "charite"))
            (await steward.PostAsync("/api/catalogue/resources", CatalogueTestData.Draft(id, "dataset", CatalogueTestData.RestrictedDatasetMetadata()))).EnsureSuccessStatusCode();
        // As 'dth synth' writes them: a bundle per patient, and truth.json beside them.
        var folder = Directory.CreateDirectory(Path.Combine(_folder, "synth")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "synth-00001.json"), CatalogueTestData.Bundle("p1"));
        await File.WriteAllTextAsync(Path.Combine(folder, "synth-00002.json"), CatalogueTestData.Bundle("p2", "p3"));
        await File.WriteAllTextAsync(Path.Combine(folder, "truth.json"), """{"patients":[{"id":"p1","SIT":0.005}]}""");

        var (code, output) = await Dth(Host.Token("steward", "charite"), "catalogue", "upload", id, "--bundle", folder, "--version", "1.0.0");

        code.Should().Be(0, output);
        output.Should().Contain($"Uploaded {id} 1.0.0: 3 subjects");
        // Two files naming the same entry are refused before anything is sent.
        var copy = Path.Combine(_folder, "again.json");
        File.Copy(Path.Combine(folder, "synth-00001.json"), copy);
        var (twice, refusal) = await Dth(Host.Token("steward", "charite"), "catalogue", "upload", id, "--bundle", Path.Combine(folder, "synth-00001.json"), "--bundle", copy, "--version", "1.1.0");
        twice.Should().NotBe(0);
        refusal.Should().Contain("both have an entry with fullUrl");
        using var reader = Host.ClientAs("steward", "charite");
        (await reader.GetFromJsonAsync<JsonElement>($"/api/catalogue/resources/{id}")).GetProperty("versions").EnumerateArray()
            .Select(v => v.GetProperty("version").GetString()).Should().Equal("1.0.0");
    }

    [Fact]
    public async Task Export_writes_json_ld_with_a_context_and_every_seeded_resource()
    {
        await SeededAsync();
        var file = Path.Combine(_folder, "catalogue.jsonld");

        var (code, output) = await Dth(Host.Token("researcher", "inria"), "catalogue", "export", "--out", file);

        code.Should().Be(0, output);
        output.Should().Contain("Wrote");
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(file));
        var root = doc.RootElement;
        root.GetProperty("@context").ValueKind.Should().Be(JsonValueKind.Object);
        root.GetProperty("@context").GetProperty("dcat").GetString().Should().Be("http://www.w3.org/ns/dcat#");
        root.GetProperty("@type").GetString().Should().Be("dcat:Catalog");
        var ids = root.GetProperty("dcat:dataset").EnumerateArray().Concat(root.GetProperty("dcat:resource").EnumerateArray())
            .Select(n => n.GetProperty("@id").GetString()!).ToList();
        ids.Should().Contain(i => i.EndsWith("/hovorka-2004", StringComparison.Ordinal));
        ids.Should().Contain(i => i.EndsWith("/charite-t1d-synthetic", StringComparison.Ordinal));

        var (stdoutCode, stdout) = await Dth(Host.Token("researcher", "inria"), "catalogue", "export");
        stdoutCode.Should().Be(0);
        JsonDocument.Parse(stdout).RootElement.TryGetProperty("@context", out _).Should().BeTrue();
    }
}
