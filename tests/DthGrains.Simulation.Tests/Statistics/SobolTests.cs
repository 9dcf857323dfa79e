using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Statistics;

namespace DthGrains.Simulation.Tests.Statistics;

public class SobolTests
{
    // Ishigami & Homma 1990, a = 7, b = 0.1, x ~ U(−π, π)³. Analytic: V = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2,
    // V1 = (1 + bπ⁴/5)²/2, V2 = a²/8, V3 = 0, V13 = 8b²π⁸/225 → S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    private const double A = 7, B = 0.1;

    private static double Ishigami(double[] x) => Math.Sin(x[0]) + A * Math.Pow(Math.Sin(x[1]), 2) + B * Math.Pow(x[2], 4) * Math.Sin(x[0]);

    private static readonly Distribution[] Cube = [.. Enumerable.Repeat<Distribution>(new UniformDistribution(-Math.PI, Math.PI), 3)];

    /// <summary>The analytic variance, first-order and total indices of <see cref="Ishigami"/> over <see cref="Cube"/>.</summary>
    private static readonly (double V, double[] S, double[] ST) Analytic = AnalyticIndices();

    private static (double, double[], double[]) AnalyticIndices()
    {
        double pi4 = Math.Pow(Math.PI, 4), pi8 = pi4 * pi4;
        double v = A * A / 8 + B * pi4 / 5 + B * B * pi8 / 18 + 0.5;
        double v1 = 0.5 * Math.Pow(1 + B * pi4 / 5, 2), v2 = A * A / 8, v13 = 8 * B * B * pi8 / 225;
        return (v, [v1 / v, v2 / v, 0], [(v1 + v13) / v, v2 / v, v13 / v]);
    }

    [Fact]
    public void Ishigami_indices_match_their_analytic_values()
    {
        var (v, s, st) = Analytic;
        var result = SobolAnalysis.Compute(["x1", "x2", "x3"], Cube, Ishigami, baseSamples: 1 << 15, seed: 42);

        // Monte-Carlo error at N = 32768 is about 0.01; tolerance 0.03 for all six indices.
        for (int i = 0; i < 3; i++)
        {
            result.FirstOrder[i].Should().BeApproximately(s[i], 0.03, $"S{i + 1}");
            result.Total[i].Should().BeApproximately(st[i], 0.03, $"ST{i + 1}");
        }
        result.Variance.Should().BeApproximately(v, 0.05 * v);
        result.Evaluations.Should().Be((1 << 15) * 5);
    }

    [Fact]
    public void A_study_split_into_ranges_merges_to_the_indices_of_one_range_and_the_same_bits_however_its_ranges_were_run()
    {
        const int n = 3000;
        var whole = SobolAnalysis.Evaluate(Cube, Ishigami, 9, 0, n).Indices(["x1", "x2", "x3"], n);
        SobolAnalysis.Compute(["x1", "x2", "x3"], Cube, Ishigami, n, 9).Should().BeEquivalentTo(whole, "Compute is one range");

        SobolIndices Split(int threads)
        {
            var merged = new SobolPartial(3);
            foreach (var (from, to) in new[] { (0, 1000), (1000, 2200), (2200, n) })
                merged.Merge(SobolAnalysis.Evaluate(Cube, Ishigami, 9, from, to, threads));
            return merged.Indices(["x1", "x2", "x3"], n);
        }
        var split = Split(1);
        // The same samples, summed in three groups: equal up to round-off.
        for (int i = 0; i < 3; i++)
        {
            split.FirstOrder[i].Should().BeApproximately(whole.FirstOrder[i], 1e-12);
            split.Total[i].Should().BeApproximately(whole.Total[i], 1e-12);
        }
        split.Variance.Should().BeApproximately(whole.Variance, 1e-12 * whole.Variance);
        split.Evaluations.Should().Be(n * 5);
        // The same ranges on four threads: the same bits.
        var parallel = Split(4);
        parallel.FirstOrder.Should().Equal(split.FirstOrder);
        parallel.Total.Should().Equal(split.Total);
        parallel.Variance.Should().Be(split.Variance);
    }

    [Fact]
    public void Several_outputs_of_one_set_of_evaluations_give_each_output_s_own_study_bit_for_bit()
    {
        const int n = 800;
        // Three statistics of one "solve": the Ishigami function, its square, and one that fails where x1 > 2.
        static double Fails(double[] x) => x[0] > 2 ? double.NaN : x[1] + x[2];
        long evaluations = 0;
        var partials = SobolAnalysis.Evaluate(Cube, 3, (x, y) =>
        {
            Interlocked.Increment(ref evaluations);
            y[0] = Ishigami(x);
            y[1] = Ishigami(x) * Ishigami(x);
            y[2] = Fails(x);
        }, 5, 100, 100 + n, maxDegreeOfParallelism: 3);

        evaluations.Should().Be(n * 5, "one evaluation of the model per point gives all three outputs");
        var alone = new[] { SobolAnalysis.Evaluate(Cube, Ishigami, 5, 100, 100 + n), SobolAnalysis.Evaluate(Cube, x => Ishigami(x) * Ishigami(x), 5, 100, 100 + n),
            SobolAnalysis.Evaluate(Cube, Fails, 5, 100, 100 + n) };
        for (int k = 0; k < 3; k++)
        {
            var (many, one) = (partials[k].Indices(["x1", "x2", "x3"], n), alone[k].Indices(["x1", "x2", "x3"], n));
            many.FirstOrder.Should().Equal(one.FirstOrder, $"output {k}");
            many.Total.Should().Equal(one.Total, $"output {k}");
            many.Variance.Should().Be(one.Variance);
            partials[k].Dropped.Should().Be(alone[k].Dropped);
        }
        partials[2].Dropped.Should().BePositive("a sample is dropped from the output that failed");
        partials[0].Dropped.Should().Be(0, "and only from that output");
    }

