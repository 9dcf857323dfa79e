using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DthGrains.Silo.Platform.Postgres;

/// <summary>
/// A private PostgreSQL server on loopback, created with initdb in a data folder on first start and
/// reused on later starts (data survives), run as an unprivileged system user when this process is root.
/// </summary>
/// <remarks>
/// Layout of <see cref="DataDirectory"/>: <c>pgdata/</c> (the cluster), <c>postgresql.log</c> (server log),
/// <c>port</c> (the remembered port), <c>initdb.done</c> (marks a complete initdb) and the unix socket.
/// Authentication: the socket, inside a folder that only the server user can enter (mode 0700), is trusted; TCP on
/// 127.0.0.1 asks for the superuser's password (SCRAM), which the data folder keeps (<c>superuser.password</c>, mode
/// 0600). Loopback is open to every local user and to external codes on the host network: with trust there, as before
/// session 29, any of them was the database's superuser. A cluster made before gets its password at its next start.
/// </remarks>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private const string ClusterFolder = "pgdata";
    private const string PortFile = "port";
    private const string LogFileName = "postgresql.log";
    private const string InitMarker = "initdb.done";
    private const string SettingsFile = "dthgrains.conf";
    private const string PasswordFile = "superuser.password";
    private const string PasswordSetMarker = "superuser.password.set";
    private const string HbaFile = "pg_hba.conf";
    private const int MaxSocketPathLength = 107;

    private readonly EmbeddedPostgresOptions _options;
    private readonly ILogger? _logger;
    private readonly ServerUser _user;
    private int _stopped;

    private EmbeddedPostgres(EmbeddedPostgresOptions options, ILogger? logger, PostgresBinaries binaries, ServerUser user, string dataDirectory, int port, string password)
    {
        Password = password;
        _options = options;
        _logger = logger;
        _user = user;
        Binaries = binaries;
        DataDirectory = dataDirectory;
        Port = port;
    }

    /// <summary>The folder that holds the cluster, log, socket and remembered port.</summary>
    public string DataDirectory { get; }

    /// <summary>The cluster folder given to initdb and pg_ctl (<c>DataDirectory/pgdata</c>).</summary>
    public string ClusterDirectory => Path.Combine(DataDirectory, ClusterFolder);

    /// <summary>The server log written by pg_ctl.</summary>
    public string LogFile => Path.Combine(DataDirectory, LogFileName);

    /// <summary>The loopback TCP port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The superuser's password, which TCP connections need (<see cref="ConnectionStringFor"/> carries it; pgbench takes it as PGPASSWORD).</summary>
    public string Password { get; }

    /// <summary>The server binaries in use.</summary>
    public PostgresBinaries Binaries { get; }

    /// <summary>The operating-system user the server runs as (<see cref="Environment.UserName"/> unless root).</summary>
    public string ServerSystemUser => _user.Name ?? Environment.UserName;

    /// <summary>True when this start created the cluster with initdb.</summary>
    public bool CreatedCluster { get; private init; }

    /// <summary>
    /// True when a server already running on this data folder was adopted instead of started. <see cref="ReleaseAsync"/>
    /// leaves such a server running.
    /// </summary>
    public bool ReusedRunningServer { get; private init; }

    /// <summary>How long <see cref="StartAsync"/> took.</summary>
    public TimeSpan StartupTime { get; private init; }

    /// <summary>The postmaster's process id, from <c>postmaster.pid</c>, while the server runs.</summary>
    public int? ServerProcessId => ReadPostmasterPid(ClusterDirectory)?.Pid is { } pid && IsPostgresProcess(pid) ? pid : null;

    /// <summary>
    /// Starts (or adopts) the server for <paramref name="options"/> and waits until it accepts connections.
    /// </summary>
    /// <exception cref="PostgresBinariesNotFoundException">No PostgreSQL server binaries were found.</exception>
    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions options, ILogger? logger = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var binaries = PostgresBinaries.Locate(options.BinDirectory);
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        var user = ProcessUser.IsRoot() ? new ServerUser(options.SystemUser) : new ServerUser(null);

        PrepareDataDirectory(dataDirectory);
        if (user.Name is not null)
        {
            await user.EnsureExistsAsync(ct);
            await user.EnsureOwnsAsync(dataDirectory, ct);
            await user.EnsureCanEnterAsync(dataDirectory, ct);
        }

        var clusterDirectory = Path.Combine(dataDirectory, ClusterFolder);
        var password = await LoadOrCreatePasswordAsync(user, dataDirectory, ct);
        var created = false;
        if (!File.Exists(Path.Combine(dataDirectory, InitMarker)))
        {
            await InitDbAsync(binaries, user, options, dataDirectory, clusterDirectory, logger, ct);
            created = true;
        }
        // The password is set at initdb (pwfile), or, for a cluster made before, once the server runs (below): until
        // then its TCP connections stay trusted, as they were.
        var passwordSet = File.Exists(Path.Combine(dataDirectory, PasswordSetMarker));
        await WriteHbaAsync(user, clusterDirectory, passwordSet, ct);

        var reused = false;
        int port;
        var running = ReadPostmasterPid(clusterDirectory);
        if (running is not null && !IsPostgresProcess(running.Pid))
        {
            // A crash left the lock file behind, and its pid may belong to another process by now.
            File.Delete(Path.Combine(clusterDirectory, "postmaster.pid"));
            running = null;
        }

        if (running is not null && (options.Port is null || options.Port == running.Port)
            && await AcceptsConnectionsAsync(running.Port, options.SuperUser, password, ct))
        {
            port = running.Port;
            reused = true;
            logger?.LogInformation(
                "Embedded PostgreSQL already running on {DataDirectory} (pid {Pid}, port {Port}): reusing it, and leaving it running when this host stops (it may be another live host's)",
                dataDirectory, running.Pid, port);
        }
        else
        {
            if (running is not null)
            {
                logger?.LogInformation("Embedded PostgreSQL on {DataDirectory} runs with other settings (pid {Pid}, port {Port}): restarting it", dataDirectory, running.Pid, running.Port);
                await PgCtlStopAsync(binaries, user, dataDirectory, clusterDirectory, options.StartTimeout, ct);
            }

            port = ChoosePort(options, dataDirectory);
            await WriteSettingsAsync(user, options, dataDirectory, clusterDirectory, port, logger, ct);
            await PgCtlStartAsync(binaries, user, options, dataDirectory, clusterDirectory, ct);
        }

        await WaitUntilAcceptingAsync(port, options.SuperUser, password, options.StartTimeout, dataDirectory, ct);
        // A server started here read the authentication file written above; one adopted, or a cluster still without its
        // password, needs a word.
        if (reused || !passwordSet) await RequirePasswordAsync(user, options.SuperUser, password, port, dataDirectory, clusterDirectory, passwordSet, logger, ct);
        clock.Stop();
        var server = new EmbeddedPostgres(options, logger, binaries, user, dataDirectory, port, password)
        {
            CreatedCluster = created,
            ReusedRunningServer = reused,
            StartupTime = clock.Elapsed,
        };
        logger?.LogInformation(
            "Embedded PostgreSQL ready on 127.0.0.1:{Port}, data {DataDirectory}, user {User}, in {Elapsed} ms (initdb: {Created})",
            port, dataDirectory, server.ServerSystemUser, (int)clock.Elapsed.TotalMilliseconds, created);
        return server;
    }

    /// <summary>
    /// Stops a server left running on <see cref="EmbeddedPostgresOptions.DataDirectory"/> (by a host or test
    /// run that died without stopping it). Returns false when none was running.
    /// </summary>
    public static async Task<bool> StopLeftoverAsync(EmbeddedPostgresOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        var clusterDirectory = Path.Combine(dataDirectory, ClusterFolder);
        if (ReadPostmasterPid(clusterDirectory) is not { } running || !IsPostgresProcess(running.Pid))
        {
            return false;
        }

        var binaries = PostgresBinaries.Locate(options.BinDirectory);
        var user = ProcessUser.IsRoot() ? new ServerUser(options.SystemUser) : new ServerUser(null);
        await PgCtlStopAsync(binaries, user, dataDirectory, clusterDirectory, options.StartTimeout, ct);
        return true;
    }

    /// <summary>A connection string for <paramref name="database"/> on this server.</summary>
    public string ConnectionStringFor(string database)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        return BuildConnectionString(Port, _options.SuperUser, database, Password);
    }

    /// <summary>Creates <paramref name="database"/> unless it exists (safe to call concurrently).</summary>
    public async Task EnsureDatabaseAsync(string database, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        if (Encoding.UTF8.GetByteCount(database) > 63)
        {
            throw new ArgumentException($"PostgreSQL database names are at most 63 bytes: '{database}'.", nameof(database));
        }

        await using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await connection.OpenAsync(ct);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection))
        {
            exists.Parameters.AddWithValue("name", database);
            if (await exists.ExecuteScalarAsync(ct) is not null)
            {
                return;
            }
        }

        try
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {QuoteIdentifier(database)}", connection);
            await create.ExecuteNonQueryAsync(ct);
            _logger?.LogInformation("Created database {Database}", database);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another caller created it first.
        }
    }

    /// <summary>Stops the server (<c>pg_ctl stop -m fast</c>). Safe to call more than once.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await PgCtlStopAsync(Binaries, _user, DataDirectory, ClusterDirectory, _options.StartTimeout, CancellationToken.None);
        _logger?.LogInformation("Embedded PostgreSQL on {DataDirectory} stopped", DataDirectory);
    }

    /// <summary>
    /// What a host does with its server when it ends: stops it (<see cref="StopAsync"/>) if this start started it, and
    /// leaves it running if it was adopted (<see cref="ReusedRunningServer"/>). An adopted server may be another live
    /// host's on the same data folder (a second silo started there by mistake, which then fails on its ports): stopping
    /// it would take that host's database away. A server left by a host that died is then left running too; the next
    /// start adopts it again, and ops/run.sh stops it as it ends.
    /// </summary>
    public Task ReleaseAsync() => ReusedRunningServer ? Task.CompletedTask : StopAsync();

    /// <summary>
    /// Synchronous <see cref="StopAsync"/> for process-exit handlers, which cannot await. With
    /// <paramref name="immediate"/> the server skips its shutdown checkpoint (<c>-m immediate</c>, crash recovery
    /// at the next start): for throwaway servers when the process has little time left.
    /// </summary>
    public void Stop(bool immediate = false)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        var (file, arguments) = _user.Command(Binaries.PgCtl, StopArguments(ClusterDirectory, _options.StartTimeout, immediate ? "immediate" : "fast"));
        ProcessRunner.Run(file, arguments, _options.StartTimeout + TimeSpan.FromSeconds(5), DataDirectory);
    }

    /// <summary>
    /// The command (file first, then arguments) that stops this server, as the right user: for a watchdog
    /// process that must stop the server after this process is gone.
    /// </summary>
    public IReadOnlyList<string> StopCommand(bool immediate = false)
    {
        var (file, arguments) = _user.Command(Binaries.PgCtl, StopArguments(ClusterDirectory, _options.StartTimeout, immediate ? "immediate" : "fast"));
        return [file, .. arguments];
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    internal static string BuildConnectionString(int port, string user, string database, string? password = null) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = user,
            Database = database,
            Password = password,
        }.ConnectionString;

    /// <summary>The superuser's password, made (random, 256 bits) on the first start and kept in the data folder, readable by its owner only.</summary>
    private static async Task<string> LoadOrCreatePasswordAsync(ServerUser user, string dataDirectory, CancellationToken ct)
    {
        var path = Path.Combine(dataDirectory, PasswordFile);
        if (File.Exists(path) && (await File.ReadAllTextAsync(path, ct)).Trim() is { Length: > 0 } kept) return kept;
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await File.WriteAllTextAsync(path, "", ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await WriteOwnedFileAsync(user, path, password + "\n", ct);
        return password;
    }

    /// <summary>
    /// The server's client authentication, written on every start: the socket (in a folder only the server's user can
    /// enter) trusted; TCP on loopback by the superuser's password once it is set.
    /// </summary>
    private static Task WriteHbaAsync(ServerUser user, string clusterDirectory, bool passwordSet, CancellationToken ct) =>
        WriteOwnedFileAsync(user, Path.Combine(clusterDirectory, HbaFile), new StringBuilder()
            .AppendLine("# Written by DthGrains on every start of the embedded server; edits are overwritten.")
            .AppendLine("local all all trust")
            .AppendLine(CultureInfo.InvariantCulture, $"host all all 127.0.0.1/32 {(passwordSet ? "scram-sha-256" : "trust")}")
            .ToString(), ct);

    /// <summary>
    /// Makes TCP connections ask for the password: sets it on a cluster made before (once), and has the server read its
    /// authentication file again (a running server adopted from an earlier start read it then).
    /// </summary>
    private static async Task RequirePasswordAsync(ServerUser user, string superUser, string password, int port, string dataDirectory, string clusterDirectory,
        bool passwordSet, ILogger? logger, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString(port, superUser, password));
        await connection.OpenAsync(ct);
        if (!passwordSet)
        {
            await using (var alter = new NpgsqlCommand($"ALTER ROLE {QuoteIdentifier(superUser)} PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}'", connection))
                await alter.ExecuteNonQueryAsync(ct);
            await WriteMarkerAsync(user, Path.Combine(dataDirectory, PasswordSetMarker), ct);
            await WriteHbaAsync(user, clusterDirectory, passwordSet: true, ct);
            logger?.LogInformation("Embedded PostgreSQL: TCP connections now need the superuser's password (kept in {File})", Path.Combine(dataDirectory, PasswordFile));
        }
        await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
        await reload.ExecuteScalarAsync(ct);
    }

    /// <summary>A one-off connection of the start's own to the server's postgres database (not pooled, short timeout).</summary>
    private static string AdminConnectionString(int port, string superUser, string password) =>
        BuildConnectionString(port, superUser, "postgres", password) + ";Pooling=false;Timeout=5";

    /// <summary>A marker file holding the time it was made, owned by the server's user.</summary>
    private static Task WriteMarkerAsync(ServerUser user, string path, CancellationToken ct) =>
        WriteOwnedFileAsync(user, path, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) + "\n", ct);

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static void PrepareDataDirectory(string dataDirectory)
    {
        var existed = Directory.Exists(dataDirectory);
        Directory.CreateDirectory(dataDirectory);
        if (!existed && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static async Task InitDbAsync(
        PostgresBinaries binaries, ServerUser user, EmbeddedPostgresOptions options, string dataDirectory, string clusterDirectory, ILogger? logger, CancellationToken ct)
    {
        // No marker means initdb never completed here (or never ran): the cluster folder holds no data yet.
        if (Directory.Exists(clusterDirectory))
        {
            logger?.LogWarning("Removing the incomplete cluster folder {ClusterDirectory} left by an interrupted initdb", clusterDirectory);
            Directory.Delete(clusterDirectory, recursive: true);
        }

        logger?.LogInformation("Creating a PostgreSQL cluster in {ClusterDirectory}", clusterDirectory);
        var (file, arguments) = user.Command(binaries.InitDb,
        [
            "-D", clusterDirectory,
            "-U", options.SuperUser,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--pwfile", Path.Combine(dataDirectory, PasswordFile),
            "-E", "UTF8",
            "--locale=C.UTF-8",
        ]);
        var result = await ProcessRunner.RunAsync(file, arguments, TimeSpan.FromMinutes(2), dataDirectory, ct);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"initdb failed for {clusterDirectory}: {result.Describe()}");
        }

        var settings = Path.Combine(clusterDirectory, "postgresql.conf");
        await File.AppendAllTextAsync(settings, $"\n# Added by DthGrains: per-start settings.\ninclude_if_exists = '{SettingsFile}'\n", ct);
        await WriteMarkerAsync(user, Path.Combine(dataDirectory, PasswordSetMarker), ct);
        await WriteMarkerAsync(user, Path.Combine(dataDirectory, InitMarker), ct);
    }

    private static async Task WriteSettingsAsync(
        ServerUser user, EmbeddedPostgresOptions options, string dataDirectory, string clusterDirectory, int port, ILogger? logger, CancellationToken ct)
    {
        var socketDirectory = dataDirectory;
        var socketPath = Path.Combine(socketDirectory, $".s.PGSQL.{port}");
        if (Encoding.UTF8.GetByteCount(socketPath) > MaxSocketPathLength)
        {
            logger?.LogWarning("Socket path {SocketPath} is too long for a unix socket: listening on TCP loopback only", socketPath);
            socketDirectory = string.Empty;
        }

        var text = new StringBuilder()
            .AppendLine("# Written by DthGrains on every start of the embedded server; edits are overwritten.")
            .AppendLine(CultureInfo.InvariantCulture, $"port = {port}")
            .AppendLine("listen_addresses = '127.0.0.1'")
            .AppendLine(CultureInfo.InvariantCulture, $"unix_socket_directories = {QuoteSetting(socketDirectory)}")
            .AppendLine("unix_socket_permissions = 0700")
            .AppendLine(CultureInfo.InvariantCulture, $"max_connections = {options.MaxConnections}")
            .ToString();
        await WriteOwnedFileAsync(user, Path.Combine(clusterDirectory, SettingsFile), text, ct);
        await WriteOwnedFileAsync(user, Path.Combine(dataDirectory, PortFile), port.ToString(CultureInfo.InvariantCulture) + "\n", ct);
    }

    private static string QuoteSetting(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static async Task WriteOwnedFileAsync(ServerUser user, string path, string text, CancellationToken ct)
    {
        await File.WriteAllTextAsync(path, text, ct);
        if (user.Name is not null)
        {
            await user.ChownAsync(path, recursive: false, ct);
        }
    }

    private static int ChoosePort(EmbeddedPostgresOptions options, string dataDirectory)
    {
        if (options.Port is { } fixedPort)
        {
            if (!IsPortFree(fixedPort))
            {
                throw new InvalidOperationException(
                    $"Port {fixedPort} on 127.0.0.1 is in use, so the embedded PostgreSQL cannot listen on it. "
                    + "Free it, choose another EmbeddedPostgresOptions.Port, or leave Port unset to pick a free one.");
            }

            return fixedPort;
        }

        var remembered = Path.Combine(dataDirectory, PortFile);
        if (File.Exists(remembered)
            && int.TryParse(File.ReadAllText(remembered).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is > 0 and < 65536
            && IsPortFree(port))
        {
            return port;
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var chosen = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return chosen;
    }

    private static bool IsPortFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task PgCtlStartAsync(
        PostgresBinaries binaries, ServerUser user, EmbeddedPostgresOptions options, string dataDirectory, string clusterDirectory, CancellationToken ct)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(options.StartTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var (file, arguments) = user.Command(binaries.PgCtl,
        [
            "start",
            "-D", clusterDirectory,
            "-l", Path.Combine(dataDirectory, LogFileName),
            "-w",
            "-t", seconds,
        ]);
        var result = await ProcessRunner.RunAsync(file, arguments, options.StartTimeout + TimeSpan.FromSeconds(10), dataDirectory, ct);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(
                $"PostgreSQL did not start on {clusterDirectory}: {result.Describe()}\nLast lines of {LogFileName}:\n{LogTail(dataDirectory)}");
        }
    }

    private static async Task PgCtlStopAsync(PostgresBinaries binaries, ServerUser user, string dataDirectory, string clusterDirectory, TimeSpan timeout, CancellationToken ct)
    {
        if (ReadPostmasterPid(clusterDirectory) is null)
        {
            return;
        }

        var (file, arguments) = user.Command(binaries.PgCtl, StopArguments(clusterDirectory, timeout));
        var result = await ProcessRunner.RunAsync(file, arguments, timeout + TimeSpan.FromSeconds(10), dataDirectory, ct);
        if (!result.Succeeded && ReadPostmasterPid(clusterDirectory) is { } left && IsPostgresProcess(left.Pid))
        {
            throw new InvalidOperationException($"PostgreSQL on {clusterDirectory} did not stop: {result.Describe()}");
        }
    }

    private static List<string> StopArguments(string clusterDirectory, TimeSpan timeout, string mode = "fast") =>
    [
        "stop",
        "-D", clusterDirectory,
        "-m", mode,
        "-w",
        "-t", Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
    ];

    private static async Task WaitUntilAcceptingAsync(int port, string superUser, string password, TimeSpan timeout, string dataDirectory, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < timeout)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                await using var connection = new NpgsqlConnection(AdminConnectionString(port, superUser, password));
                await connection.OpenAsync(ct);
                await using var ping = new NpgsqlCommand("SELECT 1", connection);
                await ping.ExecuteScalarAsync(ct);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
            {
                // pg_ctl -w has already waited for readiness; this covers a server still finishing recovery.
                last = e;
                await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
            }
        }

        throw new TimeoutException(
            $"PostgreSQL on 127.0.0.1:{port} did not accept connections within {timeout.TotalSeconds:0} s: {last?.Message}\n{LogTail(dataDirectory)}");
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port, string superUser, string password, CancellationToken ct)
    {
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString(port, superUser, password));
            await connection.OpenAsync(ct);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            return false;
        }
    }

    private static string LogTail(string dataDirectory)
    {
        var log = Path.Combine(dataDirectory, LogFileName);
        try
        {
            return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(20)) : "(no server log)";
        }
        catch (IOException e)
        {
            return $"(server log unreadable: {e.Message})";
        }
        catch (UnauthorizedAccessException e)
        {
            return $"(server log unreadable: {e.Message})";
        }
    }

    private sealed record PostmasterInfo(int Pid, int Port);

    /// <summary>Reads pid and port from <c>postmaster.pid</c> (lines 1 and 4), or null when absent.</summary>
    private static PostmasterInfo? ReadPostmasterPid(string clusterDirectory)
    {
        var file = Path.Combine(clusterDirectory, "postmaster.pid");
        try
        {
            if (!File.Exists(file))
            {
                return null;
            }

            var lines = File.ReadAllLines(file);
            if (lines.Length >= 4
                && int.TryParse(lines[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && int.TryParse(lines[3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                return new PostmasterInfo(pid, port);
            }

            return lines.Length >= 1 && int.TryParse(lines[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var onlyPid)
                ? new PostmasterInfo(onlyPid, 0)
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsPostgresProcess(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            var comm = $"/proc/{pid}/comm";
            try
            {
                return File.Exists(comm) && File.ReadAllText(comm).Trim().StartsWith("postgres", StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && process.ProcessName.StartsWith("postgres", StringComparison.Ordinal);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
