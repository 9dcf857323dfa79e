using System.Diagnostics;
using System.Globalization;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// How a silo host child process is started: one institution's silo of the given role on a cluster in PostgreSQL, with
/// free loopback ports, local membership timings and the numerics warm-up off (tests start hosts often).
/// </summary>
/// <param name="SigningKeyPath">where the host keeps (and first creates) its token signing key; null: the profile's default.</param>
internal sealed record SiloSettings(string Institution, string ClusterId, string ConnectionString, string DataFolder, int SiloPort, int GatewayPort, int HttpPort,
    string Role = "data", string? SigningKeyPath = null)
{
    /// <summary>Further command-line settings, after the ones above (a later one wins).</summary>
    public IReadOnlyList<string> Extra { get; init; } = [];

    public string Url => $"http://127.0.0.1:{HttpPort}";

    public static SiloSettings Fresh(string institution, string clusterId, string connectionString, string dataFolder, string role = "data",
        string? signingKeyPath = null) =>
        new(institution, clusterId, connectionString, dataFolder, FreePorts.Next(), FreePorts.Next(), FreePorts.Next(), role, signingKeyPath);

    public IEnumerable<string> Arguments() =>
    [
        "--profile=institution",
        $"--ConnectionStrings:Federation={ConnectionString}",
        $"--Dth:Institution={Institution}",
        $"--Dth:Role={Role}",
        $"--Dth:ClusterId={ClusterId}",
        "--Dth:Membership=local",
        $"--Dth:SiloPort={SiloPort.ToString(CultureInfo.InvariantCulture)}",
        $"--Dth:GatewayPort={GatewayPort.ToString(CultureInfo.InvariantCulture)}",
        $"--Dth:DataDirectory={DataFolder}",
        "--Dth:Seed=false",
        "--Dth:Runs:NumericsWarmUp=00:00:00",
        // Each test silo plays a whole platform on one machine: payloads on the one test server, and a signing key
        // created by whichever host starts first.
        "--Dth:DerivePayloadDatabases=true",
        "--Dth:Identity:CreateSigningKey=true",
        $"--Urls={Url}",
        "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
        .. SigningKeyPath is null ? Array.Empty<string>() : [$"--Dth:Identity:SigningKeyPath={SigningKeyPath}"],
        .. Extra,
    ];
}

/// <summary>A silo host child process; <see cref="WaitStartedAsync"/> completes on "Application started".</summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(string Fragment, TaskCompletionSource<string> Seen)> _awaited = [];

    private SiloProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public Task WaitStartedAsync(TimeSpan timeout) => _started.Task.WaitAsync(timeout);

    public Task WaitExitedAsync(TimeSpan timeout) => _exited.Task.WaitAsync(timeout);

    /// <summary>The first line of its output from now on that contains <paramref name="fragment"/>.</summary>
    public Task<string> WaitForLineAsync(string fragment, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            _awaited.Add((fragment, seen));
        }
        return seen.Task.WaitAsync(timeout);
    }

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

    /// <summary>Freezes the process (SIGSTOP): its sockets stay open and nothing answers, as on a paused VM or a stalled node.</summary>
    public void Freeze() => Signal("STOP");

    /// <summary>Lets a frozen process go on (SIGCONT).</summary>
    public void Thaw() => Signal("CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {_process.Id} exited with {kill.ExitCode}");
    }

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

            foreach (var awaited in _awaited.Where(a => line.Contains(a.Fragment, StringComparison.Ordinal)).ToList())
            {
                _awaited.Remove(awaited);
                awaited.Seen.TrySetResult(line);
            }
        }

        if (line.Contains("Application started", StringComparison.Ordinal))
        {
            _started.TrySetResult();
        }
    }
}
