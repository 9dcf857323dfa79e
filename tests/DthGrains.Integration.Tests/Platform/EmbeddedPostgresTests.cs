using System.Diagnostics;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Silo.Platform;
using DthGrains.Silo.Platform.Postgres;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Xunit.Abstractions;

namespace DthGrains.Integration.Tests.Platform;

[Collection(PostgresCollection.Name)]
public sealed class EmbeddedPostgresTests(ITestOutputHelper output) : IDisposable
{
    private readonly List<string> _folders = [];

    [Fact]
    public async Task Starts_on_loopback_with_its_socket_in_the_data_folder_and_stops()
    {
        var folder = NewFolder("start");
        var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder });
        try
        {
            output.WriteLine($"first start (with initdb): {server.StartupTime.TotalMilliseconds:0} ms, port {server.Port}");
            server.CreatedCluster.Should().BeTrue();
            server.ReusedRunningServer.Should().BeFalse();
            server.DataDirectory.Should().Be(Path.GetFullPath(folder));
            File.Exists(Path.Combine(folder, $".s.PGSQL.{server.Port}")).Should().BeTrue("the unix socket lives in the data folder");
            File.ReadAllText(Path.Combine(folder, "port")).Trim().Should().Be(server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

            await using var connection = new NpgsqlConnection(server.ConnectionStringFor("postgres"));
            await connection.OpenAsync();
            (await ScalarAsync(connection, "SHOW listen_addresses")).Should().Be("127.0.0.1");
            (await ScalarAsync(connection, "SHOW server_encoding")).Should().Be("UTF8");
            (await ScalarAsync(connection, "SELECT inet_server_addr()::text")).Should().Be("127.0.0.1/32");

            await server.EnsureDatabaseAsync("twice");
            await server.EnsureDatabaseAsync("twice");
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => server.EnsureDatabaseAsync("concurrent")));
            (await ScalarAsync(connection, "SELECT count(*)::text FROM pg_database WHERE datname IN ('twice', 'concurrent')")).Should().Be("2");
        }
        finally
        {
            await server.StopAsync();
        }

        server.ServerProcessId.Should().BeNull("pg_ctl stop -m fast waited for the server to exit");
        var refused = async () =>
        {
            await using var connection = new NpgsqlConnection(server.ConnectionStringFor("postgres") + ";Pooling=false;Timeout=2");
            await connection.OpenAsync();
        };
        await refused.Should().ThrowAsync<NpgsqlException>();
    }

    /// <summary>
    /// TCP on loopback is open to every local user and to external codes on the host network: there the server asks
    /// for the superuser's password, which only the data folder keeps. A cluster made when loopback was trusted gets
    /// its password at its next start.
    /// </summary>
    [Fact]
    public async Task A_connection_on_loopback_without_the_superusers_password_is_refused_also_for_a_cluster_made_before()
    {
        var folder = NewFolder("password");
        var options = new EmbeddedPostgresOptions { DataDirectory = folder };
        string password;
        await using (var server = await EmbeddedPostgres.StartAsync(options))
        {
            password = server.Password;
            password.Length.Should().BeGreaterThanOrEqualTo(40);
            File.ReadAllText(Path.Combine(folder, "superuser.password")).Trim().Should().Be(password);
            if (!OperatingSystem.IsWindows())
                File.GetUnixFileMode(Path.Combine(folder, "superuser.password")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await RefusedWithoutPasswordAsync(server);
            await using var connection = new NpgsqlConnection(server.ConnectionStringFor("postgres"));
            await connection.OpenAsync();
            (await ScalarAsync(connection, "SELECT 'with it'")).Should().Be("with it");

            // As a cluster of an earlier version: no password on the role, loopback trusted, no marker.
            await using (var drop = new NpgsqlCommand("ALTER ROLE postgres PASSWORD NULL", connection)) await drop.ExecuteNonQueryAsync();
            File.Delete(Path.Combine(folder, "superuser.password.set"));
            File.Delete(Path.Combine(folder, "superuser.password"));
            File.WriteAllText(Path.Combine(server.ClusterDirectory, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n");
            await using (var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection)) await reload.ExecuteScalarAsync();
        }

        await using (var upgraded = await EmbeddedPostgres.StartAsync(options))
        {
            upgraded.Password.Should().NotBe(password, "a new one was made for the cluster that had none");
            await RefusedWithoutPasswordAsync(upgraded);
            await using var connection = new NpgsqlConnection(upgraded.ConnectionStringFor("postgres"));
            await connection.OpenAsync();
        }

        // The next start keeps that password.
        await using var again = await EmbeddedPostgres.StartAsync(options);
        again.Password.Should().Be(File.ReadAllText(Path.Combine(folder, "superuser.password")).Trim());
        await RefusedWithoutPasswordAsync(again);
    }

    private static async Task RefusedWithoutPasswordAsync(EmbeddedPostgres server)
    {
        foreach (var wrong in (string?[])[null, "guessed"])
        {
            var builder = new NpgsqlConnectionStringBuilder(server.ConnectionStringFor("postgres")) { Password = wrong, Pooling = false, Timeout = 5 };
            var connect = async () =>
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync();
            };
            var thrown = (await connect.Should().ThrowAsync<Exception>()).Which;
            var askedForIt = thrown is PostgresException { SqlState: PostgresErrorCodes.InvalidPassword }
                || (thrown is NpgsqlException && thrown.Message.Contains("password", StringComparison.OrdinalIgnoreCase));
            askedForIt.Should().BeTrue("loopback asks for the password ({0} given): {1}", wrong ?? "none", thrown.Message);
        }
    }

    [Fact]
    public async Task A_restart_reuses_the_folder_and_port_and_keeps_the_data()
    {
        var folder = NewFolder("restart");
        var options = new EmbeddedPostgresOptions { DataDirectory = folder };
        int port;
        await using (var first = await EmbeddedPostgres.StartAsync(options))
        {
            port = first.Port;
            await first.EnsureDatabaseAsync("keep");
            await using var connection = new NpgsqlConnection(first.ConnectionStringFor("keep"));
            await connection.OpenAsync();
            await ExecuteAsync(connection, "CREATE TABLE kept (id int PRIMARY KEY, note text NOT NULL)");
            await ExecuteAsync(connection, "INSERT INTO kept VALUES (1, 'written before the restart')");
        }

        var second = await EmbeddedPostgres.StartAsync(options);
        try
        {
            output.WriteLine($"restart (no initdb): {second.StartupTime.TotalMilliseconds:0} ms");
            second.CreatedCluster.Should().BeFalse();
            second.Port.Should().Be(port, "the port is remembered in the data folder and still free");
            await using var connection = new NpgsqlConnection(second.ConnectionStringFor("keep"));
            await connection.OpenAsync();
            (await ScalarAsync(connection, "SELECT note FROM kept WHERE id = 1")).Should().Be("written before the restart");
        }
        finally
        {
            await second.StopAsync();
        }
    }

    [Fact]
    public async Task A_server_left_running_on_the_folder_is_reused()
    {
        var folder = NewFolder("adopt");
        var options = new EmbeddedPostgresOptions { DataDirectory = folder };
        var first = await EmbeddedPostgres.StartAsync(options);
        var pid = first.ServerProcessId;
        pid.Should().NotBeNull();

        // As if the host died without stopping its server: a second start finds postmaster.pid alive.
        var second = await EmbeddedPostgres.StartAsync(options);
        try
        {
            second.ReusedRunningServer.Should().BeTrue();
            second.ServerProcessId.Should().Be(pid);
            second.Port.Should().Be(first.Port);
        }
        finally
        {
            await second.StopAsync();
        }

        first.ServerProcessId.Should().BeNull();
    }

    /// <summary>
    /// A host releases the server it ends with: one it started stops, one it adopted runs on, since it may be another
    /// live host's database.
    /// </summary>
    [Fact]
    public async Task Release_stops_a_server_this_start_started_and_leaves_an_adopted_one_running()
    {
        var options = new EmbeddedPostgresOptions { DataDirectory = NewFolder("release") };
        var first = await EmbeddedPostgres.StartAsync(options);
        try
        {
            var pid = first.ServerProcessId;
            var second = await EmbeddedPostgres.StartAsync(options);
            second.ReusedRunningServer.Should().BeTrue();

            await second.ReleaseAsync();
            first.ServerProcessId.Should().Be(pid, "the adopter leaves the server running");
            await using (var connection = new NpgsqlConnection(first.ConnectionStringFor("postgres")))
            {
                await connection.OpenAsync();
                (await ScalarAsync(connection, "SELECT 'still serving'")).Should().Be("still serving");
            }

            await first.ReleaseAsync();
            first.ServerProcessId.Should().BeNull("the host that started the server stops it");
        }
        finally
        {
            await first.StopAsync();
        }
    }

    /// <summary>
    /// A second silo started by hand on a running platform's data folder adopts the platform's server, then fails on its
    /// HTTP port, which the platform holds (here a listener): as it ends it must leave that server running, or the
    /// platform loses its database.
    /// </summary>
    [Fact]
    public async Task A_host_that_adopted_its_data_folders_running_server_leaves_it_running_when_it_fails()
    {
        var data = NewFolder("adopting-host");
        var platform = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = Path.Combine(data, "postgres") });
        try
        {
            var pid = platform.ServerProcessId;
            using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            taken.Start();
            var values = new Dictionary<string, string?>
            {
                ["Urls"] = $"http://{taken.LocalEndpoint}",
                ["Dth:ClusterId"] = $"adopt-{Guid.NewGuid():N}",
                ["Dth:SiloPort"] = FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Dth:GatewayPort"] = FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Dth:DataDirectory"] = data,
                ["Dth:Seed"] = "false",
                ["Dth:Runs:NumericsWarmUp"] = "00:00:00",
                ["Logging:LogLevel:Default"] = "Warning",
            };
            var host = await DthHost.CreateAsync(["--profile", "standalone"], c => c.AddInMemoryCollection(values));
            try
            {
                host.Postgres!.ReusedRunningServer.Should().BeTrue();
                var run = () => host.RunAsync();
                var failure = await run.Should().ThrowAsync<Exception>();
                output.WriteLine($"the second host failed: {failure.Which.Message}");
            }
            finally
            {
                await host.DisposeAsync();
            }

            platform.ServerProcessId.Should().Be(pid, "the server is the platform's, not the failed host's");
            await using var connection = new NpgsqlConnection(platform.ConnectionStringFor("postgres"));
            await connection.OpenAsync();
            (await ScalarAsync(connection, "SELECT 'still serving'")).Should().Be("still serving");
        }
        finally
        {
            await platform.StopAsync();
        }
    }

    [Fact]
    public async Task A_server_left_running_with_another_port_is_restarted_cleanly()
    {
        var folder = NewFolder("restart-port");
        var first = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder });
        var oldPid = first.ServerProcessId;
        var otherPort = FreePort();

        var second = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder, Port = otherPort });
        try
        {
            second.ReusedRunningServer.Should().BeFalse();
            second.Port.Should().Be(otherPort);
            second.ServerProcessId.Should().NotBe(oldPid);
            await using var connection = new NpgsqlConnection(second.ConnectionStringFor("postgres"));
            await connection.OpenAsync();
            (await ScalarAsync(connection, "SHOW port")).Should().Be(otherPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            await second.StopAsync();
        }
    }

    [Fact]
    public async Task The_server_runs_as_the_unprivileged_system_user_when_the_process_is_root()
    {
        var folder = NewFolder("user");
        var options = new EmbeddedPostgresOptions { DataDirectory = folder };
        await using var server = await EmbeddedPostgres.StartAsync(options);
        var pid = server.ServerProcessId ?? throw new InvalidOperationException("no postmaster pid");

        var processUser = await RunAsync("ps", "-o", "user=", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var folderOwner = await RunAsync("stat", "-c", "%U", server.ClusterDirectory);
        var pidFileOwner = await RunAsync("stat", "-c", "%U", Path.Combine(server.ClusterDirectory, "postmaster.pid"));
        output.WriteLine($"process user {processUser}, cluster owner {folderOwner}, postmaster.pid owner {pidFileOwner}, test runs as {Environment.UserName}");

        var expected = IsRoot ? options.SystemUser : Environment.UserName;
        processUser.Should().Be(expected);
        folderOwner.Should().Be(expected);
        pidFileOwner.Should().Be(expected);
        server.ServerSystemUser.Should().Be(expected);
        if (IsRoot)
        {
            processUser.Should().NotBe("root");
        }
    }

    [Fact]
    public async Task As_root_a_missing_system_user_is_created()
    {
        const string user = "dthgrains_pgtest";
        if (!IsRoot)
        {
            // Without root there is no user switch: the server runs as the current user.
            await using var plain = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = NewFolder("nouser"), SystemUser = user });
            plain.ServerSystemUser.Should().Be(Environment.UserName);
            return;
        }

        await RunAsync(allowFailure: true, "userdel", user);
        (await RunExitCodeAsync("id", "-u", user)).Should().NotBe(0, "the user must be missing before the start");
        try
        {
            await using var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = NewFolder("newuser"), SystemUser = user });
            var pid = server.ServerProcessId ?? throw new InvalidOperationException("no postmaster pid");
            (await RunAsync("ps", "-o", "user=", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture))).Should().Be(user);
            var uid = int.Parse(await RunAsync("id", "-u", user), System.Globalization.CultureInfo.InvariantCulture);
            uid.Should().BeLessThan(1000, "useradd --system gives a system uid");
        }
        finally
        {
            await RunAsync(allowFailure: true, "userdel", user);
        }
    }

    [Fact]
    public async Task Missing_binaries_give_an_error_that_says_what_to_install()
    {
        var empty = NewFolder("nobin");
        Directory.CreateDirectory(empty);
        var dataFolder = NewFolder("never");

        var start = () => EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = dataFolder, BinDirectory = empty });
        var error = (await start.Should().ThrowAsync<PostgresBinariesNotFoundException>()).Which;
        output.WriteLine(error.Message);
        error.Message.Should().Contain("apt-get install -y postgresql").And.Contain("connection string").And.Contain(empty);
        error.Searched.Should().Equal(empty);
        Directory.Exists(dataFolder).Should().BeFalse("nothing is created before the binaries are found");

        // The default search: PATH, then the versioned system folders; both empty here.
        var locate = () => PostgresBinaries.Locate(pathVariable: empty, systemRoot: Path.Combine(empty, "usr-lib-postgresql"));
        locate.Should().Throw<PostgresBinariesNotFoundException>()
            .Which.Searched.Should().Equal(empty, Path.Combine(empty, "usr-lib-postgresql", "*", "bin"));
    }

    [Fact]
    public void The_newest_versioned_system_folder_is_found_after_PATH()
    {
        var root = NewFolder("versions");
        foreach (var version in new[] { "9.6", "13", "15" })
        {
            var bin = Directory.CreateDirectory(Path.Combine(root, version, "bin")).FullName;
            foreach (var tool in new[] { "initdb", "pg_ctl", "postgres" })
            {
                var file = Path.Combine(bin, tool);
                File.WriteAllText(file, string.Empty);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserExecute);
                }
            }
        }

        Directory.CreateDirectory(Path.Combine(root, "16", "bin")); // incomplete: no tools
        var found = PostgresBinaries.Locate(pathVariable: string.Empty, systemRoot: root);
        found.BinDirectory.Should().Be(Path.Combine(root, "15", "bin"));
    }

    [Fact]
    public async Task The_Orleans_schema_applies_idempotently_and_concurrently_with_every_query_10_4_2_needs()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("schema");
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => OrleansSchema.ApplyAsync(connectionString, CancellationToken.None)));
        await OrleansSchema.ApplyAsync(connectionString, CancellationToken.None);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var keys = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery ORDER BY 1", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                keys.Add(reader.GetString(0));
            }
        }

        // The keys Orleans.Clustering.AdoNet and Orleans.Reminders.AdoNet 10.4.2 require (DbStoredQueries).
        keys.Should().BeEquivalentTo(
            "CleanupDefunctSiloEntriesKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey", "InsertMembershipKey",
            "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey", "UpdateIAmAlivetimeKey", "UpdateMembershipKey",
            "DeleteReminderRowKey", "DeleteReminderRowsKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "ReadReminderRowKey",
            "ReadReminderRowsKey", "UpsertReminderRowKey");

        (await ScalarAsync(connection,
                "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY column_name) FROM information_schema.columns "
                + "WHERE table_name = 'orleans_membership' AND data_type LIKE 'timestamp%'"))
            .Should().Be("i_am_alive_time:timestamp with time zone,start_time:timestamp with time zone");
    }

    public void Dispose()
    {
        foreach (var folder in _folders)
        {
            TestPostgres.DeleteFolder(folder);
        }
    }

    private static bool IsRoot => string.Equals(Environment.UserName, "root", StringComparison.Ordinal);

    private string NewFolder(string purpose)
    {
        var folder = TestPostgres.NewTemporaryFolder(purpose);
        _folders.Add(folder);
        return folder;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static Task<string> RunAsync(string file, params string[] arguments) => RunAsync(allowFailure: false, file, arguments);

    private static async Task<string> RunAsync(bool allowFailure, string file, params string[] arguments)
    {
        var (exitCode, text) = await RunProcessAsync(file, arguments);
        if (exitCode != 0 && !allowFailure)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {exitCode}: {text}");
        }

        return text;
    }

    private static async Task<int> RunExitCodeAsync(string file, params string[] arguments) => (await RunProcessAsync(file, arguments)).ExitCode;

    private static async Task<(int ExitCode, string Output)> RunProcessAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, ((await stdout) + (await stderr)).Trim());
    }
}
