using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Provenance;

/// <summary>
/// Reads what is new in the ledger into the lineage store every <see cref="LedgerOptions.LineageCatchUp"/>, so a query
/// after a quiet month does not read a month of events first. Every silo does it; the store's lock makes them take
/// turns, and what one read the others skip.
/// </summary>
public sealed class LineageCatchUp(LineageService lineage, IOptions<LedgerOptions> options, ILogger<LineageCatchUp> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.LineageCatchUp <= TimeSpan.Zero) return;
        using var period = new PeriodicTimer(options.Value.LineageCatchUp);
        while (await period.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await lineage.CatchUpAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database away for a moment: the next tick, or the next query, reads it.
                logger.LogWarning(ex, "Lineage: reading the ledger into the lineage store failed; the next catch-up tries again");
            }
        }
    }
}
