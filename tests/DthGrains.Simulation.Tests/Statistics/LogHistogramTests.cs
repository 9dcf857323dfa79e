using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Statistics;

namespace DthGrains.Simulation.Tests.Statistics;

public class LogHistogramTests
{
    private static double Exact(double[] sorted, double q) => sorted[(int)Math.Floor(q * (sorted.Length - 1))];

    private static double[] LogNormals(int n, ulong seed, double median, double sigma)
    {
        var rng = new Xoshiro256StarStar(seed);
        return Enumerable.Range(0, n).Select(_ => median * Math.Exp(sigma * rng.NextNormal())).ToArray();
    }

    [Fact]
    public void Quantiles_are_within_the_relative_accuracy_of_a_value_of_that_rank_at_level_0()
    {
        var x = LogNormals(5000, 3, 8, 0.1); // spans under a factor 3.6: no collapse
        var h = new LogHistogram();
        foreach (var v in x) h.Add(v);
        h.Level.Should().Be(0);
        var sorted = x.Order().ToArray();
        foreach (var q in new[] { 0.05, 0.25, 0.5, 0.75, 0.95 })
        {
            // The value of rank ⌊q(n−1)⌋ lies in the returned bin: within α, relative.
            var exact = Exact(sorted, q);
            h.Quantile(q, sorted[0], sorted[^1]).Should().BeApproximately(exact, 0.0101 * exact);
        }
        h.Quantile(0, sorted[0], sorted[^1]).Should().Be(sorted[0]);
        h.Quantile(1, sorted[0], sorted[^1]).Should().Be(sorted[^1]);
    }

    [Fact]
    public void Wide_spreads_collapse_to_the_coarsest_level_then_fold_the_smallest_magnitudes()
    {
        var x = LogNormals(3000, 5, 1e-3, 3); // many orders of magnitude
        var h = new LogHistogram();
        foreach (var v in x) h.Add(v);
        h.Level.Should().Be(LogHistogram.MaxLevel);
        h.Positive.Counts.Length.Should().Be(LogHistogram.MaxBins);
        var sorted = x.Order().ToArray();
        var alpha = h.CurrentRelativeAccuracy;
        // The bins kept reach down from the largest value's by MaxBins − 1 bins of ratio γ = (1 + α) / (1 − α).
        var folded = sorted[^1] * Math.Pow((1 - alpha) / (1 + alpha), LogHistogram.MaxBins - 1);
        sorted[0].Should().BeLessThan(folded / 1000, "the test needs values far below the bins kept");
        foreach (var q in new[] { 0.05, 0.25, 0.5, 0.75, 0.95, 0.99 })
        {
            var exact = Exact(sorted, q);
            var estimate = h.Quantile(q, sorted[0], sorted[^1]);
            if (exact > folded * (1 + alpha) / (1 - alpha)) estimate.Should().BeApproximately(exact, (alpha + 1e-9) * exact, $"q = {q}");
            else estimate.Should().BeInRange(0, folded * (1 + alpha) / (1 - alpha), $"q = {q}: within the lowest bin kept");
        }
    }

