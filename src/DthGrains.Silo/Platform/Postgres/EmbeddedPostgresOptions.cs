namespace DthGrains.Silo.Platform.Postgres;

/// <summary>
/// Settings of the embedded PostgreSQL server that <see cref="EmbeddedPostgres"/> runs when no connection
/// string is configured.
/// </summary>
public sealed class EmbeddedPostgresOptions
{
    /// <summary>Name of the folder under the user's local data folder.</summary>
    public const string DefaultFolderName = "dthgrains";

    /// <summary>
    /// The private folder that holds the cluster (<c>pgdata/</c>), the server log, the unix socket and the
    /// remembered port. Created when missing; reused on later starts, so data survives restarts. Default:
    /// <see cref="DefaultDataDirectory"/>.
    /// </summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory();

    /// <summary>
    /// The loopback TCP port. Null (the default): a free port chosen at first start and remembered in
    /// the data folder, so a restart reuses it when it is still free.
    /// </summary>
    public int? Port { get; set; }

    /// <summary>
    /// Folder with <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>. Null (the default): search PATH, then
    /// the newest <c>/usr/lib/postgresql/*/bin</c>. When set, only this folder is used.
    /// </summary>
    public string? BinDirectory { get; set; }

    /// <summary>
    /// The unprivileged operating-system user that runs initdb and the server when this process runs as
    /// root (PostgreSQL refuses to run as root). Created as a system user when missing.
    /// </summary>
    public string SystemUser { get; set; } = "postgres";

    /// <summary>The database superuser created by initdb; connections use it with trust authentication.</summary>
    public string SuperUser { get; set; } = "postgres";

    /// <summary>The server's <c>max_connections</c>. Orleans, Marten and tests each keep pools.</summary>
    public int MaxConnections { get; set; } = 200;

    /// <summary>How long to wait for the server to start or stop.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The default data folder: <c>LocalApplicationData/dthgrains/postgres</c> (for example
    /// <c>~/.local/share/dthgrains/postgres</c>), or <c>~/.local/share/dthgrains/postgres</c> when the
    /// platform reports no local data folder. For root the folder is <c>/var/lib/dthgrains/postgres</c>:
    /// root's home is private (mode 0700), so the unprivileged server user could not enter it.
    /// </summary>
    public static string DefaultDataDirectory() => Path.Combine(Contracts.Platform.DataFolders.Default(), "postgres");
}
