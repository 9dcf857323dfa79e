using DthGrains.Contracts.Runs;
using Marten;

namespace DthGrains.Grains.Runs;

/// <summary>What one researcher holds, from the run read model: their unfinished runs (oldest first) and the bytes of per-subject rows their runs keep.</summary>
public sealed record ResearcherRuns(IReadOnlyList<ResearcherRuns.Unfinished> UnfinishedRuns, long RowBytesKept)
{
    public sealed record Unfinished(string Id, long SubjectsTotal, long SubjectsDone, long RowBytesPerSubject);

    /// <summary>Bytes of per-subject rows the unfinished runs will still write.</summary>
    public long RowBytesComing => UnfinishedRuns.Sum(u => (u.SubjectsTotal - u.SubjectsDone) * u.RowBytesPerSubject);

    /// <param name="exceptRun">a run left out of both (the one being submitted, which may be a repeat of a recorded one).</param>
    /// <param name="withRows">also sum the rows kept (one more query).</param>
    public static async Task<ResearcherRuns> ReadAsync(IQuerySession session, string owner, string? exceptRun = null, bool withRows = true, CancellationToken ct = default)
    {
        var except = exceptRun ?? "";
        var unfinished = await session.Query<RunDocument>()
            .Where(r => r.Owner == owner && r.Id != except && (r.Status == RunStatus.Submitted || r.Status == RunStatus.Running || r.Status == RunStatus.Suspended))
            .OrderBy(r => r.SubmittedAt).Select(r => new Unfinished(r.Id, r.SubjectsTotal, r.SubjectsDone, r.RowBytesPerSubject)).ToListAsync(ct);
        var kept = withRows ? await session.Query<RunDocument>().Where(r => r.Owner == owner && r.Id != except).SumAsync(r => r.RowBytes, ct) : 0;
        return new ResearcherRuns(unfinished, kept);
    }
}
