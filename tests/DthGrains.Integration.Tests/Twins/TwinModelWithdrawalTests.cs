using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Twins;

/// <summary>
/// A model withdrawn from the catalogue (unsafe, retracted) marks its twins stale unprompted, for good, and no twin is
/// designed on it any more. A seeded host of its own: the shared hosts' twins rest on the same model.
/// </summary>
public sealed class TwinModelWithdrawalTests
{
    /// <summary>A seeded host, a researcher with a grant on Charité's data, and her validated twin of one of its subjects.</summary>
    private static async Task<(TestHost Host, HttpClient Carla, string TwinId)> ValidatedTwinOnAHostOfItsOwnAsync()
    {
        var host = await TestHost.StartAsync(seed: true);
        try
        {
            await SeedReady(host);
            var carla = host.ClientAs("researcher", "tum", $"carla-{Guid.NewGuid():N}"[..16]);
            await GrantAsync(host, carla);
            return (host, carla, await ValidatedTwinAsync(carla, CharitéData, "synth-00001"));
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task A_withdrawn_model_marks_its_twins_stale_for_good_and_takes_no_new_twin()
    {
        var (host, carla, id) = await ValidatedTwinOnAHostOfItsOwnAsync();
        await using var _ = host;

        var withdrawn = await host.ClientAs("platform-admin", "bsc").PostAsync("/api/catalogue/resources/hovorka-2004/withdraw",
            AsJson(new { reason = "Unsafe insulin dynamics found in review." }));
        withdrawn.StatusCode.Should().Be(HttpStatusCode.OK, await withdrawn.Content.ReadAsStringAsync());

        var stale = await Eventually.Until(() => ListedAsync(carla, id), t => t.GetProperty("status").GetString() == "stale", TimeSpan.FromSeconds(30),
            "the twin to be marked stale");
        stale.GetProperty("staleReasons").EnumerateArray().Single().GetString().Should().Contain("withdrawn").And.Contain("Unsafe insulin dynamics");
        var (status, text) = await PostRaw(carla, $"/api/twins/{id}/calibrate");
        status.Should().Be(HttpStatusCode.Conflict);
        text.Should().Contain("retire the twin");
        (await PostRaw(carla, $"/api/twins/{id}/scenarios", LighterBreakfast)).Status.Should().Be(HttpStatusCode.Conflict);

        var design = await carla.PostAsync("/api/twins", Governance.GovernanceTestData.Body(Design()));
        design.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await design.Content.ReadAsStringAsync()).Should().Contain("withdrawn");
    }

    /// <summary>Its dataset withdrawn (consent withdrawn), a twin is marked stale unprompted and recalibrates only on other data.</summary>
    [Fact]
    public async Task A_withdrawn_dataset_marks_its_twins_stale_and_its_data_is_read_no_more()
    {
        var (host, carla, id) = await ValidatedTwinOnAHostOfItsOwnAsync();
        await using var _ = host;

        var withdrawn = await host.ClientAs("steward", "charite").PostAsync($"/api/catalogue/resources/{CharitéData}/withdraw",
            AsJson(new { reason = "Consent withdrawn for secondary use." }));
        withdrawn.StatusCode.Should().Be(HttpStatusCode.OK, await withdrawn.Content.ReadAsStringAsync());

        var stale = await Eventually.Until(() => ListedAsync(carla, id), t => t.GetProperty("status").GetString() == "stale", TimeSpan.FromSeconds(30),
            "the twin to be marked stale");
        stale.GetProperty("staleReasons").EnumerateArray().Single().GetString().Should().Contain("withdrawn").And.Contain("Consent withdrawn");
        var (status, text) = await PostRaw(carla, $"/api/twins/{id}/calibrate");
        status.Should().Be(HttpStatusCode.Conflict);
        text.Should().Contain("another dataset");
    }

    /// <summary>A deprecated model (superseded) gives its twins a notice, unprompted, and leaves them working.</summary>
    [Fact]
    public async Task A_deprecated_model_gives_its_twins_a_notice_and_leaves_them_working()
    {
        var (host, carla, id) = await ValidatedTwinOnAHostOfItsOwnAsync();
        await using var _ = host;

        var deprecated = await host.ClientAs("modeller", "tum").PostAsync("/api/catalogue/resources/hovorka-2004/deprecate",
            AsJson(new { reason = "Superseded by the 2010 revision." }));
        deprecated.StatusCode.Should().Be(HttpStatusCode.OK, await deprecated.Content.ReadAsStringAsync());

        var twin = await Eventually.Until(async () => await carla.GetFromJsonAsync<JsonElement>($"/api/twins/{id}"),
            t => t.GetProperty("notices").GetArrayLength() > 0, TimeSpan.FromSeconds(30), "the twin to be told of the deprecation");
        twin.GetProperty("notices").EnumerateArray().Single().GetString().Should().Contain("deprecated").And.Contain("Superseded by the 2010 revision.");
        twin.GetProperty("status").GetString().Should().Be("validated");
        (await PostRaw(carla, $"/api/twins/{id}/scenarios", LighterBreakfast)).Status.Should().Be(HttpStatusCode.OK, "a deprecated model still works");
        var history = await carla.GetFromJsonAsync<JsonElement>($"/api/twins/{id}/history");
        history.EnumerateArray().Count(e => e.GetProperty("eventType").GetString() == "twins.model_deprecation_noted").Should().Be(1);
    }
}
