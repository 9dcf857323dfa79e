using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Grains.Platform;
using Marten;
using Npgsql;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Runs;

/// <summary>
/// The retention policy of per-subject rows (<see cref="RunOptions.RowsRetention"/>): every
/// <see cref="RunOptions.RowsRetentionCheck"/>, the runs that ended longer ago than the retention and still have their
/// rows are asked to release them, as the system and saying why. Each release is a decision of the run (recorded, and
/// made once however many silos ask), so this service only finds candidates; it does nothing when no retention is set,
/// and one silo sweeps at a time (<see cref="SweepLockKey"/>).
/// </summary>
public sealed class RunRowsRetention(IOptions<RunOptions> options, IDocumentStore store, IGrainFactory grains, DomainClock clock, ILogger<RunRowsRetention> logger)
    : BackgroundService
{
    /// <summary>Runs released per sweep at most; the next sweep takes the rest.</summary>
    private const int MaxPerSweep = 500;

    private TaskCompletionSource _swept = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the next sweep has ended (done or failed): a signal for whoever must know one ran.</summary>
    public Task NextSweepAsync() => Volatile.Read(ref _swept).Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.RowsRetention is not { } retention) return;
        using var period = new PeriodicTimer(options.Value.RowsRetentionCheck);
        do
        {
            try
            {
                await SweepAsync(retention, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database or a silo away: the next sweep tries again.
                logger.LogWarning(ex, "Run rows retention: the sweep failed; the next one tries again");
            }
            Interlocked.Exchange(ref _swept, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
        while (await period.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The PostgreSQL advisory lock a sweep holds: one silo sweeps at a time and the others skip their turn (each
    /// release is the run's own decision, recorded once however many ask, so this only saves repeated work).
    /// </summary>
    public const long SweepLockKey = 0x4454_4752_5254_4E31; // "DTGRRTN1"

    /// <summary>
    /// Releases the rows of the runs that ended before now minus <paramref name="retention"/>; returns how many were asked
    /// (0 also when another silo is sweeping).
    /// </summary>
    public async Task<int> SweepAsync(TimeSpan retention, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var take = new NpgsqlCommand("select pg_try_advisory_xact_lock(@key)", connection, tx))
        {
            take.Parameters.AddWithValue("key", SweepLockKey);
            if (await take.ExecuteScalarAsync(ct) is not true)
            {
                logger.LogDebug("Run rows retention: another silo is sweeping; this one skips its turn");
                return 0;
            }
        }
        var cutoff = clock.GetUtcNow() - retention;
        List<string> due;
        await using (var session = store.QuerySession())
        {
            due = [.. await session.Query<RunDocument>()
                .Where(d => (d.Status == RunStatus.Completed || d.Status == RunStatus.Cancelled || d.Status == RunStatus.Failed)
                    && d.RowsReleased == null && d.UpdatedAt < cutoff)
                .OrderBy(d => d.UpdatedAt).Select(d => d.Id).Take(MaxPerSweep).ToListAsync(ct)];
        }
        var reason = $"retention: per-subject rows are kept {Describe(retention)} after a run ends (Dth:Runs:RowsRetention)";
        foreach (var id in due)
        {
            var released = await grains.GetGrain<IRunGrain>(id).ReleaseRowsAsync(reason, new CommandContext(Actor.System(), $"rows-retention-{id}"));
            if (released.Problem is { } problem) logger.LogWarning("Run rows retention: run {RunId} not released: {Detail}", id, problem.Detail);
        }
        if (due.Count > 0) logger.LogInformation("Run rows retention: asked {Count} runs that ended before {Cutoff:u} to release their per-subject rows", due.Count, cutoff);
        await tx.CommitAsync(ct);
        return due.Count;
    }

    private static string Describe(TimeSpan t) =>
        t.TotalDays >= 1 && t.Ticks % TimeSpan.TicksPerDay == 0 ? $"{t.TotalDays:0} days" : t.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
}
