using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Provenance;
using DthGrains.Domain.Provenance;

namespace DthGrains.Grains.Provenance;

/// <summary>
/// Runs the pure <see cref="LedgerVerifier"/> over the store: every chain, streamed, compared with a checkpoint
/// (the one given, else the latest stored) and with the stream table; and the rows stored beside run shard events,
/// against the digests their events record.
/// </summary>
public sealed class LedgerAudit(LedgerReader reader, LedgerCheckpoints checkpoints, LedgerKey key, TimeProvider clock)
{
    /// <summary>
    /// Verifies against <paramref name="given"/> (refused with a 400/422 problem when malformed, not signed by the
    /// ledger key, or when its heads do not give its root), or against the latest stored checkpoint when null.
    /// </summary>
    public async Task<(LedgerVerification? Result, Problem? Refused)> VerifyAsync(LedgerCheckpoint? given, CancellationToken ct = default)
    {
        var notes = new List<LedgerFinding>();
        LedgerCheckpoint? against;
        if (given is not null)
        {
            if (CheckpointSignature.Check(given, key.PublicKey) is { } refused) return (null, refused);
            against = given.Heads is null ? await StoredHeadsFor(given, notes, ct) : given;
        }
        else
        {
            against = await LatestStored(notes, ct);
        }

        // One snapshot for the stream table, the events and the rows: appends that land while the ledger is read are
        // after it for all three, not half in (they made a live stream look tampered with).
        await using var moment = await reader.BeginMomentAsync(ct);
        var verifier = new LedgerVerifier(against, await reader.StreamTableAsync(moment, ct));
        foreach (var note in notes) verifier.Report(note);
        await foreach (var row in reader.ReadAllAsync(moment, ct)) verifier.Add(row);
        await foreach (var (stream, version, sequence, shard, missing) in reader.ResultRowsMismatchesAsync(moment, ct))
            verifier.Report(new LedgerFinding(LedgerFindingKind.ResultRowsAltered, stream, version, sequence, missing
                ? $"The per-subject rows of shard {shard}, stored beside this event, are gone."
                : $"The per-subject rows of shard {shard}, stored beside this event, are not the ones whose digest the event records: they were changed after they were recorded."));
        return (verifier.Complete(clock.GetUtcNow()), null);
    }

    /// <summary>The heads of a genuine small checkpoint, from its stored record, which its signed root authenticates.</summary>
    private async Task<LedgerCheckpoint?> StoredHeadsFor(LedgerCheckpoint given, List<LedgerFinding> notes, CancellationToken ct)
    {
        var record = await checkpoints.ReadRecordAsync(given.Number, ct);
        if (record is null)
        {
            notes.Add(new LedgerFinding(LedgerFindingKind.CheckpointRecordAltered, ProvenanceEventTypes.CheckpointStream, given.Number, null,
                $"The record of checkpoint {given.Number} is gone from the ledger, so the heads it signed cannot be compared; keep the full checkpoint (with heads) to locate a cut."));
            return null;
        }
        var stored = record.ToCheckpoint(withHeads: true);
        string? root = null;
        try
        {
            root = StreamHeads.Root(stored.Heads!.Value);
        }
        catch (FormatException)
        {
        }
        if (root != given.Root || stored.Root != given.Root || stored.Signature != given.Signature)
        {
            notes.Add(new LedgerFinding(LedgerFindingKind.CheckpointRecordAltered, ProvenanceEventTypes.CheckpointStream, given.Number, null,
                $"The stored record of checkpoint {given.Number} does not match the signed checkpoint you hold: the record was edited."));
            return null;
        }
        return given with { Heads = stored.Heads };
    }

    private async Task<LedgerCheckpoint?> LatestStored(List<LedgerFinding> notes, CancellationToken ct)
    {
        var latest = await checkpoints.ReadAsync(0, withHeads: true, ct);
        if (latest is null) return null;
        if (CheckpointSignature.Check(latest, key.PublicKey) is { } problem)
        {
            notes.Add(new LedgerFinding(LedgerFindingKind.CheckpointRecordAltered, ProvenanceEventTypes.CheckpointStream, latest.Number, null,
                $"The latest stored checkpoint ({latest.Number}) is not genuine: {problem.Detail}"));
            return null;
        }
        return latest;
    }
}
