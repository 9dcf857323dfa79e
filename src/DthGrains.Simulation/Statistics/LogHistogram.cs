namespace DthGrains.Simulation.Statistics;

/// <summary>
/// A small, mergeable quantile sketch with a relative-error guarantee: DDSketch (Masson et al. 2019) with a bounded
/// number of bins. Values fall into logarithmic bins of ratio γ = (1 + α) / (1 − α). When the values of one sign span
/// more than <see cref="MaxBins"/> bins, neighbouring bins are first merged pairwise (γ becomes γ², the level rises by
/// one; UDDSketch, Epicoco et al. 2020), up to <see cref="MaxLevel"/>; past that, the bins of the smallest magnitudes are
/// folded into the lowest bin kept (DDSketch's "collapsing lowest" store), so the largest magnitudes keep the level's
/// accuracy. A quantile is therefore within the relative error of the current level (α at level 0: 1% by default, while
/// a sign's values span less than a factor of about 3.6; 2% at level 1 up to about 12.9; 4% at level 2 up to about
/// 160), or, when it falls among the folded magnitudes, within about 1/155 of the largest magnitude of its sign: values
/// that are numerically zero (a decayed concentration of 1e-40, round-off of −1e-16) cannot make the rest coarse.
/// Adding is one logarithm and one increment; merging adds integer counts, so a merged sketch depends only on the
/// values, never on the merge order. Negative values have their own bins, zero its own count; non-finite values are
/// not counted.
/// </summary>
public sealed class LogHistogram
{
    /// <summary>1% at level 0.</summary>
    public const double DefaultRelativeAccuracy = 0.01;

    /// <summary>Bins per sign: at most this many counts are kept (and stored) for positive values, and as many for negative ones.</summary>
    public const int MaxBins = 64;

    /// <summary>
    /// The coarsest level uniform collapse reaches (2: four times the nominal α). Beyond it the smallest magnitudes are
    /// folded instead, so a value that is numerically zero costs the rest no accuracy. Sketches recorded before this rule
    /// (uniform collapse to any level) are read and merged at their own level.
    /// </summary>
    public const int MaxLevel = 2;

    private readonly double _inverseLogGamma;
    private readonly double _logGamma;
    private Store _positive;
    private Store _negative;

