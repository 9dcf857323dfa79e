using System.Text.Json;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Twins;

/// <summary>`dth twin …` against the seeded host, in-process.</summary>
[Collection(HostCollection.Name)]
public sealed class TwinCliTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task The_cli_creates_links_calibrates_validates_tests_shows_and_exports_a_twin()
    {
        await SeedReady(Host);
        var subject = $"cli-{Guid.NewGuid():N}"[..16];
        await GrantAsync(Host, Host.ClientAs("researcher", "tum", subject));
        var token = Host.Token("researcher", "tum", subject);
        async Task<string> Dth(params string[] args)
        {
            var (code, output) = await CliRunner.RunAsync(Host.BaseAddress, token, args);
            code.Should().Be(0, output);
            return output;
        }

        var created = CliRunner.JsonIn(await Dth("twin", "create", "--json", "--name", "CLI twin", "--question", "Does a lighter breakfast help?",
            "--context-of-use", "Research only."));
        var id = created.GetProperty("id").GetString()!;
        (await Dth("twin", "link", id, "--dataset", CharitéData, "--subject", "synth-00004")).Should().Contain("data-linked").And.Contain("synth-00004");
        (await Dth("twin", "calibrate", id)).Should().Contain("Calibration").And.Contain("SIT").And.Contain("converged · RMSE").And.NotContain("True");
        (await Dth("twin", "validate", id)).Should().Contain("Validation on held-out data").And.Contain("pass");
        (await Dth("twin", "test", id, "--name", "lighter breakfast", "--meal", "420:25:2", "--meal", "720:65:5.5", "--meal", "1110:75:6.5"))
            .Should().Contain("lighter breakfast").And.Contain("In range");
        (await Dth("twin", "show", id)).Should().Contain("Credibility (ASME V&V 40)").And.Contain("output-comparison").And.Contain("model form achieved level");
        var file = Path.Combine(Path.GetTempPath(), $"twin-{id}.fhir.json");
        (await Dth("twin", "export", id, "--out", file)).Should().Contain("Wrote 27 FHIR resources");
        (await File.ReadAllTextAsync(file)).Should().Contain("\"resourceType\":\"Provenance\"");
        File.Delete(file);

        var (badCode, badOutput) = await CliRunner.RunAsync(Host.BaseAddress, token, "twin", "test", id, "--meal", "breakfast");
        badCode.Should().NotBe(0);
        badOutput.Should().Contain("MINUTE:GRAMS");
    }
}
