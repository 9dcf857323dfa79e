using System.Data;
using System.Runtime.CompilerServices;
using System.Text;
using DthGrains.Contracts.Provenance;
using DthGrains.Domain.Provenance;
using Marten;
using Npgsql;

namespace DthGrains.Grains.Provenance;

/// <summary>The stream heads and counts of one consistent moment, as a checkpoint signs them.</summary>
public sealed record LedgerSnapshot(IReadOnlyList<StreamHead> Heads, long Events, long MaxSequence);

/// <summary>
/// Reads the event store's raw rows for the ledger: exactly the stored JSON (never re-serialized objects), with
/// plain SQL on Marten's tables, streaming and on connections of its own.
/// </summary>
public sealed class LedgerReader(IDocumentStore store)
{
    /// <summary>
    /// Marten's own filler stream: after a failed transaction in Quick append mode it writes placeholder rows there
    /// to keep the global sequence free of gaps for its daemon. They are no one's events, carry no data, and are
    /// not part of the ledger (schemas/ledger/VERIFICATION.md).
    /// </summary>
    public const string MartenTombstoneStream = "mt_tombstone";

    private const string Columns =
        "seq_id, stream_id, version, type, data::text, headers::text, correlation_id, causation_id, " +
        "headers ->> '" + LedgerHash.HashHeader + "', headers ->> '" + LedgerHash.PreviousHashHeader + "', timestamp";

