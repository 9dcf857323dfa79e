using System.Collections.Concurrent;
using DthGrains.Grains.Federation;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DthGrains.Grains.Catalogue;

/// <summary>Where each hosted institution's clinical payloads live: its own database, never the federation's.</summary>
public sealed class PayloadDatabaseOptions
{
    /// <summary>Explicit connection strings per institution (production).</summary>
    public Dictionary<string, string> ConnectionStrings { get; set; } = [];

    /// <summary>
    /// When an institution has no explicit connection string: create <c>{database}_payload_{institution}</c> on this
    /// server (standalone and tests, where one embedded server plays every institution's database server).
    /// </summary>
    public string? DeriveFrom { get; set; }
}

/// <summary>
/// Opens payload databases, for the institutions this silo hosts only: asking for another institution's
/// database is a programming error (invariant 4), refused loudly.
/// </summary>
public sealed class PayloadDatabases(IOptions<PayloadDatabaseOptions> options, IOptions<FederationOptions> federation)
{
    // Preparation is idempotent and takes turns under a lock (PrepareAsync), so a rare double start under a race costs
    // nothing; a failure is not cached.
    private readonly ConcurrentDictionary<string, Task<string>> _ready = new(StringComparer.Ordinal);

    public async Task<string> ConnectionStringFor(string institution, CancellationToken ct = default)
    {
        if (!federation.Value.Institutions.Contains(institution, StringComparer.Ordinal))
            throw new InvalidOperationException($"This silo does not host institution '{institution}'; its payloads are out of reach here by design.");
        var ready = _ready.GetOrAdd(institution, i => PrepareAsync(i, CancellationToken.None));
        try
        {
            return await ready.WaitAsync(ct);
        }
        catch when (ready.IsFaulted)
        {
            _ready.TryRemove(KeyValuePair.Create(institution, ready));
            throw;
        }
    }

    private async Task<string> PrepareAsync(string institution, CancellationToken ct)
    {
        if (!options.Value.ConnectionStrings.TryGetValue(institution, out var connectionString))
        {
            var template = options.Value.DeriveFrom
                ?? throw new InvalidOperationException($"No payload database is configured for '{institution}' (Dth:PayloadDatabases:{institution}).");
            var builder = new NpgsqlConnectionStringBuilder(template);
            var database = DerivedName(builder.Database ?? "", institution);
            await CreateDatabaseIfMissing(template, database, ct);
            builder.Database = database;
            connectionString = builder.ConnectionString;
        }
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        // CREATE TABLE IF NOT EXISTS is not safe against itself: two sessions creating one table at once can fail one of
        // them (a duplicate key in pg_type). Silos of one institution share its database, and two callers of one silo may
        // both start here: they take turns, under a lock held until the transaction ends.
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var turn = new NpgsqlCommand("select pg_advisory_xact_lock(@key)", connection, transaction))
        {
            turn.Parameters.AddWithValue("key", PayloadSchema.LockKey);
            await turn.ExecuteNonQueryAsync(ct);
        }
        await using (var command = new NpgsqlCommand(PayloadSchema.Sql, connection, transaction))
            await command.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        return connectionString;
    }

    /// <summary>
    /// <c>{database}_payload_{institution}</c>, or, past PostgreSQL's 63 bytes (which it cuts silently, so two long
    /// institution ids that begin alike shared one database), its first 46 bytes and a digest of the whole name.
    /// </summary>
    public static string DerivedName(string database, string institution)
    {
        var name = $"{database}_payload_{institution.Replace('-', '_')}";
        if (System.Text.Encoding.UTF8.GetByteCount(name) <= 63) return name;
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..16];
        var prefix = name;
        while (System.Text.Encoding.UTF8.GetByteCount(prefix) > 46) prefix = prefix[..^1];
        return $"{prefix}_{digest}";
    }

    private static async Task CreateDatabaseIfMissing(string template, string database, CancellationToken ct)
    {
        var admin = new NpgsqlConnectionStringBuilder(template) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @d", connection);
        exists.Parameters.AddWithValue("d", database);
        if (await exists.ExecuteScalarAsync(ct) is not null) return;
        try
        {
            await using var create = new NpgsqlCommand($"create database \"{database.Replace("\"", "\"\"")}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another silo created it at the same moment.
        }
    }
}

/// <summary>The payload tables of one institution's database (idempotent).</summary>
public static class PayloadSchema
{
    /// <summary>The advisory lock under which the tables are created ("dthpaylo" in ASCII): one creation at a time per database.</summary>
    public const long LockKey = 0x647468_7061796C6F;

    public const string Sql = """
        create table if not exists dataset_versions (
          dataset_id text not null,
          version text not null,
          checksum text not null,
          counts jsonb not null,
          subjects int not null,
          bytes bigint not null,
          stored_at timestamptz not null default now(),
          primary key (dataset_id, version));
        create table if not exists dataset_resources (
          dataset_id text not null,
          version text not null,
          resource_type text not null,
          resource_id text not null,
          subject text,
          body jsonb not null,
          primary key (dataset_id, version, resource_type, resource_id));
        """;
}
