using DthGrains.Simulation.Statistics;

namespace DthGrains.Simulation.Cohorts;

/// <summary>
/// Mergeable statistics of a run shard: per output and time point (index = output × times + time), exact moments
/// (<see cref="RunningMoments"/>) and a relative-error quantile histogram (<see cref="LogHistogram"/>). Cheap enough to
/// keep while solving: a block of subjects costs two passes over each cell's values and one logarithm per value.
/// Histograms merge exactly (integer counts), moments merge by Chan's formula; merge shards in shard order for
/// bit-identical moments however they were scheduled.
/// </summary>
public sealed record ShardPartial(long Individuals, long Failed, double RelativeAccuracy, RunningMoments[] Moments, LogHistogram[] Histograms)
{
    /// <summary>Why the failed subjects failed (their count is <see cref="Failed"/>).</summary>
    public SolveFailures Failures { get; init; }

    /// <summary>Merges partials in the order given.</summary>
    public static ShardPartial Merge(IEnumerable<ShardPartial> partials)
    {
        ShardAccumulator? acc = null;
        foreach (var p in partials)
        {
            acc ??= new ShardAccumulator(p.Moments.Length, p.RelativeAccuracy);
            acc.Merge(p);
        }
        return acc?.ToPartial() ?? throw new ArgumentException("Nothing to merge.");
    }

    /// <summary>Mean, standard deviation and percentile bands (as <see cref="CohortSummary"/>) over the given grid.</summary>
    public CohortSummary Summarise(double[] times, string[] outputs, IReadOnlyList<double> percentiles)
    {
        int cells = times.Length * outputs.Length, np = percentiles.Count;
        if (Moments.Length != cells) throw new ArgumentException("The statistics do not match the time grid and outputs.");
        var mean = new double[cells];
        var sd = new double[cells];
        var bands = new double[cells * np];
        for (int i = 0; i < cells; i++)
        {
            var m = Moments[i];
            mean[i] = m.Count > 0 ? m.Mean : double.NaN;
            sd[i] = m.StandardDeviation;
            for (int k = 0; k < np; k++) bands[i * np + k] = Histograms[i].Quantile(percentiles[k] / 100, m.Min, m.Max);
        }
        return new CohortSummary(Individuals, Failed, times, outputs, percentiles.ToArray(), mean, sd, bands);
    }
}

/// <summary>The in-memory form of a <see cref="ShardPartial"/>.</summary>
public sealed class ShardAccumulator
{
    private readonly RunningMoments[] _moments;
    private readonly LogHistogram[] _histograms;
    private readonly double _accuracy;

    public ShardAccumulator(int cells, double relativeAccuracy = LogHistogram.DefaultRelativeAccuracy)
    {
        _accuracy = relativeAccuracy;
        _moments = new RunningMoments[cells];
        _histograms = new LogHistogram[cells];
        for (int i = 0; i < cells; i++) _histograms[i] = new LogHistogram(relativeAccuracy);
    }

    public long Individuals;
    public long Failed;

    /// <summary>Why the <see cref="Failed"/> subjects failed.</summary>
    public SolveFailures Failures;

    /// <summary>Counts a subject that did not reach its horizon, and why.</summary>
    public void AddFailure(Solvers.IntegrationStatus status)
    {
        Failed++;
        Failures.Add(status);
    }

    /// <summary>Adds one individual's outputs, row-major [time, output]: a block of one row.</summary>
    public void Add(ReadOnlySpan<double> values, int times, int outputs) => AddBlock(values, 1, times * outputs, times, outputs);

    /// <summary>
    /// Adds a block of individuals' outputs at once: <paramref name="values"/> holds <paramref name="individuals"/> rows
    /// of <paramref name="stride"/> numbers, each row-major [time, output] like <see cref="Add"/>'s. Cell by cell, each
    /// cell's values in row order, so each cell's moments and sketch are touched once per block instead of once per
    /// individual (a shard's ~400 sketches do not fit in the first-level cache; one does). The sketches get the same
    /// counts as adding the rows one by one; the moments are a block's (<see cref="RunningMoments.AddRange"/>), equal to
    /// the one-by-one ones up to round-off, so callers that need the same bits cut their blocks the same way.
    /// </summary>
    public void AddBlock(ReadOnlySpan<double> values, int individuals, int stride, int times, int outputs) =>
        AddBlock(values, individuals, stride, times, outputs, _moments);

