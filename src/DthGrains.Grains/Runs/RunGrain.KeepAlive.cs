using Microsoft.Extensions.Logging;

namespace DthGrains.Grains.Runs;

/// <summary>
/// The keep-alive reminder that brings an unfinished run back on a live silo after its own silo died.
/// </summary>
public sealed partial class RunGrain
{
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != KeepAliveReminder) return;
        // An activation that never saw its run (the submission's append answered "outcome unknown", and committed)
        // reads the stream again before it concludes there is none: the reminder was registered for a run.
        if (!State.Exists) await ReloadAsync();
        if (!State.Exists || State.IsTerminal)
        {
            await UnregisterKeepAliveAsync();
            return;
        }
        // Being called is the point: the activation (re)starts supervising when it loads the run (Reloaded).
        StartSupervising();
    }

    /// <summary>
    /// Registers the keep-alive reminder unless this activation has it or is registering it. The returned task never
    /// fails: a failed registration is logged and left to the supervisor, which calls this at every period.
    /// </summary>
    private Task EnsureKeepAlive()
    {
        var kept = _keepAlive is { IsCompletedSuccessfully: true, Result: true };
        if (!kept && _keepAlive is not { IsCompleted: false }) _keepAlive = RegisterKeepAliveAsync();
        return _keepAlive ?? Task.CompletedTask;
    }

    private async Task<bool> RegisterKeepAliveAsync()
    {
        try
        {
            await this.RegisterOrUpdateReminder(KeepAliveReminder, options.Value.KeepAlivePeriod, options.Value.KeepAlivePeriod);
            return true;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Run {RunId}: its keep-alive reminder was not registered; the supervisor tries again", Id);
            return false;
        }
    }

    /// <summary>
    /// Removes the keep-alive reminder, and forgets that this activation has it: a submission whose append failed after
    /// its registration leaves a reminder that removes itself when it fires, and a retry of that submission (same
    /// Idempotency-Key, so the same run and often the same activation) must register it again, not take it for kept.
    /// </summary>
    private async Task UnregisterKeepAliveAsync()
    {
        _keepAlive = null;
        if (await this.GetReminder(KeepAliveReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    /// <summary>
    /// Not waited for on the turn that ends the run: reminders are kept by the silos in shares of a hash ring, and the
    /// share of this run may be on a frozen silo, which answers nothing until it is declared dead. A reminder left behind
    /// finds the run ended when it fires, and removes itself (<see cref="ReceiveReminder"/>).
    /// </summary>
    private async Task RemoveKeepAliveAsync()
    {
        // After a registration still in flight, which would otherwise land after the removal.
        if (_keepAlive is { } registering) await registering;
        // Up to three times: after PostgreSQL restarted or the connections were cut, the first use of each pooled
        // connection fails, and the reminder table's store meets the stale ones one by one (seen after a test's cut that
        // took the store away: the removal failed, and the reminder was left to remove itself an hour later).
        const int Attempts = 3;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                await UnregisterKeepAliveAsync();
                return;
            }
            catch (Exception ex)
            {
                logger.LogInformation(ex, "Run {RunId}: its keep-alive reminder was not removed at attempt {Attempt} of {Attempts}{Then}", Id, attempt, Attempts,
                    attempt < Attempts ? "; trying again" : "; it removes itself when it next fires");
            }
        }
    }
}
