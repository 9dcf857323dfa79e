using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using Marten;
using Microsoft.Extensions.Options;
using Orleans.Placement;

namespace DthGrains.Grains.Runs;

/// <summary>
/// One per researcher: submits their runs one at a time, within their caps (<see cref="RunAdmission"/>). Its turns do
/// not interleave, so submissions sent at once are counted one after the other.
/// </summary>
/// <remarks>
/// Counting in the read model takes a scan of the researcher's runs, so the grain keeps upper bounds instead: what the
/// last count found plus what it has admitted since (runs only end, and rows are only released, behind its back, which
/// lowers the truth, never raises it). Every run is submitted through this grain, so while the bounds are under the caps
/// a submission needs no count; when they would refuse, it counts exactly, and only an exact count refuses.
/// <para>
/// Placed on the silo that first asks for it, as the runs it submits are placed beside it: a run lives on a silo of
/// the institution whose API received it, and decides with that silo's policy and clock. With the default placement
/// the admission (and so the run) of a TUM researcher could land on Charité's silo (a test saw Charité's clock refuse
/// a submission that TUM's permitted).
/// </para>
/// </remarks>
[PreferLocalPlacement]
public sealed class RunAdmissionGrain(IDocumentStore store, IOptions<RunOptions> options) : Grain, IRunAdmissionGrain
{
    private (int Unfinished, long RowBytes)? _bounds;

    public async Task<Outcome<RunView>> SubmitAsync(string runId, RunRequest request, CommandContext context)
    {
        var run = GrainFactory.GetGrain<IRunGrain>(runId);
        var (cap, quota) = (options.Value.MaxActiveRunsPerResearcher, options.Value.RowsQuotaPerResearcher);
        if (cap <= 0 && quota <= 0) return Counted(await run.SubmitAsync(request, context));
        var (plan, invalid) = RunPlanner.Plan(request);
        if (invalid is not null) return await run.SubmitAsync(request, context); // the run says what is wrong with it
        var adding = plan!.Subjects * RunAdmission.RowBytesPerSubject(plan.Request.Kind, plan.Model.Info.Outputs.Count);

        if (_bounds is not { } bounds || (cap > 0 && bounds.Unfinished >= cap) || (quota > 0 && bounds.RowBytes + adding > quota))
        {
            await using var session = store.QuerySession();
            var held = await ResearcherRuns.ReadAsync(session, context.Actor.Subject, exceptRun: runId, withRows: quota > 0);
            _bounds = (held.UnfinishedRuns.Count, held.RowBytesKept + held.RowBytesComing);
            var (refused, reason) = RunAdmission.Check(cap, [.. held.UnfinishedRuns.Select(u => u.Id)]) is { } full ? (full, "unfinished-runs")
                : RunAdmission.CheckStorage(quota, held.RowBytesKept, held.RowBytesComing, adding) is { } over ? (over, "rows-quota") : (null, null);
            if (refused is not null)
            {
                // A request refused anyway says why; a repeated submission (same Idempotency-Key) is the recorded run's to answer.
                if (RunDecisions.MaySubmit(context.Actor) is { } notResearcher) return notResearcher;
                if (await session.LoadAsync<RunDocument>(runId) is not null) return await run.SubmitAsync(request, context);
                RunMetrics.Refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
                return refused;
            }
        }

        var outcome = Counted(await run.SubmitAsync(request, context));
        if (!outcome.IsSuccess) return outcome;
        if (_bounds is { } before) _bounds = (before.Unfinished + 1, before.RowBytes + adding);
        return outcome;
    }

    private static Outcome<RunView> Counted(Outcome<RunView> outcome)
    {
        if (outcome.IsSuccess) RunMetrics.Admitted.Add(1);
        return outcome;
    }
}
