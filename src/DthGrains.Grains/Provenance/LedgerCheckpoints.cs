using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Provenance;
using DthGrains.Domain.Provenance;
using DthGrains.Grains.Platform;
using Marten;

namespace DthGrains.Grains.Provenance;

/// <summary>
/// Takes and reads checkpoints. Taking one: a consistent snapshot of every stream head, the Merkle root over them,
/// signed with the ledger key, appended as <see cref="CheckpointTaken"/> to <c>ledger:checkpoints</c> (its version is
/// the checkpoint's number). The grain calls it; tests and tools may too.
/// </summary>
public sealed class LedgerCheckpoints(LedgerReader reader, LedgerKey key, EventLog log, IDocumentStore store, TimeProvider clock)
{
    public async Task<LedgerCheckpoint> TakeAsync(CommandContext context, CancellationToken ct = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var snapshot = await reader.SnapshotAsync(ct);
            var previous = snapshot.Heads.FirstOrDefault(h => h.Stream == ProvenanceEventTypes.CheckpointStream);
            var number = (previous?.Version ?? 0) + 1;
            var signed = key.Sign(new LedgerCheckpoint(LedgerCheckpoint.CurrentFormat, number, clock.GetUtcNow(),
                StreamHeads.Root(snapshot.Heads), snapshot.Heads.Count, snapshot.Events, snapshot.MaxSequence, "", "",
                [.. snapshot.Heads.OrderBy(h => h.Stream, StreamHeads.StreamOrder)]));
            try
            {
                await log.AppendAsync(ProvenanceEventTypes.CheckpointStream, number - 1, [CheckpointTaken.From(signed)], context, ct,
                    previous?.Hash is { Length: > 0 } hash ? hash : null);
                return signed;
            }
            catch (StreamConflictException) when (attempt < 3)
            {
                // Another silo's activation took one at the same moment: take a fresh snapshot.
            }
        }
    }

    /// <summary>Checkpoint <paramref name="number"/> as stored (0: the latest), or null.</summary>
    public async Task<LedgerCheckpoint?> ReadAsync(long number, bool withHeads, CancellationToken ct = default)
    {
        var taken = await ReadRecordAsync(number, ct);
        return taken?.ToCheckpoint(withHeads);
    }

    /// <summary>The stored event of checkpoint <paramref name="number"/> (0: the latest), or null when there is none.</summary>
    public async Task<CheckpointTaken?> ReadRecordAsync(long number, CancellationToken ct = default)
    {
        if (number == 0) number = await reader.LastVersionAsync(ProvenanceEventTypes.CheckpointStream, ct);
        if (number <= 0) return null;
        var json = await reader.ReadBodyAsync(ProvenanceEventTypes.CheckpointStream, number, ct);
        return json is null ? null : store.Options.Serializer().FromJson<CheckpointTaken>(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));
    }
}
