using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;
using Marten;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace DthGrains.Grains.Runs;

/// <summary>
/// The per-subject rows of run shards, stored beside the event stream in <c>dth.run_rows</c> (one row per run and
/// shard, the binary rows as <c>bytea</c>), written in the same transaction as the shard's event. The event keeps the
/// rows' SHA-256 (<see cref="ShardCompleted.RowsDigest"/>), so the hash chain still pins them: reading them back checks
/// the digest, and rows changed after they were recorded are refused, not served.
/// </summary>
/// <remarks>
/// Why beside and not in: rows were half of every shard event, and an event's body is JSON, so they were written as
/// base64 (a third larger), parsed by PostgreSQL into jsonb, hashed as text into the ledger chain and read back whole by
/// every replay of the stream. A million-subject run's stream held about 170 MB of them.
/// </remarks>
public sealed class RunRowsStore : IInlineProjection
{
    public const string TableName = "run_rows";

    /// <summary>The table, created and migrated with Marten's own schema objects.</summary>
    public static Table Table()
    {
        var table = new Table(new PostgresqlObjectName(EventStoreSetup.SchemaName, TableName, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("run_id").AsPrimaryKey();
        table.AddColumn<int>("shard").AsPrimaryKey();
        table.AddColumn<string>("format").NotNull();
        table.AddColumn<int>("width").NotNull();
        table.AddColumn("data", "bytea").NotNull();
        return table;
    }

    private const string Qualified = EventStoreSetup.SchemaName + "." + TableName;

    /// <summary>
    /// Stages the insert of every new shard's detached rows, and the delete of a run's rows when they are released:
    /// committed with the event, or not at all.
    /// </summary>
    public Task ProjectAsync(IDocumentSession session, IReadOnlyList<PendingEvent> events, CancellationToken ct)
    {
        foreach (var e in events)
        {
            if (e.Data is RunRowsReleased released)
            {
                session.QueueSqlCommand($"delete from {Qualified} where run_id = ?", released.Id);
                continue;
            }
            if (e.Data is not ShardCompleted { DetachedRows: { } rows } shard) continue;
            // A plain insert: a shard is recorded once per run, so a second row for it is a fault to fail loudly on. No
            // digest column: the event's rowsDigest is the one that counts (the chain pins it), and a copy here would only
            // be one more thing to trust.
            session.QueueSqlCommand($"insert into {Qualified} (run_id, shard, format, width, data) values (?, ?, ?, ?, ?)",
                shard.Id, shard.Shard, rows.Format, rows.Width, rows.Bytes());
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The given shard events (of one run, in the order given) with their rows: those that carry their rows in the event
    /// as they are; the others with the rows read from beside the stream, one query per call, each checked against its
    /// digest (<see cref="ShardCompleted.WithStoredRows"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">stored rows are missing or do not match their digest.</exception>
    public static async Task<IReadOnlyList<ShardCompleted>> WithRowsAsync(IDocumentStore store, IReadOnlyList<ShardCompleted> shards, CancellationToken ct)
    {
        var detached = shards.Where(s => s.Rows is null && s.Subjects is null && s.RowsDigest is not null).ToList();
        if (detached.Count == 0) return shards;
        var stored = new Dictionary<int, ShardRows>();
        await using (var connection = store.Storage.Database.CreateConnection())
        {
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand($"select shard, format, width, data from {Qualified} where run_id = $1 and shard = any($2)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = detached[0].Id });
            command.Parameters.Add(new NpgsqlParameter { Value = detached.Select(s => s.Shard).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                stored[reader.GetInt32(0)] = new ShardRows(reader.GetString(1), reader.GetInt32(2), (byte[])reader.GetValue(3));
        }
        return shards.Select(s => s.Rows is not null || s.Subjects is not null || s.RowsDigest is null ? s
            : stored.TryGetValue(s.Shard, out var rows) ? s.WithStoredRows(rows)
            : throw new InvalidDataException($"The rows of shard {s.Shard} of run '{s.Id}' are missing from {Qualified}, though its ledger event records their digest ({s.RowsDigest}).")).ToList();
    }
}
