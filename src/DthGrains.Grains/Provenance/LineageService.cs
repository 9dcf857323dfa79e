using DthGrains.Contracts.Platform;
using DthGrains.Domain.Provenance;
using DthGrains.Grains.Platform;
using Marten;

namespace DthGrains.Grains.Provenance;

/// <summary>
/// Builds lineage graphs from the ledger. The lineage facts (nodes and edges, each naming its event) are kept in
/// PostgreSQL by <see cref="LineageStore"/>, shared by every silo; before every query, what was stored in the ledger
/// since is read, in global sequence order and in chunks, each chunk's facts written with the new position in one
/// transaction that holds the store's progress row (one catch-up at a time, across silos): the pure
/// <see cref="LineageRules"/> state the nodes and edges, each stream's memory carried from its earlier events. A
/// <see cref="SequenceFrontier"/> makes sure a transaction that commits after a later one was read is still read, so a
/// lineage is never staler than the ledger at the moment of the query. The walk then reads the facts it needs, a level
/// at a time, and the evidence (each edge's event envelope and stored hash) of the graph it found. A silo keeps nothing
/// of the ledger in memory.
/// </summary>
/// <param name="chunkSize">Events read per catch-up transaction at most (a first catch-up of a long ledger takes many).</param>
/// <param name="lockTimeout">How long a catch-up waits for another's to end (default <see cref="LineageStore.DefaultLockTimeout"/>).</param>
/// <param name="unreadable">Where a stream with an event that cannot be read is reported (readiness turns unhealthy).</param>
/// <param name="queryBudget">
/// Ledger events a query reads at most before it answers; a store further behind (the first reading of a long ledger)
/// makes it throw <see cref="LineageCatchingUpException"/> (503) instead of holding the caller for minutes.
/// </param>
public sealed partial class LineageService(LedgerReader reader, IDocumentStore store, int chunkSize = LineageService.DefaultChunkSize, TimeSpan? lockTimeout = null,
    UnreadableEvents? unreadable = null, int queryBudget = LineageService.DefaultQueryBudget)
{
    /// <summary>A gap in the sequence is given up only this long after it was first seen, and once every transaction then running has ended.</summary>
    public static readonly TimeSpan GapMargin = TimeSpan.FromSeconds(2);

    public const int DefaultChunkSize = 5000;

    /// <summary>About 5 s of reading at 47 µs per recorded read on two cores.</summary>
    public const int DefaultQueryBudget = 100_000;

    private static readonly Dictionary<string, Type> Types =
        LineageRules.EventTypes.ToDictionary(EventTypeRegistry.NameOf, t => t, StringComparer.Ordinal);

    private static readonly string[] TypeNames = [.. Types.Keys];

    /// <summary>
    /// <see cref="LineageRules.UnreadProperties"/> by stored type name and property name (the event store writes
    /// properties in camel case: <see cref="Platform.EventStoreSetup"/>).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> UnreadProperties = LineageRules.UnreadProperties.ToDictionary(
        p => EventTypeRegistry.NameOf(p.Key), p => p.Value.Select(System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName).ToArray(), StringComparer.Ordinal);

    // One chunk of this silo at a time: the others would only wait on the store's lock, each holding a connection. Per
    // chunk, not per catch-up, so a query takes turns with a long background reading instead of waiting for its end.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _eventsRead;

    /// <summary>Ledger events this service has read (for tests and diagnostics: a silo reads only what no silo has read before).</summary>
    public long EventsRead => Interlocked.Read(ref _eventsRead);

    /// <summary>Null when <paramref name="root"/> names nothing the ledger knows.</summary>
    /// <exception cref="LineageCatchingUpException">the store is more than the query budget behind the ledger.</exception>
    public async Task<Lineage?> LineageAsync(string root, int depth, CancellationToken ct = default)
    {
        await CatchUpForQueryAsync(ct);
        LineageGraph? graph;
        await using (var connection = store.Storage.Database.CreateConnection())
        {
            await connection.OpenAsync(ct);
            graph = await LineageGraph.OfAsync(LineageStore.Index(connection), root, depth, ct: ct);
        }
        if (graph is null) return null;
        var rows = await reader.ReadEnvelopesAsync([.. graph.Edges.Select(e => (e.Stream, e.Version)).Distinct()], ct);
        return new Lineage(graph, [.. rows.Select(r => Evidence(r.Row, r.StoredAt))]);
    }

    /// <summary>The kinds whose entities are named by a kind and the id a user knows (run:r1, grant:grant-r1, ...).</summary>
    public static readonly IReadOnlyList<string> NamedKinds = ["access-request", "grant", "organisation", "person", "resource", "run", "twin"];

    /// <summary>
    /// The entities the lineage knows under <paramref name="id"/> with a kind put before it (run:id, twin:id, ...):
    /// a caller who gave an id without its kind gets told which one to ask for. One indexed read of a few keys.
    /// </summary>
    public async Task<IReadOnlyList<string>> NamedAsync(string id, CancellationToken ct = default)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        var nodes = await LineageStore.Index(connection).NodesAsync([.. NamedKinds.Select(kind => $"{kind}:{id}")], ct);
        return [.. nodes.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>The sequence up to which everything is read, and the gaps above it still awaited (for tests and diagnostics).</summary>
    public async Task<(long Low, long[] Gaps)> FrontierAsync(CancellationToken ct = default)
    {
        var frontier = await CatchUpAsync(ct);
        return (frontier.Low, [.. frontier.Gaps.Select(g => g.Sequence)]);
    }

    private static LineageEvent Evidence(LedgerRow row, DateTimeOffset storedAt)
    {
        var envelope = EnvelopeOf(row, storedAt);
        return new LineageEvent(row.Stream, row.Version, row.Sequence, row.EventType, envelope.RecordedAt, envelope.ActorSubject, envelope.ActorInstitution,
            envelope.ActorRoles, envelope.Purpose, row.StoredHash);
    }

    private static bool Unchanged(SequenceFrontierState now, SequenceFrontierState before) =>
        now.Low == before.Low && now.Highest == before.Highest && now.Gaps.SequenceEqual(before.Gaps);

    /// <summary>
    /// The event's data. An event that cannot be read stops the lineage loudly, naming its stream (RELIABILITY row 8): it
    /// is never skipped, since every lineage after it would silently miss what it states.
    /// </summary>
    private object Read(ISerializer serializer, Type type, LedgerRow row)
    {
        try
        {
            return serializer.FromJson(type, new MemoryStream(row.BodyJson.ToArray()));
        }
        catch (Exception ex) when (UnreadableEvents.IsDeserializationFailure(ex))
        {
            throw unreadable?.Record(row.Stream, ex) ?? UnreadableStreamException.For(row.Stream, ex);
        }
    }

    /// <summary>Where the event sits and who recorded it, as the lineage rules take it.</summary>
    private static LineageSource SourceOf(LedgerRow row, DateTimeOffset storedAt)
    {
        var envelope = EnvelopeOf(row, storedAt);
        return new LineageSource(row.Stream, row.Version, row.Sequence, envelope.RecordedAt, envelope.ActorSubject, envelope.ActorInstitution);
    }

    private static EventEnvelope EnvelopeOf(LedgerRow row, DateTimeOffset storedAt) =>
        EnvelopeHeaders.Read(StreamReplayer.Headers(row.HeadersJson), row.CorrelationId, row.CausationId, storedAt);

    /// <summary>
    /// Reads what was stored after the frontier (and what came late into its gaps) into the store, chunk by chunk, to the
    /// end of the ledger; returns the frontier reached.
    /// </summary>
    public Task<SequenceFrontierState> CatchUpAsync(CancellationToken ct = default) => CatchUpAsync(null, ct);

    /// <summary>As <see cref="CatchUpAsync(CancellationToken)"/>; <paramref name="chunkRead"/> hears of every full chunk (a long reading).</summary>
    public async Task<SequenceFrontierState> CatchUpAsync(Action<SequenceFrontierState>? chunkRead, CancellationToken ct) =>
        (await ReadAsync(long.MaxValue, chunkRead, ct)).Frontier;

    /// <summary>A query's catch-up: at most <c>queryBudget</c> events, then either the ledger's end or a 503.</summary>
    private async Task CatchUpForQueryAsync(CancellationToken ct)
    {
        var (frontier, atEnd) = await ReadAsync(Math.Max(1, queryBudget), null, ct);
        if (atEnd) return;
        // The budget ended on a full chunk: more may follow, or the ledger may end just there.
        var ledger = await reader.HighestSequenceAsync(ct);
        if (ledger > frontier.Highest) throw new LineageCatchingUpException(frontier.Low, ledger);
    }

    /// <summary>Reads chunk after chunk until one is not full (the ledger's end) or <paramref name="budget"/> events are read.</summary>
    private async Task<(SequenceFrontierState Frontier, bool AtEnd)> ReadAsync(long budget, Action<SequenceFrontierState>? chunkRead, CancellationToken ct)
    {
        for (var left = budget; ;)
        {
            var size = (int)Math.Min(chunkSize, left);
            var (frontier, read) = await CatchUpChunkAsync(size, ct);
            if (read < size) return (frontier, true);
            chunkRead?.Invoke(frontier);
            left -= read;
            if (left <= 0) return (frontier, false);
        }
    }

    private async Task<(SequenceFrontierState Frontier, int Read)> CatchUpChunkAsync(int size, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            return await ReadChunkAsync(size, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<(SequenceFrontierState Frontier, int Read)> ReadChunkAsync(int size, CancellationToken ct)
    {
        var serializer = store.Options.Serializer();
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var position = await LineageStore.LockAsync(connection, tx, lockTimeout ?? LineageStore.DefaultLockTimeout, ct);
        // Facts stated by other rules are not mixed with this version's: the store starts again from the ledger's start.
        var restarted = position.Rules != LineageRules.Version;
        if (restarted) position = await LineageStore.RestartAsync(connection, tx, ct);
        var frontier = SequenceFrontier.Restore(GapMargin, position.Frontier);
        var events = new List<(LineageSource Source, object Data)>();
        var (highest, read) = (frontier.Highest, 0);
        var (xmin, xmax) = await reader.ReadSinceAsync(frontier.Highest, [.. frontier.Gaps], size, TypeNames, (row, storedAt) =>
        {
            read++;
            highest = Math.Max(highest, row.Sequence);
            if (frontier.Seen(row.Sequence)) return;
            if (Types.TryGetValue(row.EventType, out var type))
            {
                events.Add((SourceOf(row, storedAt), Read(serializer, type, row)));
            }
            frontier.Mark(row.Sequence);
        }, UnreadProperties, ct);
        // Real time, not the domain clock (which tests move by hand): the margin is about transactions in flight.
        frontier.Settle(highest, xmin, xmax, TimeProvider.System.GetUtcNow());

        var memories = await LineageStore.MemoriesAsync(connection, tx, [.. events.Select(e => e.Source.Stream).Distinct(StringComparer.Ordinal)], ct);
        var kept = memories.ToDictionary(m => m.Key, m => m.Value with { }, StringComparer.Ordinal);
        var facts = new LineageFacts();
        foreach (var (source, data) in events)
        {
            if (!memories.TryGetValue(source.Stream, out var memory)) memories[source.Stream] = memory = new LineageStreamMemory();
            LineageRules.Apply(facts, memory, source, data);
        }
        var changed = memories.Where(m => !m.Value.Equals(kept.GetValueOrDefault(m.Key) ?? new LineageStreamMemory()))
            .ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        var state = frontier.State();
        if (events.Count == 0 && Unchanged(state, position.Frontier) && !restarted)
        {
            // Nothing new (the usual case between queries): no write, no new row version of the progress row.
            await tx.RollbackAsync(ct);
            return (state, read);
        }
        await LineageStore.WriteAsync(connection, tx, facts, changed, state, position.NextOrder, ct);
        await tx.CommitAsync(ct);
        Interlocked.Add(ref _eventsRead, events.Count);
        return (state, read);
    }
}
