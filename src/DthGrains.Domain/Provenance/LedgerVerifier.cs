using DthGrains.Contracts.Provenance;

namespace DthGrains.Domain.Provenance;

/// <summary>One stored event as the verifier reads it: raw columns, nothing deserialized.</summary>
public sealed record LedgerRow(
    long Sequence,
    string Stream,
    long Version,
    string EventType,
    ReadOnlyMemory<byte> BodyJson,
    ReadOnlyMemory<byte> HeadersJson,
    string? CorrelationId,
    string? CausationId,
    string? StoredHash,
    string? StoredPreviousHash)
{
    public LedgerEventContent Content(long version, string previousHash, string? eventType = null, ReadOnlyMemory<byte>? body = null) =>
        new(Stream, version, eventType ?? EventType, body ?? BodyJson, HeadersJson, CorrelationId, CausationId, previousHash);
}

/// <summary>What is wrong at a place in the ledger.</summary>
public enum LedgerFindingKind
{
    /// <summary>The body, type or envelope stored at this version is not what was hashed.</summary>
    ContentEdited,

    /// <summary>Versions are missing in the middle of the stream.</summary>
    EventMissing,

    /// <summary>Events (or their bodies) of one stream trade places.</summary>
    OrderSwapped,

    /// <summary>The event's own hash is consistent but its <c>prev_hash</c> does not name its predecessor.</summary>
    LinkBroken,

    /// <summary>The event carries no hash: it was written around the one append path.</summary>
    Unhashed,

    /// <summary>Events at the end of a stream (or a whole stream) are gone, relative to a checkpoint or the stream table.</summary>
    TailCut,

    /// <summary>The chain verifies but no longer ends in the head hash the checkpoint signed: it was recomputed after edits.</summary>
    RewrittenSinceCheckpoint,

    /// <summary>The stream table's version is behind the stream's events.</summary>
    StreamTableMismatch,

    /// <summary>The stored record of the checkpoint being verified against is missing or differs from the signed document.</summary>
    CheckpointRecordAltered,

    /// <summary>
    /// Rows stored beside an event (a run shard's per-subject rows in <c>dth.run_rows</c>) are missing or are not the
    /// ones whose digest the event records.
    /// </summary>
    ResultRowsAltered,
}

/// <param name="Version">the version where the chain breaks (for a missing range, its first version).</param>
/// <param name="Sequence">the global sequence of the stored event at which the break shows, when one is there.</param>
/// <param name="RelatedVersion">the other version of a swap, or the last version of a missing range.</param>
public sealed record LedgerFinding(LedgerFindingKind Kind, string Stream, long Version, long? Sequence, string Detail, long? RelatedVersion = null);

/// <summary>How the ledger compares with a checkpoint.</summary>
/// <param name="RecomputedRoot">the Merkle root of the heads the checkpoint names, with the hashes now stored at those versions.</param>
public sealed record CheckpointComparison(long Number, DateTimeOffset TakenAt, string Root, string RecomputedRoot, long Streams, long Events, bool Matches);

/// <summary>The outcome of one verification run.</summary>
/// <param name="CurrentRoot">the Merkle root over the current stream heads (what a checkpoint taken now would sign).</param>
public sealed record LedgerVerification(
    bool Ok,
    long Events,
    long Streams,
    string CurrentRoot,
    CheckpointComparison? Checkpoint,
    LedgerFinding? FirstBroken,
    IReadOnlyList<LedgerFinding> Findings,
    long FindingCount,
    DateTimeOffset VerifiedAt);

/// <summary>
/// Recomputes every hash chain from the stored rows, streaming: rows arrive grouped by stream, in version order,
/// and only the current stream's cursor (plus one suspect event) and one head per stream are kept. Compares with
/// an authenticated checkpoint's heads and the stream table when given. Reports the first broken link of each
/// stream, named by stream, version and global sequence, and classified (schemas/ledger/VERIFICATION.md).
/// </summary>
public sealed class LedgerVerifier
{
    /// <summary>How far away (in versions) a moved or swapped event is looked for.</summary>
    public const int SwapWindow = 64;

    /// <summary>At most this many findings are kept; the rest are counted.</summary>
    public const int MaxFindings = 100;

