using System.Text.Json;
using DthGrains.Cli.Platform;
using Spectre.Console;

namespace DthGrains.Integration.Tests.Cli;

/// <summary>How the CLI prints the API's machine forms, and how wide it lays tables out.</summary>
public sealed class CliTextTests
{
    [Theory]
    [InlineData("2026-12-06T09:26:56.763269+00:00", "2026-12-06 09:26:56 UTC")]
    [InlineData("2026-12-06T10:26:56.7632691+01:00", "2026-12-06 09:26:56 UTC")]
    [InlineData("not a time", "not a time")]
    [InlineData("", "-")]
    [InlineData(null, "-")]
    public void Timestamps_read_in_utc_to_the_second_and_anything_else_as_it_came(string? value, string expected)
    {
        CliText.Time(value, missing: "-").Should().Be(expected);
        CliText.Time(JsonSerializer.SerializeToElement(new { at = value }), "at", missing: "-").Should().Be(expected);
    }

    [Fact]
    public void An_id_column_never_wraps_in_a_table_too_wide_for_the_terminal_the_others_wrap_instead()
    {
        const string id = "grant-addb47c1-97de-87f3-a23b-e5e58f522860";
        string Render(Table table)
        {
            using var writer = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors,
            });
            console.Profile.Width = 100;
            console.Write(table);
            return writer.ToString();
        }
        Table Grants() => new Table().AddColumns("Id", "Datasets", "Status")
            .AddRow(id, "charite-t1d-synthetic@1.0.0, inria-t1d-synthetic@1.0.0", "revoked by charite: Ethics approval withdrawn after the audit of the consent forms");

        Render(Grants()).Should().NotContain(id, "without it the id is cut where the terminal needs room");
        var kept = Render(Grants().KeepingIds());
        kept.Should().Contain(id);
        kept.Split('\n').Should().Contain(l => l.Contains("Ethics")).And.Contain(l => l.Contains("consent"), "the other columns wrap");
    }

    [Fact]
    public void Json_for_people_and_scripts_keeps_accents_and_apostrophes_as_they_are()
    {
        var element = JsonDocument.Parse("""{"publisher": "Charit\u00e9", "name": "Carla\u0027s twin"}""").RootElement;
        var printed = JsonSerializer.Serialize(element, CliJson.Options);
        printed.Should().Contain("Charité").And.Contain("Carla's twin").And.NotContain("\\u");
        JsonDocument.Parse(printed).RootElement.GetProperty("publisher").GetString().Should().Be("Charité");
    }

    [Fact]
    public void A_missing_or_non_text_property_reads_as_missing()
    {
        CliText.Time(JsonSerializer.SerializeToElement(new { other = 1 }), "at", "-").Should().Be("-");
        CliText.Time(JsonSerializer.SerializeToElement(new { at = 1 }), "at", "-").Should().Be("-");
    }

    [Theory]
    [InlineData(false, null, 132, 132)]
    [InlineData(true, null, 80, CliApp.RedirectedWidth)]
    [InlineData(true, "100", 80, 100)]
    [InlineData(false, "100", 132, 100)]
    [InlineData(true, "0", 80, CliApp.RedirectedWidth)]
    [InlineData(true, "wide", 80, CliApp.RedirectedWidth)]
    public void Tables_are_laid_out_for_columns_when_set_else_the_terminal_and_wide_into_files_and_pipes(bool redirected, string? columns, int detected, int expected) =>
        CliApp.ConsoleWidth(redirected, columns, detected).Should().Be(expected);
}
