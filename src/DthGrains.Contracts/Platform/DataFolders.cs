namespace DthGrains.Contracts.Platform;

/// <summary>
/// Where a standalone platform keeps its state (embedded PostgreSQL, signing key) when nothing is configured.
/// One rule for the silo, the CLI and ops/run.sh: the folder <see cref="Variable"/> names; else root uses
/// /var/lib/dthgrains, because the unprivileged PostgreSQL user cannot enter /root; everyone else uses their local
/// data folder.
/// </summary>
public static class DataFolders
{
    public const string FolderName = "dthgrains";

    /// <summary>
    /// The environment variable ops/run.sh and ops/join.sh take the data folder from; <c>dth token</c> then finds the
    /// platform's signing key there too.
    /// </summary>
    public const string Variable = "DTH_DATA_DIR";

    public static string Default()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { } named && !string.IsNullOrWhiteSpace(named)) return Path.GetFullPath(named);
        if (OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess) return Path.Combine("/var/lib", FolderName);
        var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        if (string.IsNullOrEmpty(local))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home)) home = Environment.GetEnvironmentVariable("HOME") ?? Path.GetTempPath();
            local = Path.Combine(home, ".local", "share");
        }
        return Path.Combine(local, FolderName);
    }

    /// <summary>The standalone signing key inside a data folder.</summary>
    public static string SigningKey(string dataDirectory) => Path.Combine(dataDirectory, "identity", "signing-key.pem");
}
