using DthGrains.Simulation.Engine;
using System.Threading.Channels;
using DthGrains.Contracts.Twins;
using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Governance;
using DthGrains.Grains.Governance;
using DthGrains.Grains.Platform;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Twins;

/// <summary>
/// Makes twins learn of changes underneath them without anyone touching them: after a model or dataset version is
/// released, or a grant is revoked, expires or is closed, the twins resting on it are asked to check their dependencies
/// (which records TwinMarkedStale with the reason). The notice comes after the commit, so the twin reads the new state
/// of the catalogue and grant read models. At start, twins calibrated with another engine version are checked too.
/// Each twin also checks on every command and read, so a lost notice (a silo crash) only delays the marking.
/// </summary>
public sealed partial class TwinDependencyWatcher(IDocumentStore store, IGrainFactory grains, IOptions<TwinOptions> options, ILogger<TwinDependencyWatcher> logger)
    : BackgroundService, IAppendObserver
{
    private sealed record Change(string? ResourceId, string? GrantId, string? RequestId);

    private readonly Channel<Change> _changes = Channel.CreateUnbounded<Change>(new UnboundedChannelOptions { SingleReader = true });

    public void Committed(string streamKey, IReadOnlyList<object> events)
    {
        foreach (var e in events)
        {
            var change = e switch
            {
                ResourceVersionReleased r => new Change(r.Id, null, null),
                ResourceWithdrawn w => new Change(w.Id, null, null),
                ResourceDeprecated d => new Change(d.Id, null, null),
                AccessRevoked r => new Change(null, r.GrantId, null),
                AccessExpired x => new Change(null, x.GrantId, null),
                ApplicationClosed c => new Change(null, null, c.Id),
                _ => null,
            };
            if (change is not null) _changes.Writer.TryWrite(change);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await SweepEngineVersionAsync(stoppingToken);
        await foreach (var change in _changes.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await using var session = store.QuerySession();
                IReadOnlyList<string> twins;
                if (change.ResourceId is { } r)
                    twins = await session.Query<TwinDocument>().Where(t => t.ModelId == r || t.DatasetId == r).Select(t => t.Id).ToListAsync(stoppingToken);
                else
                {
                    var grant = change.GrantId
                        ?? (await session.Query<GrantDocument>().Where(g => g.RequestId == change.RequestId).Select(g => g.Id).ToListAsync(stoppingToken)).FirstOrDefault();
                    if (grant is null) continue;
                    twins = await session.Query<TwinDocument>().Where(t => t.GrantId == grant).Select(t => t.Id).ToListAsync(stoppingToken);
                }
                await CheckEachAsync(twins);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCheckFailed(logger, ex);
            }
        }
    }

    /// <summary>Checks every twin, each on its own: one whose check fails (its silo gone, say) does not leave the rest unmarked.</summary>
    private async Task CheckEachAsync(IEnumerable<string> twins)
    {
        foreach (var id in twins)
        {
            try
            {
                await grains.GetGrain<ITwinGrain>(id).CheckDependenciesAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCheckFailed(logger, ex);
            }
        }
    }

    private async Task SweepEngineVersionAsync(CancellationToken ct)
    {
        try
        {
            // Twins recorded under either spelling of this engine are on it (EngineIdentity).
            var engine = EngineIdentity.Spellings(options.Value.EngineVersion);
            await using var session = store.QuerySession();
            var twins = await session.Query<TwinDocument>()
                .Where(t => !engine.Contains(t.EngineVersion) && t.Status != TwinStatus.Retired && t.Status != TwinStatus.Designed && t.Status != TwinStatus.DataLinked)
                .Select(t => t.Id).ToListAsync(ct);
            await CheckEachAsync(twins);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogCheckFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking twins' dependencies failed; each twin checks again on its next command or read")]
    private static partial void LogCheckFailed(ILogger logger, Exception ex);
}
