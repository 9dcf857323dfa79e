using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DthGrains.Grains.Runs;

/// <summary>
/// When another silo leaves the cluster (as it starts stopping, and again once it is dead), calls every unfinished run
/// from this live silo.
/// A run whose activation left with that silo, or was deactivated because that silo held its grain directory entry, is
/// thereby activated again at once and carries on from its stream; one still active just answers. Without this, such a
/// run waits for its keep-alive reminder (up to a minute), and a call from the stopping silo itself
/// (<see cref="RunGrain"/> on deactivation) may be refused because that silo's messaging is closing. Every survivor
/// does it; the calls are reads, so doing it twice costs a little and changes nothing.
/// </summary>
public sealed class RunRevival(IClusterMembershipService membership, ILocalSiloDetails local, IGrainFactory grains, IDocumentStore store,
    ILogger<RunRevival> logger) : BackgroundService
{
    /// <summary>Lets the leaving silo finish deactivating before the runs are called (a call to a deactivating activation waits for it).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    private const int MaxConcurrentCalls = 8;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Each leaving silo is acted on twice: when it starts stopping (the fast path) and when it is dead (its
        // activations are surely gone then, so a call refused or forwarded the first time lands now).
        var seen = new HashSet<(SiloAddress, bool Dead)>();
        var active = false;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                if (snapshot.GetSiloStatus(local.SiloAddress) != SiloStatus.Active) continue;
                if (!active)
                {
                    // Silos that had left before this one became active (old membership rows) are not news: no calls
                    // at start-up for them.
                    active = true;
                    foreach (var m in snapshot.Members.Values.Where(m => m.Status is SiloStatus.ShuttingDown or SiloStatus.Stopping or SiloStatus.Dead))
                    {
                        seen.Add((m.SiloAddress, false));
                        seen.Add((m.SiloAddress, true));
                    }
                    continue;
                }
                var left = snapshot.Members.Values
                    .Where(m => !m.SiloAddress.Equals(local.SiloAddress) && m.Status is SiloStatus.ShuttingDown or SiloStatus.Stopping or SiloStatus.Dead)
                    .Where(m => seen.Add((m.SiloAddress, m.Status == SiloStatus.Dead)))
                    .ToList();
                if (left.Count == 0) continue;
                await Task.Delay(Settle, stoppingToken);
                await CallUnfinishedRunsAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task CallUnfinishedRunsAsync(CancellationToken ct)
    {
        try
        {
            await using var session = store.QuerySession();
            var unfinished = await session.Query<RunDocument>()
                .Where(d => d.Status == RunStatus.Submitted || d.Status == RunStatus.Running || d.Status == RunStatus.Suspended)
                .Select(d => new { d.Id, d.OwnerInstitution })
                .ToListAsync(ct);
            await Parallel.ForEachAsync(unfinished, new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentCalls, CancellationToken = ct }, async (run, _) =>
            {
                try
                {
                    await grains.GetGrain<IRunGrain>(run.Id).GetAsync(Actor.System(run.OwnerInstitution));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogInformation(ex, "Run {RunId} could not be called after a silo left; its keep-alive reminder brings it back", run.Id);
                }
            });
            if (unfinished.Count > 0) logger.LogInformation("A silo left: called {Count} unfinished runs so that they carry on here", unfinished.Count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "A silo left, and the unfinished runs could not be listed; their keep-alive reminders bring them back");
        }
    }
}
