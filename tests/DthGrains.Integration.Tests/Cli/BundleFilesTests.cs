using System.Text.Json.Nodes;
using DthGrains.Cli.Catalogue;

namespace DthGrains.Integration.Tests.Cli;

public sealed class BundleFilesTests
{
    private static JsonNode Bundle(string type, params string[] fullUrls) => new JsonObject
    {
        ["resourceType"] = "Bundle", ["type"] = type,
        ["entry"] = new JsonArray(fullUrls.Select(u => (JsonNode?)new JsonObject { ["fullUrl"] = u, ["resource"] = new JsonObject { ["resourceType"] = "Patient" } }).ToArray()),
    };

    [Fact]
    public void Bundles_merge_into_one_of_their_type_with_every_entry_in_file_order()
    {
        var (merged, error) = BundleFiles.Merge([("a.json", Bundle("transaction", "urn:uuid:1", "urn:uuid:2")), ("b.json", Bundle("transaction", "urn:uuid:3"))]);
        error.Should().BeNull();
        merged!["type"]!.GetValue<string>().Should().Be("transaction");
        merged["entry"]!.AsArray().Select(e => e!["fullUrl"]!.GetValue<string>()).Should().Equal("urn:uuid:1", "urn:uuid:2", "urn:uuid:3");
    }

    [Fact]
    public void What_cannot_be_one_version_is_named()
    {
        BundleFiles.Merge([("a.json", Bundle("transaction", "urn:uuid:1")), ("b.json", Bundle("transaction", "urn:uuid:1"))]).Error
            .Should().Be("b.json and a.json both have an entry with fullUrl urn:uuid:1: one version cannot hold both.");
        BundleFiles.Merge([("a.json", Bundle("transaction")), ("b.json", Bundle("collection"))]).Error.Should().Contain("b.json is a 'collection' bundle");
        BundleFiles.Merge([("truth.json", new JsonObject { ["patients"] = new JsonArray() })]).Error.Should().Contain("truth.json is not a FHIR Bundle");
        BundleFiles.Merge([]).Error.Should().Contain("No FHIR Bundle");
    }

    [Fact]
    public void A_folder_gives_its_bundle_files_by_name_and_leaves_out_the_rest()
    {
        var folder = Directory.CreateTempSubdirectory("dth-bundles-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "synth-00002.json"), Bundle("transaction", "urn:uuid:2").ToJsonString());
            File.WriteAllText(Path.Combine(folder.FullName, "synth-00001.json"), Bundle("transaction", "urn:uuid:1").ToJsonString());
            File.WriteAllText(Path.Combine(folder.FullName, "truth.json"), """{"patients":[]}""");
            File.WriteAllText(Path.Combine(folder.FullName, "broken.json"), "{");
            File.WriteAllText(Path.Combine(folder.FullName, "notes.txt"), "not json");
            BundleFiles.Expand([folder]).Select(f => f.Name).Should().Equal("synth-00001.json", "synth-00002.json");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
