using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DthGrains.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// ops/run.sh as a newcomer runs it: it starts, turns ready, prints tokens that read the seeded graph; a second one on its
/// data folder or its HTTP port refuses and leaves it running; ops/join.sh adds
/// a partner's hpc silo to it, whose shards a run then uses; on Ctrl-C each stops its silo, and run.sh the embedded
/// PostgreSQL, with nothing left behind.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class RunScriptSmokeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _data = TestPostgres.NewTemporaryFolder("runsh");
    private readonly List<string> _lines = [];

    [GeneratedRegex(@"^\s+researcher \(tum\)\s+(\S+)$")]
    private static partial Regex ResearcherToken();

    [GeneratedRegex(@"^\s+platform-admin\s+(\S+)$")]
    private static partial Regex AdminToken();

    [Fact]
    public async Task Run_script_starts_the_seeded_platform_and_ctrl_c_leaves_no_process_behind()
    {
        var port = FreePorts.Next();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? token = null, admin = null;
        using var script = StartScript("", line =>
        {
            if (ResearcherToken().Match(line) is { Success: true } m) token = m.Groups[1].Value;
            if (AdminToken().Match(line) is { Success: true } a) admin = a.Groups[1].Value;
            if (line.Contains("Ctrl-C stops the platform", StringComparison.Ordinal)) ready.TrySetResult();
        }, new() { ["DTH_HTTP_PORT"] = port.ToString() },
            "ops/run.sh", $"--Dth:SiloPort={FreePorts.Next()}", $"--Dth:GatewayPort={FreePorts.Next()}", $"--Dth:ClusterId=runsh-{Guid.NewGuid():N}");
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(180));
            token.Should().NotBeNull("run.sh prints a researcher token");

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            (await http.GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.OK);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var graph = JsonDocument.Parse(await http.GetStringAsync("/api/ecosystem/graph")).RootElement;
            graph.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()).Should().Contain(["organisation:charite", "organisation:bsc", "initiative:dth-federation"]);
            // The tries it prints come once the demo catalogue is seeded (in the background, after the silo is ready).
            (await http.GetAsync("/api/catalogue/resources/inria-t1d-synthetic")).StatusCode.Should().Be(HttpStatusCode.OK, "run.sh prints its tries once the demo catalogue is whole");

            await SecondPlatformsAreRefusedAsync(script.Id, port);
            (await http.GetAsync("/api/catalogue/resources/inria-t1d-synthetic")).StatusCode.Should().Be(HttpStatusCode.OK, "the refused scripts left the platform and its database alone");

            await JoinAnHpcSiloAsync(http, admin!);

            // Ctrl-C: SIGINT to the script, which stops the silo, which stops PostgreSQL.
            await CtrlCAsync(script, "ops/run.sh: stopping");
            ProcessesUsing(_data).Should().BeEmpty("no silo or PostgreSQL process may outlive ops/run.sh");
            File.Exists(Path.Combine(_data, "join.env")).Should().BeFalse("a stopped platform cannot be joined");
        }
        finally
        {
            if (!script.HasExited) script.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// A second ops/run.sh on the running platform's data folder (on another HTTP port) refuses at once, naming the first
    /// script and its URL: it used to start a silo that adopted the first one's PostgreSQL, failed on the silo ports and
    /// stopped that PostgreSQL as it ended. One on another folder but the platform's HTTP port refuses too: the first
    /// platform would have answered its readiness check.
    /// </summary>
    private async Task SecondPlatformsAreRefusedAsync(int firstScript, int firstPort)
    {
        var sameFolder = await RefusedAsync("second: ", new() { ["DTH_HTTP_PORT"] = FreePorts.Next().ToString() });
        sameFolder.Should().Contain(l => l.Contains($"another ops/run.sh (pid {firstScript}, http://127.0.0.1:{firstPort}) runs the platform on the data folder {_data}", StringComparison.Ordinal));

        var samePort = await RefusedAsync("third: ", new() { ["DTH_HTTP_PORT"] = firstPort.ToString(), ["DTH_DATA_DIR"] = Path.Combine(_data, "another-platform") });
        samePort.Should().Contain(l => l.Contains($"something already listens on http://127.0.0.1:{firstPort}", StringComparison.Ordinal));
    }

    /// <summary>Runs ops/run.sh, which must refuse (status 2) before it starts anything; returns its lines.</summary>
    private async Task<List<string>> RefusedAsync(string prefix, Dictionary<string, string> environment)
    {
        using var script = StartScript(prefix, _ => { }, environment, "ops/run.sh", $"--Dth:SiloPort={FreePorts.Next()}", $"--Dth:GatewayPort={FreePorts.Next()}");
        try
        {
            await script.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            script.WaitForExit(); // the last lines of its output, read asynchronously
        }
        finally
        {
            if (!script.HasExited) script.Kill(entireProcessTree: true);
        }
        List<string> lines;
        lock (_lines) lines = [.. _lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal))];
        script.ExitCode.Should().Be(2, "a refused ops/run.sh says why and exits 2: {0}", string.Join(" | ", lines));
        Said(prefix + "ops/run.sh: waiting for").Should().BeFalse("it refuses before it starts a silo");
        return lines;
    }

    /// <summary>
    /// ops/join.sh with its defaults but the ports (bsc, role hpc) joins the platform's cluster from the join.env it
    /// wrote; the platform then lists two silos, and a cohort's shards run on the joined one. Ctrl-C stops that silo only.
    /// </summary>
    private async Task JoinAnHpcSiloAsync(HttpClient researcher, string adminToken)
    {
        File.Exists(Path.Combine(_data, "join.env")).Should().BeTrue("the running platform says how to join it");
        var port = FreePorts.Next();
        var joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var join = StartScript("join: ", line =>
        {
            if (line.Contains("Ctrl-C stops this silo", StringComparison.Ordinal)) joined.TrySetResult();
        }, new()
        {
            ["DTH_JOIN_HTTP_PORT"] = port.ToString(), ["DTH_JOIN_SILO_PORT"] = FreePorts.Next().ToString(), ["DTH_JOIN_GATEWAY_PORT"] = FreePorts.Next().ToString(),
        }, "ops/join.sh");
        try
        {
            await joined.Task.WaitAsync(TimeSpan.FromSeconds(180));
            Said("join: ops/join.sh: a silo of bsc (role hpc) joined cluster runsh-").Should().BeTrue();

            using var operators = new HttpClient { BaseAddress = researcher.BaseAddress };
            operators.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
            var silos = await Eventually.Until(() => operators.GetFromJsonAsync<JsonElement[]>("/api/cluster/silos"),
                s => s!.Count(x => x.GetProperty("status").GetString() == "active") == 2, TimeSpan.FromSeconds(60), "the platform to see both silos");
            silos!.Should().Contain(x => x.GetProperty("role").GetString() == "hpc" && x.GetProperty("institutions").EnumerateArray().Single().GetString() == "bsc");

            // The hpc silo takes the shards (the joined silo validates the platform's tokens too: it shares the key).
            var submitted = await researcher.PostAsJsonAsync("/api/runs", new { kind = "cohort-trial", model = "bergman", size = 40, seed = 5, duration = 60, shardSize = 10 });
            submitted.StatusCode.Should().Be(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
            var run = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            await Eventually.Until(() => researcher.GetFromJsonAsync<JsonElement>($"/api/runs/{run}"), r => r.GetProperty("status").GetString() == "completed",
                TimeSpan.FromSeconds(60), "the run to complete");
            var shards = await researcher.GetFromJsonAsync<JsonElement>($"/api/runs/{run}/shards?statistics=false");
            shards.EnumerateArray().Should().HaveCount(4).And.OnlyContain(x => x.GetProperty("siloRole").GetString() == "hpc");
            using var direct = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            direct.DefaultRequestHeaders.Authorization = researcher.DefaultRequestHeaders.Authorization;
            (await direct.GetAsync($"/api/runs/{run}")).StatusCode.Should().Be(HttpStatusCode.OK, "either silo serves the API");

            await CtrlCAsync(join, "join: ops/join.sh: stopping");
            (await researcher.GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.OK, "the platform goes on without the joined silo");
        }
        finally
        {
            if (!join.HasExited) join.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// Starts `bash SCRIPT ARGS` in the checkout on this test's data folder, its lines kept (prefixed) and each line of its
    /// output passed to <paramref name="onLine"/>. Through `env --default-signal=INT`: a shell that starts with SIGINT
    /// ignored cannot trap it (POSIX), and the test run may well have it ignored: a non-interactive shell starts its
    /// background jobs so (`ops/test.sh &` in a script), and every process below inherits that. A terminal's Ctrl-C
    /// reaches a shell whose SIGINT is at its default, as here.
    /// </summary>
    private Process StartScript(string prefix, Action<string> onLine, Dictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("env") { WorkingDirectory = Repository.Root(), RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--default-signal=INT", "bash" }.Concat(args)) start.ArgumentList.Add(a);
        start.Environment["DTH_DATA_DIR"] = _data;
        // The test run has built the Release binaries already; a second build here would race the test host.
        start.Environment["DTH_NO_BUILD"] = "1";
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var script = new Process { StartInfo = start };
        script.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_lines) _lines.Add(prefix + e.Data);
            onLine(e.Data);
        };
        script.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) _lines.Add(prefix + e.Data); };
        script.Start();
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
        return script;
    }

    /// <summary>
    /// Ctrl-C to a script until it says <paramref name="stopping"/>, then its exit, with code 0. A terminal's Ctrl-C reaches
    /// the whole foreground group; this one reaches the script alone, and when it lands while the script's last `cat` is
    /// still running, bash may take it as handled by that child and never run its trap (seen once, under the load of the
    /// full suite: no "stopping" line in 60 s). So it is sent again until the script says it stops.
    /// </summary>
    private async Task CtrlCAsync(Process script, string stopping)
    {
        for (var attempt = 0; attempt < 10 && !Said(stopping); attempt++)
        {
            Process.Start("kill", ["-INT", script.Id.ToString()])!.WaitForExit();
            try
            {
                await Eventually.Until(() => Task.FromResult(Said(stopping)), said => said, TimeSpan.FromSeconds(5), $"'{stopping}'");
            }
            catch (TimeoutException)
            {
            }
        }
        Said(stopping).Should().BeTrue("the script traps SIGINT and says it stops");
        await script.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        script.ExitCode.Should().Be(0);
    }

    private bool Said(string text)
    {
        lock (_lines) return _lines.Any(l => l.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>Live processes whose command lines mention the data folder (the silos' and postgres's do).</summary>
    private static List<(int Pid, string CommandLine)> ProcessesUsing(string folder) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(d => (Pid: int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0, File: Path.Combine(d, "cmdline")))
            .Where(p => p.Pid > 0)
            .Select(p => (p.Pid, CommandLine: CommandLineOf(p.File)))
            .Where(p => p.CommandLine.Contains(folder, StringComparison.Ordinal))];

    private static string CommandLineOf(string file)
    {
        try { return File.ReadAllText(file).Replace('\0', ' '); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return ""; } // gone meanwhile, or not ours to read
    }

    public void Dispose()
    {
        lock (_lines) output.WriteLine(string.Join('\n', _lines.TakeLast(40)));
        // After a failure the script was killed, but the PostgreSQL it started runs on as a daemon: stopped here, so a
        // failed run leaves no server behind for the next tests.
        foreach (var (pid, commandLine) in ProcessesUsing(_data))
        {
            output.WriteLine($"left behind, killed: {pid}: {commandLine}");
            try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
        TestPostgres.DeleteFolder(_data);
    }
}
