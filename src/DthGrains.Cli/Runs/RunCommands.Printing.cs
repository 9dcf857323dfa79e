using System.Globalization;
using System.Text.Json;
using DthGrains.Contracts.Platform;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;
using static DthGrains.Cli.Platform.CliText;

namespace DthGrains.Cli.Runs;

/// <summary>How a run reads in the terminal: its summary, its percentile bands as a table, and compact numbers.</summary>
public static partial class RunCommands
{
    internal static void PrintRun(JsonElement run)
    {
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string k, string v) => grid.AddRow(new Markup($"[grey]{k}[/]"), new Text(v));
        Row("run", Text(run, "id"));
        Row("status", Text(run, "status") + (Text(run, "statusReason") is { Length: > 0 } why ? $" ({why})" : ""));
        Row("kind", Text(run, "kind"));
        Row("model", $"{Text(run, "modelId")} {Text(run, "modelVersion")} · engine {Text(run, "engineVersion")}");
        Row("progress", $"{run.GetProperty("shardsDone")}/{run.GetProperty("shardsTotal")} shards · {run.GetProperty("subjectsDone")}/{run.GetProperty("subjectsTotal")} subjects");
        Row("seed", run.GetProperty("seed").ToString());
        Row("request hash", Text(run, "requestHash"));
        if (Text(run, "resultHash") is { Length: > 0 } rh) Row("result hash", rh);
        // Released rows: the results and the crate's subjects table are gone (410), the summary and bands below stay.
        if (run.TryGetProperty("rowsReleased", out var released) && released.ValueKind == JsonValueKind.Object)
            Row("rows", $"released {Time(released, "at")} by {Text(released, "by")} ({Text(released, "reason")}); the same request and seed give them again");
        else if (Text(run, "status") == "completed" && run.TryGetProperty("rowBytes", out var kept) && kept.GetInt64() > 0)
            Row("rows", $"{ByteSize.Format(kept.GetInt64())} kept: dth run results {Text(run, "id")}; dth run release-rows {Text(run, "id")} gives the storage back");
        if (run.TryGetProperty("failedBy", out var fb) && fb.ValueKind == JsonValueKind.Object)
            foreach (var reason in fb.EnumerateObject())
                Row("failed", $"{reason.Value} subjects, {reason.Name}: {DthGrains.Simulation.Cohorts.SolveFailures.Hint(reason.Name)}");
        if (run.TryGetProperty("datasets", out var ds) && ds.GetArrayLength() > 0)
            Row("datasets", string.Join(", ", ds.EnumerateArray().Select(d => $"{Text(d, "id")}@{Text(d, "version")}")));
        if (run.TryGetProperty("grants", out var gs) && gs.GetArrayLength() > 0) Row("grants", string.Join(", ", gs.EnumerateArray().Select(g => g.GetString())));
        if (run.TryGetProperty("computedAt", out var sites) && sites.ValueKind == JsonValueKind.Array)
            Row("computed at", string.Join("; ", sites.Deserialize<List<Domain.Runs.ComputeSite>>(RunJson.Recorded)!));
        if (run.TryGetProperty("request", out var rq) && rq.ValueKind == JsonValueKind.Object && rq.TryGetProperty("cohortFrom", out var cf) && cf.ValueKind == JsonValueKind.Object
            && cf.TryGetProperty("parameters", out var sp) && sp.ValueKind == JsonValueKind.Array)
            Row("cohort seed", $"{Text(cf, "dataset")}@{Text(cf, "datasetVersion")}, {cf.GetProperty("subjects")} subjects: "
                + string.Join(", ", sp.EnumerateArray().Select(p => FormattableString.Invariant($"{Text(p, "parameter")} {p.GetProperty("median").GetDouble():G4} (CV {p.GetProperty("cv").GetDouble():P0})"))));
        AnsiConsole.Write(grid);
        if (run.TryGetProperty("summary", out var summary) && summary.ValueKind == JsonValueKind.Object)
            AnsiConsole.Write(BandsTable(summary, AnsiConsole.Profile.Width, TimeUnitOf(Text(run, "modelId"), Text(run, "modelVersion"))));
        var studies = new List<JsonElement>();
        if (run.TryGetProperty("sensitivity", out var first) && first.ValueKind == JsonValueKind.Object) studies.Add(first);
        if (run.TryGetProperty("sensitivityAlso", out var also) && also.ValueKind == JsonValueKind.Array) studies.AddRange(also.EnumerateArray());
        foreach (var sens in studies)
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"Sobol indices of {Text(sens, "statistic", "mean")} {Text(sens, "output")}").AddColumns("input", "first order", "total");
            var inputs = sens.GetProperty("inputs").EnumerateArray().ToList();
            // With its standard error where the run recorded one: an index within about 2 of them of 0 is not told apart from 0.
            string WithError(string index, string error, int i) =>
                Num(sens.GetProperty(index)[i]) + (sens.TryGetProperty(error, out var e) && e.ValueKind == JsonValueKind.Array ? " ± " + Num(e[i]) : "");
            for (var i = 0; i < inputs.Count; i++)
                table.AddRow(inputs[i].GetString()!, WithError("firstOrder", "firstOrderError", i), WithError("total", "totalError", i));
            int dropped = sens.TryGetProperty("dropped", out var d) ? d.GetInt32() : 0;
            table.Caption($"{sens.GetProperty("baseSamples")} base samples, {sens.GetProperty("evaluations")} evaluations"
                + (dropped > 0 ? $"; {dropped} samples left out: an evaluation failed to solve" : ""));
            AnsiConsole.Write(table);
        }
    }

    /// <summary>The model's time unit, when this CLI knows the model at that version (a server may run models it does not).</summary>
    private static string? TimeUnitOf(string modelId, string modelVersion)
    {
        try
        {
            return DthGrains.Simulation.Models.ModelLibrary.Get(modelId, modelVersion).Info.TimeUnit.Symbol;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// The bands table for a console <paramref name="width"/> characters wide: every percentile when they fit, otherwise
    /// the outer two and the median (the band and its middle), with a caption naming where the others are, instead of
    /// digits wrapped onto a second line.
    /// </summary>
    public static Table BandsTable(JsonElement s, int width, string? timeUnit = null)
    {
        var times = s.GetProperty("times").EnumerateArray().Select(t => t.GetDouble()).ToArray();
        var outputs = s.GetProperty("outputs").EnumerateArray().Select(o => o.GetString()!).ToArray();
        var units = s.GetProperty("units").EnumerateArray().Select(o => o.GetString()!).ToArray();
        var percentiles = s.GetProperty("percentiles").EnumerateArray().Select(p => p.GetDouble()).ToArray();
        var headers = new[] { "output", "unit", "mean", "sd" }.Concat(percentiles.Select(p => "p" + p.ToString(CultureInfo.InvariantCulture))).ToArray();
        // Runs recorded since session 15 give each cell's floor: a band at or below it is folded with smaller values, and
        // printing its number (9.3e-21 over a mean of 7e-22, or a negative insulin) would present it as a value.
        var floors = s.TryGetProperty("bandFloors", out var f) && f.ValueKind == JsonValueKind.Array ? f : (JsonElement?)null;
        string Band(JsonElement band, int k) =>
            band.ValueKind == JsonValueKind.Number && Folded(band.GetDouble(), floors is { } fs && fs[k].ValueKind == JsonValueKind.Number ? fs[k].GetDouble() : null) is { } folded
                ? folded
                : Num(band);
        var rows = Enumerable.Range(0, outputs.Length).Select(y =>
        {
            var k = y * times.Length + times.Length - 1;
            return new[] { outputs[y], units[y], Num(s.GetProperty("mean")[k]), Num(s.GetProperty("standardDeviation")[k]) }
                .Concat(percentiles.Select((_, q) => Band(s.GetProperty("bands")[k * percentiles.Length + q], k))).ToArray();
        }).ToList();

        var shown = Enumerable.Range(0, headers.Length).ToList();
        var narrow = percentiles.Length > 3 && WidthOf(headers, rows, shown) > width;
        if (narrow)
        {
            var median = Array.IndexOf(percentiles, percentiles.MinBy(p => Math.Abs(p - 50)));
            shown = [0, 1, 2, 3, 4, 4 + median, 4 + percentiles.Length - 1];
        }
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"{s.GetProperty("individuals")} subjects ({s.GetProperty("failed")} failed) · at t = {TimeText(times[^1], timeUnit)}");
        foreach (var c in shown) table.AddColumn(headers[c]);
        foreach (var row in rows) table.AddRow(shown.Select(c => Markup.Escape(row[c])).ToArray());
        var captions = new List<string>();
        if (narrow) captions.Add($"{string.Join(", ", headers.Skip(4).Where((_, i) => !shown.Contains(4 + i)))}: in a wider terminal, or in dth run show --json");
        if (BandsAccuracy(s, outputs, perCell: floors is not null) is { } accuracy) captions.Add(accuracy);
        // Only when a band shown is marked (a narrow terminal leaves some out).
        if (rows.Any(r => shown.Skip(4).Any(c => r[c].StartsWith('<'))))
            captions.Add(FoldedCaption);
        if (captions.Count > 0) table.Caption(Markup.Escape(string.Join("\n", captions)));
        return table;
    }

    /// <summary>"&lt;floor" for a band at or below its cell's floor (folded with smaller values: not a value); null for any other band.</summary>
    internal static string? Folded(double band, double? floor) => floor is { } f && Math.Abs(band) <= f ? "<" + Compact(f) : null;

    /// <summary>What a table that marks folded bands says under it.</summary>
    internal const string FoldedCaption = "<x: below x; values that small beside the rest are counted together, not told apart";

    /// <summary>
    /// How exact the percentiles are, per output (runs recorded since 2026-12-06 say): "percentiles within ±1% (G), ±4% (I);
    /// I below 0.117: only that they are below".
    /// </summary>
    /// <param name="perCell">the summary gives each cell's floor, so the table marks the folded bands itself.</param>
    private static string? BandsAccuracy(JsonElement s, string[] outputs, bool perCell)
    {
        if (!s.TryGetProperty("bandAccuracy", out var accuracy) || accuracy.ValueKind != JsonValueKind.Array) return null;
        var within = accuracy.EnumerateArray().Select((a, y) => (Output: outputs[y], Percent: Math.Round(a.GetDouble() * 100)))
            .Where(x => x.Percent > 0).GroupBy(x => x.Percent).OrderBy(g => g.Key)
            .Select(g => $"±{g.Key.ToString(CultureInfo.InvariantCulture)}% ({string.Join(", ", g.Select(x => x.Output))})").ToList();
        if (within.Count == 0) return null;
        var floors = !perCell && s.TryGetProperty("bandFloor", out var f) && f.ValueKind == JsonValueKind.Array
            ? f.EnumerateArray().Select((v, y) => v.ValueKind == JsonValueKind.Number ? $"{outputs[y]} below {Compact(v.GetDouble())}" : null).OfType<string>().ToList()
            : [];
        return "percentiles within " + string.Join(", ", within) + (floors.Count > 0 ? $"; {string.Join(", ", floors)}: only that they are below" : "");
    }

    /// <summary>A time in the model's unit, with days beside minutes from a day on ("20160 min (14 d)").</summary>
    private static string TimeText(double t, string? unit)
    {
        var text = t.ToString("G6", CultureInfo.InvariantCulture) + (unit is null ? "" : " " + Markup.Escape(unit));
        return unit == "min" && t >= 1440 ? text + $" ({(t / 1440).ToString("0.##", CultureInfo.InvariantCulture)} d)" : text;
    }

    /// <summary>Characters a rounded table of these columns takes: each column's widest cell plus its padding, and the borders.</summary>
    private static int WidthOf(string[] headers, List<string[]> rows, List<int> columns) =>
        columns.Sum(c => Math.Max(headers[c].Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length)) + 2) + columns.Count + 1;

    private static string Num(JsonElement v) => v.ValueKind == JsonValueKind.Number ? Compact(v.GetDouble()) : "-";

    /// <summary>
    /// Four significant digits, or at most three in scientific notation outside 0.01 to 99,999: at most about 7 characters,
    /// so a bands table of nine columns fits an 80-column terminal instead of wrapping digits onto a second line.
    /// </summary>
    public static string Compact(double v) =>
        v == 0 || !double.IsFinite(v) || (Math.Abs(v) >= 0.01 && Math.Abs(v) < 1e5)
            ? v.ToString("G4", CultureInfo.InvariantCulture)
            : v.ToString("0.##e0", CultureInfo.InvariantCulture);
}