    private readonly Dictionary<string, StreamHead>? _checkpointHeads;
    private readonly IReadOnlyDictionary<string, long>? _streamTable;
    private readonly LedgerCheckpoint? _checkpoint;
    private readonly Dictionary<string, string> _observedAtCheckpoint = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly List<StreamHead> _currentHeads = [];
    private readonly List<LedgerFinding> _findings = [];
    private Cursor? _cursor;
    private long _events;
    private long _findingCount;
    private bool _completed;

    /// <param name="checkpoint">an authenticated checkpoint with its heads (see <see cref="CheckpointSignature.Check"/>), or null.</param>
    /// <param name="streamTable">each stream's version as the stream table records it, or null.</param>
    public LedgerVerifier(LedgerCheckpoint? checkpoint = null, IReadOnlyDictionary<string, long>? streamTable = null)
    {
        if (checkpoint is not null && checkpoint.Heads is null)
            throw new ArgumentException("A checkpoint to verify against needs its heads.", nameof(checkpoint));
        _checkpoint = checkpoint;
        _checkpointHeads = checkpoint?.Heads!.Value.ToDictionary(h => h.Stream, StringComparer.Ordinal);
        _streamTable = streamTable;
    }

    /// <summary>Records a finding that was made outside the chains (for example about the checkpoint record itself).</summary>
    public void Report(LedgerFinding finding) => AddFinding(finding);

    public void Add(LedgerRow row)
    {
        if (_completed) throw new InvalidOperationException("The verification is complete.");
        _events++;
        if (_cursor is null || !string.Equals(_cursor.Stream, row.Stream, StringComparison.Ordinal))
        {
            if (_cursor is not null) Finish(_cursor);
            if (!_seen.Add(row.Stream))
                throw new InvalidOperationException($"Rows of stream '{row.Stream}' are not contiguous: the reader must group rows by stream.");
            _cursor = new Cursor(row.Stream);
        }
        Step(_cursor, row);
    }

    public LedgerVerification Complete(DateTimeOffset now)
    {
        if (_completed) throw new InvalidOperationException("The verification is complete.");
        if (_cursor is not null) Finish(_cursor);
        _completed = true;

        if (_checkpointHeads is not null)
        {
            foreach (var head in _checkpointHeads.Values.Where(h => !_seen.Contains(h.Stream)).OrderBy(h => h.Stream, StreamHeads.StreamOrder))
                AddFinding(new LedgerFinding(LedgerFindingKind.TailCut, head.Stream, 1, null,
                    $"The stream is gone: checkpoint {_checkpoint!.Number} saw it at version {head.Version}.", head.Version));
        }
        if (_streamTable is not null)
        {
            foreach (var (stream, version) in _streamTable.Where(p => p.Value > 0 && !_seen.Contains(p.Key)).OrderBy(p => p.Key, StreamHeads.StreamOrder))
            {
                if (_checkpointHeads?.ContainsKey(stream) == true) continue;
                AddFinding(new LedgerFinding(LedgerFindingKind.TailCut, stream, 1, null,
                    $"The stream has no events, but the stream table says version {version}: its events were deleted.", version));
            }
        }

        CheckpointComparison? comparison = null;
        if (_checkpoint is not null)
        {
            var recomputed = StreamHeads.Root(_checkpointHeads!.Values.Select(h =>
                h with { Hash = _observedAtCheckpoint.TryGetValue(h.Stream, out var observed) ? observed : "" }));
            comparison = new CheckpointComparison(_checkpoint.Number, _checkpoint.TakenAt, _checkpoint.Root, recomputed,
                _checkpoint.Streams, _checkpoint.Events, recomputed == _checkpoint.Root);
        }

        var ordered = _findings.OrderBy(f => f.Sequence ?? long.MaxValue).ThenBy(f => f.Stream, StreamHeads.StreamOrder).ThenBy(f => f.Version).ToList();
        return new LedgerVerification(
            _findingCount == 0 && (comparison?.Matches ?? true),
            _events,
            _seen.Count,
            StreamHeads.Root(_currentHeads),
            comparison,
            ordered.FirstOrDefault(),
            ordered,
            _findingCount,
            now);
    }

