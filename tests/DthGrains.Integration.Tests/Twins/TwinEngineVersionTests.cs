using DthGrains.Simulation.Engine;
using DthGrains.Grains.Twins;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Twins;

public sealed class TwinEngineVersionTests
{
    /// <summary>
    /// A platform restarted on another engine version marks calibrated twins stale at start, before anyone asks; a twin
    /// that recorded this engine under its older spelling (its assembly name, until session 16) is on the same engine.
    /// </summary>
    [Fact]
    public async Task A_new_engine_version_marks_calibrated_twins_stale_when_the_platform_starts()
    {
        var database = await TestPostgres.CreateDatabaseAsync("twin-engine", orleansSchema: true);
        string id, owner = $"carla-{Guid.NewGuid():N}"[..16];
        var olderSpelling = "DthGrains.Simulation/" + EngineIdentity.Current.Split('/')[1];
        await using (var before = await TestHost.StartAsync(seed: true, connectionString: database,
            services: s => s.Configure<TwinOptions>(o => o.EngineVersion = olderSpelling)))
        {
            await SeedReady(before);
            var carla = before.ClientAs("researcher", "tum", owner);
            await GrantAsync(before, carla);
            id = await ValidatedTwinAsync(carla, CharitéData, "synth-00005");
            (await ListedAsync(carla, id)).GetProperty("engineVersion").GetString().Should().Be(olderSpelling);
        }

        await using (var same = await TestHost.StartAsync(seed: true, connectionString: database))
        {
            var carla = same.ClientAs("researcher", "tum", owner);
            (await PostRaw(carla, $"/api/twins/{id}/activate")).Status.Should().Be(System.Net.HttpStatusCode.OK, "the older spelling names this very engine");
        }

        await using var after = await TestHost.StartAsync(seed: true, connectionString: database,
            services: s => s.Configure<TwinOptions>(o => o.EngineVersion = "dthgrains-simulation/9.9.9"));
        var again = after.ClientAs("researcher", "tum", owner);
        var stale = await Eventually.Until(() => ListedAsync(again, id), t => t.GetProperty("status").GetString() == "stale", TimeSpan.FromSeconds(60),
            "the start-up sweep to mark the twin stale");
        stale.GetProperty("staleReasons").EnumerateArray().Single().GetString().Should().Contain("9.9.9");
        (await PostRaw(again, $"/api/twins/{id}/activate")).Status.Should().Be(System.Net.HttpStatusCode.Conflict);
        (await PostOk(again, $"/api/twins/{id}/calibrate")).GetProperty("engineVersion").GetString().Should().Be("dthgrains-simulation/9.9.9");
    }
}
