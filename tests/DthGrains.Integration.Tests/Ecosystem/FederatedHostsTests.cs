using System.Net.Http.Json;
using System.Text.Json;
using DthGrains.Integration.Tests.Infrastructure;

namespace DthGrains.Integration.Tests.Ecosystem;

/// <summary>Two real hosts of two institutions on one federation database form one cluster, visible in the map.</summary>
[Collection(PostgresCollection.Name)]
public sealed class FederatedHostsTests
{
    [Fact]
    public async Task Two_hosts_of_two_institutions_form_one_cluster_visible_in_the_graph_of_either()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("federation", orleansSchema: true);
        var clusterId = $"federation-{Guid.NewGuid():N}";
        await using var charite = await TestHost.StartAsync("charite", "data", connectionString: connectionString, clusterId: clusterId);
        await using var bsc = await TestHost.StartAsync("bsc", "hpc", connectionString: connectionString, clusterId: clusterId);

        async Task<string[]> SiloHosts(TestHost host)
        {
            var graph = await host.ClientAs("researcher", "tum").GetFromJsonAsync<JsonElement>("/api/ecosystem/graph");
            return graph.GetProperty("edges").EnumerateArray()
                .Where(e => e.GetProperty("kind").GetString() == "hosts-silo")
                .Select(e => e.GetProperty("from").GetString()!).Order().ToArray();
        }

        (await Eventually.Until(() => SiloHosts(charite), h => h.Length == 2, TimeSpan.FromSeconds(30), "both silos in the map"))
            .Should().Equal("organisation:bsc", "organisation:charite");
        (await SiloHosts(bsc)).Should().Equal("organisation:bsc", "organisation:charite");

        // A grain written through one institution's host is read through the other's: one cluster, one truth.
        var admin = charite.ClientAs("platform-admin", "bsc");
        (await admin.PostAsJsonAsync("/api/ecosystem/organisations", new { id = "shared-org", name = "Shared", type = "sme", country = "FR" })).EnsureSuccessStatusCode();
        (await bsc.ClientAs("researcher", "tum").GetAsync("/api/ecosystem/organisations/shared-org")).EnsureSuccessStatusCode();
    }
}
