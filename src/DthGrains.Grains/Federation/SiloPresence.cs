using DthGrains.Contracts.Platform;
using DthGrains.Domain.Federation;
using DthGrains.Grains.Platform;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Federation;

/// <summary>
/// Records this silo in the ecosystem map: <see cref="SiloJoined"/> when the silo becomes active,
/// <see cref="SiloLeft"/> when it stops gracefully. Silos that die are marked by <see cref="SiloMembershipWatcher"/>.
/// </summary>
public sealed class SiloPresence(
    ILocalSiloDetails silo,
    IOptions<FederationOptions> federation,
    EventLog log,
    TimeProvider clock,
    ILogger<SiloPresence> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private string SiloId => SiloIdentity.IdFor(silo.SiloAddress);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloPresence), ServiceLifecycleStage.Active, JoinAsync, LeaveAsync);

    private async Task JoinAsync(CancellationToken ct)
    {
        var f = federation.Value;
        var joined = new SiloJoined(SiloId, f.Institution, f.Role, silo.SiloAddress.ToParsableString(), clock.GetUtcNow());
        await log.AppendAsync(SiloIdentity.StreamKeyFor(SiloId), 0, [joined], CommandContext.ForSystem(f.Institution), ct);
        logger.LogInformation("Silo {SiloId} of institution {Institution} joined as role {Role}", SiloId, f.Institution, f.Role);
    }

    private async Task LeaveAsync(CancellationToken ct)
    {
        try
        {
            var f = federation.Value;
            var left = new SiloLeft(SiloId, f.Institution, "stopped gracefully", clock.GetUtcNow());
            await log.AppendAsync(SiloIdentity.StreamKeyFor(SiloId), 1, [left], CommandContext.ForSystem(f.Institution), ct);
        }
        catch (StreamConflictException)
        {
            // Another silo already recorded that this one left.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Shutdown must not hang on the database; the membership watcher of a survivor will record it.
            logger.LogWarning(ex, "Could not record that silo {SiloId} left", SiloId);
        }
    }
}
