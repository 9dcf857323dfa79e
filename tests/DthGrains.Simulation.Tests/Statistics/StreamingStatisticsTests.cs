using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Statistics;

namespace DthGrains.Simulation.Tests.Statistics;

public class StreamingStatisticsTests
{
    private static double[] Normals(int n, ulong seed)
    {
        var rng = new Xoshiro256StarStar(seed);
        return Enumerable.Range(0, n).Select(_ => rng.NextNormal()).ToArray();
    }

    [Fact]
    public void Welford_moments_match_the_two_pass_formula_and_merge_exactly()
    {
        var x = Normals(10_000, 1).Select(v => 1e6 + v).ToArray(); // large offset: naive sums of squares would lose digits
        var all = new RunningMoments();
        var a = new RunningMoments();
        var b = new RunningMoments();
        for (int i = 0; i < x.Length; i++) { all.Add(x[i]); if (i < 3000) a.Add(x[i]); else b.Add(x[i]); }
        a.Merge(b);
        double mean = x.Average();
        double variance = x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1);
        // Relative agreement 1e-12 on the mean (1e6 offset) and 1e-9 on the variance.
        all.Mean.Should().BeApproximately(mean, 1e-6);
        all.Variance.Should().BeApproximately(variance, 1e-9 * variance);
        a.Mean.Should().BeApproximately(mean, 1e-6);
        a.Variance.Should().BeApproximately(variance, 1e-9 * variance);
        a.Count.Should().Be(10_000);
    }

    [Fact]
    public void Block_moments_match_the_exact_moments_for_every_block_length_and_skip_NaN()
    {
        // Values 10⁶ + k/1024 (exact in double and in decimal) with an exact decimal reference: at this offset a naive
        // sum of squares would lose most digits.
        var rng = new Xoshiro256StarStar(5);
        static double Value(long k) => 1e6 + k / 1024.0;
        for (int length = 0; length <= 70; length++)
        {
            var before = Enumerable.Range(0, 5).Select(_ => (long)Math.Round(rng.NextNormal() * 1024)).ToArray();
            var ks = Enumerable.Range(0, length).Select(_ => (long)Math.Round(rng.NextNormal() * 1024)).ToArray();
            var x = ks.Select((k, i) => i % 7 == 3 ? double.NaN : Value(k)).ToArray();
            var block = new RunningMoments();
            foreach (var k in before) block.Add(Value(k));
            block.AddRange(x);

            var counted = before.Concat(ks.Where((_, i) => i % 7 != 3)).ToArray();
            var exact = counted.Select(k => 1_000_000m + k / 1024m).ToArray();
            decimal mean = exact.Sum() / exact.Length;
            decimal m2 = exact.Sum(v => (v - mean) * (v - mean));
            block.Count.Should().Be(counted.Length, $"length {length}: NaN is not counted");
            block.Mean.Should().BeApproximately((double)mean, 1e-9, $"length {length}");
            block.M2.Should().BeApproximately((double)m2, 1e-9 * (double)m2, $"length {length}");
            block.Min.Should().Be(Value(counted.Min()));
            block.Max.Should().Be(Value(counted.Max()));
        }
        var empty = new RunningMoments();
        empty.AddRange([double.NaN, double.NaN]);
        empty.Count.Should().Be(0, "a block of NaN adds nothing");
    }
}
