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
    public void Wide_spreads_collapse_uniformly_and_keep_the_bound_of_their_level()
    {
        var x = LogNormals(3000, 5, 1e-3, 3); // many orders of magnitude
        var h = new LogHistogram();
        foreach (var v in x) h.Add(v);
        h.Level.Should().BeGreaterThan(0);
        h.Positive.Counts.Length.Should().BeLessThanOrEqualTo(LogHistogram.MaxBins);
        var sorted = x.Order().ToArray();
        var alpha = h.CurrentRelativeAccuracy;
        foreach (var q in new[] { 0.05, 0.5, 0.95 })
        {
            var exact = Exact(sorted, q);
            h.Quantile(q).Should().BeApproximately(exact, (alpha + 1e-9) * exact);
        }
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
}
