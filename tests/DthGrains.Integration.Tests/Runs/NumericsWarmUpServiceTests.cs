using DthGrains.Grains.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>The silo's run options come from Dth:Runs, and the numerics warm-up they ask for runs once, off the start, and ends.</summary>
[Collection(PostgresCollection.Name)]
public sealed class NumericsWarmUpServiceTests
{
    [Fact]
    public async Task A_silo_configured_for_a_warm_up_runs_it_after_starting_and_it_ends_within_its_budget()
    {
        await using var host = await TestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Dth:Runs:NumericsWarmUp"] = "00:00:00.5",
            ["Dth:Runs:MaxShardsInFlight"] = "3",
        });

        var options = host.Services.GetRequiredService<IOptions<RunOptions>>().Value;
        options.NumericsWarmUp.Should().Be(TimeSpan.FromMilliseconds(500));
        options.MaxShardsInFlight.Should().Be(3, "every run option binds from Dth:Runs");
        var warmUp = host.Services.GetServices<IHostedService>().OfType<NumericsWarmUpService>().Single();
        await Eventually.Until(() => Task.FromResult(warmUp.ExecuteTask?.IsCompletedSuccessfully == true), ended => ended, TimeSpan.FromSeconds(60), "the warm-up to end");
    }

    [Fact]
    public void Both_silo_profiles_warm_up_the_numerics()
    {
        foreach (var profile in new[] { "standalone", "institution" })
        {
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "silo-config", $"{profile}.json")));
            var warmUp = json.RootElement.GetProperty("Dth").GetProperty("Runs").GetProperty("NumericsWarmUp").GetString();
            TimeSpan.Parse(warmUp!, System.Globalization.CultureInfo.InvariantCulture).Should().BePositive(profile);
        }
    }
}
