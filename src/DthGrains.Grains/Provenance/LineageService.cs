using DthGrains.Contracts.Platform;
using DthGrains.Domain.Provenance;
using DthGrains.Grains.Platform;
using Marten;

namespace DthGrains.Grains.Provenance;

/// <summary>
/// Builds lineage graphs from the ledger. The silo keeps the lineage facts it has read (nodes and edges, each naming
/// its event; the events' envelopes are read for the graph a query returns) and, before every query, reads only what
/// was stored since, in global sequence order: the pure
/// <see cref="LineageRules"/> state the nodes and edges, each stream's memory carried from its earlier events. A
/// <see cref="SequenceFrontier"/> makes sure a transaction that commits after a later one was read is still read, so a
/// lineage is never staler than the ledger at the moment of the query. Cost: memory for the facts of the whole ledger
/// (access reads are the bulk of them, since uses of a grant are part of its lineage), and per query one read of what
/// is new.
/// </summary>
public sealed class LineageService(LedgerReader reader, IDocumentStore store)
{
    /// <summary>A gap in the sequence is given up only this long after it was first seen, and once every transaction then running has ended.</summary>
    public static readonly TimeSpan GapMargin = TimeSpan.FromSeconds(2);

    private static readonly Dictionary<string, Type> Types =
        LineageRules.EventTypes.ToDictionary(EventTypeRegistry.NameOf, t => t, StringComparer.Ordinal);

    private static readonly string[] TypeNames = [.. Types.Keys];

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly LineageFacts _facts = new();
    private readonly Dictionary<string, LineageStreamMemory> _memories = new(StringComparer.Ordinal);
    private readonly SequenceFrontier _frontier = new(GapMargin);

    /// <summary>Null when <paramref name="root"/> names nothing the ledger knows.</summary>
    public async Task<Lineage?> LineageAsync(string root, int depth, CancellationToken ct = default)
    {
        LineageGraph? graph;
        await _gate.WaitAsync(ct);
        try
        {
            await CatchUpAsync(ct);
            graph = LineageGraph.Of(_facts, root, depth);
        }
        finally
        {
            _gate.Release();
        }
        if (graph is null) return null;
        // The evidence (each edge's event with its envelope and stored hash) is read for the graph at hand, outside the
        // gate, not kept for the whole ledger: it was about a fifth of the facts' memory.
        var rows = await reader.ReadEnvelopesAsync([.. graph.Edges.Select(e => (e.Stream, e.Version)).Distinct()], ct);
        return new Lineage(graph, [.. rows.Select(r => Evidence(r.Row, r.StoredAt))]);
    }

    /// <summary>The sequence up to which everything is read, and the gaps above it still awaited (for tests and diagnostics).</summary>
    public async Task<(long Low, long[] Gaps)> FrontierAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await CatchUpAsync(ct);
            return (_frontier.Low, [.. _frontier.Gaps.Order()]);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static EventEnvelope EnvelopeOf(LedgerRow row, DateTimeOffset storedAt) =>
        EnvelopeHeaders.Read(StreamReplayer.Headers(row.HeadersJson), row.CorrelationId, row.CausationId, storedAt);

    private static LineageEvent Evidence(LedgerRow row, DateTimeOffset storedAt)
    {
        var envelope = EnvelopeOf(row, storedAt);
        return new LineageEvent(row.Stream, row.Version, row.Sequence, row.EventType, envelope.RecordedAt, envelope.ActorSubject, envelope.ActorInstitution,
            envelope.ActorRoles, envelope.Purpose, row.StoredHash);
    }

    /// <summary>Reads what was stored after the frontier (and what came late into its gaps) into the facts. Under the gate.</summary>
    private async Task CatchUpAsync(CancellationToken ct)
    {
        var serializer = store.Options.Serializer();
        var highest = _frontier.Low;
        var (xmin, xmax) = await reader.ReadSinceAsync(_frontier.Low, TypeNames, (row, storedAt) =>
        {
            highest = Math.Max(highest, row.Sequence);
            if (_frontier.Seen(row.Sequence)) return;
            if (Types.TryGetValue(row.EventType, out var type))
            {
                var envelope = EnvelopeOf(row, storedAt);
                var data = serializer.FromJson(type, new MemoryStream(row.BodyJson.ToArray()));
                if (!_memories.TryGetValue(row.Stream, out var memory)) _memories[row.Stream] = memory = new LineageStreamMemory();
                LineageRules.Apply(_facts, memory, new LineageSource(row.Stream, row.Version, row.Sequence, envelope.RecordedAt, envelope.ActorSubject, envelope.ActorInstitution), data);
            }
            _frontier.Mark(row.Sequence);
        }, ct);
        // Real time, not the domain clock (which tests move by hand): the margin is about transactions in flight.
        _frontier.Settle(highest, xmin, xmax, TimeProvider.System.GetUtcNow());
    }
}
