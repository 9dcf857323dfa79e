using System.Diagnostics;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Silo.Platform.Postgres;
using Npgsql;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace DthGrains.Integration.Tests.Platform;

[Collection(PostgresCollection.Name)]
public sealed class OrleansClusterOnPostgresTests(ITestOutputHelper output)
{
    private const int Active = 3;
    private const int Dead = 6;

    [Fact]
    public async Task Two_silos_form_a_cluster_on_a_fresh_database_and_a_reminder_fires()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("cluster", orleansSchema: true);
        var builder = PostgresTestCluster.CreateBuilder(connectionString, silos: 2);
        builder.ConfigureSilo((_, silo) => silo.Configure<Orleans.Hosting.ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1)));
        await using var cluster = builder.Build();

        var clock = Stopwatch.StartNew();
        await cluster.DeployAsync();
        output.WriteLine($"2-silo cluster active in {clock.ElapsedMilliseconds} ms");

        var hosts = await cluster.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        hosts.Should().HaveCount(2);
        hosts.Values.Should().OnlyContain(status => status == SiloStatus.Active);
        hosts.Keys.Should().BeEquivalentTo(cluster.Silos.Select(silo => silo.SiloAddress));

        // The membership really lives in PostgreSQL (not in the test harness's in-memory table).
        (await MembershipAsync(connectionString, cluster.Options.ClusterId))
            .Should().HaveCount(2).And.OnlyContain(row => row.Status == Active);

        var key = $"probe-{Guid.NewGuid():N}";
        var grain = cluster.Client.GetGrain<IReminderProbeGrain>(key);
        var fired = ReminderProbeGrain.FiredAsync(key);
        await grain.RegisterAsync("tick", dueTime: TimeSpan.FromSeconds(1), period: TimeSpan.FromMinutes(1));
        (await CountAsync(connectionString, "SELECT count(*) FROM orleans_reminders WHERE service_id = @p AND reminder_name = 'tick'", cluster.Options.ServiceId))
            .Should().Be(1);
        (await fired.WaitAsync(TimeSpan.FromSeconds(30))).Should().Be("tick");

        await grain.UnregisterAsync("tick");
        (await CountAsync(connectionString, "SELECT count(*) FROM orleans_reminders WHERE service_id = @p", cluster.Options.ServiceId))
            .Should().Be(0);

        await cluster.StopAllSilosAsync();
        (await MembershipAsync(connectionString, cluster.Options.ClusterId))
            .Should().OnlyContain(row => row.Status == Dead, "a graceful stop marks each silo Dead");
    }

    [Fact]
    public async Task After_the_whole_cluster_was_killed_a_new_silo_is_active_within_the_documented_bound()
    {
        var timings = MembershipTimings.Local;
        var connectionString = await TestPostgres.CreateDatabaseAsync("rejoin", orleansSchema: true);
        var clusterId = $"rejoin-{Guid.NewGuid():N}";
        var serviceId = $"svc-{Guid.NewGuid():N}";

        await using (var first = PostgresTestCluster.CreateBuilder(connectionString, silos: 2, timings, clusterId, serviceId).Build())
        {
            await first.DeployAsync();
            (await first.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Should().HaveCount(2);
            await first.StopAllSilosAsync();
        }

        // A kill -9 of every silo leaves their rows Active with a fresh IAmAliveTime and nobody listening.
        // An in-process stop cannot skip its own cleanup, so put the table back into that state.
        var killed = await SimulateKillNineAsync(connectionString, clusterId);
        killed.Should().Be(2);

        await using var second = PostgresTestCluster.CreateBuilder(connectionString, silos: 1, timings, clusterId, serviceId).Build();
        var clock = Stopwatch.StartNew();
        await second.DeployAsync();
        clock.Stop();
        output.WriteLine($"restart after total kill: active in {clock.Elapsed.TotalSeconds:0.0} s (bound {timings.RejoinBound.TotalSeconds:0} s, stale after {timings.StaleAfter.TotalSeconds:0} s)");

        clock.Elapsed.Should().BeLessThan(timings.RejoinBound);
        var hosts = await second.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        hosts.Keys.Should().BeEquivalentTo([second.Silos.Single().SiloAddress]);
        var rows = await MembershipAsync(connectionString, clusterId);
        rows.Where(row => row.Status == Active).Should().ContainSingle();
        rows.Count(row => row.Status == Dead).Should().Be(2, "the killed silos were voted dead");

        await second.StopAllSilosAsync();
    }

    private static async Task<int> SimulateKillNineAsync(string connectionString, string clusterId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "UPDATE orleans_membership SET status = 3, suspect_times = NULL, i_am_alive_time = now() WHERE deployment_id = @cluster",
            connection);
        command.Parameters.AddWithValue("cluster", clusterId);
        return await command.ExecuteNonQueryAsync();
    }

    private sealed record MembershipRow(string Address, int Port, int Generation, int Status);

    private static async Task<List<MembershipRow>> MembershipAsync(string connectionString, string clusterId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT address, port, generation, status FROM orleans_membership WHERE deployment_id = @cluster", connection);
        command.Parameters.AddWithValue("cluster", clusterId);
        var rows = new List<MembershipRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new MembershipRow(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3)));
        }

        return rows;
    }

    private static async Task<long> CountAsync(string connectionString, string sql, string parameter)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("p", parameter);
        return (long)(await command.ExecuteScalarAsync() ?? 0L);
    }
}
