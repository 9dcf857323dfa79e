using DthGrains.Contracts.Platform;
using DthGrains.Domain.Federation;
using DthGrains.Grains.Platform;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DthGrains.Grains.Federation;

/// <summary>
/// Follows cluster membership and records <see cref="SiloLeft"/> for silos declared dead (killed, not stopped),
/// so the map's hosts-silo edges follow the real cluster. Several survivors may try at once: the expected
/// stream version lets exactly one succeed.
/// </summary>
public sealed class SiloMembershipWatcher(
    IClusterMembershipService membership,
    EventLog log,
    TimeProvider clock,
    ILogger<SiloMembershipWatcher> logger) : BackgroundService
{
    private readonly HashSet<SiloAddress> _recorded = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                foreach (var member in snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && !_recorded.Contains(m.SiloAddress)))
                {
                    await RecordDeadAsync(member.SiloAddress, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RecordDeadAsync(SiloAddress address, CancellationToken ct)
    {
        var siloId = SiloIdentity.IdFor(address);
        try
        {
            var stream = await log.ReadAsync(SiloIdentity.StreamKeyFor(siloId), ct: ct);
            if (stream.Count == 1 && stream[0].Data is SiloJoined joined)
            {
                var left = new SiloLeft(siloId, joined.Institution, "declared dead by the cluster membership protocol", clock.GetUtcNow());
                await log.AppendAsync(SiloIdentity.StreamKeyFor(siloId), 1, [left], CommandContext.ForSystem(joined.Institution), ct);
                logger.LogInformation("Recorded that silo {SiloId} left the cluster (dead)", siloId);
            }
            _recorded.Add(address);
        }
        catch (StreamConflictException)
        {
            _recorded.Add(address);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not record that silo {SiloId} died; will retry on the next membership update", siloId);
        }
    }
}
