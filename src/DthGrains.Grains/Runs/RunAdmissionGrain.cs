using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using Marten;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Runs;

/// <summary>
/// One per researcher: counts their unfinished runs in the read model and submits the new one only below the cap.
/// Its turns do not interleave, so two submissions at once are counted one after the other: the run projection is
/// written in the submission's own transaction, so the second count sees the first run.
/// </summary>
public sealed class RunAdmissionGrain(IDocumentStore store, IOptions<RunOptions> options) : Grain, IRunAdmissionGrain
{
    public async Task<Outcome<RunView>> SubmitAsync(string runId, RunRequest request, CommandContext context)
    {
        var run = GrainFactory.GetGrain<IRunGrain>(runId);
        var cap = options.Value.MaxActiveRunsPerResearcher;
        if (cap > 0 && RunAdmission.Check(cap, await UnfinishedAsync(context.Actor.Subject, runId)) is { } full)
        {
            // A request that would be refused anyway says why it is wrong rather than that the researcher is busy.
            if (!context.Actor.HasRole(Roles.Researcher)) return Problem.Forbidden("Runs are submitted by researchers.");
            return RunPlanner.Plan(request).Problem ?? full;
        }
        return await run.SubmitAsync(request, context);
    }

    /// <summary>The owner's unfinished runs, oldest first, but <paramref name="runId"/> (a repeated submission is the run's to answer).</summary>
    private async Task<IReadOnlyList<string>> UnfinishedAsync(string owner, string runId)
    {
        await using var session = store.QuerySession();
        return await session.Query<RunDocument>()
            .Where(r => r.Owner == owner && r.Id != runId && (r.Status == RunStatus.Submitted || r.Status == RunStatus.Running || r.Status == RunStatus.Suspended))
            .OrderBy(r => r.SubmittedAt).Select(r => r.Id).ToListAsync();
    }
}
