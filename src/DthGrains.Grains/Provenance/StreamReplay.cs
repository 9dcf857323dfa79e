using System.Text.Json;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Provenance;
using DthGrains.Grains.Platform;
using Marten;

namespace DthGrains.Grains.Provenance;

/// <summary>One stored event as an auditor sees it: place, type, stored body, envelope and its links in the chain.</summary>
public sealed record AuditedEvent(
    string Stream,
    long Version,
    long Sequence,
    string EventType,
    JsonElement Body,
    EventEnvelope Envelope,
    string? PreviousHash,
    string? Hash,
    DateTimeOffset StoredAt);

/// <summary>
/// A stream replayed up to a version or a moment: a page of its events and, on the first page, whether the stream's hash
/// chain holds and (where a folder is registered) the state at that point, after every event up to it. The pages after
/// the first carry events only: the first already read, checked and folded the whole stream to the version replayed to,
/// and each following page reads its own events alone, so reading every page reads the stream once, not once a page.
/// </summary>
/// <param name="Version">the version replayed to: the last event at or before the version or moment asked for.</param>
/// <param name="After">the page holds events after this version (0: the first page).</param>
/// <param name="NextAfter">where the next page starts (its <c>?after=</c>), or null when this page reaches <paramref name="Version"/>.</param>
/// <param name="ChainIntact">on the first page, whether the stream's hash chain verifies up to where it was read (the first problem otherwise in <paramref name="ChainProblem"/>).</param>
public sealed record StreamReplay(
    string Stream,
    long Version,
    long? RequestedVersion,
    DateTimeOffset? AsOf,
    long After,
    long? NextAfter,
    IReadOnlyList<AuditedEvent> Events,
    string? StateType,
    object? State,
    bool? ChainIntact,
    LedgerFinding? ChainProblem,
    string? StateError = null);

/// <summary>
/// As-of replay of any stream: reads the stored rows up to a version or a moment (the envelope's recorded time,
/// which the hash covers), checks their chain, and folds them with the registered <see cref="IReplayFolder"/>.
/// Rows are streamed from the database and folded one at a time; only the page of events asked for is kept, so a
/// stream of millions of events replays in the memory of one page.
/// </summary>
public sealed class StreamReplayer(LedgerReader reader, ReplayFolders folders, IDocumentStore store, DomainClock clock)
{
    public const int DefaultPage = 1000;
    public const int MaxPage = 10_000;

    private static readonly Dictionary<string, Type> TypesByName = EventTypeRegistry.All.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>The first page, with the chain's check and the state. Null when the stream has no events (at that point).</summary>
    /// <param name="limit">at most this many events in the page.</param>
    public async Task<StreamReplay?> ReplayAsync(string streamKey, long? version, DateTimeOffset? asOf, int limit = DefaultPage, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var page = new List<AuditedEvent>();
        var verifier = new LedgerVerifier();
        var folder = folders.For(streamKey);
        var fold = folder?.Start(streamKey);
        var serializer = fold is null ? null : store.Options.Serializer();
        string? stateError = null;
        (long Version, DateTimeOffset RecordedAt)? last = null;
        var more = false;
        var cut = false;
        await foreach (var (row, storedAt) in reader.ReadStreamAsync(streamKey, version ?? 0, ct: ct))
        {
            // The chain is checked over every row read, also those after the moment: the moment is read from a row's own
            // header, and a row whose recorded time was moved past it by hand must still be named as broken, not left out.
            verifier.Add(row);
            if (cut) continue;
            var envelope = EnvelopeHeaders.Read(Headers(row.HeadersJson), row.CorrelationId, row.CausationId, storedAt);
            if (asOf is { } t && envelope.RecordedAt > t)
            {
                cut = true;
                continue;
            }
            last = (row.Version, envelope.RecordedAt);
            if (page.Count < limit) page.Add(Audited(row, envelope, storedAt));
            else more = true;
            if (fold is not null && stateError is null)
            {
                try
                {
                    fold.Apply(TypesByName.TryGetValue(row.EventType, out var type)
                        ? serializer!.FromJson(type, new MemoryStream(row.BodyJson.ToArray()))
                        : throw new InvalidOperationException($"Event type '{row.EventType}' has no CLR type to fold."));
                }
                catch (Exception ex) when (ex is JsonException or InvalidOperationException or InvalidCastException or NotSupportedException)
                {
                    // A tampered or unknown body: the events are still shown, the state cannot be.
                    stateError = ex.Message;
                }
            }
        }
        if (last is not { } through) return null;
        var check = verifier.Complete(DateTimeOffset.UtcNow);
        object? state = null;
        if (fold is not null && stateError is null)
        {
            // Seen at the moment asked for; at a version, when its last event was recorded; else now.
            var at = asOf ?? (version is not null ? through.RecordedAt : clock.GetUtcNow());
            try { state = fold.View(at); }
            catch (Exception ex) when (ex is InvalidOperationException or InvalidCastException) { stateError = ex.Message; }
        }
        return new StreamReplay(streamKey, through.Version, version, asOf, 0, more ? page[^1].Version : null, page, folder?.StateName, state,
            check.Ok, check.FirstBroken, stateError);
    }

    /// <summary>
    /// A following page: the events after <paramref name="after"/> up to <paramref name="version"/> (the version the first
    /// page replayed to) and, with <paramref name="asOf"/>, recorded by then. Null when the stream has no events at all.
    /// </summary>
    public async Task<StreamReplay?> ContinueAsync(string streamKey, long version, DateTimeOffset? asOf, long after, int limit = DefaultPage, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var page = new List<AuditedEvent>();
        var more = false;
        // One row past the page tells whether a next page exists.
        await foreach (var (row, storedAt) in reader.ReadStreamAsync(streamKey, version, after, limit + 1, ct))
        {
            var envelope = EnvelopeHeaders.Read(Headers(row.HeadersJson), row.CorrelationId, row.CausationId, storedAt);
            if (asOf is { } t && envelope.RecordedAt > t) break;
            if (page.Count == limit)
            {
                more = true;
                break;
            }
            page.Add(Audited(row, envelope, storedAt));
        }
        if (page.Count == 0 && await reader.LastVersionAsync(streamKey, ct) == 0) return null;
        return new StreamReplay(streamKey, version, version, asOf, after, more ? page[^1].Version : null, page, folders.For(streamKey)?.StateName, null, null, null);
    }

    private static AuditedEvent Audited(LedgerRow row, EventEnvelope envelope, DateTimeOffset storedAt)
    {
        using var body = JsonDocument.Parse(row.BodyJson);
        return new AuditedEvent(row.Stream, row.Version, row.Sequence, row.EventType, body.RootElement.Clone(), envelope,
            row.StoredPreviousHash, row.StoredHash, storedAt);
    }

    internal static Dictionary<string, string?> Headers(ReadOnlyMemory<byte> json)
    {
        var headers = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (json.IsEmpty) return headers;
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) return headers;
        foreach (var p in doc.RootElement.EnumerateObject())
            headers[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText();
        return headers;
    }
}
