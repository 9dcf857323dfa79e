using DthGrains.Domain.Runs;
using DthGrains.Simulation.Cohorts;

namespace DthGrains.Domain.Tests.Runs;

public sealed class RunSummaryTests
{
    [Fact]
    public void The_summary_says_how_exact_each_outputs_bands_are_and_below_what_they_only_bound_the_values_per_output_and_time_point()
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
        // Per cell: only the decaying output's second time point folded anything, and the output's floor is its cell's.
        summary.BandFloors.Should().HaveCount(4);
        summary.BandFloors![1 * 2 + 1].Should().Be(floor);
        summary.BandFloors.Where((_, k) => k != 1 * 2 + 1).Should().OnlyContain(f => f == null);
        summary.Bands[(1 * 2 + 1) * 3 + 0]!.Value.Should().BeLessThanOrEqualTo(summary.BandFloors[1 * 2 + 1]!.Value);
        summary.Bands[(1 * 2 + 1) * 3 + 1]!.Value.Should().BeGreaterThan(summary.BandFloors[1 * 2 + 1]!.Value, "the median is among the bulk, a value");
    }

    [Fact]
    public void Each_time_points_floor_is_its_own_so_a_decayed_output_reads_below_its_final_floor_not_its_largest()
    {
        // An output decaying from the bulk's scale to round-off: at t1 a tenth numerically zero (floor near the bulk's
        // scale / 155); at t2 everything near 1e-20 with a tenth near 1e-60 (a floor near 1e-22).
        var rng = new Xoshiro256StarStar(9);
        var acc = new ShardAccumulator(3);
        for (int i = 0; i < 2000; i++)
        {
            double bulk = 3 * Math.Exp(0.4 * rng.NextNormal()), tiny = i % 10 == 0 ? 1e-60 * rng.NextDouble() : 1e-20 * (1 + rng.NextDouble());
            acc.Add([bulk, i % 10 == 0 ? 1e-40 : bulk, tiny], times: 3, outputs: 1);
        }
        var summary = RunSummary.From(acc.ToPartial(), [0, 60, 120], ["decaying"], [5, 50, 95], ["mU/L"]);

        var floors = summary.BandFloors!;
        floors[0].Should().BeNull();
        floors[1]!.Value.Should().BeInRange(1e-3, 0.1);
        floors[2]!.Value.Should().BeInRange(1e-24, 1e-20);
        summary.BandFloor![0].Should().Be(floors[1], "the output's floor is the largest of its time points'");
        // At t2 the median is a value (1e-20 within 4%), above its own floor, far below the output's.
        summary.Bands[2 * 3 + 1]!.Value.Should().BeGreaterThan(floors[2]!.Value).And.BeLessThan(3e-20);
        summary.Bands[2 * 3 + 0]!.Value.Should().BeLessThanOrEqualTo(floors[2]!.Value);
    }
}
