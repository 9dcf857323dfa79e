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
            (await cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainFactory>().GetGrain<IRunGrain>(id)
                .SubmitAsync(new RunRequest(RunKind.CohortTrial, "bergman", Size: 40, Seed: 3, Duration: 30, ShardSize: 5), Carla)).Problem.Should().BeNull();
            await Eventually.Until(() => Task.FromResult(gate.Waiting), n => n == 3, TimeSpan.FromSeconds(30), "three shards held at the hpc silo");
            var busy = await Eventually.Until(view.SilosAsync, s => s.Single(x => x.Address == b).Load?.Shards == 3, TimeSpan.FromSeconds(30), "the view to count them");
            busy.Single(s => s.Address == a).Load!.Shards.Should().Be(0, "workers go to the hpc silo");
            busy.Single(s => s.Address == a).Load!.Runs.Should().Be(1, "the run grain lives where it was submitted");

            gate.Open();
            await cluster.StopSiloAsync(cluster.Silos[1]);
            var after = await Eventually.Until(view.SilosAsync, s => s.Single(x => x.Address == b).Status == "dead", TimeSpan.FromSeconds(60), "the stopped silo to be dead");
            after[0].Address.Should().Be(a, "live silos first");
            after.Single(s => s.Address == b).Load.Should().BeNull("a silo that is not live has no statistics");
        }
        finally
        {
            gate.Open();
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
