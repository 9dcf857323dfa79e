using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace DthGrains.Silo.Platform;

/// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: PostgreSQL answers, this silo is active and no stream was found unreadable.</summary>
public static class HealthChecks
{
    public static IServiceCollection AddDthHealthChecks(this IServiceCollection services, string connectionString)
    {
        services.AddHealthChecks()
            .AddCheck("postgresql", new PostgresCheck(connectionString), tags: ["ready"])
            .AddCheck<SiloActiveCheck>("silo", tags: ["ready"])
            .AddCheck<ReadableStreamsCheck>("event-store-integrity", tags: ["ready"]);
        return services;
    }

    public static void MapDthHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
    }

    private sealed class PostgresCheck(string connectionString) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(ct);
                await using var command = new NpgsqlCommand("select 1", connection);
                await command.ExecuteScalarAsync(ct);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL does not answer.");
            }
        }
    }

    /// <summary>Unhealthy once any stream was found holding an event that cannot be read (RELIABILITY row 8).</summary>
    private sealed class ReadableStreamsCheck(Grains.Platform.UnreadableEvents unreadable) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
            Task.FromResult(unreadable.Streams.Count == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"Streams with unreadable events: {string.Join(", ", unreadable.Streams.Keys.Order(StringComparer.Ordinal).Take(10))}. " +
                                              "GET /api/audit/verify locates them; repair, then restart the silo."));
    }

    private sealed class SiloActiveCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
            Task.FromResult(membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress) == SiloStatus.Active
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The silo is not active in the cluster yet."));
    }
}
