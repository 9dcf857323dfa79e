using DthGrains.Domain.Runs;
using DthGrains.Simulation.Cohorts;

namespace DthGrains.Domain.Tests.Runs;

public sealed class RunSummaryTests
{
    [Fact]
    public void The_summary_says_how_exact_each_outputs_bands_are_and_below_what_they_only_bound_the_values()
    {
        // Two outputs at two time points: "narrow" within a factor of 1.5; "decaying" with a tenth of its values
        // numerically zero at the second time point.
        var rng = new Xoshiro256StarStar(8);
        var acc = new ShardAccumulator(4);
        for (int i = 0; i < 2000; i++)
        {
            double narrow = 5 + rng.NextDouble(), bulk = 3 * Math.Exp(0.4 * rng.NextNormal());
            double decayed = i % 10 == 0 ? Math.Pow(10, -30 - 40 * rng.NextDouble()) : bulk;
            // Row-major [time, output]: t0 (narrow, bulk), t1 (narrow, decayed).
            acc.Add([narrow, bulk, narrow, decayed], times: 2, outputs: 2);
        }
        var summary = RunSummary.From(acc.ToPartial(), [0, 60], ["narrow", "decaying"], [5, 50, 95], ["mmol/L", "mU/L"]);

        summary.BandAccuracy.Should().HaveCount(2);
        summary.BandAccuracy![0].Should().BeApproximately(0.01, 1e-6, "a narrow output keeps the nominal accuracy");
        summary.BandAccuracy[1].Should().BeApproximately(0.04, 1e-3, "the coarsest level, reached where the tiny values are");
        summary.BandFloor![0].Should().BeNull();
        var floor = summary.BandFloor[1]!.Value;
        floor.Should().BeGreaterThan(0).And.BeLessThan(0.1, "a small fraction of the bulk's scale");
        // The 5th percentile of the decaying output at t1 falls among the folded values: reported below the floor.
        summary.Bands[(1 * 2 + 1) * 3 + 0]!.Value.Should().BeLessThanOrEqualTo(floor);
    }
}