    public LogHistogram(double relativeAccuracy = DefaultRelativeAccuracy)
    {
        if (!(relativeAccuracy is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(relativeAccuracy), "The relative accuracy is between 0 and 1.");
        RelativeAccuracy = relativeAccuracy;
        _logGamma = Math.Log((1 + relativeAccuracy) / (1 - relativeAccuracy));
        _inverseLogGamma = 1 / _logGamma;
    }

    public double RelativeAccuracy { get; }

    /// <summary>How many times the bins were merged pairwise (0: the nominal accuracy).</summary>
    public int Level { get; private set; }

    /// <summary>The relative error of a quantile at the current level.</summary>
    public double CurrentRelativeAccuracy
    {
        get
        {
            double gamma = Math.Exp(Math.ScaleB(_logGamma, Level));
            return (gamma - 1) / (gamma + 1);
        }
    }

    /// <summary>
    /// The magnitude below which values may have been folded into the lowest bin kept (the upper edge of that bin, for
    /// the sign whose bins reach furthest), so a quantile there is only known to lie below it; null when no sign's bins
    /// fill the whole width at the coarsest level (nothing was folded). A sketch whose bins fill the width exactly
    /// without folding also gives one: the statement stays true, only less sharp.
    /// </summary>
    public double? FoldThreshold
    {
        get
        {
            if (Level < MaxLevel) return null;
            double logGamma = Math.ScaleB(_logGamma, Level);
            double? Edge(in Store store) =>
                store.Trimmed() is { Counts.Length: MaxBins } used ? Math.Exp(used.Offset * logGamma) : null;
            var (positive, negative) = (Edge(_positive), Edge(_negative));
            return positive is null ? negative : negative is null ? positive : Math.Max(positive.Value, negative.Value);
        }
    }

    /// <summary>Number of (finite) values counted.</summary>
    public long Count { get; private set; }

    /// <summary>Values that were exactly zero.</summary>
    public long Zero { get; private set; }

    public void Add(double v)
    {
        if (!double.IsFinite(v)) return;
        if (v > 0) Increment(ref _positive, v);
        else if (v < 0) Increment(ref _negative, -v);
        else Zero++;
        Count++;
    }

    /// <summary>
    /// Adds the values in order: the same counts as <see cref="Add"/> one by one. A positive value that falls within the
    /// bins already framed, at level 0 (nearly every value of a run's cell), costs one logarithm and one increment, with
    /// no call; anything else takes <see cref="Add"/>'s path.
    /// </summary>
    public void AddRange(ReadOnlySpan<double> values)
    {
        int i = 0;
        while (i < values.Length)
        {
            if (Level == 0 && _positive.Raw is { } counts)
            {
                int offset = _positive.Offset;
                long added = 0;
                for (; i < values.Length; i++)
                {
                    double v = values[i];
                    if (!(v > 0 && v < double.PositiveInfinity)) break;
                    // The same index as Increment's at level 0.
                    uint at = (uint)((int)Math.Ceiling(Math.Log(v) * _inverseLogGamma) - offset);
                    if (at >= (uint)counts.Length) break;
                    counts[at]++;
                    added++;
                }
                Count += added;
                if (i == values.Length) return;
            }
            Add(values[i++]);
        }
    }

    private void Increment(ref Store store, double magnitude)
    {
        // ln(v)/ln(γ) scaled by 2^-level (exact), so a value lands in the same bin as its level-0 bin collapsed.
        double x = Math.Log(magnitude) * _inverseLogGamma;
        while (true)
        {
            // ScaleB by 0 is the identity, and the common case: skip its cost.
            int index = (int)Math.Ceiling(Level == 0 ? x : Math.ScaleB(x, -Level));
            if (store.TryIncrement(index, 1)) return;
            if (Level >= MaxLevel)
            {
                store.IncrementFolding(index, 1);
                return;
            }
            Collapse();
        }
    }

    private void Collapse()
    {
        _positive.Collapse();
        _negative.Collapse();
        Level++;
    }

    /// <summary>Adds another sketch's counts (same nominal accuracy); the other sketch is not changed.</summary>
    public void Merge(LogHistogram other)
    {
        if (other.RelativeAccuracy != RelativeAccuracy) throw new ArgumentException("Only sketches of the same accuracy merge.", nameof(other));
        if (other.Count == 0) return;
        // The other's counts are read in place when they fit at the same level (the usual case: shards of one run);
        // only a coarser level or an overflow needs a copy to collapse.
        if (other.Level == Level && _positive.Fits(other._positive) && _negative.Fits(other._negative))
        {
            _positive.Add(other._positive);
            _negative.Add(other._negative);
            Zero += other.Zero;
            Count += other.Count;
            return;
        }
        var positive = other._positive.Copy();
        var negative = other._negative.Copy();
        for (int l = other.Level; l < Level; l++) { positive.Collapse(); negative.Collapse(); }
        while (Level < other.Level) Collapse();
        while (Level < MaxLevel && (!_positive.Fits(positive) || !_negative.Fits(negative)))
        {
            Collapse();
            positive.Collapse();
            negative.Collapse();
        }
        // At the coarsest level, both sides fold what lies below the union's lowest bin kept.
        Store.FoldToFit(ref _positive, ref positive);
        Store.FoldToFit(ref _negative, ref negative);
        _positive.Add(positive);
        _negative.Add(negative);
        Zero += other.Zero;
        Count += other.Count;
    }

    /// <summary>Empties the sketch (level 0, no counts), keeping its memory for reuse.</summary>
    public void Reset()
    {
        _positive.Clear();
        _negative.Clear();
        Level = 0;
        Zero = 0;
        Count = 0;
    }

    /// <summary>
    /// The q-quantile (0 ≤ q ≤ 1), clamped to [<paramref name="min"/>, <paramref name="max"/>] (the exact extremes, kept
    /// elsewhere); NaN when nothing was counted.
    /// </summary>
    public double Quantile(double q, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (Count == 0) return double.NaN;
        if (q <= 0 && double.IsFinite(min)) return min;
        if (q >= 1 && double.IsFinite(max)) return max;
        double rank = Math.Clamp(q, 0, 1) * (Count - 1);
        long seen = 0;
        var negative = _negative.Counts;
        for (int i = negative.Length - 1; i >= 0; i--)
        {
            seen += negative[i];
            if (seen > rank) return Math.Clamp(-Representative(_negative.Offset + i), min, max);
        }
        seen += Zero;
        if (seen > rank) return Math.Clamp(0, min, max);
        var positive = _positive.Counts;
        for (int i = 0; i < positive.Length; i++)
        {
            seen += positive[i];
            if (seen > rank) return Math.Clamp(Representative(_positive.Offset + i), min, max);
        }
        return max;
    }

    /// <summary>The value bin i stands for at the current level: within the level's relative error of every value in (γ^(i−1), γ^i].</summary>
    private double Representative(int i)
    {
        double logGamma = Math.ScaleB(_logGamma, Level);
        return 2 * Math.Exp(i * logGamma) / (Math.Exp(logGamma) + 1);
    }

    /// <summary>The non-empty range of the positive bins: first bin index and counts.</summary>
    public (int Offset, ReadOnlyMemory<int> Counts) Positive => _positive.Trimmed();

    /// <summary>The non-empty range of the negative bins (of −v): first bin index and counts.</summary>
    public (int Offset, ReadOnlyMemory<int> Counts) Negative => _negative.Trimmed();

    /// <summary>Rebuilds a sketch from its parts (as <see cref="Level"/>, <see cref="Zero"/>, <see cref="Positive"/> and <see cref="Negative"/> gave them).</summary>
    public static LogHistogram FromParts(double relativeAccuracy, int level, long zero, int positiveOffset, int[] positive, int negativeOffset, int[] negative)
    {
        if (level < 0 || positive.Length > MaxBins || negative.Length > MaxBins) throw new ArgumentException("Not the parts of a sketch.");
        var h = new LogHistogram(relativeAccuracy) { Zero = zero, Level = level };
        h._positive = new Store(positiveOffset, positive);
        h._negative = new Store(negativeOffset, negative);
        long count = zero;
        foreach (var c in positive) count += c;
        foreach (var c in negative) count += c;
        h.Count = count;
        return h;
    }

    /// <summary>
    /// Counts of at most <see cref="MaxBins"/> consecutive bins from <see cref="Offset"/>. A store that adds values holds
    /// an array of <see cref="MaxBins"/> counts from its first value on, and moves and collapses its counts within it, so
    /// a sketch makes no garbage while it adds (a run's shard keeps some 400 of them). The array may hold zeros at either
    /// end; a store with no counts (never filled, or cleared) is empty.
    /// </summary>
    private struct Store(int offset, int[] counts)
    {
        private int[]? _counts = counts.Length == 0 ? null : counts;

        public int Offset = offset;

        public readonly int[] Counts => _counts ?? [];

        /// <summary>The counts array itself (null until the first value), for <see cref="AddRange"/>'s fast path.</summary>
        public readonly int[]? Raw => _counts;

        /// <summary>False when the bin would make the range wider than <see cref="MaxBins"/>.</summary>
        public bool TryIncrement(int index, int by)
        {
            if (_counts is null)
            {
                // Full width at once, the first bin in the middle.
                _counts = new int[MaxBins];
                Offset = index - MaxBins / 2;
            }
            else if (index < Offset || index >= Offset + _counts.Length)
            {
                if (!Used(out int first, out int last))
                {
                    if (_counts.Length < MaxBins) _counts = new int[MaxBins];
                    Offset = index - _counts.Length / 2;
                }
                else
                {
                    int from = Math.Min(index, Offset + first), to = Math.Max(index, Offset + last);
                    if (to - from + 1 > MaxBins) return false;
                    // The free bins go on the side the values are moving towards.
                    Reframe(index < Offset ? to - MaxBins + 1 : from, first, last);
                }
            }
            _counts[index - Offset] += by;
            return true;
        }

        /// <summary>
        /// Counts a value whose bin would make the range wider than <see cref="MaxBins"/> (at the coarsest level): the
        /// range keeps its top <see cref="MaxBins"/> bins, and every count below goes to the lowest of them.
        /// </summary>
        public void IncrementFolding(int index, int by)
        {
            Used(out _, out int last);
            int floor = Math.Max(index, Offset + last) - MaxBins + 1;
            FoldBelow(floor);
            _counts![Math.Max(index, floor) - Offset] += by;
        }

        /// <summary>When the union of two ranges is wider than <see cref="MaxBins"/>, folds both below the union's lowest bin kept.</summary>
        public static void FoldToFit(ref Store a, ref Store b)
        {
            if (a.Fits(b)) return;
            a.Used(out _, out int aLast);
            b.Used(out _, out int bLast);
            int floor = Math.Max(a.Offset + aLast, b.Offset + bLast) - MaxBins + 1;
            a.FoldBelow(floor);
            b.FoldBelow(floor);
        }

        /// <summary>
        /// Adds the counts of every bin below <paramref name="floor"/> to bin <paramref name="floor"/>, and frames the array
        /// from it (the used bins must lie below floor + <see cref="MaxBins"/>).
        /// </summary>
        private void FoldBelow(int floor)
        {
            if (!Used(out int first, out int last))
            {
                if (_counts is null || _counts.Length < MaxBins) _counts = new int[MaxBins];
                Offset = floor;
                return;
            }
            int folded = 0;
            for (int i = first; i <= last && Offset + i < floor; i++)
            {
                folded += _counts![i];
                _counts[i] = 0;
            }
            if (Used(out first, out last)) Reframe(floor, first, last);
            else
            {
                if (_counts!.Length < MaxBins) _counts = new int[MaxBins];
                Offset = floor;
            }
            _counts![0] += folded;
        }

        /// <summary>The first and last non-zero positions; false when there are none.</summary>
        private readonly bool Used(out int first, out int last)
        {
            first = 0;
            last = -1;
            if (_counts is null) return false;
            last = _counts.Length - 1;
            while (first <= last && _counts[first] == 0) first++;
            if (first > last) return false;
            while (_counts[last] == 0) last--;
            return true;
        }

        public readonly bool IsEmpty => !Used(out _, out _);

        /// <summary>
        /// Moves the used positions [first, last] so that the array starts at bin <paramref name="from"/> (at most the first
        /// used bin), in place when they fit in an array of <see cref="MaxBins"/>, which is then the array's length.
        /// </summary>
        private void Reframe(int from, int first, int last)
        {
            int used = last - first + 1, at = Offset + first - from;
            if (_counts!.Length < MaxBins || at + used > _counts.Length)
            {
                var grown = new int[Math.Max(MaxBins, at + used)];
                Array.Copy(_counts, first, grown, at, used);
                _counts = grown;
            }
            else if (at != first)
            {
                Array.Copy(_counts, first, _counts, at, used);
                // Clear what the move left behind: the old positions not covered by the new ones.
                if (at > first) Array.Clear(_counts, first, Math.Min(at - first, used));
                else Array.Clear(_counts, Math.Max(at + used, first), last + 1 - Math.Max(at + used, first));
            }
            Offset = from;
        }

        /// <summary>No counts; the memory is kept.</summary>
        public readonly void Clear()
        {
            if (_counts is not null) Array.Clear(_counts);
        }

        /// <summary>Pairs of bins become one: bin i goes to ⌈i/2⌉.</summary>
        public void Collapse()
        {
            if (!Used(out int first, out int last)) return;
            int from = (Offset + first + 1) >> 1;
            // In place, ascending: bin i goes to position ⌈(Offset+i)/2⌉ − from ≤ i − first, which was read (and emptied) already.
            for (int i = first; i <= last; i++)
            {
                int c = _counts![i];
                _counts[i] = 0;
                _counts[((Offset + i + 1) >> 1) - from] += c;
            }
            Offset = from;
        }

        public readonly Store Copy() => IsEmpty ? default : new Store(Offset, (int[])_counts!.Clone());

        /// <summary>True when the union of both ranges spans at most <see cref="MaxBins"/> bins.</summary>
        public readonly bool Fits(Store other)
        {
            if (!Used(out int a0, out int a1) || !other.Used(out int b0, out int b1)) return true;
            return Math.Max(Offset + a1, other.Offset + b1) - Math.Min(Offset + a0, other.Offset + b0) + 1 <= MaxBins;
        }

        /// <summary>Adds counts at the same level (the union must fit).</summary>
        public void Add(Store other)
        {
            if (!other.Used(out int b0, out int b1)) return;
            if (!Used(out int a0, out int a1))
            {
                // Into an array of its own, the other's counts in the middle.
                if (_counts is null || _counts.Length < MaxBins) _counts = new int[MaxBins];
                else Array.Clear(_counts);
                Offset = other.Offset + b0 - (MaxBins - (b1 - b0 + 1)) / 2;
            }
            else
            {
                int from = Math.Min(Offset + a0, other.Offset + b0), to = Math.Max(Offset + a1, other.Offset + b1);
                if (from < Offset || to >= Offset + _counts!.Length) Reframe(from, a0, a1);
            }
            for (int i = b0; i <= b1; i++) _counts![other.Offset + i - Offset] += other._counts![i];
        }

        public readonly (int Offset, ReadOnlyMemory<int> Counts) Trimmed() =>
            Used(out int first, out int last) ? (Offset + first, _counts.AsMemory(first, last - first + 1)) : (0, ReadOnlyMemory<int>.Empty);
    }
}
