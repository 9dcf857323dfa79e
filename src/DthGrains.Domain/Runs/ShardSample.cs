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

    /// <summary>
    /// The smallest sample of <paramref name="shards"/> that includes one of <paramref name="falseShards"/> false ones with
    /// probability at least <paramref name="confidence"/>: what an auditor asks when they name how much forgery they
    /// must not miss, rather than a sample size. All shards when no smaller sample does.
    /// </summary>
    public static int SizeToCatch(int shards, int falseShards, double confidence)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shards);
        for (int k = 1; k < shards; k++)
            if (Detection(shards, k, falseShards) >= confidence) return k;
        return shards;
    }

    /// <summary>How many shards of <paramref name="shards"/> a share <paramref name="fraction"/> of them is, rounded up: at least one.</summary>
    public static int FalseShardsIn(int shards, double fraction) => Math.Clamp((int)Math.Ceiling(fraction * shards - 1e-9), 1, Math.Max(1, shards));

    /// <summary>
    /// Reads a catch target, "SHARE" or "SHARE@CONFIDENCE", each a percentage ("5%") or a fraction ("0.05"); the confidence
    /// is 95% when left out. Both must be above 0 and at most 100%.
    /// </summary>
    public static (double Fraction, double Confidence, string? Error) ParseTarget(string text)
    {
        const string Form = "a share of false shards to catch, optionally with the confidence, e.g. 5% or 5%@99% (or 0.05@0.99)";
        var parts = (text ?? "").Split('@');
        if (parts.Length > 2) return (0, 0, $"'{text}' is not {Form}.");
        var fraction = Share(parts[0]);
        var confidence = parts.Length == 2 ? Share(parts[1]) : 0.95;
        if (fraction is null || confidence is null) return (0, 0, $"'{text}' is not {Form}.");
        return (fraction.Value, confidence.Value, null);

        static double? Share(string part)
        {
            part = part.Trim();
            var percent = part.EndsWith('%');
            if (!double.TryParse(percent ? part[..^1] : part, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
                || !double.IsFinite(value)) return null;
            if (percent) value /= 100;
            return value is > 0 and <= 1 ? value : null;
        }
    }
}
