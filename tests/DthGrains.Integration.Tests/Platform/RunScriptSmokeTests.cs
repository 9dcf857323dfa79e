using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using DthGrains.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// ops/run.sh as a newcomer runs it: it starts, turns ready, prints tokens that read the seeded graph, and on
/// Ctrl-C stops the silo and its embedded PostgreSQL with nothing left behind.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class RunScriptSmokeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _data = TestPostgres.NewTemporaryFolder("runsh");
    private readonly List<string> _lines = [];

    [GeneratedRegex(@"^\s+researcher \(tum\)\s+(\S+)$")]
    private static partial Regex ResearcherToken();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DthGrains.sln"))) return dir.FullName;
        throw new InvalidOperationException("DthGrains.sln not found above the test binaries.");
    }

    [Fact]
    public async Task Run_script_starts_the_seeded_platform_and_ctrl_c_leaves_no_process_behind()
    {
        var port = FreePorts.Next();
        // Through `env --default-signal=INT`: a shell that starts with SIGINT ignored cannot trap it (POSIX), and the test run
        // may well have it ignored: a non-interactive shell starts its background jobs so (`ops/test.sh &` in a script), and
        // every process below inherits that. A terminal's Ctrl-C reaches a shell whose SIGINT is at its default, as here.
        var start = new ProcessStartInfo("env") { WorkingDirectory = RepositoryRoot(), RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--default-signal=INT", "bash", "ops/run.sh", $"--Dth:SiloPort={FreePorts.Next()}", $"--Dth:GatewayPort={FreePorts.Next()}", $"--Dth:ClusterId=runsh-{Guid.NewGuid():N}" })
            start.ArgumentList.Add(a);
        start.Environment["DTH_DATA_DIR"] = _data;
        start.Environment["DTH_HTTP_PORT"] = port.ToString();
        // The test run has built the Release binaries already; a second build here would race the test host.
        start.Environment["DTH_NO_BUILD"] = "1";

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? token = null;
        using var script = new Process { StartInfo = start };
        script.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_lines) _lines.Add(e.Data);
            if (ResearcherToken().Match(e.Data) is { Success: true } m) token = m.Groups[1].Value;
            if (e.Data.Contains("Ctrl-C stops the platform", StringComparison.Ordinal)) ready.TrySetResult();
        };
        script.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) _lines.Add(e.Data); };
        script.Start();
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(180));
            token.Should().NotBeNull("run.sh prints a researcher token");

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            (await http.GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.OK);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var graph = JsonDocument.Parse(await http.GetStringAsync("/api/ecosystem/graph")).RootElement;
            graph.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()).Should().Contain(["organisation:charite", "organisation:bsc", "initiative:dth-federation"]);

            // Ctrl-C: SIGINT to the script, which stops the silo, which stops PostgreSQL. A terminal's Ctrl-C reaches the
            // whole foreground group; this one reaches the script alone, and when it lands while the script's last `cat`
            // is still running, bash may take it as handled by that child and never run its trap (seen once, under the
            // load of the full suite: no "stopping" line in 60 s). So it is sent again until the script says it stops.
            for (var attempt = 0; attempt < 10 && !Said("ops/run.sh: stopping"); attempt++)
            {
                Process.Start("kill", ["-INT", script.Id.ToString()])!.WaitForExit();
                try
                {
                    await Eventually.Until(() => Task.FromResult(Said("ops/run.sh: stopping")), said => said, TimeSpan.FromSeconds(5), "the script to say it stops");
                }
                catch (TimeoutException)
                {
                }
            }
            Said("ops/run.sh: stopping").Should().BeTrue("run.sh traps SIGINT and says it stops");
            await script.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            script.ExitCode.Should().Be(0);
            ProcessesUsing(_data).Should().BeEmpty("no silo or PostgreSQL process may outlive ops/run.sh");
        }
        finally
        {
            if (!script.HasExited) script.Kill(entireProcessTree: true);
        }
    }

    private bool Said(string text)
    {
        lock (_lines) return _lines.Any(l => l.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>Command lines of live processes that mention the data folder (the silo's and postgres's do).</summary>
    private static List<string> ProcessesUsing(string folder) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => Path.Combine(d, "cmdline"))
            .Select(f => { try { return File.ReadAllText(f).Replace('\0', ' '); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; } })
            .Where(cmd => cmd.Contains(folder, StringComparison.Ordinal))
            .ToList();

    public void Dispose()
    {
        lock (_lines) output.WriteLine(string.Join('\n', _lines.TakeLast(40)));
        foreach (var pid in ProcessesUsing(_data)) output.WriteLine($"left behind: {pid}");
        TestPostgres.DeleteFolder(_data);
    }
}
