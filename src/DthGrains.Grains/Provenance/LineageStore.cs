using System.Globalization;
using System.Text.Json;
using DthGrains.Domain.Provenance;
using DthGrains.Grains.Platform;
using Npgsql;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace DthGrains.Grains.Provenance;

/// <summary>
/// The lineage facts of the whole ledger, kept in PostgreSQL beside it (<c>dth.lineage_*</c>): nodes, edges (each
/// with the event it was read from and the order it was first stated in), each stream's lineage memory, and how far
/// the ledger has been read (a <see cref="SequenceFrontierState"/>). Every silo reads and extends the same facts, one
/// at a time (the progress row is locked for each catch-up), so a silo keeps nothing of the ledger in memory and a new
/// silo reads nothing twice. The facts are derived: they can be dropped and read again from the ledger.
/// </summary>
public static class LineageStore
{
    private const string Schema = EventStoreSetup.SchemaName;
    private const string Nodes = Schema + ".lineage_nodes";
    private const string Edges = Schema + ".lineage_edges";
    private const string Streams = Schema + ".lineage_streams";
    private const string Progress = Schema + ".lineage_progress";

    /// <summary>The store's tables, schema-qualified.</summary>
    public static readonly IReadOnlyList<string> TableNames = [Nodes, Edges, Streams, Progress];

    /// <summary>
    /// Empties the store: the facts are derived, so the next catch-up reads them again from the whole ledger (the repair
    /// after <c>verify-lineage</c> found a difference; a rebuild).
    /// </summary>
    public static async Task EmptyAsync(Marten.IDocumentStore store, CancellationToken ct = default)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var truncate = new NpgsqlCommand($"truncate {string.Join(", ", TableNames)}", connection);
        await truncate.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Edges read per node and direction, at most. A node with more edges one way has more than
    /// <see cref="LineageGraph.MaxNodes"/> distinct neighbours (edges are unique by their ends and relation, and there are
    /// eleven relations), so a walk through it stops at the node cap anyway (and says it was truncated): without the
    /// limit, a dataset version read a million times would bring a million edges to every walk that reaches it.
    /// </summary>
    public const int EdgesPerNode = 12 * LineageGraph.MaxNodes;

    /// <summary>How long a catch-up waits for another silo's to end before it gives up, unless told otherwise.</summary>
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(30);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The tables, created and migrated with Marten's own schema objects.</summary>
    public static IEnumerable<Table> Tables()
    {
        var nodes = new Table(new PostgresqlObjectName(Schema, "lineage_nodes", SchemaUtils.IdentifierUsage.General));
        nodes.AddColumn<string>("id").AsPrimaryKey();
        nodes.AddColumn<string>("kind").NotNull();
        nodes.AddColumn<string>("type").NotNull();
        nodes.AddColumn<string>("label").NotNull();
        // Times and attributes as the rules stated them, to the tick and in their order (timestamptz keeps microseconds,
        // jsonb sorts keys): a lineage read back is the one that was stated.
        nodes.AddColumn<string>("at");
        nodes.AddColumn<string>("attributes");
        nodes.AddColumn<bool>("defined").NotNull();
        yield return nodes;

        var edges = new Table(new PostgresqlObjectName(Schema, "lineage_edges", SchemaUtils.IdentifierUsage.General));
        edges.AddColumn<string>("from_id").AsPrimaryKey();
        edges.AddColumn<string>("relation").AsPrimaryKey();
        edges.AddColumn<string>("to_id").AsPrimaryKey();
        edges.AddColumn<long>("ord").NotNull();
        edges.AddColumn<string>("at");
        edges.AddColumn<string>("stream").NotNull();
        edges.AddColumn<long>("version").NotNull();
        edges.AddColumn<string>("attributes");
        // Outgoing edges are found by the primary key's first column (a node states few); incoming by this index (a
        // dataset version is used by every read of it). A second index for outgoing cost a quarter of the writes.
        edges.Indexes.Add(new IndexDefinition("ix_lineage_edges_to") { Columns = ["to_id", "ord"] });
        yield return edges;

        var streams = new Table(new PostgresqlObjectName(Schema, "lineage_streams", SchemaUtils.IdentifierUsage.General));
        streams.AddColumn<string>("stream").AsPrimaryKey();
        streams.AddColumn<string>("memory").NotNull();
        yield return streams;

        var progress = new Table(new PostgresqlObjectName(Schema, "lineage_progress", SchemaUtils.IdentifierUsage.General));
        progress.AddColumn<int>("id").AsPrimaryKey();
        progress.AddColumn<string>("frontier").NotNull();
        progress.AddColumn<long>("next_order").NotNull();
        // The LineageRules.Version that stated the facts (null: version 1, before the column was added).
        progress.AddColumn<int>("rules");
        yield return progress;
    }

