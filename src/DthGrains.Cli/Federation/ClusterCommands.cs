using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DthGrains.Cli.Platform;
using DthGrains.Contracts.Platform;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;
using static DthGrains.Cli.Platform.CliText;

namespace DthGrains.Cli.Federation;

/// <summary><c>dth cluster</c>: the federation's silos, under <c>/api/cluster</c> (platform and institution admins, auditors).</summary>
public static class ClusterCommands
{
    public static Command Build()
    {
        var command = new Command("cluster", "The federation's silos: who hosts them, their role, whether they are live, their load and the simulation work on them; what one silo counted (metrics)");
        var all = new Option<bool>("--all") { Description = "Also the silos that stopped or died (the membership keeps them for a while)" };
        var silos = new Command("silos", "The live silos: institutions, role, status, since, CPU, memory, runs and shards (--all: the stopped and dead ones too)") { all };
        silos.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var list = await api.GetAsync("api/cluster/silos", ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(list); return; }
            AnsiConsole.Write(SilosTable(list, parse.GetValue(all)));
        }));
        command.Subcommands.Add(silos);
        command.Subcommands.Add(ClusterMetricsCommand.Build());
        return command;
    }

    internal static Table SilosTable(JsonElement silos, bool all)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("silo", "institutions", "role", "status", "since", "CPU", "memory", "activations", "runs", "shards").KeepingIds();
        var (live, hidden, silent) = (0, 0, 0);
        foreach (var s in silos.EnumerateArray())
        {
            if (!all && Text(s, "status") == "dead")
            {
                hidden++;
                continue;
            }
            var load = s.TryGetProperty("load", out var l) && l.ValueKind == JsonValueKind.Object ? l : (JsonElement?)null;
            string Of(string name, Func<JsonElement, string> format) => load is { } x && x.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? format(v) : "-";
            var status = Text(s, "status");
            if (status == "active") live++;
            // Listed as active but gave no statistics in time: frozen or leaving, until membership declares it dead.
            var answering = status != "active" || load is not null;
            if (!answering) silent++;
            var name = Text(s, "address") + (s.TryGetProperty("thisSilo", out var self) && self.GetBoolean() ? " (this)" : "");
            table.AddRow(
                new Text(name),
                new Text(string.Join(", ", s.GetProperty("institutions").EnumerateArray().Select(i => i.GetString()))),
                new Text(Text(s, "role", "-")),
                new Markup(status switch
                {
                    "active" when !answering => "[yellow]active, not answering[/]",
                    "active" => "[green]active[/]",
                    "dead" => "[grey]dead[/]",
                    _ => $"[yellow]{Markup.Escape(status)}[/]",
                }),
                new Text(Time(s, "startedAt")),
                new Text(Of("cpuPercent", v => v.GetDouble().ToString("0.#", CultureInfo.InvariantCulture) + "%")
                    + (load is { } o && o.GetProperty("overloaded").GetBoolean() ? " overloaded" : "")),
                new Text(Of("memoryBytes", v => ByteSize.Format(v.GetInt64())) + (Of("totalMemoryBytes", v => " of " + ByteSize.Format(v.GetInt64())) is var total && total != "-" ? total : "")),
                new Text(Of("activations", v => v.GetInt32().ToString("N0", CultureInfo.InvariantCulture))),
                new Text(Of("runs", v => v.GetInt32().ToString(CultureInfo.InvariantCulture))),
                new Text(Of("shards", v => v.GetInt32().ToString(CultureInfo.InvariantCulture))));
        }
        var dead = hidden > 0 ? $"; {hidden} stopped or dead not shown (--all)" : "";
        var quiet = silent > 0 ? $"; {silent} not answering (frozen or leaving; membership declares such a silo dead after missed probes)" : "";
        return table.Caption($"{live} live{quiet}{dead}; runs: run grains active on the silo; shards: shards solving or waiting for a worker slot there");
    }
}
