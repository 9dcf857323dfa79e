namespace DthGrains.Domain.Runs;

/// <summary>
/// A spot check of a run's shards: which to re-run, and how likely such a sample is to catch false ones. A run of
/// hundreds of shards costs as much CPU to re-run whole as it took; a sample of a few, chosen by the verifier (never by
/// whoever recorded the run), catches a run with many false shards almost surely, and one false shard with the
/// probability the sample's share of the run gives.
/// </summary>
public static class ShardSample
{
    /// <summary><paramref name="size"/> distinct shards of 0 to <paramref name="shards"/> − 1, uniformly chosen, in ascending order (all of them when the sample is as large).</summary>
    public static int[] Choose(int shards, int size, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shards);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var all = Enumerable.Range(0, shards).ToArray();
        int k = Math.Min(size, shards);
        // A partial Fisher–Yates shuffle: the first k positions end up a uniform sample without replacement.
        for (int i = 0; i < k; i++)
        {
            int j = random.Next(i, shards);
            (all[i], all[j]) = (all[j], all[i]);
        }
        var chosen = all[..k];
        Array.Sort(chosen);
        return chosen;
    }

    /// <summary>
    /// The probability that a uniform sample of <paramref name="size"/> of <paramref name="shards"/> shards includes at
    /// least one of <paramref name="falseShards"/> false ones: 1 − C(n − r, k) / C(n, k).
    /// </summary>
    public static double Detection(int shards, int size, int falseShards)
    {
        if (shards <= 0 || falseShards <= 0) return 0;
        int n = shards, k = Math.Min(size, n), r = Math.Min(falseShards, n);
        if (k + r > n) return 1;
        // C(n−r, k)/C(n, k) = Π_{i<k} (n − r − i)/(n − i), kept as a product (no factorials to overflow).
        double missed = 1;
        for (int i = 0; i < k; i++) missed *= (double)(n - r - i) / (n - i);
        return 1 - missed;
    }
}
