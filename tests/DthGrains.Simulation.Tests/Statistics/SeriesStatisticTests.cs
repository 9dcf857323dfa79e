using DthGrains.Simulation.Statistics;

namespace DthGrains.Simulation.Tests.Statistics;

public class SeriesStatisticTests
{
    // Two outputs a time point, row-major as a solve writes them: the second column is the series under test.
    private static readonly double[] Times = [0, 1, 2, 4];
    private static readonly double[] Values = [9, 1, 9, 3, 9, 2, 9, 0];

    [Theory]
    [InlineData("mean", 1.5)]
    [InlineData("final", 0)]
    [InlineData("min", 0)]
    [InlineData("max", 3)]
    [InlineData("auc", 6.5)] // (1+3)/2·1 + (3+2)/2·1 + (2+0)/2·2
    public void Each_statistic_reduces_one_output_over_the_grid(string statistic, double expected) =>
        SeriesStatistic.Of(statistic, Values, 2, 1, Times).Should().Be(expected);

    [Fact]
    public void A_series_with_a_value_that_is_not_finite_gives_nan_and_an_unknown_statistic_is_refused()
    {
        double[] values = [.. Values];
        values[5] = double.NaN;
        SeriesStatistic.Names.Should().OnlyContain(s => double.IsNaN(SeriesStatistic.Of(s, values, 2, 1, Times)));
        SeriesStatistic.Of("max", values, 2, 0, Times).Should().Be(9, "the other output is whole");
        FluentActions.Invoking(() => SeriesStatistic.Of("median", Values, 2, 1, Times)).Should().Throw<ArgumentException>().WithMessage("*mean, final, min, max, auc*");
    }
}
