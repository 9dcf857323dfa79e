using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Silo.Platform.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// RELIABILITY row 3 with real processes: two silo hosts (DthGrains.Silo) on one database are killed
/// with SIGKILL, their membership rows stay Active, and one of them is started again with the same
/// configuration. It must be active (host started, /health/ready 200) within the documented bound.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WholeClusterKillTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan HostStartAllowance = TimeSpan.FromSeconds(20);
    private readonly List<SiloProcess> _silos = [];
    private readonly string _dataFolder = TestPostgres.NewTemporaryFolder("killnine");

    [Fact]
    public async Task After_kill_9_of_every_silo_a_restarted_silo_is_active_within_the_documented_bound()
    {
        var timings = MembershipTimings.Local;
        var connectionString = await TestPostgres.CreateDatabaseAsync("killnine", orleansSchema: true);
        var clusterId = $"killnine-{Guid.NewGuid():N}";
        var a = SiloSettings.Fresh("inst-a", clusterId, connectionString, _dataFolder);
        var b = SiloSettings.Fresh("inst-b", clusterId, connectionString, _dataFolder);

        var first = Start(a);
        var second = Start(b);
        await first.WaitStartedAsync(timings.RejoinBound + HostStartAllowance);
        await second.WaitStartedAsync(timings.RejoinBound + HostStartAllowance);
        (await ActiveRowsAsync(connectionString, clusterId)).Should().Be(2);

        first.KillNine();
        second.KillNine();
        await first.WaitExitedAsync(TimeSpan.FromSeconds(30));
        await second.WaitExitedAsync(TimeSpan.FromSeconds(30));
        (await ActiveRowsAsync(connectionString, clusterId)).Should().Be(2, "a killed silo cannot mark itself dead");

        var clock = Stopwatch.StartNew();
        var restarted = Start(a);
        await restarted.WaitStartedAsync(timings.RejoinBound + HostStartAllowance);
        clock.Stop();
        output.WriteLine(
            $"restart after kill -9 of the whole cluster: host started and silo active in {clock.Elapsed.TotalSeconds:0.0} s "
            + $"(membership bound {timings.RejoinBound.TotalSeconds:0} s + host start allowance {HostStartAllowance.TotalSeconds:0} s)");

        using var http = new HttpClient { BaseAddress = new Uri(a.Url), Timeout = TimeSpan.FromSeconds(10) };
        (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await ActiveRowsAsync(connectionString, clusterId)).Should().Be(1, "both killed generations were declared dead");
        clock.Elapsed.Should().BeLessThan(timings.RejoinBound + HostStartAllowance);
    }

    public void Dispose()
    {
        foreach (var silo in _silos)
        {
            silo.Dispose();
            output.WriteLine($"--- {silo.Name} (last lines) ---\n{silo.Tail()}");
        }

        TestPostgres.DeleteFolder(_dataFolder);
    }

    private SiloProcess Start(SiloSettings settings)
    {
        var silo = SiloProcess.Start(settings);
        _silos.Add(silo);
        return silo;
    }

    private static async Task<long> ActiveRowsAsync(string connectionString, string clusterId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleans_membership WHERE deployment_id = @c AND status = 3", connection);
        command.Parameters.AddWithValue("c", clusterId);
        return (long)(await command.ExecuteScalarAsync() ?? 0L);
    }
}
