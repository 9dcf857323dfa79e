using System.Data;
using DthGrains.Domain.Provenance;
using Marten;
using Npgsql;

namespace DthGrains.Grains.Provenance;

/// <summary>
/// Checks the lineage store against the ledger. The ledger is hash-chained and the store is not: someone with write
/// access to the database could add, change or delete a fact there and every lineage would show it. So the facts are
/// read again from the events, up to the store's position, into scratch tables (on one connection, dropped at the
/// end; memory holds only the streams' memories), and compared with the store in PostgreSQL. The store is read in
/// one snapshot together with its position, so catch-ups by other silos meanwhile change nothing that is compared.
/// </summary>
/// <remarks>
/// Compared: every node (kind, type, label, time, attributes, defined) and every edge by its ends and relation, with its
/// attributes. Not compared: an edge's order and the event it names (an edge stated by two events that committed in the
/// opposite order of their sequence may name either, read incrementally or whole; the evidence of a query is read from
/// the ledger, with its hash, either way).
/// </remarks>
public sealed partial class LineageService
{
    /// <summary>Differences listed in a verification at most (all are counted).</summary>
    public const int DifferencesListed = 20;

    public async Task<LineageVerification> VerifyAsync(TimeProvider clock, CancellationToken ct = default)
    {
        await CatchUpAsync(ct);
        var serializer = store.Options.Serializer();
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var frontier = await LineageStore.FrontierAsync(connection, tx, ct) ?? new SequenceFrontierState(0, 0, []);
        var scratch = new LineageStore.FactTables("lineage_check_nodes", "lineage_check_edges");
        await ExecuteAsync(connection, tx,
            $"create temp table {scratch.Nodes} (like {LineageStore.FactTables.Store.Nodes} including all) on commit drop; " +
            $"create temp table {scratch.Edges} (like {LineageStore.FactTables.Store.Edges} including all) on commit drop", ct);

        var open = frontier.Gaps.Select(g => g.Sequence).ToHashSet();
        var memories = new Dictionary<string, LineageStreamMemory>(StringComparer.Ordinal);
        long after = 0, order = 0, events = 0;
        while (after < frontier.Highest)
        {
            var facts = new LineageFacts();
            var (rows, last) = (0, after);
            await reader.ReadSinceAsync(after, [], chunkSize, TypeNames, (row, storedAt) =>
            {
                rows++;
                last = row.Sequence;
                if (row.Sequence > frontier.Highest || open.Contains(row.Sequence) || !Types.TryGetValue(row.EventType, out var type)) return;
                if (!memories.TryGetValue(row.Stream, out var memory)) memories[row.Stream] = memory = new LineageStreamMemory();
                LineageRules.Apply(facts, memory, SourceOf(row, storedAt), Read(serializer, type, row));
                events++;
            }, UnreadProperties, ct);
            await using (var batch = new NpgsqlBatch(connection, tx))
            {
                LineageStore.AddFacts(batch, scratch, facts, order);
                if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(ct);
            }
            order += facts.Edges.Count;
            if (rows < chunkSize) break;
            after = last;
        }

        var (stored, listed, differences) = (LineageStore.FactTables.Store, new List<LineageDifference>(), 0L);
        await using (var command = new NpgsqlCommand(
            $"""
            select kind, what, count(*) over () from (
                select 'node-missing' kind, c.id what from {scratch.Nodes} c where not exists (select 1 from {stored.Nodes} s where s.id = c.id)
                union all
                select 'node-differs', c.id from {scratch.Nodes} c join {stored.Nodes} s on s.id = c.id
                    where (s.kind, s.type, s.label, s.at, s.attributes, s.defined) is distinct from (c.kind, c.type, c.label, c.at, c.attributes, c.defined)
                union all
                select 'node-unexplained', s.id from {stored.Nodes} s where not exists (select 1 from {scratch.Nodes} c where c.id = s.id)
                union all
                select 'edge-missing', c.from_id || ' ' || c.relation || ' ' || c.to_id from {scratch.Edges} c
                    where not exists (select 1 from {stored.Edges} s where (s.from_id, s.relation, s.to_id) = (c.from_id, c.relation, c.to_id))
                union all
                select 'edge-differs', c.from_id || ' ' || c.relation || ' ' || c.to_id from {scratch.Edges} c
                    join {stored.Edges} s on (s.from_id, s.relation, s.to_id) = (c.from_id, c.relation, c.to_id) where s.attributes is distinct from c.attributes
                union all
                select 'edge-unexplained', s.from_id || ' ' || s.relation || ' ' || s.to_id from {stored.Edges} s
                    where not exists (select 1 from {scratch.Edges} c where (s.from_id, s.relation, s.to_id) = (c.from_id, c.relation, c.to_id))
            ) d order by kind, what limit {DifferencesListed}
            """, connection, tx))
        await using (var rows = await command.ExecuteReaderAsync(ct))
        {
            while (await rows.ReadAsync(ct))
            {
                listed.Add(new LineageDifference(rows.GetString(0), rows.GetString(1)));
                differences = rows.GetInt64(2);
            }
        }
        long nodes, edges;
        await using (var command = new NpgsqlCommand($"select (select count(*) from {stored.Nodes}), (select count(*) from {stored.Edges})", connection, tx))
        await using (var rows = await command.ExecuteReaderAsync(ct))
        {
            await rows.ReadAsync(ct);
            (nodes, edges) = (rows.GetInt64(0), rows.GetInt64(1));
        }
        await tx.RollbackAsync(ct);
        return new LineageVerification(differences == 0, frontier.Highest, events, nodes, edges, differences, listed, clock.GetUtcNow());
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(ct);
    }
}