    /// <summary>
    /// <see cref="AddBlock(ReadOnlySpan{double}, int, int, int, int)"/> with the moments going to
    /// <paramref name="moments"/> instead of this accumulator's: a shard runner keeps a chunk's moments apart, to merge
    /// them in chunk order, while the sketches (whose merge is exact, in any order) stay with the thread.
    /// </summary>
    public void AddBlock(ReadOnlySpan<double> block, int individuals, int stride, int times, int outputs, Span<RunningMoments> moments)
    {
        if (individuals == 0) return;
        if (stride < times * outputs || block.Length < (individuals - 1) * stride + times * outputs)
            throw new ArgumentException("The block is shorter than its rows.", nameof(block));
        if (moments.Length != _moments.Length) throw new ArgumentException("The moments are not over the same cells.", nameof(moments));
        Individuals += individuals;
        // A cell's values are gathered (a column of the block, one row apart) into a short buffer first, so the sketch
        // takes them as a run (LogHistogram.AddRange).
        Span<double> column = stackalloc double[Math.Min(individuals, ColumnLength)];
        for (int y = 0; y < outputs; y++)
            for (int t = 0; t < times; t++)
            {
                int k = y * times + t, at = t * outputs + y;
                ref var cell = ref moments[k];
                var histogram = _histograms[k];
                for (int i0 = 0; i0 < individuals; i0 += column.Length)
                {
                    var values = column[..Math.Min(column.Length, individuals - i0)];
                    for (int i = 0; i < values.Length; i++, at += stride) values[i] = block[at];
                    cell.AddRange(values);
                    histogram.AddRange(values);
                }
            }
    }

    private const int ColumnLength = 64;

    /// <summary>Merges moments kept apart (<see cref="AddBlock(ReadOnlySpan{double}, int, int, int, int, Span{RunningMoments})"/>) into this accumulator's.</summary>
    public void MergeMoments(ReadOnlySpan<RunningMoments> moments)
    {
        if (moments.Length != _moments.Length) throw new ArgumentException("The moments are not over the same cells.", nameof(moments));
        for (int i = 0; i < _moments.Length; i++) _moments[i].Merge(moments[i]);
    }

    /// <summary>Merges another accumulator's sketches and counts of individuals, not its moments (those were merged apart).</summary>
    public void MergeSketches(ShardAccumulator other)
    {
        if (other._histograms.Length != _histograms.Length) throw new ArgumentException("Only accumulators over the same cells merge.");
        Individuals += other.Individuals;
        Failed += other.Failed;
        Failures.Add(other.Failures);
        for (int i = 0; i < _histograms.Length; i++) _histograms[i].Merge(other._histograms[i]);
    }

    public void Merge(ShardPartial p)
    {
        if (p.Moments.Length != _moments.Length) throw new ArgumentException("Only partials over the same grid merge.");
        Individuals += p.Individuals;
        Failed += p.Failed;
        Failures.Add(p.Failures);
        for (int i = 0; i < _moments.Length; i++)
        {
            _moments[i].Merge(p.Moments[i]);
            _histograms[i].Merge(p.Histograms[i]);
        }
    }

    /// <summary>Empties the accumulator for reuse (its sketches keep their memory).</summary>
    public void Reset()
    {
        Individuals = 0;
        Failed = 0;
        Failures = default;
        Array.Clear(_moments);
        foreach (var h in _histograms) h.Reset();
    }

    /// <summary>Subjects counted in one cell (index = output × times + time).</summary>
    public long CountOf(int cell) => _moments[cell].Count;

    /// <summary>The q-quantile (0..1) of one cell so far, within the histogram's relative accuracy; independent of the merge order.</summary>
    public double Quantile(int cell, double q) =>
        _moments[cell].Count > 0 ? _histograms[cell].Quantile(q, _moments[cell].Min, _moments[cell].Max) : double.NaN;

    /// <summary>The accumulated statistics (the accumulator must not be used afterwards: the histograms are handed over).</summary>
    public ShardPartial ToPartial() => new(Individuals, Failed, _accuracy, (RunningMoments[])_moments.Clone(), _histograms) { Failures = Failures };
}
