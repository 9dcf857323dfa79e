using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Provenance;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DthGrains.Grains.Provenance;

/// <summary>
/// The cluster's one checkpoint taker (key <see cref="ILedgerCheckpointGrain.Key"/>): a reminder takes a checkpoint
/// every <see cref="LedgerOptions.CheckpointPeriod"/>, and auditors or admins take one on demand. Non-reentrant, so
/// checkpoints are taken one at a time; it never sits on an append path.
/// </summary>
public sealed class LedgerCheckpointGrain(LedgerCheckpoints checkpoints, ILogger<LedgerCheckpointGrain> logger)
    : Grain, ILedgerCheckpointGrain, IRemindable
{
    public const string ReminderName = "ledger-checkpoint";

    public async Task<Outcome<LedgerCheckpoint>> TakeAsync(CommandContext context)
    {
        try
        {
            var checkpoint = await checkpoints.TakeAsync(context);
            logger.LogInformation("Ledger checkpoint {Number} taken: root {Root}, {Streams} streams, {Events} events",
                checkpoint.Number, checkpoint.Root, checkpoint.Streams, checkpoint.Events);
            return Outcome<LedgerCheckpoint>.Ok(checkpoint.Compact(), checkpoint.Number);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or Platform.StreamConflictException)
        {
            logger.LogWarning(ex, "Could not take a ledger checkpoint");
            return Problem.Unavailable("The checkpoint could not be taken now (the event store is busy or unreachable); try again.");
        }
    }

    public async Task EnsureScheduledAsync(TimeSpan period)
    {
        var every = period < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : period;
        await this.RegisterOrUpdateReminder(ReminderName, every, every);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName) return;
        await TakeAsync(CommandContext.ForSystem(correlationId: $"ledger-checkpoint-{status.CurrentTickTime:yyyyMMddTHHmmss}"));
    }
}
