using System.Diagnostics;
using System.Globalization;
using System.Text;
using DthGrains.Silo.Platform.Postgres;
using Npgsql;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL per test run: an embedded server in a fresh temporary folder, started lazily on
/// first use and stopped when the test process exits. Tests isolate themselves by database.
/// </summary>
public static class TestPostgres
{
    /// <summary>Temporary folders of test servers start with this; the owning process id follows.</summary>
    public const string FolderPrefix = "dthgrains-tests-";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static EmbeddedPostgres? _server;

    /// <summary>The shared server, started on first call.</summary>
    public static async Task<EmbeddedPostgres> GetAsync()
    {
        if (Volatile.Read(ref _server) is { } running)
        {
            return running;
        }

        await Gate.WaitAsync();
        try
        {
            return _server ??= await StartAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Creates a fresh, uniquely named database and returns its connection string.</summary>
    public static Task<string> CreateDatabaseAsync(string prefix) => CreateDatabaseAsync(prefix, orleansSchema: false);

    /// <summary>
    /// Creates a fresh, uniquely named database (<paramref name="prefix"/> plus a random suffix) and returns
    /// its connection string; with <paramref name="orleansSchema"/> the Orleans clustering and reminders
    /// schema is already applied.
    /// </summary>
    public static async Task<string> CreateDatabaseAsync(string prefix, bool orleansSchema)
    {
        var server = await GetAsync();
        var name = UniqueName(prefix);
        await server.EnsureDatabaseAsync(name);
        var connectionString = server.ConnectionStringFor(name);
        if (orleansSchema)
        {
            await OrleansSchema.ApplyAsync(connectionString, CancellationToken.None);
        }

        return connectionString;
    }

    /// <summary>A fresh temporary folder for a test that runs a server of its own (deleted by the caller).</summary>
    public static string NewTemporaryFolder(string purpose) =>
        Path.Combine(Path.GetTempPath(), $"{FolderPrefix}{Environment.ProcessId}-{purpose}-{Guid.NewGuid().ToString("N")[..12]}");

    /// <summary>Deletes a folder tree, ignoring what is already gone.</summary>
    public static void DeleteFolder(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a temporary folder.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort: a temporary folder.
        }
    }

    private static string UniqueName(string prefix)
    {
        var clean = new StringBuilder();
        foreach (var c in prefix.ToLowerInvariant())
        {
            clean.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        if (clean.Length == 0 || char.IsAsciiDigit(clean[0]))
        {
            clean.Insert(0, 't');
        }

        var head = clean.ToString();
        if (head.Length > 40)
        {
            head = head[..40];
        }

        return string.Create(CultureInfo.InvariantCulture, $"{head}_{Guid.NewGuid():N}")[..Math.Min(63, head.Length + 33)];
    }

    private static async Task<EmbeddedPostgres> StartAsync()
    {
        await StopLeftoversAsync();
        var folder = NewTemporaryFolder("shared");
        // Many hosts and clusters start and stop in one run, each with its own connection pools: allow plenty.
        var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder, MaxConnections = 1000 });
        StartReaper(server, folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            NpgsqlConnection.ClearAllPools();
            server.Stop(immediate: true);
            DeleteFolder(folder);
        };
        return server;
    }

    /// <summary>
    /// The test host may be killed before its exit handlers finish, so a detached watchdog waits for this
    /// process to end, then stops the server and deletes its folder. The shell script is constant: the
    /// pid, folder and stop command travel as positional parameters.
    /// </summary>
    private static void StartReaper(EmbeddedPostgres server, string folder)
    {
        const string Script =
            "exec </dev/null >/dev/null 2>&1; pid=$1; dir=$2; shift 2; "
            + "while kill -0 \"$pid\"; do sleep 0.5; done; \"$@\"; rm -rf -- \"$dir\"";
        var setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);
        var start = new ProcessStartInfo(setsid ?? "/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (setsid is not null)
        {
            start.ArgumentList.Add("-f");
            start.ArgumentList.Add("/bin/sh");
        }

        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add("dthgrains-test-reaper");
        start.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(folder);
        foreach (var part in server.StopCommand(immediate: true))
        {
            start.ArgumentList.Add(part);
        }

        using var reaper = Process.Start(start);
    }

    /// <summary>Stops servers and deletes folders left by earlier test processes that died.</summary>
    private static async Task StopLeftoversAsync()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            var rest = Path.GetFileName(folder)[FolderPrefix.Length..];
            var dash = rest.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !int.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || IsAlive(pid))
            {
                continue;
            }

            try
            {
                await EmbeddedPostgres.StopLeftoverAsync(new EmbeddedPostgresOptions { DataDirectory = folder });
            }
            catch (InvalidOperationException)
            {
                // Leave it: deleting the folder of a server that would not stop helps nobody.
                continue;
            }

            DeleteFolder(folder);
        }
    }

    private static bool IsAlive(int pid) => pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}");
}