    [Fact]
    public void Values_that_are_numerically_zero_do_not_coarsen_the_bands_of_the_rest()
    {
        // Insulin of a cohort after two weeks (found on the platform): most subjects between 1 and 19 mU/L, 5% decayed
        // to between 1e-116 and 1e-19, a few round-off negatives. Under uniform collapse alone the sketch went to level 7
        // (γ ≈ 12.9) and reported 1.856 for p25 to p95 (exact: 3.3, 5.1, 6.8, 9.4).
        var rng = new Xoshiro256StarStar(2026);
        var x = Enumerable.Range(0, 5000).Select(i =>
            i % 20 == 0 ? Math.Pow(10, -19 - 97 * rng.NextDouble())
            : i % 33 == 0 ? -Math.Pow(10, -16 - 9 * rng.NextDouble())
            : 5 * Math.Exp(0.5 * rng.NextNormal())).ToArray();
        var h = new LogHistogram();
        h.AddRange(x);
        var sorted = x.Order().ToArray();
        foreach (var q in new[] { 0.25, 0.5, 0.75, 0.95 })
        {
            var exact = Exact(sorted, q);
            h.Quantile(q, sorted[0], sorted[^1]).Should().BeApproximately(exact, 0.0401 * exact, $"q = {q}");
        }
        // The tiny ones: reported near zero against the bulk's scale, below the threshold the sketch names.
        h.Quantile(0.05, sorted[0], sorted[^1]).Should().BeInRange(sorted[0], sorted[^1] / 150);
        h.FoldThreshold!.Value.Should().BeInRange(sorted[^1] / 170, sorted[^1] / 140);
        h.Quantile(0.05, sorted[0], sorted[^1]).Should().BeLessThanOrEqualTo(h.FoldThreshold.Value);

        var narrow = new LogHistogram();
        narrow.AddRange(LogNormals(1000, 4, 5, 0.5));
        narrow.FoldThreshold.Should().BeNull("values within a factor of 160 fold nothing");
    }

    [Fact]
    public void Merges_are_exact_and_do_not_depend_on_the_order()
    {
        var x = LogNormals(4000, 7, 1, 1.5).Select((v, i) => i % 7 == 0 ? -v : i % 11 == 0 ? 0 : v).ToArray();
        var all = new LogHistogram();
        foreach (var v in x) all.Add(v);
        var parts = Enumerable.Range(0, 4).Select(k =>
        {
            var h = new LogHistogram();
            foreach (var v in x.Skip(k * 1000).Take(1000)) h.Add(v);
            return h;
        }).ToArray();
        LogHistogram MergeIn(IEnumerable<int> order)
        {
            var m = new LogHistogram();
            foreach (var i in order) m.Merge(parts[i]);
            return m;
        }
        foreach (var merged in new[] { MergeIn([0, 1, 2, 3]), MergeIn([3, 1, 0, 2]) })
        {
            merged.Count.Should().Be(all.Count);
            merged.Zero.Should().Be(all.Zero);
            merged.Level.Should().Be(all.Level);
            merged.Positive.Offset.Should().Be(all.Positive.Offset);
            merged.Positive.Counts.ToArray().Should().Equal(all.Positive.Counts.ToArray());
            merged.Negative.Counts.ToArray().Should().Equal(all.Negative.Counts.ToArray());
        }
        var rebuilt = LogHistogram.FromParts(all.RelativeAccuracy, all.Level, all.Zero, all.Positive.Offset, all.Positive.Counts.ToArray(), all.Negative.Offset, all.Negative.Counts.ToArray());
        foreach (var q in new[] { 0.05, 0.3, 0.5, 0.95 }) rebuilt.Quantile(q).Should().Be(all.Quantile(q));
    }

