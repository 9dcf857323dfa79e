using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Grains.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using static DthGrains.Integration.Tests.Runs.RunTestData;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// With a retention set, a silo releases the per-subject rows of runs that ended longer ago than it, as the system and
/// saying why; a run that ended more recently keeps them; while another silo sweeps, this one skips its turn. The domain
/// clock is moved by hand, never waited for.
/// </summary>
public sealed class RunRowsRetentionTests
{
    [Fact]
    public async Task Rows_are_released_once_the_retention_after_the_runs_end_has_passed()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var host = await TestHost.StartAsync("charite", alsoHosts: [], clock: clock, settings: new Dictionary<string, string?>
        {
            ["Dth:Runs:RowsRetention"] = "30.00:00:00",
            ["Dth:Runs:RowsRetentionCheck"] = "00:00:00.200",
        });
        var carla = host.ClientAs("researcher", "tum", subject: "carla-retention");
        var old = await SubmitAsync(carla, Cohort(size: 20, shardSize: 10));
        await WaitForStatusAsync(carla, old, "completed");
        clock.Advance(TimeSpan.FromDays(20));
        var recent = await SubmitAsync(carla, Cohort(size: 20, shardSize: 10, seed: 7));
        await WaitForStatusAsync(carla, recent, "completed");

        // Two sweeps end with nothing due (the second began after both runs had ended): both keep their rows.
        var retention = host.Services.GetServices<IHostedService>().OfType<RunRowsRetention>().Single();
        await retention.NextSweepAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await retention.NextSweepAsync().WaitAsync(TimeSpan.FromSeconds(30));
        (await carla.GetAsync($"/api/runs/{old}/results")).StatusCode.Should().Be(HttpStatusCode.OK);

        // Another silo is sweeping (it holds the sweep's lock): this one skips its turns, and nothing is released twice over.
        await using var other = new NpgsqlConnection(host.Host.ConnectionString);
        await other.OpenAsync();
        await using (var take = new NpgsqlCommand("select pg_advisory_lock(@key)", other))
        {
            take.Parameters.AddWithValue("key", RunRowsRetention.SweepLockKey);
            await take.ExecuteNonQueryAsync();
        }
        clock.Advance(TimeSpan.FromDays(11));
        await retention.NextSweepAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await retention.NextSweepAsync().WaitAsync(TimeSpan.FromSeconds(30));
        (await carla.GetAsync($"/api/runs/{old}/results")).StatusCode.Should().Be(HttpStatusCode.OK, "the other silo's sweep is the one to release it");
        await other.CloseAsync();

        var released = await Eventually.Until(() => carla.GetFromJsonAsync<JsonElement>($"/api/runs/{old}"),
            d => d.TryGetProperty("rowsReleased", out var r) && r.ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(30), "the old run's rows to be released");
        released.GetProperty("rowsReleased").GetProperty("by").GetString().Should().Be("system");
        released.GetProperty("rowsReleased").GetProperty("reason").GetString().Should().Contain("30 days").And.Contain("Dth:Runs:RowsRetention");
        (await carla.GetAsync($"/api/runs/{old}/results")).StatusCode.Should().Be(HttpStatusCode.Gone);
        var kept = await carla.GetFromJsonAsync<JsonElement>($"/api/runs/{recent}");
        (kept.TryGetProperty("rowsReleased", out var none) ? none.ValueKind : JsonValueKind.Null).Should().Be(JsonValueKind.Null, "it ended 11 days ago");
        (await carla.GetAsync($"/api/runs/{recent}/results")).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
