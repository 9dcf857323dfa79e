using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Provenance;

/// <summary>
/// Reads what is new in the ledger into the lineage store every <see cref="LedgerOptions.LineageCatchUp"/>, so a query
/// after a quiet month does not read a month of events first. Every silo does it; the store's lock makes them take
/// turns, and what one read the others skip.
/// </summary>
public sealed class LineageCatchUp(LineageService lineage, IOptions<LedgerOptions> options, ILogger<LineageCatchUp> logger, TimeProvider clock) : BackgroundService
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.LineageCatchUp <= TimeSpan.Zero) return;
        using var period = new PeriodicTimer(options.Value.LineageCatchUp);
        while (await period.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await CatchUpAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database away for a moment: the next tick, or the next query, reads it.
                logger.LogWarning(ex, "Lineage: reading the ledger into the lineage store failed; the next catch-up tries again");
            }
        }
    }

    /// <summary>One catch-up (a tick of the timer); a long one (the first reading of a long ledger) says how far it has come every 10 s, and when it is done.</summary>
    public async Task CatchUpAsync(CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        var (lastSaid, chunks) = (started, 0);
        var reached = await lineage.CatchUpAsync(frontier =>
        {
            chunks++;
            if (clock.GetElapsedTime(lastSaid) < ProgressEvery) return;
            lastSaid = clock.GetTimestamp();
            logger.LogInformation("Lineage: reading the ledger into the lineage store, up to sequence {Sequence} after {Elapsed:0} s", frontier.Low,
                clock.GetElapsedTime(started).TotalSeconds);
        }, ct);
        if (chunks > 0)
            logger.LogInformation("Lineage: the lineage store has read the ledger up to sequence {Sequence} in {Elapsed:0.0} s", reached.Low,
                clock.GetElapsedTime(started).TotalSeconds);
    }
}
