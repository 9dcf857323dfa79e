using DthGrains.Silo.Platform;
using DthGrains.Silo.Platform.Postgres;
using Orleans.TestingHost;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// A real multi-silo DthGrains cluster in this process: ADO.NET clustering on the shared test PostgreSQL,
/// every silo with the full DthGrains services. Silo i belongs to <c>institutions[i]</c>.
/// </summary>
public static class PlatformCluster
{
    public static Task<(InProcessTestCluster Cluster, string ConnectionString)> StartAsync(params (string Institution, string Role)[] silos) =>
        StartAsync(null, silos);

    /// <param name="configure">extra silo configuration by silo index (test services such as a shard gate)</param>
    public static async Task<(InProcessTestCluster Cluster, string ConnectionString)> StartAsync(Action<int, ISiloBuilder>? configure, params (string Institution, string Role)[] silos)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("cluster", orleansSchema: true);
        var builder = PostgresTestCluster.CreateBuilder(connectionString, (short)silos.Length, MembershipTimings.Local);
        builder.ConfigureSilo((options, silo) =>
        {
            var (institution, role) = silos[IndexOf(options.SiloName)];
            silo.AddDthServices(connectionString, institution, role);
            TestLogFile.AddTo(silo.Services, $"silo-{institution}");
            configure?.Invoke(IndexOf(options.SiloName), silo);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return (cluster, connectionString);
    }

    /// <summary>The test harness names silos Primary, Secondary_1, Secondary_2...</summary>
    private static int IndexOf(string siloName) =>
        siloName == "Primary" ? 0 : int.Parse(siloName[(siloName.LastIndexOf('_') + 1)..]);
}
