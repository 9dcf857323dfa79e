using Orleans.Configuration;

namespace DthGrains.Silo.Platform.Postgres;

/// <summary>
/// The one place that wires Orleans to PostgreSQL: ADO.NET clustering and reminders, and the membership
/// timings. The host and the test clusters both call it, so they run the same configuration.
/// </summary>
public static class OrleansPostgresClustering
{
    /// <summary>The ADO.NET invariant of Npgsql.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>
    /// Uses PostgreSQL at <paramref name="connectionString"/> for membership and reminders, with
    /// <paramref name="timings"/> (default <see cref="MembershipTimings.Federated"/>). The database needs the
    /// schema from <see cref="OrleansSchema.ApplyAsync"/>. ClusterId and ServiceId stay the caller's.
    /// </summary>
    public static ISiloBuilder Configure(ISiloBuilder builder, string connectionString, MembershipTimings? timings = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var chosen = timings ?? MembershipTimings.Federated;
        builder.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        builder.UseAdoNetReminderService(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        builder.Configure<ClusterMembershipOptions>(chosen.ApplyTo);
        return builder;
    }

    /// <summary>Lets an Orleans client find gateways in the same membership table.</summary>
    public static IClientBuilder ConfigureClient(IClientBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        return builder;
    }
}