    /// <summary>How far the facts have read the ledger, the order the next edge takes, and the rules that stated them.</summary>
    public sealed record Position(SequenceFrontierState Frontier, long NextOrder, int Rules);

    /// <summary>Where a store starts: nothing read, stated by the current rules.</summary>
    public static Position Start => new(new SequenceFrontierState(0, 0, []), 0, LineageRules.Version);

    /// <summary>Locks the progress row for the rest of <paramref name="tx"/> (one catch-up at a time, across silos) and reads it.</summary>
    /// <exception cref="PostgresException">the lock was not had within <paramref name="lockTimeout"/> (SQL state 55P03).</exception>
    public static async Task<Position> LockAsync(NpgsqlConnection connection, NpgsqlTransaction tx, TimeSpan lockTimeout, CancellationToken ct)
    {
        // A catch-up that hangs (its silo cut off mid-transaction) must not hold every other silo's queries for as long
        // as its connection lingers: they give up after this, as a lock not available
        // (55P03, which Npgsql counts as transient: the API answers 503 with Retry-After).
        await using (var timeout = new NpgsqlCommand($"set local lock_timeout = '{(long)lockTimeout.TotalMilliseconds}ms'", connection, tx))
            await timeout.ExecuteNonQueryAsync(ct);
        await using (var create = new NpgsqlCommand(
            $"insert into {Progress} (id, frontier, next_order, rules) values (1, @frontier, 0, @rules) on conflict (id) do nothing", connection, tx))
        {
            create.Parameters.AddWithValue("frontier", JsonSerializer.Serialize(Start.Frontier, Json));
            create.Parameters.AddWithValue("rules", LineageRules.Version);
            await create.ExecuteNonQueryAsync(ct);
        }
        await using var command = new NpgsqlCommand($"select frontier, next_order, coalesce(rules, 1) from {Progress} where id = 1 for update", connection, tx);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new Position(JsonSerializer.Deserialize<SequenceFrontierState>(reader.GetString(0), Json)!, reader.GetInt64(1), reader.GetInt32(2));
    }

