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

    /// <summary>A summary recorded since session 15: UG decayed to round-off at the last time point, where its bands were folded.</summary>
    private static JsonElement FoldedSummary(bool perCell)
    {
        var summary = JsonSerializer.SerializeToNode(Summary())!.AsObject();
        var bands = summary["bands"]!.AsArray();
        // UG's last cell (index 7): p5 a negative round-off, p10–p90 at the folded bin, p95 a value above the floor.
        double[] ug = [-4e-10, 9.3e-21, 9.3e-21, 9.3e-21, 9.3e-21, 9.3e-21, 2e-3];
        for (int q = 0; q < 7; q++) bands[7 * 7 + q] = ug[q];
        summary["bandAccuracy"] = new System.Text.Json.Nodes.JsonArray(0.01, 0.01, 0.04, 0.04);
        summary["bandFloor"] = new System.Text.Json.Nodes.JsonArray(null, null, null, 4.34e-3);
        if (perCell) summary["bandFloors"] = new System.Text.Json.Nodes.JsonArray(null, null, null, null, null, null, 4.34e-3, 1.1e-3);
        return JsonSerializer.SerializeToElement(summary);
    }

    [Fact]
    public void A_band_at_or_below_its_cells_floor_reads_as_below_the_floor_not_as_a_value()
    {
        var lines = Render(RunCommands.BandsTable(FoldedSummary(perCell: true), 160, "min"), 160);
        var ug = lines.Single(l => l.StartsWith("│ UG", StringComparison.Ordinal));
        ug.Should().Contain("<1.1e-3").And.NotContain("9.3e-21").And.NotContain("-4e-10").And.Contain("2e-3");
        lines.Single(l => l.StartsWith("│ G ", StringComparison.Ordinal)).Should().NotContain("<");
        lines.Should().Contain(l => l.Contains("<x: below x"));
        lines.Should().Contain(l => l.Contains("percentiles within ±1% (G, G_mgdl), ±4% (I, UG)")).And.NotContain(l => l.Contains("only that they are below"));
    }

    [Fact]
    public void A_narrow_table_explains_the_mark_only_when_a_band_it_shows_carries_it()
    {
        // Only p10 to p90 folded: the 80-column table shows p5, p50 and p95.
        var summary = JsonSerializer.SerializeToNode(FoldedSummary(perCell: true))!.AsObject();
        var bands = summary["bands"]!.AsArray();
        bands[7 * 7 + 0] = 3e-3;
        bands[7 * 7 + 3] = 3e-3;
        var narrow = Render(RunCommands.BandsTable(JsonSerializer.SerializeToElement(summary), 80, "min"), 80);
        narrow.Single(l => l.StartsWith("│ UG", StringComparison.Ordinal)).Should().NotContain("<");
        narrow.Should().NotContain(l => l.Contains("<x: below x"));
        Render(RunCommands.BandsTable(JsonSerializer.SerializeToElement(summary), 160, "min"), 160).Should().Contain(l => l.Contains("<x: below x"));
    }

    [Fact]
    public void A_summary_with_floors_per_output_only_keeps_the_numbers_and_names_the_floor_in_the_caption()
    {
        var lines = Render(RunCommands.BandsTable(FoldedSummary(perCell: false), 160, "min"), 160);
        lines.Single(l => l.StartsWith("│ UG", StringComparison.Ordinal)).Should().Contain("9.3e-21").And.NotContain("<");
        lines.Should().Contain(l => l.Contains("UG below 4.34e-3: only that they are below")).And.NotContain(l => l.Contains("<x: below x"));
    }

    [Theory]
    [InlineData(540, "at t = 540 min")]
    [InlineData(20160, "at t = 20160 min (14 d)")]
    [InlineData(2160, "at t = 2160 min (1.5 d)")]
    public void Times_of_a_day_or_more_in_minutes_also_read_in_days(double end, string expected)
    {
        var summary = JsonSerializer.SerializeToNode(Summary())!.AsObject();
        summary["times"] = new System.Text.Json.Nodes.JsonArray(0.0, end);
        Render(RunCommands.BandsTable(JsonSerializer.SerializeToElement(summary), 160, "min"), 160).Should().Contain(l => l.Contains(expected));
    }

    [Fact]
    public void The_bands_csv_gives_each_cells_floor_in_a_last_column()
    {
        var summary = new DthGrains.Domain.Runs.RunSummary(10, 0, [0, 60], ["G", "UG"], ["mmol/L", "mmol/min"], [5, 50],
            [5.0, 5.1, 1e-3, 1e-20], [0.5, 0.5, 1e-4, 1e-21], [4.0, 5.0, 4.1, 5.1, 9e-4, 1e-3, 9e-21, 1e-20])
        { BandFloors = [null, null, null, 2e-22] };
        var lines = DthGrains.Domain.Runs.RunSummaryCsv.Of(summary).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().Be("output,time,mean,sd,p5,p50,floor");
        lines[1].Should().EndWith(",4,5,");
        lines[4].Should().Be("UG,60,1E-20,1E-21,9E-21,1E-20,2E-22");
    }
}
