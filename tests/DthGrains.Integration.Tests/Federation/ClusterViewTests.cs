using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Grains.Federation;
using DthGrains.Grains.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Integration.Tests.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Integration.Tests.Federation;

/// <summary>The cluster view on two real silos (a data and an hpc one): who hosts what, load and work, a stopped silo.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterViewTests
{
    private static readonly CommandContext Carla = new(new Actor("carla", "Carla", "tum", [Roles.Researcher]), "cluster-view-test");

    [Fact]
    public async Task The_view_names_each_silos_institutions_and_role_counts_the_shards_held_on_the_hpc_silo_and_keeps_a_stopped_silo_as_dead()
    {
        // Every shard waits at the hpc silo's gate until the test opens it, so what is in flight is known.
        var gate = new TestShardGate(_ => true);
        var (cluster, _) = await PlatformCluster.StartAsync((i, silo) =>
        {
            silo.Services.AddSingleton<IShardGate>(i == 1 ? gate : new OpenShardGate());
            silo.Services.Configure<RunOptions>(o => o.MaxShardsInFlight = 3);
        }, ("inst-a", "data"), ("inst-b", "hpc"));
        try
        {
            var view = cluster.Silos[0].ServiceProvider.GetRequiredService<ClusterView>();
            var (a, b) = (cluster.Silos[0].SiloAddress.ToParsableString(), cluster.Silos[1].SiloAddress.ToParsableString());
            var silos = await Eventually.Until(view.SilosAsync, s => s.Count(x => x.Status == "active") == 2, TimeSpan.FromSeconds(30), "both silos active");
            silos.Single(s => s.Address == a).Should().Match<SiloView>(s => s.Role == "data" && s.Institutions.SequenceEqual(new[] { "inst-a" }) && s.ThisSilo && s.Load != null);
            silos.Single(s => s.Address == b).Should().Match<SiloView>(s => s.Role == "hpc" && s.Institutions.SequenceEqual(new[] { "inst-b" }) && !s.ThisSilo && s.Load != null);

            var id = Guid.NewGuid().ToString("D");
            var run = cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainFactory>().GetGrain<IRunGrain>(id);
            (await run.SubmitAsync(new RunRequest(RunKind.CohortTrial, "bergman", Size: 40, Seed: 3, Duration: 30, ShardSize: 5), Carla)).Problem.Should().BeNull();
            await Eventually.Until(() => Task.FromResult(gate.Waiting), n => n == 3, TimeSpan.FromSeconds(30), "three shards held at the hpc silo");
            var busy = await Eventually.Until(view.SilosAsync, s => s.Single(x => x.Address == b).Load?.Shards == 3, TimeSpan.FromSeconds(30), "the view to count them");
            busy.Single(s => s.Address == a).Load!.Shards.Should().Be(0, "workers go to the hpc silo");
            busy.Single(s => s.Address == a).Load!.Runs.Should().Be(1, "the run grain lives where it was submitted");

            gate.Open();
            await cluster.StopSiloAsync(cluster.Silos[1]);
            var after = await Eventually.Until(view.SilosAsync, s => s.Single(x => x.Address == b).Status == "dead", TimeSpan.FromSeconds(60), "the stopped silo to be dead");
            after[0].Address.Should().Be(a, "live silos first");
            after.Single(s => s.Address == b).Load.Should().BeNull("a silo that is not live has no statistics");
            // With no hpc silo left, the rest of the run falls back to the data silo. Waited for, too, so that the cluster is
            // not torn down while the run and its workers still call each other.
            await Eventually.Until(async () => (await run.GetAsync(Carla.Actor)).Value!.Status, s => s == RunStatus.Completed,
                TimeSpan.FromSeconds(60), "the run to complete on the data silo");
        }
        finally
        {
            gate.Open();
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    /// <summary>
    /// A frozen silo (SIGSTOP: a paused VM, a stalled node) keeps its sockets open and answers nothing, and membership lists
    /// it as active until its missed probes declare it dead. Asked meanwhile, `GET /api/cluster/silos` answers at once:
    /// the live silo with its load, the frozen one without. Before, every silo's statistics were asked in one call, which
    /// waited for the frozen one and then failed as a whole (RELIABILITY row 1: calls to a lost silo fail fast).
    /// Real processes: a silo in this process cannot be frozen alone.
    /// </summary>
    [Fact]
    public async Task A_frozen_silo_shows_without_load_and_the_view_of_the_others_answers_meanwhile()
    {
        using var pair = await SiloPair.StartAsync("frozen-silo");
        using var admin = pair.ClientOfData(new("ops-admin", "Ops", "inst-a", [Roles.PlatformAdmin], TimeSpan.FromHours(1)), TimeSpan.FromMinutes(2));
        async Task<JsonElement[]> Silos() => (await admin.GetFromJsonAsync<JsonElement[]>("/api/cluster/silos"))!;
        // The API leaves out what is null.
        static bool HasLoad(JsonElement silo) => silo.TryGetProperty("load", out var load) && load.ValueKind == JsonValueKind.Object;
        var both = await Eventually.Until(Silos, s => s.Count(x => x.GetProperty("status").GetString() == "active" && HasLoad(x)) == 2,
            TimeSpan.FromSeconds(60), "both silos active with their load");
        // Known by address from here on: a dead silo's metadata (its institutions) is gone with it.
        string AddressOf(string institution) =>
            both.Single(s => s.GetProperty("institutions").EnumerateArray().Any(i => i.GetString() == institution)).GetProperty("address").GetString()!;
        var (addressA, addressB) = (AddressOf("inst-a"), AddressOf("inst-b"));
        JsonElement At(JsonElement[] silos, string institution) =>
            silos.Single(s => s.GetProperty("address").GetString() == (institution == "inst-a" ? addressA : addressB));

        pair.HpcSilo.Freeze();
        var frozen = await Silos();
        At(frozen, "inst-a").GetProperty("load").GetProperty("activations").GetInt32().Should().BePositive("the live silo answers");
        At(frozen, "inst-b").GetProperty("status").GetString().Should().Be("active", "membership has not declared it dead yet (several missed probes)");
        HasLoad(At(frozen, "inst-b")).Should().BeFalse("a frozen silo gives no statistics");
        var (code, table) = await CliRunner.RunAsync(new Uri(pair.Data.Url), admin.DefaultRequestHeaders.Authorization!.Parameter!, "cluster", "silos");
        code.Should().Be(0, table);
        table.Should().Contain("active, not answering").And.Contain("1 not answering (frozen or leaving");

        var declared = await Eventually.Until(Silos, s => At(s, "inst-b").GetProperty("status").GetString() == "dead", TimeSpan.FromSeconds(60), "the frozen silo to be declared dead");
        HasLoad(At(declared, "inst-a")).Should().BeTrue();
    }
}
