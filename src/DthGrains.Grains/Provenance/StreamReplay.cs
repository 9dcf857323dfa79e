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

/// <summary>A stream replayed up to a version or a moment: its events and, where a folder is registered, the state then.</summary>
/// <param name="ChainIntact">whether the returned events' hash chain verifies (the first problem otherwise in <paramref name="ChainProblem"/>).</param>
public sealed record StreamReplay(
    string Stream,
    long Version,
    long? RequestedVersion,
    DateTimeOffset? AsOf,
    IReadOnlyList<AuditedEvent> Events,
    string? StateType,
    object? State,
    bool ChainIntact,
    LedgerFinding? ChainProblem,
    string? StateError = null);

/// <summary>
/// As-of replay of any stream: reads the stored rows up to a version or a moment (the envelope's recorded time,
/// which the hash covers), checks their chain, and folds them with the registered <see cref="IReplayFolder"/>.
/// </summary>
public sealed class StreamReplayer(LedgerReader reader, ReplayFolders folders, IDocumentStore store, DomainClock clock)
{
    private static readonly Dictionary<string, Type> TypesByName = EventTypeRegistry.All.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>Null when the stream has no events (at that point).</summary>
    public async Task<StreamReplay?> ReplayAsync(string streamKey, long? version, DateTimeOffset? asOf, CancellationToken ct = default)
    {
        var rows = await reader.ReadStreamAsync(streamKey, version ?? 0, ct);
        var events = new List<AuditedEvent>();
        var verifier = new LedgerVerifier();
        var included = new List<LedgerRow>();
        var cut = false;
        foreach (var (row, storedAt) in rows)
        {
            // The chain is checked over every row read, also those after the moment: the moment is read from a row's own
            // header, and a row whose recorded time was moved past it by hand must still be named as broken, not left out.
            verifier.Add(row);
            if (cut) continue;
            var headers = Headers(row.HeadersJson);
            var envelope = EnvelopeHeaders.Read(headers, row.CorrelationId, row.CausationId, storedAt);
            if (asOf is { } t && envelope.RecordedAt > t)
            {
                cut = true;
                continue;
            }
            included.Add(row);
            using var body = JsonDocument.Parse(row.BodyJson);
            events.Add(new AuditedEvent(row.Stream, row.Version, row.Sequence, row.EventType, body.RootElement.Clone(), envelope,
                row.StoredPreviousHash, row.StoredHash, storedAt));
        }
        if (events.Count == 0) return null;
        var check = verifier.Complete(DateTimeOffset.UtcNow);

        var folder = folders.For(streamKey);
        object? state = null;
        string? stateError = null;
        if (folder is not null)
        {
            var serializer = store.Options.Serializer();
            try
            {
                var data = included.Select(r => TypesByName.TryGetValue(r.EventType, out var type)
                    ? serializer.FromJson(type, new MemoryStream(r.BodyJson.ToArray()))
                    : throw new InvalidOperationException($"Event type '{r.EventType}' has no CLR type to fold.")).ToList();
                // Seen at the moment asked for; at a version, when its last event was recorded; else now.
                var at = asOf ?? (version is not null ? events[^1].Envelope.RecordedAt : clock.GetUtcNow());
                state = folder.Fold(streamKey, data, at);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or InvalidCastException or NotSupportedException)
            {
                // A tampered or unknown body: the events are still shown, the state cannot be.
                stateError = ex.Message;
            }
        }
        return new StreamReplay(streamKey, events[^1].Version, version, asOf, events, folder?.StateName, state, check.Ok, check.FirstBroken, stateError);
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
