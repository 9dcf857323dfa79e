using DthGrains.Domain.Provenance;
using DthGrains.Grains.Platform;
using Marten;

namespace DthGrains.Grains.Provenance;


/// <summary>
/// Builds lineage graphs from the ledger: reads the stored events of the types <see cref="LineageRules"/> knows,
/// stream by stream in version order, and lets the pure rules state nodes and edges. Every query reads the store
/// afresh, so a lineage is never staler than the ledger (cost: one scan of the lineage-bearing events per query;
/// access reads are the bulk of them and are read too, since uses of a grant are part of its lineage).
/// </summary>
public sealed class LineageService(LedgerReader reader, IDocumentStore store)
{
    private static readonly Dictionary<string, Type> Types =
        LineageRules.EventTypes.ToDictionary(EventTypeRegistry.NameOf, t => t, StringComparer.Ordinal);

    /// <summary>Null when <paramref name="root"/> names nothing the ledger knows.</summary>
    public async Task<Lineage?> LineageAsync(string root, int depth, CancellationToken ct = default)
    {
        var (facts, events) = await FactsAsync(ct);
        if (LineageGraph.Of(facts, root, depth) is not { } graph) return null;
        var used = graph.Edges.Select(e => (e.Stream, e.Version)).ToHashSet();
        return new Lineage(graph, events.Where(e => used.Contains((e.Stream, e.Version))).OrderBy(e => e.Sequence).ToList());
    }

    /// <summary>Everything the ledger states about lineage, and the events it was read from.</summary>
    public async Task<(LineageFacts Facts, IReadOnlyList<LineageEvent> Events)> FactsAsync(CancellationToken ct = default)
    {
        var events = new List<LineageEvent>();
        var serializer = store.Options.Serializer();
        var facts = new LineageFacts();
        var stream = new List<(LineageSource, object)>();
        string? current = null;
        await foreach (var row in reader.ReadTypesAsync(Types.Keys.ToArray(), ct))
        {
            if (row.Row.Stream != current)
            {
                if (stream.Count > 0) LineageRules.Extract(facts, stream);
                stream.Clear();
                current = row.Row.Stream;
            }
            var envelope = EnvelopeHeaders.Read(StreamReplayer.Headers(row.Row.HeadersJson), row.Row.CorrelationId, row.Row.CausationId, row.StoredAt);
            var data = serializer.FromJson(Types[row.Row.EventType], new MemoryStream(row.Row.BodyJson.ToArray()));
            events.Add(new LineageEvent(row.Row.Stream, row.Row.Version, row.Row.Sequence, row.Row.EventType, envelope.RecordedAt,
                envelope.ActorSubject, envelope.ActorInstitution, envelope.ActorRoles, envelope.Purpose, row.Row.StoredHash));
            stream.Add((new LineageSource(row.Row.Stream, row.Row.Version, row.Row.Sequence, envelope.RecordedAt, envelope.ActorSubject, envelope.ActorInstitution), data));
        }
        if (stream.Count > 0) LineageRules.Extract(facts, stream);
        return (facts, events);
    }
}
