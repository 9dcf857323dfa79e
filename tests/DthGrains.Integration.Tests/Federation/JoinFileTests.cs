using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Silo.Federation;
using DthGrains.Silo.Platform;

namespace DthGrains.Integration.Tests.Federation;

/// <summary>
/// What ops/join.sh relies on: join.env sourced by bash gives back every value as written, whatever it holds; the joined
/// silo validates the platform's tokens with its membership timings; free ports found past those in use; a silo that does
/// not stop within the bound killed.
/// </summary>
public sealed class JoinFileTests
{
    [Fact]
    public async Task Bash_sourcing_the_file_gets_back_every_value_quotes_dollars_and_semicolons_included()
    {
        var folder = Directory.CreateDirectory(TestPostgres.NewTemporaryFolder("join-file")).FullName;
        try
        {
            var values = new Dictionary<string, string>
            {
                ["DTH_CONNECTION_STRING"] = "Host=127.0.0.1;Port=41909;Database=dthgrains;Username=postgres",
                ["DTH_SIGNING_KEY"] = "/var/lib/it's $HOME `id` \"here\"/key.pem",
                ["DTH_CLUSTER_ID"] = "",
            };
            JoinFile.Write(folder, JoinFile.Render(values));
            if (!OperatingSystem.IsWindows()) File.GetUnixFileMode(JoinFile.PathIn(folder)).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, "only its owner reads where the data are");

            foreach (var (key, value) in values)
            {
                var bash = new ProcessStartInfo("bash") { RedirectStandardOutput = true };
                bash.ArgumentList.Add("-c");
                bash.ArgumentList.Add($"set -eu; source \"$1\"; printf '%s' \"${key}\"");
                bash.ArgumentList.Add("bash");
                bash.ArgumentList.Add(JoinFile.PathIn(folder));
                using var process = Process.Start(bash)!;
                var read = await process.StandardOutput.ReadToEndAsync();
                await process.WaitForExitAsync();
                process.ExitCode.Should().Be(0);
                read.Should().Be(value, $"{key} comes back as written");
            }
        }
        finally
        {
            TestPostgres.DeleteFolder(folder);
        }
    }

    /// <summary>
    /// join.env carries how the platform validates tokens and its membership timings, and ops/lib/silo.sh platform_args
    /// turns them into the joined silo's arguments: the platform's OIDC authority when it has one (before session 19 a
    /// platform with an authority had to have it passed to join.sh by hand), otherwise its signing key.
    /// </summary>
    [Theory]
    [InlineData(null, "local")]
    [InlineData("https://login.example.eu/realms/dth", "federated")]
    public async Task A_joined_silo_gets_the_platforms_token_validation_and_membership_timings(string? authority, string membership)
    {
        var folder = Directory.CreateDirectory(TestPostgres.NewTemporaryFolder("join-identity")).FullName;
        try
        {
            var options = new DthOptions
            {
                ClusterId = "dth-standalone", Membership = membership,
                Identity = new IdentityOptions { Authority = authority, Issuer = "https://issuer.example.eu", Audience = "dthgrains-eu" },
            };
            JoinFile.Write(folder, JoinFile.Render(JoinFile.ValuesOf(options, "Host=127.0.0.1;Port=41909", "/var/lib/dthgrains/identity/signing-key.pem", "http://127.0.0.1:5080")));
            var bash = new ProcessStartInfo("bash") { RedirectStandardOutput = true, WorkingDirectory = Repository.Root() };
            foreach (var a in new[] { "-c", "set -eu; source ops/lib/silo.sh; source \"$1\"; platform_args", "bash", JoinFile.PathIn(folder) }) bash.ArgumentList.Add(a);
            using var process = Process.Start(bash)!;
            var lines = (await process.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            await process.WaitForExitAsync();
            process.ExitCode.Should().Be(0);
            lines.Should().Equal(
                authority is null ? "--Dth:Identity:SigningKeyPath=/var/lib/dthgrains/identity/signing-key.pem" : $"--Dth:Identity:Authority={authority}",
                "--Dth:Identity:Issuer=https://issuer.example.eu", "--Dth:Identity:Audience=dthgrains-eu", $"--Dth:Membership={membership}");
        }
        finally
        {
            TestPostgres.DeleteFolder(folder);
        }
    }

    /// <summary>ops/join.sh's default ports move up past ports in use (ops/lib/silo.sh free_port), so a second partner can join too.</summary>
    [Fact]
    public async Task The_ports_of_a_joining_silo_skip_those_in_use()
    {
        // Below the kernel's ephemeral range (32768 and up), where the other tests' connections and listeners on port 0
        // cannot take the port chosen between its check and the bind below (as one did, in a full run).
        var taken = Enumerable.Range(0, 200).Select(_ => TryListen(Random.Shared.Next(20000, 29000))).FirstOrDefault(l => l is not null)
            ?? throw new InvalidOperationException("no port between 20000 and 29000 could be bound");
        using var held = taken;
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var bash = new ProcessStartInfo("bash") { RedirectStandardOutput = true, WorkingDirectory = Repository.Root() };
        foreach (var a in new[] { "-c", "source ops/lib/silo.sh; free_port \"$1\"", "bash", port.ToString(CultureInfo.InvariantCulture) }) bash.ArgumentList.Add(a);
        using var process = Process.Start(bash)!;
        var chosen = int.Parse(await process.StandardOutput.ReadToEndAsync(), CultureInfo.InvariantCulture);
        await process.WaitForExitAsync();
        chosen.Should().BeGreaterThan(port, "the port given is in use");
        using var bound = new TcpListener(IPAddress.Loopback, chosen);
        bound.Invoking(l => l.Start()).Should().NotThrow("the port chosen was free");
    }

    private static TcpListener? TryListen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return listener;
        }
        catch (SocketException)
        {
            listener.Dispose();
            return null;
        }
    }

    /// <summary>
    /// ops/lib/silo.sh stop_silo, as ops/run.sh and ops/join.sh stop their silo on Ctrl-C: a silo that ignores SIGTERM (as
    /// one whose database went away first does for over two minutes) is killed once DTH_STOP_TIMEOUT passes, saying so;
    /// one that stops on SIGTERM is only waited for.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stopping_a_silo_kills_it_when_it_does_not_stop_within_the_bound(bool ignoresTerm)
    {
        // The stand-in says it is ready (its trap set) in a file, and is stopped only then.
        var silo = (ignoresTerm ? "trap '' TERM; " : "") + "echo ready > $READY; while true; do sleep 0.1; done";
        var script = $"source ops/lib/silo.sh; READY=$(mktemp); bash -c \"{silo}\" & pid=$!; " +
            "until [ -s \"$READY\" ]; do sleep 0.05; done; rm -f \"$READY\"; stop_silo $pid test-script; " +
            "if kill -0 $pid 2>/dev/null; then echo running; else echo ended; fi";
        var bash = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository.Root() };
        bash.ArgumentList.Add("-c");
        bash.ArgumentList.Add(script);
        bash.Environment["DTH_STOP_TIMEOUT"] = "2";
        using var process = Process.Start(bash)!;
        var (output, errors) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        // Without the bound, stop_silo would wait for ever: fail instead of hanging the test run.
        using (var stuck = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            try
            {
                await process.WaitForExitAsync(stuck.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new Xunit.Sdk.XunitException("stop_silo did not return: the silo was not killed");
            }
        }
        (await output).Trim().Should().Be("ended");
        if (ignoresTerm) (await errors).Should().Contain("test-script: the silo did not stop within 2 s").And.Contain("killing it (SIGKILL)");
        else (await errors).Should().NotContain("did not stop", "it stopped on SIGTERM");
    }

    /// <summary>
    /// ops/lib/silo.sh silo_ended, after ops/run.sh or ops/join.sh waited for its silo: a silo that aborted itself
    /// (SIGABRT, as Orleans stops a silo the cluster declared dead) is explained, and the script ends with its status.
    /// </summary>
    [Theory]
    [InlineData("kill -ABRT $$", 134, "the silo aborted itself (SIGABRT)")]
    [InlineData("exit 3", 3, "the silo exited with status 3")]
    [InlineData("exit 0", 0, null)]
    public async Task A_silo_that_ended_by_itself_is_explained_by_its_exit_status(string silo, int status, string? said)
    {
        var script = $"set -eu; source ops/lib/silo.sh; bash -c '{silo}' & pid=$!; status=0; wait $pid || status=$?; silo_ended test-script \"$status\"";
        var bash = new ProcessStartInfo("bash") { RedirectStandardError = true, WorkingDirectory = Repository.Root() };
        bash.ArgumentList.Add("-c");
        bash.ArgumentList.Add(script);
        using var process = Process.Start(bash)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(status, "the script ends with the silo's status");
        if (said is null) errors.Should().BeEmpty();
        else errors.Should().Contain($"test-script: {said}");
    }

    /// <summary>
    /// ops/lib/silo.sh stop_embedded_postgres, after ops/run.sh's silo ended: a PostgreSQL the silo left running (it was
    /// killed for not stopping in time, or aborted) is stopped; a pid in postmaster.pid that is no longer PostgreSQL's
    /// (reused by another process after a crash) is left alone.
    /// </summary>
    [Theory]
    [InlineData("postgres", true)]
    [InlineData("not-postgres", false)]
    public async Task The_platform_script_stops_the_postgresql_its_silo_left_running_and_nothing_else(string name, bool stopped)
    {
        var folder = Directory.CreateDirectory(TestPostgres.NewTemporaryFolder("left-postgres")).FullName;
        // A stand-in named like the server: a copy of sleep, whose process name is its file name.
        var server = Path.Combine(Directory.CreateDirectory(Path.Combine(folder, "bin")).FullName, name);
        File.Copy("/bin/sleep", server);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(server, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        // PostgreSQL sets its own SIGINT handler; sleep takes SIGINT as it inherits it, and a test run started in the
        // background inherits it ignored: env resets it first.
        using var running = Process.Start(new ProcessStartInfo("env", ["--default-signal=INT", server, "300"]) { UseShellExecute = false })!;
        try
        {
            var cluster = Directory.CreateDirectory(Path.Combine(folder, "postgres", "pgdata")).FullName;
            await File.WriteAllTextAsync(Path.Combine(cluster, "postmaster.pid"), $"{running.Id}\n{cluster}\n1700000000\n41909\n");
            var bash = new ProcessStartInfo("bash") { RedirectStandardOutput = true, WorkingDirectory = Repository.Root() };
            foreach (var a in new[] { "-c", "set -eu; source ops/lib/silo.sh; stop_embedded_postgres test-script \"$1\"", "bash", folder }) bash.ArgumentList.Add(a);
            using var process = Process.Start(bash)!;
            var said = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            process.ExitCode.Should().Be(0);
            if (stopped)
            {
                said.Should().Contain($"test-script: the silo left its embedded PostgreSQL running (pid {running.Id}); stopping it.");
                running.HasExited.Should().BeTrue("it was told to stop and waited for");
            }
            else
            {
                said.Should().BeEmpty();
                running.HasExited.Should().BeFalse("that pid is another process now");
            }
        }
        finally
        {
            if (!running.HasExited) running.Kill();
            TestPostgres.DeleteFolder(folder);
        }
    }
}
