using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;

namespace DthGrains.Domain.Runs;

/// <summary>
/// What one researcher may hold at once: runs unfinished (submitted, running or suspended), so that one client's burst
/// of submissions cannot hold every worker of the cluster while everyone else's runs queue behind it; and bytes of
/// per-subject rows kept in the federation's database, so that one client cannot fill it.
/// </summary>
public static class RunAdmission
{
    /// <summary>The runs listed by name in a refusal; the rest are counted.</summary>
    public const int Listed = 5;

    /// <summary>
    /// Null when one more run fits under <paramref name="cap"/> (0: no cap); else a 429 that names the unfinished runs
    /// and what to do. No Retry-After goes with it: when a slot frees depends on runs, not on time.
    /// </summary>
    /// <param name="unfinished">the researcher's unfinished runs, oldest first.</param>
    public static Problem? Check(int cap, IReadOnlyList<string> unfinished)
    {
        if (cap <= 0 || unfinished.Count < cap) return null;
        var named = string.Join(", ", unfinished.Take(Listed)) + (unfinished.Count > Listed ? $" and {unfinished.Count - Listed} more" : "");
        return new Problem(ProblemKind.TooManyRequests, "Too many unfinished runs",
            $"You have {unfinished.Count} unfinished runs ({named}); a researcher may have {cap} at once (Dth:Runs:MaxActiveRunsPerResearcher). " +
            "Submit again once one has ended ('dth run watch <id>'), or cancel one ('dth run cancel <id>'). Suspended runs count until they resume " +
            "and end, or are cancelled.");
    }

    /// <summary>Bytes of per-subject rows a subject of a run of <paramref name="kind"/> stores (sensitivity runs keep indices, not rows).</summary>
    public static long RowBytesPerSubject(RunKind kind, int outputs) =>
        kind == RunKind.Sensitivity ? 0 : (long)outputs * Simulation.Cohorts.SubjectShardRunner.SummaryPerOutput * sizeof(double);

    /// <summary>
    /// Null when the researcher's rows (<paramref name="kept"/> stored, <paramref name="coming"/> still to be written by
    /// their unfinished runs) leave room for <paramref name="adding"/> under <paramref name="quota"/> (0: no quota); else a
    /// 403 saying how much is used and how to make room.
    /// </summary>
    public static Problem? CheckStorage(long quota, long kept, long coming, long adding)
    {
        if (quota <= 0 || kept + coming + adding <= quota) return null;
        return new Problem(ProblemKind.Forbidden, "Storage quota for per-subject rows reached",
            $"This run would store {ByteSize.Format(adding)} of per-subject rows; you keep {ByteSize.Format(kept)}" + (coming > 0 ? $" and your unfinished runs will add {ByteSize.Format(coming)}" : "") +
            $", against a quota of {ByteSize.Format(quota)} per researcher (Dth:Runs:RowsQuotaPerResearcher). Release the rows of runs you have read " +
            "('dth run release-rows <id>' or POST /api/runs/{id}/rows/release: their summaries, bands and digests stay, and the same request and seed give " +
            "the rows again), or submit fewer subjects.");
    }
}