    /// <summary>
    /// Empties the facts and stream memories in <paramref name="tx"/> (the progress row stays locked) and sets the
    /// position back to the start under the current rules: what a store stated by other rules gets before it is read again.
    /// </summary>
    public static async Task<Position> RestartAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, tx);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"truncate {Nodes}, {Edges}, {Streams}"));
        var progress = new NpgsqlBatchCommand($"update {Progress} set frontier = @frontier, next_order = 0, rules = @rules where id = 1");
        progress.Parameters.Add(new NpgsqlParameter("frontier", JsonSerializer.Serialize(Start.Frontier, Json)));
        progress.Parameters.Add(new NpgsqlParameter("rules", LineageRules.Version));
        batch.BatchCommands.Add(progress);
        await batch.ExecuteNonQueryAsync(ct);
        return Start;
    }

    /// <summary>The kept memories of <paramref name="streams"/> (a stream with none kept starts from a fresh one).</summary>
    public static async Task<Dictionary<string, LineageStreamMemory>> MemoriesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string[] streams,
        CancellationToken ct)
    {
        var memories = new Dictionary<string, LineageStreamMemory>(StringComparer.Ordinal);
        if (streams.Length == 0) return memories;
        await using var command = new NpgsqlCommand($"select stream, memory from {Streams} where stream = any(@streams)", connection, tx);
        command.Parameters.AddWithValue("streams", streams);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) memories[reader.GetString(0)] = JsonSerializer.Deserialize<LineageStreamMemory>(reader.GetString(1), Json)!;
        return memories;
    }

    /// <summary>Where facts are written: the store's tables, or a verification's scratch copies of them.</summary>
    public sealed record FactTables(string Nodes, string Edges)
    {
        public static readonly FactTables Store = new(LineageStore.Nodes, LineageStore.Edges);
    }

    /// <summary>
    /// Writes what one catch-up stated, in <paramref name="tx"/>: its facts (<see cref="AddFacts"/>), the changed
    /// stream memories, and the new position.
    /// </summary>
    public static async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, LineageFacts facts, IReadOnlyDictionary<string, LineageStreamMemory> changed,
        SequenceFrontierState frontier, long nextOrder, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, tx);
        AddFacts(batch, FactTables.Store, facts, nextOrder);
        if (changed.Count > 0)
        {
            var command = new NpgsqlBatchCommand(
                $"insert into {Streams} (stream, memory) select * from unnest(@stream, @memory) on conflict (stream) do update set memory = excluded.memory");
            command.Parameters.Add(new NpgsqlParameter("stream", changed.Keys.ToArray()));
            command.Parameters.Add(new NpgsqlParameter("memory", changed.Values.Select(m => JsonSerializer.Serialize(m, Json)).ToArray()));
            batch.BatchCommands.Add(command);
        }
        var progress = new NpgsqlBatchCommand($"update {Progress} set frontier = @frontier, next_order = @next where id = 1");
        progress.Parameters.Add(new NpgsqlParameter("frontier", JsonSerializer.Serialize(frontier, Json)));
        progress.Parameters.Add(new NpgsqlParameter("next", nextOrder + facts.Edges.Count));
        batch.BatchCommands.Add(progress);
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Adds to <paramref name="batch"/> the writes of <paramref name="facts"/> into <paramref name="tables"/>: a defining
    /// node replaces what was known of it, a mere reference is added only when nothing was; an edge is added once (the
    /// first statement of it stays, with its order, numbered from <paramref name="nextOrder"/>).
    /// </summary>
    public static void AddFacts(NpgsqlBatch batch, FactTables tables, LineageFacts facts, long nextOrder)
    {
        var nodes = facts.Nodes.Values.ToArray();
        if (nodes.Length > 0)
        {
            var command = new NpgsqlBatchCommand(
                $"""
                insert into {tables.Nodes} (id, kind, type, label, at, attributes, defined)
                select * from unnest(@id, @kind, @type, @label, @at, @attributes, @defined)
                on conflict (id) do update set kind = excluded.kind, type = excluded.type, label = excluded.label, at = excluded.at,
                    attributes = excluded.attributes, defined = true
                where excluded.defined
                """);
            command.Parameters.Add(new NpgsqlParameter("id", nodes.Select(n => n.Id).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("kind", nodes.Select(n => n.Kind.ToString()).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("type", nodes.Select(n => n.Type).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("label", nodes.Select(n => n.Label).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("at", nodes.Select(n => Time(n.At)).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("attributes", nodes.Select(n => Attributes(n.Attributes)).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("defined", nodes.Select(n => n.Defined).ToArray()));
            batch.BatchCommands.Add(command);
        }
        var edges = facts.Edges;
        if (edges.Count > 0)
        {
            var command = new NpgsqlBatchCommand(
                $"""
                insert into {tables.Edges} (from_id, relation, to_id, ord, at, stream, version, attributes)
                select * from unnest(@from, @relation, @to, @ord, @at, @stream, @version, @attributes)
                on conflict (from_id, relation, to_id) do nothing
                """);
            command.Parameters.Add(new NpgsqlParameter("from", edges.Select(e => e.From).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("relation", edges.Select(e => e.Relation).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("to", edges.Select(e => e.To).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("ord", edges.Select(e => nextOrder + e.Order).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("at", edges.Select(e => Time(e.At)).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("stream", edges.Select(e => e.Stream).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("version", edges.Select(e => e.Version).ToArray()));
            command.Parameters.Add(new NpgsqlParameter("attributes", edges.Select(e => Attributes(e.Attributes)).ToArray()));
            batch.BatchCommands.Add(command);
        }
    }

    /// <summary>The position as it stood in <paramref name="tx"/>'s snapshot, without locking it (null before the first catch-up).</summary>
    public static async Task<SequenceFrontierState?> FrontierAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select frontier from {Progress} where id = 1", connection, tx);
        return await command.ExecuteScalarAsync(ct) is string json ? JsonSerializer.Deserialize<SequenceFrontierState>(json, Json) : null;
    }

    /// <summary>The facts as a walk reads them, on <paramref name="connection"/> (open, and kept for the walk).</summary>
    public static ILineageIndex Index(NpgsqlConnection connection) => new StoredIndex(connection);

    private sealed class StoredIndex(NpgsqlConnection connection) : ILineageIndex
    {
        public async ValueTask<IReadOnlyDictionary<string, LineageNode>> NodesAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default)
        {
            await using var command = new NpgsqlCommand($"select id, kind, type, label, at, attributes, defined from {Nodes} where id = any(@ids)", connection);
            command.Parameters.AddWithValue("ids", ids.ToArray());
            await command.PrepareAsync(ct);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var nodes = new Dictionary<string, LineageNode>(StringComparer.Ordinal);
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetString(0);
                nodes[id] = new LineageNode(id, Enum.Parse<ProvKind>(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                    Time(reader.IsDBNull(4) ? null : reader.GetString(4)), Attributes(reader.IsDBNull(5) ? null : reader.GetString(5)), reader.GetBoolean(6));
            }
            return nodes;
        }

        public ValueTask<ILookup<string, LineageEdge>> OutgoingAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default) =>
            EdgesAsync("from_id", ids, e => e.From, ct);

        public ValueTask<ILookup<string, LineageEdge>> IncomingAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default) =>
            EdgesAsync("to_id", ids, e => e.To, ct);

        private async ValueTask<ILookup<string, LineageEdge>> EdgesAsync(string end, IReadOnlyCollection<string> ids, Func<LineageEdge, string> by, CancellationToken ct)
        {
            await using var command = new NpgsqlCommand(
                $"""
                select e.from_id, e.relation, e.to_id, e.ord, e.at, e.stream, e.version, e.attributes
                from unnest(@ids) as i(id)
                cross join lateral (select * from {Edges} x where x.{end} = i.id order by x.ord limit @limit) e
                order by e.ord
                """, connection);
            command.Parameters.AddWithValue("ids", ids.ToArray());
            command.Parameters.AddWithValue("limit", EdgesPerNode);
            await command.PrepareAsync(ct);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var edges = new List<LineageEdge>();
            while (await reader.ReadAsync(ct))
            {
                edges.Add(new LineageEdge(reader.GetString(0), reader.GetString(1), reader.GetString(2), Time(reader.IsDBNull(4) ? null : reader.GetString(4)),
                    reader.GetString(5), reader.GetInt64(6), Attributes(reader.IsDBNull(7) ? null : reader.GetString(7))) { Order = reader.GetInt64(3) });
            }
            return edges.ToLookup(by, StringComparer.Ordinal);
        }
    }

    private static string? Time(DateTimeOffset? at) => at?.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset? Time(string? at) => at is null ? null : DateTimeOffset.ParseExact(at, "O", CultureInfo.InvariantCulture);

    private static string? Attributes(IReadOnlyDictionary<string, string>? attributes) => attributes is null ? null : JsonSerializer.Serialize(attributes, Json);

    private static IReadOnlyDictionary<string, string>? Attributes(string? json) => json is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(json, Json);
}
