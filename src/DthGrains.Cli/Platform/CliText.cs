using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace DthGrains.Cli.Platform;

/// <summary>How the CLI prints what the API answers in machine form.</summary>
public static class CliText
{
    /// <summary>A timestamp as people read it, in UTC to the second ("2026-12-06 09:26:56 UTC"); anything else as it came.</summary>
    public static string Time(string? value, string missing = "") =>
        string.IsNullOrEmpty(value) ? missing
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)
            : value;

    /// <summary>The timestamp in property <paramref name="name"/>, as <see cref="Time(string?, string)"/>.</summary>
    public static string Time(JsonElement e, string name, string missing = "") =>
        Time(e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null, missing);

    /// <summary>
    /// Ids are copied from a table into the next command: their column never wraps (the others wrap instead). A grant id
    /// of 42 characters came out in two pieces in a 170-column terminal.
    /// </summary>
    public static Table KeepingIds(this Table table, int column = 0)
    {
        table.Columns[column].NoWrap = true;
        return table;
    }
}
