namespace DthGrains.Silo.Platform.Postgres;

/// <summary>
/// The PostgreSQL server binaries (<c>initdb</c>, <c>pg_ctl</c>, <c>postgres</c>) were not found, so the
/// embedded server cannot start. The message says what to install, or how to use an existing server.
/// </summary>
public sealed class PostgresBinariesNotFoundException : Exception
{
    public PostgresBinariesNotFoundException(IReadOnlyList<string> searched)
        : base(BuildMessage(searched))
    {
        Searched = searched;
    }

    /// <summary>The folders that were searched, in order.</summary>
    public IReadOnlyList<string> Searched { get; }

    private static string BuildMessage(IReadOnlyList<string> searched) =>
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found. Searched: "
        + (searched.Count == 0 ? "(nothing)" : string.Join(", ", searched)) + ". "
        + "Install them with `apt-get install -y postgresql` (Debian/Ubuntu; run `apt-get update` first), "
        + "or point EmbeddedPostgresOptions.BinDirectory at a folder that has them, "
        + "or configure a connection string (ConnectionStrings:Federation in silo-config, the environment variable "
        + "ConnectionStrings__Federation=\"Host=...;Database=...;Username=...;Password=...\", or the argument "
        + "--ConnectionStrings:Federation=...) to use an existing PostgreSQL server instead of the embedded one.";
}
