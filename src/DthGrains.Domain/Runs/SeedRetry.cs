namespace DthGrains.Domain.Runs;

/// <summary>
/// How long a run waiting for its cohort seed waits before asking the data holder again after a fit came back refused
/// or undone (the holder's clock past the grant's end, its silos busy or away). Each try that fails costs the holder a
/// refusal in the dataset's access log or a fit's worth of CPU, so the waits double, counted in supervision rounds:
/// after the n-th failure in a row the run lets 2^(n−1) − 1 rounds pass (0, 1, 3, 7, …), up to a bound.
/// </summary>
public static class SeedRetry
{
    /// <summary>Supervision rounds to let pass before the next try, after <paramref name="failures"/> failures in a row.</summary>
    /// <param name="maxRounds">the longest wait, in rounds (at least 0).</param>
    public static int RoundsToWait(int failures, int maxRounds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRounds);
        if (failures <= 1) return 0;
        // 2^30 already exceeds any sensible bound; shifting further would overflow.
        return failures > 31 ? maxRounds : (int)Math.Min(maxRounds, (1L << (failures - 1)) - 1);
    }

    /// <summary>The longest wait in rounds for a bound given in time: at least one round.</summary>
    public static int MaxRounds(TimeSpan longestWait, TimeSpan period) =>
        period <= TimeSpan.Zero ? 1 : (int)Math.Clamp(longestWait / period, 1, int.MaxValue);
}
