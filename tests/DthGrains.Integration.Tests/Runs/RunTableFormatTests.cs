using System.Text.Json;
using DthGrains.Cli.Runs;
using Spectre.Console;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// The bands table: numbers of four significant digits (three in scientific notation), and in a narrow terminal the
/// outer percentiles and the median only, so that no number is wrapped onto a second line.
/// </summary>
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

    /// <summary>A summary as the run's read model has it: Hovorka's four outputs at two time points, seven percentiles.</summary>
    private static JsonElement Summary()
    {
        string[] outputs = ["G", "G_mgdl", "I", "UG"];
        double[] percentiles = [5, 10, 25, 50, 75, 90, 95];
        double[] scale = [4.725, 85.13, 3.014, 0.001_07];
        var cells = outputs.Length * 2;
        var bands = Enumerable.Range(0, cells * percentiles.Length).Select(i => scale[i / (2 * percentiles.Length)] * (0.5 + (i % percentiles.Length) / 7.0) + 1e-9 * i).ToArray();
        return JsonSerializer.SerializeToElement(new
        {
            individuals = 5000, failed = 0, times = new[] { 0.0, 540 }, outputs, units = new[] { "mmol/L", "mg/dL", "mU/L", "mmol/min" }, percentiles,
            mean = Enumerable.Range(0, cells).Select(i => scale[i / 2] * 1.0001).ToArray(),
            standardDeviation = Enumerable.Range(0, cells).Select(i => scale[i / 2] * 0.2777).ToArray(),
            bands,
        });
    }

    private static string[] Render(Table table, int width)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(text) });
        console.Profile.Width = width;
        console.Write(table);
        return text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
    }

    [Fact]
    public void In_80_columns_the_table_keeps_the_band_and_the_median_on_one_line_per_output_and_names_what_it_left_out()
    {
        var lines = Render(RunCommands.BandsTable(Summary(), 80, "min"), 80);
        lines.Should().OnlyContain(l => l.Length <= 80);
        lines.Should().Contain(l => l.Contains("5000 subjects (0 failed) · at t = 540 min"));
        var header = lines.Single(l => l.Contains("output"));
        header.Should().Contain("p5").And.Contain("p50").And.Contain("p95").And.NotContain("p25");
        // One line per output between the header's rule and the bottom border: nothing wrapped.
        lines.Count(l => l.StartsWith("│ G ", StringComparison.Ordinal) || l.StartsWith("│ G_mgdl", StringComparison.Ordinal) || l.StartsWith("│ I ", StringComparison.Ordinal) || l.StartsWith("│ UG", StringComparison.Ordinal))
            .Should().Be(4);
        lines.Count(l => l.StartsWith('│')).Should().Be(5, "the header and one row per output");
        lines.Should().Contain(l => l.Contains("p10, p25, p75, p90") && l.Contains("wider terminal"));
    }

    [Fact]
    public void A_wide_terminal_shows_every_percentile()
    {
        var lines = Render(RunCommands.BandsTable(Summary(), 160), 160);
        lines.Single(l => l.Contains("output")).Should().Contain("p10").And.Contain("p25").And.Contain("p75").And.Contain("p90");
        lines.Should().NotContain(l => l.Contains("wider terminal"));
        lines.Count(l => l.StartsWith('│')).Should().Be(5);
    }
}
