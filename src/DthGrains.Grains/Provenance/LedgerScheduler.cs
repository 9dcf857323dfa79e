using DthGrains.Contracts.Provenance;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Provenance;

/// <summary>
/// When a silo becomes active: makes sure the ledger key exists (created on first start) and that the checkpoint
/// reminder is registered. Failures are logged, never fatal: the ledger still chains every append without them.
/// </summary>
public sealed class LedgerScheduler(IGrainFactory grains, LedgerKey key, IOptions<LedgerOptions> options, ILogger<LedgerScheduler> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(LedgerScheduler), ServiceLifecycleStage.Active, StartAsync);

    private async Task StartAsync(CancellationToken ct)
    {
        logger.LogInformation("Ledger key {KeyId}", key.KeyId);
        if (!options.Value.ScheduleCheckpoints) return;
        try
        {
            await grains.GetGrain<ILedgerCheckpointGrain>(ILedgerCheckpointGrain.Key).EnsureScheduledAsync(options.Value.CheckpointPeriod);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not register the ledger checkpoint reminder; checkpoints can still be taken on demand");
        }
    }
}