    private void Step(Cursor c, LedgerRow row)
    {
        if (_checkpointHeads is not null && _checkpointHeads.TryGetValue(row.Stream, out var cp) && cp.Version == row.Version)
            _observedAtCheckpoint[row.Stream] = row.StoredHash ?? "";

        if (c.Suspect is { } suspect) ResolveSuspect(c, suspect, row);

        if (!c.Broken)
        {
            var finding = CheckLink(c, row);
            if (finding is not null) AddFinding(finding);
            // The first broken link ends the checks of this stream; a suspect is reported when resolved.
            if (finding is not null || c.Suspect is not null) c.Broken = true;
        }
        c.LastVersion = row.Version;
        c.LastSequence = row.Sequence;
        c.LastStoredHash = row.StoredHash;
        c.LastHead = new StreamHead(row.Stream, row.Version, row.StoredHash ?? "");
    }

    private LedgerFinding? CheckLink(Cursor c, LedgerRow row)
    {
        var expectedVersion = c.LastVersion + 1;
        if (row.Version > expectedVersion)
        {
            var last = row.Version - 1;
            var range = last == expectedVersion ? $"version {expectedVersion} is" : $"versions {expectedVersion} to {last} are";
            return new LedgerFinding(LedgerFindingKind.EventMissing, row.Stream, expectedVersion, row.Sequence,
                $"Event missing: {range} not in the store; the next stored event is version {row.Version} (global sequence {row.Sequence})"
                + (c.LastVersion > 0 ? $", after version {c.LastVersion} (global sequence {c.LastSequence})." : "."), last);
        }
        if (row.Version < expectedVersion)
            return new LedgerFinding(LedgerFindingKind.OrderSwapped, row.Stream, row.Version, row.Sequence,
                $"Version {row.Version} arrives after version {c.LastVersion}: the stream's versions are out of order.");
        if (!LedgerHash.IsWellFormed(row.StoredHash))
            return new LedgerFinding(LedgerFindingKind.Unhashed, row.Stream, row.Version, row.Sequence,
                "The event carries no valid hash: it was written around the ledger's append path, or its hash was removed.");

        var expectedPrevious = c.LastStoredHash ?? LedgerHash.Genesis;
        var storedPrevious = row.StoredPreviousHash ?? "";
        var recomputed = TryHash(row.Content(row.Version, storedPrevious));
        if (recomputed == row.StoredHash)
        {
            if (storedPrevious == expectedPrevious) return null;
            return new LedgerFinding(LedgerFindingKind.LinkBroken, row.Stream, row.Version, row.Sequence,
                $"The event's prev_hash {Short(storedPrevious)} does not name its predecessor (version {c.LastVersion}, hash {Short(expectedPrevious)}): "
                + "the predecessor was replaced, or this event was re-hashed onto another chain.");
        }
        if (storedPrevious != expectedPrevious && TryHash(row.Content(row.Version, expectedPrevious)) == row.StoredHash)
            return new LedgerFinding(LedgerFindingKind.LinkBroken, row.Stream, row.Version, row.Sequence,
                $"The event's prev_hash header was edited: it says {Short(storedPrevious)}, its hash was computed over {Short(expectedPrevious)}.");

        for (var w = Math.Max(1, row.Version - SwapWindow); w <= row.Version + SwapWindow; w++)
        {
            if (w == row.Version) continue;
            if (TryHash(row.Content(w, storedPrevious)) == row.StoredHash)
                return new LedgerFinding(LedgerFindingKind.OrderSwapped, row.Stream, row.Version, row.Sequence,
                    $"Order swapped: the event stored at version {row.Version} (global sequence {row.Sequence}) was written as version {w}.", w);
        }

        // A content change, unless a later event's body turns out to be this one's: then two bodies traded places.
        c.Suspect = new Suspect(row.Version, row.Sequence, row.EventType, row.BodyJson.ToArray(), row.HeadersJson.ToArray(),
            row.CorrelationId, row.CausationId, storedPrevious, row.StoredHash!);
        return null;
    }

