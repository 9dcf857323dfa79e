using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Contracts.Platform;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// A run whose hpc silo froze (SIGSTOP: a paused VM, a stalled node) while its shards were there. A frozen silo keeps its
/// sockets open and answers nothing until membership declares it dead; calls to it wait for that or for the response
/// timeout (30 s). The run grain, on the live data silo, must go on answering meanwhile (RELIABILITY row 1). Before, its
/// supervisor asked the frozen silo's workers on the grain's turn and waited, and so did the removal of its keep-alive
/// reminder (reminders are kept in shares of a hash ring, half of them by the frozen silo): the run's cancellation, its
/// followers and the results of live silos waited behind them. Real processes: a silo in this process cannot be frozen alone.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FrozenSiloRunTests
{
    [Fact]
    public async Task A_run_whose_hpc_silo_froze_with_its_shards_is_cancelled_at_once_before_that_silo_is_declared_dead()
    {
        // Wide-area membership timings: a frozen silo is declared dead only after three missed probes of at least 5 s each,
        // so "before it is declared dead" is a span of 15 s or more, and checked below. The run's supervisor looks at its
        // workers every half second.
        using var pair = await SiloPair.StartAsync("frozen-run", "--Dth:Membership=federated", "--Dth:Runs:SupervisePeriod=00:00:00.500");
        // Longer than any call that answers, shorter than a wait for the frozen silo (15 s or more): such a wait fails here.
        var bound = TimeSpan.FromSeconds(12);
        using var admin = pair.ClientOfData(new("ops-admin", "Ops", "inst-a", [Roles.PlatformAdmin], TimeSpan.FromHours(1)), bound);
        using var carla = pair.ClientOfData(new("carla", "Carla", "tum", [Roles.Researcher], TimeSpan.FromHours(1)), bound);
        async Task<JsonElement[]> Silos() => (await admin.GetFromJsonAsync<JsonElement[]>("/api/cluster/silos"))!;
        static string Role(JsonElement silo) => silo.GetProperty("role").GetString()!;
        static int Shards(JsonElement silo) => silo.TryGetProperty("load", out var load) && load.ValueKind == JsonValueKind.Object ? load.GetProperty("shards").GetInt32() : 0;
        await Eventually.Until(Silos, s => s.Count(x => x.GetProperty("status").GetString() == "active") == 2, TimeSpan.FromSeconds(90), "both silos active");

        // 200 shards, some 20 s of solving on the hpc silo's cores here: it is frozen long before the end, also on a
        // faster machine. Nothing is solved after the cancellation.
        const int shards = 200;
        var submitted = await carla.PostAsJsonAsync("/api/runs", new { kind = "cohort-trial", model = "hovorka", size = shards * 500, seed = 17, duration = 10_080, shardSize = 500 });
        submitted.StatusCode.Should().Be(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
        var run = submitted.Headers.Location!.ToString();
        async Task<JsonElement> Run() => await carla.GetFromJsonAsync<JsonElement>(run);
        await Eventually.Until(Run, r => r.GetProperty("shardsDone").GetInt32() >= 1, TimeSpan.FromSeconds(60), "a first shard recorded");
        var held = await Eventually.Until(Silos, s => Shards(s.Single(x => Role(x) == "hpc")) > 0, TimeSpan.FromSeconds(30), "shards in flight on the hpc silo");
        var hpc = held.Single(x => Role(x) == "hpc").GetProperty("address").GetString();

        // The run's silo says when a supervision period found a frozen worker's ask unanswered: before the change, that
        // period's turn waited for the frozen silo, and the cancellation behind it.
        var unanswered = pair.DataSilo.WaitForLineAsync("has not answered for a supervision period", TimeSpan.FromSeconds(30));
        pair.HpcSilo.Freeze();
        var frozenAt = (await Run()).GetProperty("shardsDone").GetInt32();
        await unanswered;
        var cancelled = await carla.PostAsJsonAsync($"{run}/cancel", new { reason = "the hpc node stalled" });
        cancelled.StatusCode.Should().Be(HttpStatusCode.OK, await cancelled.Content.ReadAsStringAsync());
        var view = await cancelled.Content.ReadFromJsonAsync<JsonElement>();
        view.GetProperty("status").GetString().Should().Be("cancelled");
        view.GetProperty("shardsDone").GetInt32().Should().BeLessThan(shards).And.BeGreaterThanOrEqualTo(frozenAt);

        (await Silos()).Single(s => s.GetProperty("address").GetString() == hpc).GetProperty("status").GetString()
            .Should().Be("active", "the cancellation answered while the frozen silo still counted as a member, not once it was declared dead");
        (await Run()).GetProperty("status").GetString().Should().Be("cancelled", "the read model says so too");
    }
}