    [Fact]
    public void A_model_told_its_base_sample_gets_each_sample_of_the_range_for_its_d_plus_2_evaluations_and_the_same_study()
    {
        var calls = new System.Collections.Concurrent.ConcurrentDictionary<long, int>();
        var told = SobolAnalysis.Evaluate(Cube, 1, (sample, x, y) =>
        {
            calls.AddOrUpdate(sample, 1, (_, n) => n + 1);
            y[0] = Ishigami(x);
        }, 5, 40, 90, maxDegreeOfParallelism: 3)[0];
        calls.Keys.Order().Should().Equal(Enumerable.Range(40, 50).Select(i => (long)i));
        calls.Values.Should().OnlyContain(n => n == Cube.Length + 2);
        var plain = SobolAnalysis.Evaluate(Cube, Ishigami, 5, 40, 90);
        told.Indices(["x1", "x2", "x3"], 50).Total.Should().Equal(plain.Indices(["x1", "x2", "x3"], 50).Total);
    }

    [Fact]
    public void The_points_announced_for_a_base_sample_are_the_ones_then_evaluated_in_that_order()
    {
        var announced = new System.Collections.Concurrent.ConcurrentDictionary<long, double[][]>();
        var evaluated = new System.Collections.Concurrent.ConcurrentDictionary<long, List<double[]>>();
        SobolAnalysis.Evaluate(Cube, 1, (sample, x, y) =>
        {
            evaluated.GetOrAdd(sample, _ => []).Add((double[])x.Clone());
            y[0] = Ishigami(x);
        }, 5, 10, 30, maxDegreeOfParallelism: 2, announce: (sample, points) => announced[sample] = points);
        announced.Keys.Order().Should().Equal(Enumerable.Range(10, 20).Select(i => (long)i));
        foreach (var (sample, points) in announced)
            evaluated[sample].Should().BeEquivalentTo(points, o => o.WithStrictOrdering(), "base sample {0}", sample);
    }

    [Fact]
    public void A_base_sample_with_a_failed_evaluation_is_dropped_and_counted_and_the_rest_still_give_the_indices()
    {
        const int n = 4000;
        long calls = 0;
        // Every 97th evaluation fails: the samples it belongs to leave every sum.
        double Failing(double[] x) => Interlocked.Increment(ref calls) % 97 == 0 ? double.NaN : Ishigami(x);
        var partial = SobolAnalysis.Evaluate(Cube, Failing, 3, 0, n);
        partial.Dropped.Should().BeInRange(n * 5 / 97 - n / 50, n * 5 / 97);
        partial.Samples.Should().Be(n - partial.Dropped);
        var indices = partial.Indices(["x1", "x2", "x3"], n);
        indices.Dropped.Should().Be((int)partial.Dropped);
        indices.FirstOrder.Concat(indices.Total).Should().OnlyContain(v => double.IsFinite(v));
        indices.FirstOrder[1].Should().BeApproximately(Analytic.S[1], 0.06);
        indices.Total[0].Should().BeApproximately(Analytic.ST[0], 0.06);
    }

    [Fact]
    public void Each_index_comes_with_a_standard_error_that_covers_its_analytic_value_and_shrinks_as_one_over_root_n()
    {
        var (_, s, st) = Analytic;

        var small = SobolAnalysis.Compute(["x1", "x2", "x3"], Cube, Ishigami, 4000, 21);
        var large = SobolAnalysis.Compute(["x1", "x2", "x3"], Cube, Ishigami, 16000, 21);
        for (int i = 0; i < 3; i++)
        {
            small.FirstOrderError![i].Should().BeGreaterThan(0);
            Math.Abs(small.FirstOrder[i] - s[i]).Should().BeLessThan(4 * small.FirstOrderError[i], $"S{i + 1}");
            Math.Abs(small.Total[i] - st[i]).Should().BeLessThan(4 * small.TotalError![i], $"ST{i + 1}");
            // Four times the samples, half the error.
            (large.FirstOrderError![i] / small.FirstOrderError[i]).Should().BeInRange(0.35, 0.65, $"S{i + 1}");
            (large.TotalError![i] / small.TotalError[i]).Should().BeInRange(0.35, 0.65, $"ST{i + 1}");
        }
    }
}
