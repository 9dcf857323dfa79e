using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// RELIABILITY row 1 and invariant 7 on a real two-silo cluster (PostgreSQL membership and reminders): one silo is
/// killed mid run, the one holding the run grain or the one running the workers; the run completes on the survivor,
/// every shard counted once, with the result of an undisturbed run. And the same request gives the same bits on one
/// silo and on two.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RunFailoverTests
{
    private static readonly RunRequest Request = new(RunKind.CohortTrial, "hovorka", Size: 160, Seed: 11, Duration: 60, OutputStep: 10, ShardSize: 20);
    private static readonly CommandContext Carla = new(new Actor("carla", "Carla", "tum", [Roles.Researcher]), "failover-test");

    /// <summary>The result computed by the engine alone, in this process: what an undisturbed run gives.</summary>
    private static string UndisturbedResultHash(RunRequest request) => RunReproduction.Reproduce(request).Run!.ResultHash;

    private static Task<(InProcessTestCluster Cluster, string ConnectionString)> StartAsync(TestShardGate hpcGate) =>
        PlatformCluster.StartAsync((i, silo) =>
        {
            silo.Services.AddSingleton<IShardGate>(i == 1 ? hpcGate : new OpenShardGate());
            silo.Services.Configure<RunOptions>(o =>
            {
                o.SupervisePeriod = TimeSpan.FromMilliseconds(500);
                o.MaxShardsInFlight = 4;
            });
        }, ("inst-a", "data"), ("inst-b", "hpc"));

    private static IGrainFactory Factory(InProcessTestCluster cluster, int silo) => cluster.Silos[silo].ServiceProvider.GetRequiredService<IGrainFactory>();

    private static async Task<RunView?> TryGet(IGrainFactory factory, string id)
    {
        try
        {
            return (await factory.GetGrain<IRunGrain>(id).GetAsync(Carla.Actor)).Value;
        }
        catch (Exception)
        {
            // The run grain's silo is being declared dead: ask again.
            return null;
        }
    }

    private static async Task<SiloAddress> SiloOfRun(InProcessTestCluster cluster, string id)
    {
        var stats = await cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return stats.Single(s => s.GrainType.Contains(nameof(RunGrain), StringComparison.Ordinal) && s.GrainId.Key.ToString() == id).SiloAddress;
    }

    [Theory]
    [InlineData(1, "the silo of the run grain (and of the workers)")]
    [InlineData(0, "the hpc silo running the workers, not the run grain")]
    public async Task A_run_survives_the_kill_of_one_of_two_silos_and_counts_every_shard_once(int submitVia, string killed)
    {
        var hpcGate = new TestShardGate(w => w.Shard >= 2);
        var (cluster, _) = await StartAsync(hpcGate);
        try
        {
            var id = Guid.NewGuid().ToString("D");
            var submitted = await Factory(cluster, submitVia).GetGrain<IRunGrain>(id).SubmitAsync(Request, Carla);
            submitted.Problem.Should().BeNull();
            (await SiloOfRun(cluster, id)).Should().Be(cluster.Silos[submitVia].SiloAddress, "the run grain is placed where it was submitted");

            var survivor = Factory(cluster, 0);
            var (siloA, siloB) = (cluster.Silos[0].SiloAddress.ToParsableString(), cluster.Silos[1].SiloAddress.ToParsableString());
            await Eventually.Until(() => TryGet(survivor, id), v => v?.ShardsDone == 2 && hpcGate.Waiting >= 1, TimeSpan.FromSeconds(60), "two shards done on the hpc silo, more held there");
            await cluster.KillSiloAsync(cluster.Silos[1]);

            var done = await Eventually.Until(() => TryGet(survivor, id), v => v?.Status == RunStatus.Completed, TimeSpan.FromSeconds(120), $"the run to complete after killing {killed}");
            done!.ShardsDone.Should().Be(8);

            var events = (await cluster.Silos[0].ServiceProvider.GetRequiredService<EventLog>().ReadAsync(RunEventTypes.StreamOf(id))).Select(e => e.Data).ToList();
            var shards = events.OfType<ShardCompleted>().ToList();
            shards.Select(s => s.Shard).Should().BeEquivalentTo(Enumerable.Range(0, 8), "every shard counted exactly once");
            shards.Where(s => s.Shard < 2).Should().OnlyContain(s => s.Silo == siloB, "workers go to the hpc silo first");
            shards.Where(s => s.Shard >= 2).Should().OnlyContain(s => s.Silo == siloA, "with no hpc silo left, any silo works");
            // Each shard names whose hardware computed it, from its silo's metadata: still known once that silo is dead.
            shards.Where(s => s.Shard < 2).Should().OnlyContain(s => s.SiloRole == "hpc" && s.SiloInstitutions!.SequenceEqual(new[] { "inst-b" }));
            shards.Where(s => s.Shard >= 2).Should().OnlyContain(s => s.SiloRole == "data" && s.SiloInstitutions!.SequenceEqual(new[] { "inst-a" }));
            shards.First(s => s.Shard == 0).SiloLabel.Should().Be($"{siloB} (inst-b, hpc)");
            events.OfType<RunCompleted>().Single().ComputedAt.Should().BeEquivalentTo(new[]
            {
                new ComputeSite(["inst-b"], "hpc", 2, shards.Where(s => s.Shard < 2).Sum(s => s.To - s.From)),
                new ComputeSite(["inst-a"], "data", shards.Count(s => s.Shard >= 2), shards.Where(s => s.Shard >= 2).Sum(s => s.To - s.From)),
            }, o => o.WithStrictOrdering(), "the run says whose silos computed it, the dead one included");
            events.OfType<RunCompleted>().Single().ResultHash.Should().Be(UndisturbedResultHash(Request));
        }
        finally
        {
            hpcGate.Open();
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    /// <summary>
    /// RELIABILITY row 2 for a run: the silo holding the run grain (and the workers) stops gracefully mid run. Its
    /// activation is deactivated with the silo, and the run is called again at once, so it completes on the other silo
    /// well before its keep-alive reminder (a minute after the submission) would bring it back. Progress is read from
    /// the stream, never by calling the run, which would wake it.
    /// </summary>
    [Fact]
    public async Task A_run_whose_silo_stops_gracefully_carries_on_at_once_on_the_other()
    {
        var hpcGate = new TestShardGate(w => w.Shard >= 2);
        var (cluster, _) = await StartAsync(hpcGate);
        try
        {
            var id = Guid.NewGuid().ToString("D");
            (await Factory(cluster, 1).GetGrain<IRunGrain>(id).SubmitAsync(Request, Carla)).Problem.Should().BeNull();
            (await SiloOfRun(cluster, id)).Should().Be(cluster.Silos[1].SiloAddress);
            var log = cluster.Silos[0].ServiceProvider.GetRequiredService<EventLog>();
            async Task<List<object>> Events() => [.. (await log.ReadAsync(RunEventTypes.StreamOf(id))).Select(e => e.Data)];
            await Eventually.Until(Events, e => e.OfType<ShardCompleted>().Count() == 2 && hpcGate.Waiting >= 1, TimeSpan.FromSeconds(60), "two shards done on the hpc silo, more held there");

            await cluster.StopSiloAsync(cluster.Silos[1]);
            var events = await Eventually.Until(Events, e => e.OfType<RunCompleted>().Any(), TimeSpan.FromSeconds(25), "the run to complete on the other silo");
            events.OfType<ShardCompleted>().Select(s => s.Shard).Should().BeEquivalentTo(Enumerable.Range(0, 8), "every shard counted exactly once");
            events.OfType<RunCompleted>().Single().ResultHash.Should().Be(UndisturbedResultHash(Request));
        }
        finally
        {
            hpcGate.Open();
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    /// <summary>A Sobol study in shards of whole base samples (4 shards of 60 evaluations).</summary>
    private static readonly RunRequest Sensitivity = new(RunKind.Sensitivity, "bergman", Size: 60, Seed: 4, Duration: 60,
        Uncertain: [new ParameterUncertainty("p2", 0.3), new ParameterUncertainty("p3", 0.3)], ShardSize: 60);

    [Fact]
    public async Task The_same_request_gives_bit_identical_results_on_one_silo_and_on_two()
    {
        var hashes = new List<string>();
        var bands = new List<double?[]>();
        var sobol = new List<RunCompleted>();
        foreach (var silos in new[] { new[] { ("inst-a", "data") }, new[] { ("inst-a", "data"), ("inst-b", "hpc") } })
        {
            var (cluster, _) = await PlatformCluster.StartAsync(silos);
            try
            {
                async Task<RunCompleted> RunAsync(RunRequest request)
                {
                    var id = Guid.NewGuid().ToString("D");
                    (await cluster.Client.GetGrain<IRunGrain>(id).SubmitAsync(request, Carla)).Problem.Should().BeNull();
                    await Eventually.Until(() => TryGet(cluster.Client, id), v => v?.Status == RunStatus.Completed, TimeSpan.FromSeconds(60), $"the {request.Kind} run on {silos.Length} silo(s)");
                    var events = (await cluster.Silos[0].ServiceProvider.GetRequiredService<EventLog>().ReadAsync(RunEventTypes.StreamOf(id))).Select(e => e.Data).ToList();
                    events.OfType<ShardCompleted>().Select(x => x.Shard).Should().OnlyHaveUniqueItems();
                    return events.OfType<RunCompleted>().Single();
                }
                var completed = await RunAsync(Request);
                hashes.Add(completed.ResultHash);
                bands.Add(completed.Summary!.Bands);
                sobol.Add(await RunAsync(Sensitivity));
            }
            finally
            {
                await cluster.StopAllSilosAsync();
                await cluster.DisposeAsync();
            }
        }
        hashes[1].Should().Be(hashes[0]).And.Be(UndisturbedResultHash(Request));
        bands[1].Should().Equal(bands[0]);
        // The study's shards merge in shard order wherever they ran: the same indices, bit for bit.
        RunPlanner.Plan(Sensitivity).Plan!.Shards.Should().Be(4);
        sobol[1].Sensitivity.Should().BeEquivalentTo(sobol[0].Sensitivity);
        sobol[1].ResultHash.Should().Be(sobol[0].ResultHash).And.Be(UndisturbedResultHash(Sensitivity));
        sobol[0].Shards.Should().Be(4);
        sobol[0].Sensitivity!.FirstOrder.Should().OnlyContain(v => v.HasValue);
    }
}
