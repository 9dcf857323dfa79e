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
        var owner = context.Actor.Subject;
        var unfinished = await session.Query<RunDocument>()
            .Where(r => r.Owner == owner && r.Id != runId && (r.Status == RunStatus.Submitted || r.Status == RunStatus.Running || r.Status == RunStatus.Suspended))
            .OrderBy(r => r.SubmittedAt).Select(r => new Unfinished(r.Id, r.SubjectsTotal, r.SubjectsDone, r.RowBytesPerSubject)).ToListAsync();
        var refused = RunAdmission.Check(cap, [.. unfinished.Select(u => u.Id)]);
        if (refused is null && quota > 0)
        {
            var kept = await session.Query<RunDocument>().Where(r => r.Owner == owner && r.Id != runId).SumAsync(r => r.RowBytes);
            var adding = plan!.Subjects * RunAdmission.RowBytesPerSubject(plan.Request.Kind, plan.Model.Info.Outputs.Count);
            refused = RunAdmission.CheckStorage(quota, kept, unfinished.Sum(u => (u.SubjectsTotal - u.SubjectsDone) * u.RowBytesPerSubject), adding);
        }
        if (refused is null) return await run.SubmitAsync(request, context);
        // A request refused anyway says why; a repeated submission (same Idempotency-Key) is the recorded run's to answer.
        if (!context.Actor.HasRole(Roles.Researcher)) return Problem.Forbidden("Runs are submitted by researchers.");
        return await session.LoadAsync<RunDocument>(runId) is not null ? await run.SubmitAsync(request, context) : refused;
    }

    private sealed record Unfinished(string Id, long SubjectsTotal, long SubjectsDone, long RowBytesPerSubject);
}
