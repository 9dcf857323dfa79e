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

    private sealed record SiloSettings(string Institution, string ClusterId, string ConnectionString, string DataFolder, int SiloPort, int GatewayPort, int HttpPort)
    {
        public string Url => $"http://127.0.0.1:{HttpPort}";

        public static SiloSettings Fresh(string institution, string clusterId, string connectionString, string dataFolder) =>
            new(institution, clusterId, connectionString, dataFolder, FreePort(), FreePort(), FreePort());

        public IEnumerable<string> Arguments() =>
        [
            "--profile=institution",
            $"--ConnectionStrings:Federation={ConnectionString}",
            $"--Dth:Institution={Institution}",
            "--Dth:Role=data",
            $"--Dth:ClusterId={ClusterId}",
            "--Dth:Membership=local",
            $"--Dth:SiloPort={SiloPort.ToString(CultureInfo.InvariantCulture)}",
            $"--Dth:GatewayPort={GatewayPort.ToString(CultureInfo.InvariantCulture)}",
            $"--Dth:DataDirectory={DataFolder}",
            "--Dth:Seed=false",
            "--Dth:Runs:NumericsWarmUp=00:00:00",
            $"--Urls={Url}",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
        ];

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }

    /// <summary>A silo host child process; <see cref="WaitStartedAsync"/> completes on "Application started".</summary>
    private sealed class SiloProcess : IDisposable
    {
        private readonly Process _process;
        private readonly Queue<string> _lines = new();
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private SiloProcess(string name, Process process)
        {
            Name = name;
            _process = process;
        }

        public string Name { get; }

        public Task WaitStartedAsync(TimeSpan timeout) => _started.Task.WaitAsync(timeout);

        public Task WaitExitedAsync(TimeSpan timeout) => _exited.Task.WaitAsync(timeout);

        public static SiloProcess Start(SiloSettings settings)
        {
            var dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
            var start = new ProcessStartInfo(dotnet)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DthGrains.Silo.dll"));
            foreach (var argument in settings.Arguments())
            {
                start.ArgumentList.Add(argument);
            }

            foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("DTH", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                start.Environment.Remove(variable);
            }

            var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            var silo = new SiloProcess($"{settings.Institution} :{settings.SiloPort}", process);
            process.OutputDataReceived += (_, e) => silo.OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => silo.OnLine(e.Data);
            process.Exited += (_, _) =>
            {
                silo._exited.TrySetResult();
                silo._started.TrySetException(new InvalidOperationException($"silo {silo.Name} exited before it started:\n{silo.Tail()}"));
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return silo;
        }

        public void KillNine() => _process.Kill(entireProcessTree: false);

        public string Tail()
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(TimeSpan.FromSeconds(10));
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            _process.Dispose();
        }

        private void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_lines)
            {
                _lines.Enqueue(line);
                while (_lines.Count > 40)
                {
                    _lines.Dequeue();
                }
            }

            if (line.Contains("Application started", StringComparison.Ordinal))
            {
                _started.TrySetResult();
            }
        }
    }
}
