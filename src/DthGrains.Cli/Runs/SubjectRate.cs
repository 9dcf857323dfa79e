namespace DthGrains.Cli.Runs;

/// <summary>
/// Subjects per second for the follower's bar, over the time the run has been running since it (re)started: a run that
/// waited suspended for five minutes, or was already half done when the follower joined, would otherwise show a rate
/// computed over time it did not run, or over subjects solved before the follower was there.
/// </summary>
public sealed class SubjectRate
{
    /// <summary>Below this much running time a rate is noise (one shard's burst) and none is shown.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private (long Done, TimeSpan At)? _since;

    /// <summary>Takes an update (<paramref name="running"/>: the run is solving now) and gives the rate, or null while none is known.</summary>
    public double? Observe(long done, bool running, TimeSpan now)
    {
        if (!running)
        {
            _since = null;
            return null;
        }
        if (_since is not { } since)
        {
            _since = (done, now);
            return null;
        }
        var elapsed = now - since.At;
        return elapsed < Settle ? null : (done - since.Done) / elapsed.TotalSeconds;
    }
}
