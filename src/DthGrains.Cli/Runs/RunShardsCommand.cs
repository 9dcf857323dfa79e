using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DthGrains.Cli.Catalogue;
using DthGrains.Cli.Platform;
using DthGrains.Domain.Runs;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;

namespace DthGrains.Cli.Runs;

/// <summary>
/// <c>dth run shards</c>: a run's shards as recorded, one row each: its subjects, the silo that computed it (with the
/// institutions and role it named), failed subjects, time, and its fingerprint; then how many each silo computed. Who
/// computed what, which a partner or an auditor asks of a federated run.
/// </summary>
internal static class RunShardsCommand
{
    public static Command Build()
    {
        var id = new Argument<string>("id") { Description = "Run id" };
        var command = new Command("shards", "A run's shards as recorded: subjects, the silo (institutions, role) that computed each, failures, time and fingerprint") { id };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var run = parse.GetValue(id)!;
            // The table needs no statistics: without them a large run's answer is kilobytes, not tens of megabytes.
            var body = await api.GetAsync($"{RunCommands.RunsPath}/{Uri.EscapeDataString(run)}/shards?statistics=false", ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(body); return; }
            var shards = body.Deserialize<List<RecordedShard>>(RunJson.Recorded) ?? [];
            if (shards.Count == 0)
            {
                AnsiConsole.MarkupLineInterpolated($"Run {run} has no shard recorded yet (dth run watch {run} follows it).");
                return;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("shard", "subjects", "computed on", "failed", "time", "fingerprint").KeepingIds(2).KeepingIds(5);
            foreach (var s in shards)
                table.AddRow(new Text(s.Shard.ToString(CultureInfo.InvariantCulture)), new Text($"{s.From:N0} to {s.To - 1:N0}"), new Text(s.SiloLabel),
                    new Text(s.Statistics is { } st ? st.Failed.ToString("N0", CultureInfo.InvariantCulture) : "-"),
                    new Text(s.ElapsedMs >= 1000 ? $"{s.ElapsedMs / 1000:0.0} s" : $"{s.ElapsedMs:0} ms"), new Text(s.Fingerprint[..16]));
            var bySilo = shards.GroupBy(s => s.SiloLabel).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} × {g.Count()}");
            AnsiConsole.Write(table.Caption(Markup.Escape($"{shards.Count} {(shards.Count == 1 ? "shard" : "shards")}: {string.Join(", ", bySilo)}. " +
                $"Fingerprints shortened; dth run verify {run} --silo S re-runs one silo's shards")));
        }));
        return command;
    }
}
