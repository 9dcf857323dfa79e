using DthGrains.Contracts.Ecosystem;
using DthGrains.Grains.Ecosystem;
using DthGrains.Integration.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Integration.Tests.Ecosystem;

[Collection(PostgresCollection.Name)]
public sealed class ClusterPresenceTests
{
    private static async Task<List<EcosystemEdgeDocument>> SiloEdges(IServiceProvider services)
    {
        await using var session = services.GetRequiredService<IDocumentStore>().QuerySession();
        return (await session.Query<EcosystemEdgeDocument>().Where(e => e.Kind == RelationKind.HostsSilo).ToListAsync()).ToList();
    }

    [Fact]
    public async Task Two_silos_of_two_institutions_appear_as_hosts_silo_edges_and_a_stopped_one_disappears()
    {
        var (cluster, _) = await PlatformCluster.StartAsync(("inst-a", "data"), ("inst-b", "hpc"));
        try
        {
            var primary = cluster.Silos[0].ServiceProvider;
            var edges = await Eventually.Until(() => SiloEdges(primary), e => e.Count == 2, TimeSpan.FromSeconds(30), "both silos to register");
            edges.Select(e => e.From).Should().BeEquivalentTo("organisation:inst-a", "organisation:inst-b");

            await using (var session = primary.GetRequiredService<IDocumentStore>().QuerySession())
            {
                var siloB = await session.LoadAsync<EcosystemNodeDocument>(edges.Single(e => e.From == "organisation:inst-b").To);
                siloB!.Attributes["role"].Should().Be("hpc");
                siloB.Attributes["institution"].Should().Be("inst-b");
            }

            var secondary = cluster.Silos[1];
            await cluster.StopSiloAsync(secondary);

            var remaining = await Eventually.Until(() => SiloEdges(primary), e => e.Count == 1, TimeSpan.FromSeconds(30), "the stopped silo's edge to go");
            remaining.Single().From.Should().Be("organisation:inst-a");
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_killed_silo_is_removed_from_the_map_by_a_survivor()
    {
        var (cluster, _) = await PlatformCluster.StartAsync(("inst-a", "data"), ("inst-b", "data"));
        try
        {
            var primary = cluster.Silos[0].ServiceProvider;
            await Eventually.Until(() => SiloEdges(primary), e => e.Count == 2, TimeSpan.FromSeconds(30), "both silos to register");

            await cluster.KillSiloAsync(cluster.Silos[1]);

            // Death is declared by membership probes: bounded by the Local timings (a few seconds here).
            var remaining = await Eventually.Until(() => SiloEdges(primary), e => e.Count == 1, TimeSpan.FromSeconds(60), "the killed silo to be declared dead");
            remaining.Single().From.Should().Be("organisation:inst-a");
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
