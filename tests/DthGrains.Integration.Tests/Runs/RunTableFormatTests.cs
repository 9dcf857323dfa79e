using DthGrains.Cli.Runs;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>The bands table's numbers: four significant digits (three in scientific notation), short enough that nine columns fit 80 characters.</summary>
public sealed class RunTableFormatTests
{
    [Theory]
    [InlineData(86.477, "86.48")]
    [InlineData(4.8001, "4.8")]
    [InlineData(0.16986, "0.1699")]
    [InlineData(0.0013973, "1.4e-3")]
    [InlineData(8.3509e-6, "8.35e-6")]
    [InlineData(123456.7, "1.23e5")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0, "0")]
    public void Numbers_keep_their_leading_digits_in_at_most_seven_characters(double value, string expected)
    {
        var text = RunCommands.Compact(value);
        text.Should().Be(expected);
        text.Length.Should().BeLessThanOrEqualTo(7);
    }
}
