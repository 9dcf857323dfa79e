using DthGrains.Contracts.Platform;

namespace DthGrains.Contracts.Provenance;

/// <summary>
/// Takes the ledger's signed checkpoints, one at a time, off the hot path: periodically from a reminder and on
/// demand. A singleton per cluster: use key <see cref="Key"/>.
/// </summary>
public interface ILedgerCheckpointGrain : IGrainWithStringKey
{
    public const string Key = "ledger";

    /// <summary>Takes a checkpoint now, appends it to the <c>ledger:checkpoints</c> stream and returns it (without heads).</summary>
    Task<Outcome<LedgerCheckpoint>> TakeAsync(CommandContext context);

    /// <summary>Registers (or updates) the reminder that takes checkpoints periodically; idempotent.</summary>
    Task EnsureScheduledAsync(TimeSpan period);
}