    private string Schema => store.Options.Events.DatabaseSchemaName;

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        return connection;
    }

    /// <summary>
    /// One snapshot of the whole ledger (a REPEATABLE READ transaction on a connection of its own) for reads that must
    /// agree with one another: the stream table and the events read a moment apart would disagree about every stream
    /// appended to meanwhile, and a verification would report that as tampering.
    /// </summary>
    public sealed class Moment(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        internal NpgsqlConnection Connection { get; } = connection;

        internal NpgsqlTransaction Transaction { get; } = transaction;

        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }

    public async Task<Moment> BeginMomentAsync(CancellationToken ct = default)
    {
        var connection = await OpenAsync(ct);
        try
        {
            return new Moment(connection, await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The connection (and transaction) of <paramref name="at"/>, or a connection of its own that the caller disposes.</summary>
    private async Task<(NpgsqlConnection Connection, NpgsqlTransaction? Transaction, NpgsqlConnection? Owned)> ConnectionAsync(Moment? at, CancellationToken ct)
    {
        if (at is not null) return (at.Connection, at.Transaction, null);
        var connection = await OpenAsync(ct);
        return (connection, null, connection);
    }

    /// <summary>The highest global sequence in the ledger (0 when it is empty): one step down the primary key's index.</summary>
    public async Task<long> HighestSequenceAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {Schema}.mt_events", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Every stream's head with its stored hash, and the event count and highest sequence, in one snapshot.</summary>
    public async Task<LedgerSnapshot> SnapshotAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var heads = new List<StreamHead>();
        await using (var command = new NpgsqlCommand(
            $"select s.id, s.version, coalesce(e.headers ->> '{LedgerHash.HashHeader}', '') from {Schema}.mt_streams s " +
            $"left join {Schema}.mt_events e on e.stream_id = s.id and e.version = s.version where s.version > 0 and s.id <> '{MartenTombstoneStream}'", connection, tx))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) heads.Add(new StreamHead(reader.GetString(0), reader.GetInt64(1), reader.GetString(2)));
        }
        long events, maxSequence;
        await using (var command = new NpgsqlCommand($"select count(*), coalesce(max(seq_id), 0) from {Schema}.mt_events where stream_id <> '{MartenTombstoneStream}'", connection, tx))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            events = reader.GetInt64(0);
            maxSequence = reader.GetInt64(1);
        }
        await tx.CommitAsync(ct);
        return new LedgerSnapshot(heads, events, maxSequence);
    }

    /// <summary>Each stream's version as the stream table records it.</summary>
    public async Task<Dictionary<string, long>> StreamTableAsync(Moment? at = null, CancellationToken ct = default)
    {
        var (connection, tx, owned) = await ConnectionAsync(at, ct);
        await using var _ = owned;
        await using var command = new NpgsqlCommand($"select id, version from {Schema}.mt_streams where id <> '{MartenTombstoneStream}'", connection, tx);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var table = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct)) table[reader.GetString(0)] = reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
        return table;
    }

    /// <summary>Every stored event, grouped by stream and in version order, streamed from one snapshot.</summary>
    public async IAsyncEnumerable<LedgerRow> ReadAllAsync(Moment? at = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var (connection, tx, owned) = await ConnectionAsync(at, ct);
        await using var _ = owned;
        await using var command = new NpgsqlCommand($"select {Columns} from {Schema}.mt_events where stream_id <> '{MartenTombstoneStream}' order by stream_id, version", connection, tx);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        while (await reader.ReadAsync(ct)) yield return (await RowAsync(reader, ct)).Row;
    }

    /// <summary>
    /// Shard events whose per-subject rows, stored beside the stream (<see cref="Runs.RunRowsStore"/>), are missing or
    /// are not the rows the event's <c>rowsDigest</c> names (SHA-256 computed by PostgreSQL, so the rows never travel).
    /// The chain itself pins the digest; this pins the rows to it. Rows released on purpose (<c>runs.rows_released</c> in
    /// the same stream) are expected to be gone.
    /// </summary>
    public async IAsyncEnumerable<(string Stream, long Version, long Sequence, int Shard, bool Missing)> ResultRowsMismatchesAsync(
        Moment? at = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var (connection, tx, owned) = await ConnectionAsync(at, ct);
        await using var _ = owned;
        await using var command = new NpgsqlCommand(
            $"""
            select e.stream_id, e.version, e.seq_id, (e.data ->> 'shard')::int, r.run_id is null
            from {Schema}.mt_events e
            left join {Schema}.{Runs.RunRowsStore.TableName} r on r.run_id = e.data ->> 'id' and r.shard = (e.data ->> 'shard')::int
            where e.type = @type and jsonb_typeof(e.data -> 'rowsDigest') = 'string' and coalesce(jsonb_typeof(e.data -> 'rows'), 'null') = 'null'
              and (r.run_id is null or encode(sha256(r.data), 'hex') <> e.data ->> 'rowsDigest')
              -- Rows released on purpose (runs.rows_released, recorded in the same stream) are missing, not altered.
              and not (r.run_id is null and exists (select 1 from {Schema}.mt_events x where x.stream_id = e.stream_id and x.type = @released))
            order by e.stream_id, e.version
            """, connection, tx);
        command.Parameters.AddWithValue("type", Domain.Runs.RunEventTypes.Names[typeof(Domain.Runs.ShardCompleted)]);
        command.Parameters.AddWithValue("released", Domain.Runs.RunEventTypes.Names[typeof(Domain.Runs.RunRowsReleased)]);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) yield return (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt32(3), reader.GetBoolean(4));
    }

    /// <summary>
    /// The rows after sequence <paramref name="after"/> and those of the sequences in <paramref name="gaps"/> (below it,
    /// not seen yet), in sequence order, at most <paramref name="limit"/>, from one snapshot, whose bounds it returns
    /// (<c>xmin</c>: the oldest transaction still running; <c>xmax</c>: the first not yet begun) for a
    /// <see cref="SequenceFrontier"/>. Only rows of the types in <paramref name="withBodies"/> carry their data and headers;
    /// the others (shard results, Marten's fillers) come as sequence, stream, version and type. A type in
    /// <paramref name="unread"/> comes without those top-level properties of its data (PostgreSQL leaves them out: a run's
    /// results, up to a megabyte of bands, cost more to turn into text, send and parse than all the rest of the event).
    /// Such a body is not the recorded one: hash nothing with it.
    /// </summary>
    public async Task<(ulong Xmin, ulong Xmax)> ReadSinceAsync(long after, long[] gaps, int limit, string[] withBodies, Action<LedgerRow, DateTimeOffset> each,
        IReadOnlyDictionary<string, string[]>? unread = null, CancellationToken ct = default)
    {
        var trimmed = unread?.ToArray() ?? [];
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        ulong xmin, xmax;
        // The first statement takes the transaction's snapshot: the bounds and the rows below are of the same moment.
        await using (var command = new NpgsqlCommand("select pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text from pg_current_snapshot() s", connection, tx))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            xmin = ulong.Parse(reader.GetString(0), System.Globalization.CultureInfo.InvariantCulture);
            xmax = ulong.Parse(reader.GetString(1), System.Globalization.CultureInfo.InvariantCulture);
        }
        await using (var command = new NpgsqlCommand(
            "select seq_id, stream_id, version, type, " +
            (trimmed.Length == 0 ? "case when w then data::text end, "
                : $"case when w then (case {string.Concat(trimmed.Select((_, i) => $"when type = @unread_type{i} then data - @unread_keys{i} "))}else data end)::text end, ") +
            "case when w then headers::text end, correlation_id, causation_id, " +
            $"headers ->> '{LedgerHash.HashHeader}', headers ->> '{LedgerHash.PreviousHashHeader}', timestamp " +
            // Two index scans, not one condition with "or" (which the planner answers with a scan of the whole table).
            $"from (select *, type = any(@types) as w from ((select * from {Schema}.mt_events where seq_id = any(@gaps)) " +
            $"union all (select * from {Schema}.mt_events where seq_id > @after order by seq_id limit @limit)) u order by seq_id limit @limit) e order by seq_id",
            connection, tx))
        {
            command.Parameters.AddWithValue("types", withBodies);
            command.Parameters.AddWithValue("after", after);
            command.Parameters.AddWithValue("gaps", gaps);
            command.Parameters.AddWithValue("limit", limit);
            for (var i = 0; i < trimmed.Length; i++)
            {
                command.Parameters.AddWithValue($"unread_type{i}", trimmed[i].Key);
                command.Parameters.AddWithValue($"unread_keys{i}", trimmed[i].Value);
            }
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
            while (await reader.ReadAsync(ct))
            {
                var (row, storedAt) = await RowAsync(reader, ct);
                each(row, storedAt);
            }
        }
        await tx.CommitAsync(ct);
        return (xmin, xmax);
    }

    /// <summary>The given events' envelopes (headers, hashes, storage time; no bodies), in global sequence order.</summary>
    public async Task<IReadOnlyList<(LedgerRow Row, DateTimeOffset StoredAt)>> ReadEnvelopesAsync(IReadOnlyCollection<(string Stream, long Version)> events,
        CancellationToken ct = default)
    {
        if (events.Count == 0) return [];
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "select seq_id, stream_id, version, type, null::text, headers::text, correlation_id, causation_id, " +
            $"headers ->> '{LedgerHash.HashHeader}', headers ->> '{LedgerHash.PreviousHashHeader}', timestamp " +
            $"from {Schema}.mt_events e join unnest(@streams, @versions) k(s, v) on e.stream_id = k.s and e.version = k.v order by seq_id", connection);
        command.Parameters.AddWithValue("streams", events.Select(e => e.Stream).ToArray());
        command.Parameters.AddWithValue("versions", events.Select(e => e.Version).ToArray());
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        var rows = new List<(LedgerRow, DateTimeOffset)>();
        while (await reader.ReadAsync(ct)) rows.Add(await RowAsync(reader, ct));
        return rows;
    }

    /// <summary>
    /// One stream's events after <paramref name="after"/> up to <paramref name="toVersion"/> (0: all), at most
    /// <paramref name="limit"/> of them (0: every one), with their storage time.
    /// </summary>
    public async IAsyncEnumerable<(LedgerRow Row, DateTimeOffset StoredAt)> ReadStreamAsync(string stream, long toVersion = 0, long after = 0, int limit = 0,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        // Streamed, not listed: a run's or an access log's stream can hold millions of events, and a replay holds one at a time.
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select {Columns} from {Schema}.mt_events where stream_id = @stream and version > @after and (@to = 0 or version <= @to) order by version "
            + "limit case when @limit = 0 then null else @limit end", connection);
        command.Parameters.AddWithValue("stream", stream);
        command.Parameters.AddWithValue("to", toVersion);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        while (await reader.ReadAsync(ct)) yield return await RowAsync(reader, ct);
    }

    /// <summary>The stored body of one event (the JSON text), or null.</summary>
    public async Task<string?> ReadBodyAsync(string stream, long version, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select data::text from {Schema}.mt_events where stream_id = @stream and version = @version", connection);
        command.Parameters.AddWithValue("stream", stream);
        command.Parameters.AddWithValue("version", version);
        return await command.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>The highest version of a stream (0 when it has no events).</summary>
    public async Task<long> LastVersionAsync(string stream, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand($"select coalesce(max(version), 0) from {Schema}.mt_events where stream_id = @stream", connection);
        command.Parameters.AddWithValue("stream", stream);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<(LedgerRow Row, DateTimeOffset StoredAt)> RowAsync(NpgsqlDataReader r, CancellationToken ct)
    {
        // Sequential access: columns in order, each once.
        var sequence = r.GetInt64(0);
        var stream = r.GetString(1);
        var version = r.GetInt64(2);
        var type = r.GetString(3);
        var body = await r.IsDBNullAsync(4, ct) ? [] : Encoding.UTF8.GetBytes(r.GetString(4));
        var headers = await r.IsDBNullAsync(5, ct) ? [] : Encoding.UTF8.GetBytes(r.GetString(5));
        var correlation = await r.IsDBNullAsync(6, ct) ? null : r.GetString(6);
        var causation = await r.IsDBNullAsync(7, ct) ? null : r.GetString(7);
        var hash = await r.IsDBNullAsync(8, ct) ? null : r.GetString(8);
        var previous = await r.IsDBNullAsync(9, ct) ? null : r.GetString(9);
        var storedAt = r.GetFieldValue<DateTimeOffset>(10);
        return (new LedgerRow(sequence, stream, version, type, body, headers, correlation, causation, hash, previous), storedAt);
    }
}
