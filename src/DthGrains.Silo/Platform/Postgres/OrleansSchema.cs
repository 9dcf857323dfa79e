using Npgsql;

namespace DthGrains.Silo.Platform.Postgres;

/// <summary>
/// Applies the Orleans ADO.NET schema (query table, clustering, reminders) kept in <c>schemas/orleans/</c>.
/// The scripts are idempotent; an advisory lock makes concurrent appliers (several silos starting at once)
/// take turns, and one transaction means a failure leaves nothing half applied.
/// </summary>
public static class OrleansSchema
{
    /// <summary>The scripts, in the order they are applied.</summary>
    public static readonly IReadOnlyList<string> Scripts =
    [
        "PostgreSQL-Main.sql",
        "PostgreSQL-Clustering.sql",
        "PostgreSQL-Reminders.sql",
    ];

    /// <summary>The Orleans version the scripts are matched to.</summary>
    public const string OrleansVersion = "10.4.2";

    // An arbitrary constant that names "DthGrains Orleans schema" among advisory locks.
    private const long AdvisoryLockKey = 0x44_74_68_4F_72_6C_53_63; // "DthOrlSc"

    /// <summary>The folder the scripts are read from: <c>AppContext.BaseDirectory/schemas/orleans</c>.</summary>
    public static string ScriptDirectory => Path.Combine(AppContext.BaseDirectory, "schemas", "orleans");

    /// <summary>Applies Main, Clustering and Reminders, in that order, to the database of <paramref name="connectionString"/>.</summary>
    public static async Task ApplyAsync(string connectionString, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var scripts = new List<(string Name, string Text)>();
        foreach (var name in Scripts)
        {
            var path = Path.Combine(ScriptDirectory, name);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"Orleans schema script {name} not found in {ScriptDirectory}. The Silo project copies schemas/** to its output folder; rebuild it.", path);
            }

            scripts.Add((name, await File.ReadAllTextAsync(path, ct)));
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("key", AdvisoryLockKey);
            await lockCommand.ExecuteNonQueryAsync(ct);
        }

        foreach (var (name, text) in scripts)
        {
            try
            {
                await using var command = new NpgsqlCommand(text, connection, transaction);
                await command.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e)
            {
                throw new InvalidOperationException($"Applying {name} failed: {e.MessageText} (SQLSTATE {e.SqlState}).", e);
            }
        }

        await transaction.CommitAsync(ct);
    }
}