    [Fact]
    public void Shard_partials_merge_to_the_same_statistics_in_any_grouping()
    {
        var x = LogNormals(600, 11, 5, 0.5);
        ShardPartial Of(int from, int to)
        {
            var acc = new ShardAccumulator(3);
            for (int i = from; i < to; i++) acc.Add([x[i], x[i] * 2, -x[i]], 1, 3);
            return acc.ToPartial();
        }
        var whole = Of(0, 600);
        var merged = ShardPartial.Merge([Of(0, 200), Of(200, 400), Of(400, 600)]);
        merged.Individuals.Should().Be(600);
        var a = whole.Summarise([0], ["a", "b", "c"], [5, 50, 95]);
        var b = merged.Summarise([0], ["a", "b", "c"], [5, 50, 95]);
        b.Bands.Should().Equal(a.Bands);
        b.Mean.Zip(a.Mean).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-12 * Math.Abs(p.Second));
    }
    /// <summary>
    /// The bins a sketch must hold, computed naively: every value's bin at the lowest level (up to MaxLevel) where each
    /// sign's bins span at most MaxBins; at MaxLevel, a sign's bins below its top MaxBins counted in the lowest of them.
    /// </summary>
    private static (int Level, Dictionary<int, int> Positive, Dictionary<int, int> Negative, long Zero) Reference(IEnumerable<double> values, double alpha = LogHistogram.DefaultRelativeAccuracy)
    {
        var inverse = 1 / Math.Log((1 + alpha) / (1 - alpha));
        var x = values.Where(double.IsFinite).ToArray();
        for (int level = 0; ; level++)
        {
            int Bin(double v) => (int)Math.Ceiling(Math.ScaleB(Math.Log(Math.Abs(v)) * inverse, -level));
            bool Fits(IEnumerable<int> bins) => !bins.Any() || bins.Max() - bins.Min() + 1 <= LogHistogram.MaxBins;
            var positive = x.Where(v => v > 0).Select(Bin).ToArray();
            var negative = x.Where(v => v < 0).Select(Bin).ToArray();
            if ((Fits(positive) && Fits(negative)) || level == LogHistogram.MaxLevel)
            {
                Dictionary<int, int> Kept(int[] bins) => bins.Length == 0 ? []
                    : bins.Select(b => Math.Max(b, bins.Max() - LogHistogram.MaxBins + 1)).GroupBy(b => b).ToDictionary(g => g.Key, g => g.Count());
                return (level, Kept(positive), Kept(negative), x.LongCount(v => v == 0));
            }
        }
    }

    private static void ShouldHoldExactly(LogHistogram h, IEnumerable<double> values)
    {
        var (level, positive, negative, zero) = Reference(values);
        h.Level.Should().Be(level);
        h.Zero.Should().Be(zero);
        h.Count.Should().Be(positive.Values.Sum() + negative.Values.Sum() + zero);
        Dictionary<int, int> Bins((int Offset, ReadOnlyMemory<int> Counts) part) =>
            part.Counts.ToArray().Select((c, i) => (Bin: part.Offset + i, Count: c)).Where(b => b.Count > 0).ToDictionary(b => b.Bin, b => b.Count);
        Bins(h.Positive).Should().Equal(positive);
        Bins(h.Negative).Should().Equal(negative);
        if (h.Positive.Counts.Length > 0) h.Positive.Counts.Span[0].Should().BeGreaterThan(0, "the first bin given out holds a count");
    }

    [Fact]
    public void Sketches_hold_exactly_the_bins_of_the_naive_definition_through_moves_collapses_resets_and_merges()
    {
        var rng = new Xoshiro256StarStar(42);
        // Values arriving low-first, high-first and at random; narrow and wide; with negatives, zeros and non-finite values.
        var sets = new List<double[]>
        {
            LogNormals(500, 1, 8, 0.1),
            LogNormals(500, 2, 8, 0.1).Order().ToArray(),
            LogNormals(500, 3, 8, 0.1).OrderDescending().ToArray(),
            LogNormals(800, 4, 1e-2, 2.5),
            LogNormals(800, 5, 1, 1).OrderDescending().ToArray(),
            LogNormals(600, 6, 3, 0.8).Select((v, i) => i % 5 == 0 ? -v : i % 13 == 0 ? 0 : i % 17 == 0 ? double.NaN : v).ToArray(),
            // Wider than the coarsest level: folded, with new largest values arriving late, early and at random.
            LogNormals(800, 7, 1e-3, 4),
            LogNormals(800, 8, 1, 4).Order().ToArray(),
            LogNormals(800, 9, 1, 4).OrderDescending().ToArray(),
            LogNormals(900, 10, 1, 5).Select((v, i) => i % 3 == 0 ? -v : i % 10 == 0 ? 0 : v).ToArray(),
        };
        var reused = new LogHistogram();
        foreach (var values in sets)
        {
            var fresh = new LogHistogram();
            foreach (var v in values) fresh.Add(v);
            ShouldHoldExactly(fresh, values);

            // A sketch emptied by Reset counts as a new one does.
            reused.Reset();
            reused.Count.Should().Be(0);
            foreach (var v in values) reused.Add(v);
            ShouldHoldExactly(reused, values);

            // Added in runs of random length (AddRange: its fast path, and its fall-backs at the frame's edges, on values
            // that are not positive and finite, and at collapses): the same bins.
            var ranged = new LogHistogram();
            for (int at = 0; at < values.Length;)
            {
                int n = Math.Min(values.Length - at, 1 + (int)(rng.NextDouble() * 100));
                ranged.AddRange(values.AsSpan(at, n));
                at += n;
            }
            ShouldHoldExactly(ranged, values);
            ranged.Level.Should().Be(fresh.Level);

            // Merged from parts of random sizes, into a fresh sketch and into a reused one.
            var parts = new List<double[]>();
            for (int at = 0; at < values.Length;)
            {
                int n = 1 + (int)(rng.NextDouble() * 200);
                parts.Add(values.Skip(at).Take(n).ToArray());
                at += n;
            }
            var merged = new LogHistogram();
            var mergedIntoReused = new LogHistogram();
            foreach (var v in LogNormals(50, 9, 1e6, 0.1)) mergedIntoReused.Add(v);
            mergedIntoReused.Reset();
            foreach (var part in parts)
            {
                var h = new LogHistogram();
                foreach (var v in part) h.Add(v);
                ShouldHoldExactly(h, part);
                merged.Merge(h);
                mergedIntoReused.Merge(h);
                ShouldHoldExactly(h, part);
            }
            ShouldHoldExactly(merged, values);
            ShouldHoldExactly(mergedIntoReused, values);
        }
    }
    [Fact]
    public void Adding_a_block_cell_by_cell_gives_the_sketches_of_adding_its_rows_one_by_one_and_their_moments_up_to_round_off()
    {
        const int times = 7, outputs = 3, rows = 150, stride = times * outputs + 2; // rows wider than their cells: the rest is skipped
        var rng = new Xoshiro256StarStar(17);
        var block = new double[rows * stride];
        for (int i = 0; i < block.Length; i++)
        {
            var v = Math.Exp(2 * rng.NextNormal());
            block[i] = i % 23 == 0 ? double.NaN : i % 19 == 0 ? -v : i % 29 == 0 ? 0 : v;
        }
        var byRow = new ShardAccumulator(times * outputs);
        for (int r = 0; r < rows; r++) byRow.Add(block.AsSpan(r * stride, times * outputs), times, outputs);
        var byBlock = new ShardAccumulator(times * outputs);
        byBlock.AddBlock(block.AsSpan(0, 100 * stride), 100, stride, times, outputs);
        byBlock.AddBlock(block.AsSpan(100 * stride), 50, stride, times, outputs);

        var (a, b) = (byRow.ToPartial(), byBlock.ToPartial());
        b.Individuals.Should().Be(a.Individuals).And.Be(rows);
        for (int k = 0; k < times * outputs; k++)
        {
            // Moments of a block are summed in a different order than one by one (RunningMoments.AddRange).
            var (ma, mb) = (a.Moments[k], b.Moments[k]);
            (mb.Count, mb.Min, mb.Max).Should().Be((ma.Count, ma.Min, ma.Max), $"cell {k}");
            mb.Mean.Should().BeApproximately(ma.Mean, 1e-12 * Math.Abs(ma.Mean), $"cell {k}");
            mb.M2.Should().BeApproximately(ma.M2, 1e-10 * ma.M2, $"cell {k}");
            b.Histograms[k].Level.Should().Be(a.Histograms[k].Level);
            b.Histograms[k].Positive.Counts.ToArray().Should().Equal(a.Histograms[k].Positive.Counts.ToArray());
            b.Histograms[k].Negative.Counts.ToArray().Should().Equal(a.Histograms[k].Negative.Counts.ToArray());
            b.Histograms[k].Zero.Should().Be(a.Histograms[k].Zero);
        }
        FluentActions.Invoking(() => new ShardAccumulator(times * outputs).AddBlock(block.AsSpan(0, 10 * stride), 11, stride, times, outputs))
            .Should().Throw<ArgumentException>();
    }
}
