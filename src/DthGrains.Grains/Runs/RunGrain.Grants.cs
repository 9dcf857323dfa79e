using DthGrains.Contracts.Platform;
using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Catalogue;

namespace DthGrains.Grains.Runs;

/// <summary>
/// The policy decision point asked at submission and at every shard boundary, and refusals recorded in the dataset's access log.
/// </summary>
public sealed partial class RunGrain
{
    /// <summary>At a shard boundary: every dataset must still be permitted; otherwise the run is suspended with the reason, and the refusal recorded.</summary>
    private async Task<bool> StillPermittedAsync()
    {
        var (permit, reason, refused, _) = await CheckGrantsAsync(record: true);
        if (permit) return true;
        await AppendAsync(SystemContext(), s => RunDecisions.Suspend(s, reason!, refused!.Id, Clock.GetUtcNow()));
        // Shards in flight stop at their next chunk and are not counted; they run again after a resumption.
        StopDispatched();
        _inShard.Clear();
        return false;
    }

    private async Task<(bool Permit, string? Reason, RunDataset? Refused, string[] Grants)> CheckGrantsAsync(bool record)
    {
        var grants = new List<string>();
        foreach (var dataset in State.Submitted!.Datasets)
        {
            var decision = await DecideAsync(dataset, State.Owner, State.Submitted.Purpose);
            if (!decision.Permit)
            {
                if (record) await RecordDenialAsync(dataset, State.Owner, State.Submitted.Purpose, decision.Reason, SystemContext());
                return (false, decision.Reason, dataset, []);
            }
            if (decision.GrantId is { } g) grants.Add(g);
        }
        return (true, null, null, [.. grants]);
    }

    private Task<DatasetAccessDecision> DecideAsync(RunDataset dataset, Actor actor, string? purpose) =>
        policy.DecideAsync(new DatasetAccessRequest(dataset.Institution, dataset.Id, dataset.Version, actor, purpose, "simulate"), Clock.GetUtcNow());

    /// <summary>Records the refusal in the dataset's access log, as the payload read path does.</summary>
    private Task RecordDenialAsync(RunDataset dataset, Actor actor, string? purpose, string reason, CommandContext context) =>
        Log.AppendAtHeadAsync(CatalogueEventTypes.AccessLogOf(dataset.Institution, dataset.Id),
            [new AccessDenied(dataset.Id, dataset.Institution, dataset.Version, actor.Subject, actor.Institution, purpose, $"simulate (run {Id}): {reason}", Clock.GetUtcNow())],
            context);
}
