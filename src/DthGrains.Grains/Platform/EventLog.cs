using System.Diagnostics;
using DthGrains.Contracts.Platform;
using JasperFx;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace DthGrains.Grains.Platform;

/// <summary>
/// The one place that appends events, for every capability: it writes the envelope, checks the expected
/// stream version, runs the inline projections in the same transaction, and commits.
/// </summary>
public sealed class EventLog(IDocumentStore store, IEnumerable<IInlineProjection> projections, TimeProvider clock)
{
    private readonly IInlineProjection[] _projections = projections.ToArray();

    /// <summary>
    /// Appends <paramref name="events"/> to <paramref name="streamKey"/>, which must be exactly at
    /// <paramref name="expectedVersion"/> (0: the stream must not exist yet). Returns the new version.
    /// </summary>
    /// <exception cref="StreamConflictException">another writer appended first.</exception>
    public async Task<long> AppendAsync(string streamKey, long expectedVersion, IReadOnlyList<object> events, CommandContext context, CancellationToken ct = default)
    {
        // An empty append once wedged Marten streams (fixed upstream, still never worth doing).
        if (events.Count == 0) return expectedVersion;
        var envelope = EnvelopeHeaders.Create(context with { TraceId = context.TraceId ?? Activity.Current?.TraceId.ToString() }, clock.GetUtcNow());

        await using var session = store.LightweightSession();
        var action = expectedVersion == 0
            ? session.Events.StartStream(streamKey, events)
            : session.Events.Append(streamKey, expectedVersion + events.Count, events);
        foreach (var e in action.Events) EnvelopeHeaders.Write(e, envelope);

        var pending = events.Select((data, i) => new PendingEvent(streamKey, expectedVersion + i + 1, data, envelope)).ToArray();
        foreach (var projection in _projections) await projection.ProjectAsync(session, pending, ct);

        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (Exception ex) when (IsVersionConflict(ex))
        {
            throw new StreamConflictException(streamKey, expectedVersion, ex);
        }
        return expectedVersion + events.Count;
    }

    /// <summary>Reads a stream from the start, up to a version and/or a moment (inclusive); empty when it does not exist.</summary>
    public async Task<IReadOnlyList<IEvent>> ReadAsync(string streamKey, long toVersion = 0, DateTimeOffset? asOf = null, CancellationToken ct = default)
    {
        await using var session = store.QuerySession();
        return await session.Events.FetchStreamAsync(streamKey, toVersion, asOf, token: ct);
    }

    /// <summary>Reads a stream as wire records: type name, JSON body and envelope per event.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadStoredAsync(string streamKey, long toVersion = 0, DateTimeOffset? asOf = null, CancellationToken ct = default)
    {
        var events = await ReadAsync(streamKey, toVersion, asOf, ct);
        var serializer = store.Options.Serializer();
        return events.Select(e => new StoredEvent(streamKey, e.Version, e.Sequence, e.EventTypeName, serializer.ToJson(e.Data), EnvelopeHeaders.Read(e))).ToArray();
    }

    private static bool IsVersionConflict(Exception ex) => ex switch
    {
        EventStreamUnexpectedMaxEventIdException or ExistingStreamIdCollisionException or ConcurrencyException => true,
        // The unique (stream, version) index is the last line of defence when two appends interleave.
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } => true,
        _ when ex.InnerException is not null => IsVersionConflict(ex.InnerException),
        _ => false,
    };
}
