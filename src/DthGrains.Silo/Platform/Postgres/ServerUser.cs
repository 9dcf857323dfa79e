namespace DthGrains.Silo.Platform.Postgres;

/// <summary>
/// The operating-system user that runs initdb and the server: null name means "this process's user";
/// a name (used when this process is root) means commands run through <c>runuser -u NAME --</c>.
/// </summary>
internal sealed class ServerUser(string? name)
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);
    private static readonly string[] SystemFolders = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

    public string? Name { get; } = name;

    /// <summary>The file and arguments that run <paramref name="tool"/> as this user.</summary>
    public (string File, IReadOnlyList<string> Arguments) Command(string tool, IReadOnlyList<string> arguments)
    {
        if (Name is null)
        {
            return (tool, arguments);
        }

        if (FindTool("runuser") is { } runuser)
        {
            return (runuser, ["-u", Name, "--", tool, .. arguments]);
        }

        if (FindTool("su") is { } su)
        {
            // The command string is constant: the tool and its arguments travel as positional parameters.
            return (su, ["-s", "/bin/sh", Name, "-c", "exec \"$0\" \"$@\"", "--", tool, .. arguments]);
        }

        throw new InvalidOperationException("Neither runuser nor su was found: cannot run PostgreSQL as an unprivileged user. Install util-linux.");
    }

    /// <summary>Creates the user as a system user unless it exists.</summary>
    public async Task EnsureExistsAsync(CancellationToken ct)
    {
        var name = Name ?? throw new InvalidOperationException("No system user to create.");
        var id = await ProcessRunner.RunAsync(RequireTool("id"), ["-u", name], ToolTimeout, "/", ct);
        if (id.Succeeded)
        {
            return;
        }

        var add = await ProcessRunner.RunAsync(
            RequireTool("useradd"),
            ["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
            ToolTimeout,
            "/",
            ct);
        if (!add.Succeeded)
        {
            // A concurrent starter may have created it in between.
            var again = await ProcessRunner.RunAsync(RequireTool("id"), ["-u", name], ToolTimeout, "/", ct);
            if (!again.Succeeded)
            {
                throw new InvalidOperationException($"Could not create the system user '{name}' for PostgreSQL: {add.Describe()}");
            }
        }
    }

    /// <summary>Gives the user the data folder (recursively) unless it already owns it.</summary>
    public async Task EnsureOwnsAsync(string folder, CancellationToken ct)
    {
        var owner = await ProcessRunner.RunAsync(RequireTool("stat"), ["-c", "%U", folder], ToolTimeout, "/", ct);
        if (owner.Succeeded && string.Equals(owner.StandardOutput.Trim(), Name, StringComparison.Ordinal))
        {
            return;
        }

        await ChownAsync(folder, recursive: true, ct);
    }

    public async Task ChownAsync(string path, bool recursive, CancellationToken ct)
    {
        var name = Name ?? throw new InvalidOperationException("No system user to give files to.");
        List<string> arguments = recursive ? ["-R", name + ":", path] : [name + ":", path];
        var result = await ProcessRunner.RunAsync(RequireTool("chown"), arguments, TimeSpan.FromMinutes(2), "/", ct);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not give {path} to '{name}': {result.Describe()}");
        }
    }

    /// <summary>
    /// Checks that the user can enter and write the data folder: a folder above it that others cannot
    /// enter (such as root's home, mode 0700) would make initdb fail with a confusing message.
    /// </summary>
    public async Task EnsureCanEnterAsync(string folder, CancellationToken ct)
    {
        var (file, arguments) = Command(RequireTool("test"), ["-w", folder, "-a", "-x", folder]);
        var result = await ProcessRunner.RunAsync(file, arguments, ToolTimeout, "/", ct);
        if (result.Succeeded)
        {
            return;
        }

        var blocking = new List<string>();
        for (var dir = Path.GetDirectoryName(folder); !string.IsNullOrEmpty(dir) && !OperatingSystem.IsWindows(); dir = Path.GetDirectoryName(dir))
        {
            if ((File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
            {
                blocking.Add(dir);
            }
        }

        throw new InvalidOperationException(
            $"The PostgreSQL server user '{Name}' cannot enter the data folder {folder}"
            + (blocking.Count > 0 ? $": {string.Join(", ", blocking)} cannot be entered by other users" : string.Empty)
            + ". Choose a data folder outside such folders (for example /var/lib/dthgrains/postgres, the default for root), "
            + "or grant search permission on them (chmod o+x FOLDER).");
    }

    private static string RequireTool(string name) =>
        FindTool(name) ?? throw new InvalidOperationException($"The system tool '{name}' was not found on PATH or in {string.Join(", ", SystemFolders)}.");

    private static string? FindTool(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(SystemFolders))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
