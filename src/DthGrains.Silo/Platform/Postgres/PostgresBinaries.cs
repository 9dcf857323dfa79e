using System.Globalization;

namespace DthGrains.Silo.Platform.Postgres;

/// <summary>Where the PostgreSQL server tools live.</summary>
public sealed record PostgresBinaries(string BinDirectory, string InitDb, string PgCtl, string Postgres)
{
    /// <summary>The system folder that Debian and Ubuntu packages install versioned server binaries under.</summary>
    public const string DebianRoot = "/usr/lib/postgresql";

    private static readonly string[] Tools = ["initdb", "pg_ctl", "postgres"];

    /// <summary>
    /// Finds the server binaries: only <paramref name="binDirectory"/> when given; otherwise the folders on
    /// <paramref name="pathVariable"/> (default: this process's PATH), then the newest
    /// <c><paramref name="systemRoot"/>/*/bin</c> (default <see cref="DebianRoot"/>).
    /// </summary>
    /// <exception cref="PostgresBinariesNotFoundException">No folder has all of initdb, pg_ctl and postgres.</exception>
    public static PostgresBinaries Locate(string? binDirectory = null, string? pathVariable = null, string? systemRoot = null)
    {
        var searched = new List<string>();
        if (!string.IsNullOrWhiteSpace(binDirectory))
        {
            searched.Add(binDirectory);
            return TryFolder(binDirectory) ?? throw new PostgresBinariesNotFoundException(searched);
        }

        var path = pathVariable ?? Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            searched.Add(folder);
            if (TryFolder(folder) is { } found)
            {
                return found;
            }
        }

        var root = systemRoot ?? DebianRoot;
        searched.Add(Path.Combine(root, "*", "bin"));
        if (Directory.Exists(root))
        {
            var newest = Directory.EnumerateDirectories(root)
                .Select(dir => (Dir: dir, Version: ParseVersion(Path.GetFileName(dir))))
                .Where(candidate => candidate.Version is not null)
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => TryFolder(Path.Combine(candidate.Dir, "bin")))
                .FirstOrDefault(found => found is not null);
            if (newest is not null)
            {
                return newest;
            }
        }

        throw new PostgresBinariesNotFoundException(searched);
    }

    private static PostgresBinaries? TryFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return null;
        }

        var paths = Tools.Select(tool => Path.Combine(folder, tool)).ToArray();
        if (!paths.All(IsExecutableFile))
        {
            return null;
        }

        // pg_ctl finds postgres next to its own resolved path, so report the folder symlinks point into.
        var resolvedPgCtl = ResolveLinks(paths[1]);
        var resolvedFolder = Path.GetDirectoryName(resolvedPgCtl) ?? folder;
        return new PostgresBinaries(resolvedFolder, ResolveLinks(paths[0]), resolvedPgCtl, ResolveLinks(paths[2]));
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        var mode = File.GetUnixFileMode(path);
        return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }

    private static string ResolveLinks(string path)
    {
        var target = File.ResolveLinkTarget(path, returnFinalTarget: true);
        return target?.FullName ?? Path.GetFullPath(path);
    }

    private static Version? ParseVersion(string name)
    {
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var major))
        {
            return new Version(major, 0);
        }

        return Version.TryParse(name, out var version) ? version : null;
    }
}
