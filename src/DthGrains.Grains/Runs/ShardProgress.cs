namespace DthGrains.Grains.Runs;

/// <summary>A worker's progress reports to its run while its shard is solved.</summary>
public static class ShardProgress
{
    /// <summary>
    /// Reports every <paramref name="every"/> until <paramref name="solving"/> ends or <paramref name="ct"/> is cancelled
    /// (the shard stopped: the run was cancelled, failed or suspended), and returns how many reports it sent. It used to
    /// go on until the solve ended: a delay with a cancelled token ends at once, and the run's progress call is one-way
    /// (complete when sent), so a stopped shard sent reports as fast as it could loop until its solver next looked at
    /// the token, each a turn of the run grain.
    /// </summary>
    public static async Task<int> ReportWhileSolvingAsync(Task solving, Func<Task> report, TimeSpan every, CancellationToken ct)
    {
        var reports = 0;
        // The solve is the caller's own task, started for this wait.
#pragma warning disable VSTHRD003
        while (await Task.WhenAny(solving, Task.Delay(every, ct)) != solving && !ct.IsCancellationRequested)
        {
            await report();
            reports++;
        }
#pragma warning restore VSTHRD003
        return reports;
    }
}
