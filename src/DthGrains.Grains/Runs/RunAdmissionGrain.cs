using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using Marten;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Runs;

/// <summary>
/// One per researcher: counts their unfinished runs and the per-subject rows they keep in the read model, and submits
/// the new run only within their caps (<see cref="RunAdmission"/>). Its turns do not interleave, so submissions sent at
/// once are counted one after the other: the run projection is written in the submission's own transaction, so the
/// second count sees the first run.
/// </summary>
public sealed class RunAdmissionGrain(IDocumentStore store, IOptions<RunOptions> options) : Grain, IRunAdmissionGrain
{
    public async Task<Outcome<RunView>> SubmitAsync(string runId, RunRequest request, CommandContext context)
    {
        var run = GrainFactory.GetGrain<IRunGrain>(runId);
        var (cap, quota) = (options.Value.MaxActiveRunsPerResearcher, options.Value.RowsQuotaPerResearcher);
        if (cap <= 0 && quota <= 0) return await run.SubmitAsync(request, context);
        var (plan, invalid) = RunPlanner.Plan(request);
        if (invalid is not null) return await run.SubmitAsync(request, context); // the run says what is wrong with it

        await using var session = store.QuerySession();
        var held = await ResearcherRuns.ReadAsync(session, context.Actor.Subject, exceptRun: runId, withRows: quota > 0);
        var refused = RunAdmission.Check(cap, [.. held.UnfinishedRuns.Select(u => u.Id)])
            ?? RunAdmission.CheckStorage(quota, held.RowBytesKept, held.RowBytesComing,
                plan!.Subjects * RunAdmission.RowBytesPerSubject(plan.Request.Kind, plan.Model.Info.Outputs.Count));
        if (refused is null) return await run.SubmitAsync(request, context);
        // A request refused anyway says why; a repeated submission (same Idempotency-Key) is the recorded run's to answer.
        if (!context.Actor.HasRole(Roles.Researcher)) return Problem.Forbidden("Runs are submitted by researchers.");
        return await session.LoadAsync<RunDocument>(runId) is not null ? await run.SubmitAsync(request, context) : refused;
    }
}