    private void ResolveSuspect(Cursor c, Suspect s, LedgerRow row)
    {
        if (row.Version - s.Version > SwapWindow)
        {
            ReportEdited(c, s);
            return;
        }
        foreach (var type in row.EventType == s.EventType ? [s.EventType] : new[] { s.EventType, row.EventType })
        {
            var candidate = new LedgerEventContent(c.Stream, s.Version, type, row.BodyJson, s.HeadersJson, s.CorrelationId, s.CausationId, s.PreviousHash);
            if (TryHash(candidate) == s.StoredHash)
            {
                c.Suspect = null;
                AddFinding(new LedgerFinding(LedgerFindingKind.OrderSwapped, c.Stream, s.Version, s.Sequence,
                    $"Order swapped: the body stored at version {row.Version} (global sequence {row.Sequence}) belongs to version {s.Version} (global sequence {s.Sequence}), and the two trade places.",
                    row.Version));
                return;
            }
        }
    }

    private void ReportEdited(Cursor c, Suspect s)
    {
        c.Suspect = null;
        AddFinding(new LedgerFinding(LedgerFindingKind.ContentEdited, c.Stream, s.Version, s.Sequence,
            $"Content edited: the body, type or envelope stored at version {s.Version} (global sequence {s.Sequence}) is not what was hashed ({Short(s.StoredHash)})."));
    }

    private void Finish(Cursor c)
    {
        if (c.Suspect is { } suspect) ReportEdited(c, suspect);
        if (c.LastHead is { } head) _currentHeads.Add(head);

        if (_streamTable is not null && _streamTable.TryGetValue(c.Stream, out var tableVersion) && tableVersion != c.LastVersion)
        {
            var cutByCheckpoint = _checkpointHeads?.TryGetValue(c.Stream, out var h) == true && h.Version > c.LastVersion;
            if (tableVersion > c.LastVersion && !cutByCheckpoint)
                AddFinding(new LedgerFinding(LedgerFindingKind.TailCut, c.Stream, c.LastVersion + 1, null,
                    $"Tail cut: the stream ends at version {c.LastVersion} (global sequence {c.LastSequence}) but the stream table says version {tableVersion}.", tableVersion));
            else if (tableVersion < c.LastVersion)
                AddFinding(new LedgerFinding(LedgerFindingKind.StreamTableMismatch, c.Stream, tableVersion + 1, c.LastSequence,
                    $"The stream table says version {tableVersion}, but events go up to version {c.LastVersion}.", c.LastVersion));
        }

        if (_checkpointHeads is not null && _checkpointHeads.TryGetValue(c.Stream, out var checkpointHead))
        {
            if (c.LastVersion < checkpointHead.Version)
            {
                AddFinding(new LedgerFinding(LedgerFindingKind.TailCut, c.Stream, c.LastVersion + 1, null,
                    $"Tail cut: the stream ends at version {c.LastVersion} (global sequence {c.LastSequence}), but checkpoint {_checkpoint!.Number} saw it at version {checkpointHead.Version}.",
                    checkpointHead.Version));
            }
            else if (_observedAtCheckpoint.TryGetValue(c.Stream, out var observed) && observed != checkpointHead.Hash)
            {
                AddFinding(new LedgerFinding(LedgerFindingKind.RewrittenSinceCheckpoint, c.Stream, checkpointHead.Version, null,
                    $"The hash stored at version {checkpointHead.Version} is {Short(observed)}, but checkpoint {_checkpoint!.Number} signed {Short(checkpointHead.Hash)}: "
                    + $"the stream was rewritten at or before version {checkpointHead.Version} and its chain recomputed."));
            }
        }
    }

    private void AddFinding(LedgerFinding finding)
    {
        _findingCount++;
        if (_findings.Count < MaxFindings) _findings.Add(finding);
    }

    private static string? TryHash(in LedgerEventContent content)
    {
        try
        {
            return LedgerHash.Compute(content);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] + "…" : hash.Length == 0 ? "(none)" : hash;

    private sealed class Cursor(string stream)
    {
        public string Stream { get; } = stream;
        public long LastVersion { get; set; }
        public long LastSequence { get; set; }
        public string? LastStoredHash { get; set; }
        public StreamHead? LastHead { get; set; }
        public bool Broken { get; set; }
        public Suspect? Suspect { get; set; }
    }

    private sealed record Suspect(long Version, long Sequence, string EventType, byte[] BodyJson, byte[] HeadersJson,
        string? CorrelationId, string? CausationId, string PreviousHash, string StoredHash);
}
