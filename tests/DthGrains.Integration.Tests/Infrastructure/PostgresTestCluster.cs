using System.Reflection;
using DthGrains.Silo.Platform.Postgres;
using Orleans.TestingHost;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// In-process Orleans test clusters whose membership and reminders live in PostgreSQL, configured through
/// <see cref="OrleansPostgresClustering"/> exactly as the host does.
/// </summary>
public static class PostgresTestCluster
{
    /// <summary>
    /// A builder for <paramref name="silos"/> silos on the database of <paramref name="connectionString"/>
    /// (which needs the Orleans schema), with a fresh ClusterId and ServiceId unless given.
    /// </summary>
    public static InProcessTestClusterBuilder CreateBuilder(
        string connectionString,
        short silos = 2,
        MembershipTimings? timings = null,
        string? clusterId = null,
        string? serviceId = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        UseRealMembership(builder.Options);
        builder.Options.ConfigureFileLogging = false;
        if (clusterId is not null)
        {
            builder.Options.ClusterId = clusterId;
        }

        if (serviceId is not null)
        {
            builder.Options.ServiceId = serviceId;
        }

        var chosen = timings ?? MembershipTimings.Local;
        builder.ConfigureSilo((_, silo) => OrleansPostgresClustering.Configure(silo, connectionString, chosen));
        builder.ConfigureClient(client => OrleansPostgresClustering.ConfigureClient(client, connectionString));
        return builder;
    }

    /// <summary>
    /// Turns off the test harness's in-memory membership table and grain directory. They are registered
    /// after our silo configuration and would silently win over ADO.NET clustering; the switch is internal
    /// in Microsoft.Orleans.TestingHost 10.4.2, hence reflection, and a loud failure if it moves.
    /// </summary>
    private static void UseRealMembership(InProcessTestClusterOptions options)
    {
        var property = typeof(InProcessTestClusterOptions).GetProperty("UseTestClusterMembership", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            ?? throw new InvalidOperationException(
                "InProcessTestClusterOptions.UseTestClusterMembership not found: the Orleans.TestingHost version changed; find the new way to turn off its in-memory membership.");
        property.SetValue(options, false);
    }
}
