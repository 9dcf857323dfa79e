using System.CommandLine;
using System.Text.Json;
using DthGrains.Cli.Platform;
using Spectre.Console;
using static DthGrains.Cli.Platform.CliText;

namespace DthGrains.Cli.Audit;

/// <summary><c>dth audit lineage|decisions|subject</c>: lineage and its exports, decision contexts, a data subject's access log.</summary>
public static class LineageCommands
{
    public static IEnumerable<Command> Build() => [Lineage(), Decisions(), Subject()];

    private static Command Lineage()
    {
        var entity = new Argument<string>("entity") { Description = "What to trace, named with its kind: run:<id>, twin:<id>, access-request:<id>, grant:<id>, resource:<id>[@version], organisation:<id>, person:<id>" };
        var depth = new Option<int?>("--depth") { Description = "How many steps up and down to follow (1-12, default 4)" };
        depth.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1 or > 12) r.AddError("--depth is 1 to 12 steps."); });
        var format = new Option<string>("--format") { Description = "table (default), prov (W3C PROV-JSON) or fhir (FHIR R4 Bundle of AuditEvent and Provenance)", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "prov", "fhir");
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write the export to this file instead of the console" };
        var command = new Command("lineage", "What an entity used and what used it, from the ledger; export as PROV-JSON or a FHIR Bundle") { entity, depth, format, output };
        command.SetAction((parse, ct) => CliJson.Run(async () =>
        {
            using var api = ApiClient.From(parse);
            var kind = parse.GetValue(format)!;
            var query = "?entity=" + Uri.EscapeDataString(parse.GetValue(entity)!) + (parse.GetValue(depth) is { } d ? $"&depth={d}" : "");
            if (kind != "table")
            {
                var response = await api.SendRawAsync(HttpMethod.Get, $"api/audit/lineage/{kind}{query}",
                    accept: kind == "fhir" ? "application/fhir+json" : "application/json", ct: ct);
                if (!response.IsSuccess) throw ApiClient.ErrorOf(response);
                using var doc = JsonDocument.Parse(response.Body);
                var text = JsonSerializer.Serialize(doc.RootElement, CliJson.Options);
                if (parse.GetValue(output) is { } file)
                {
                    await File.WriteAllTextAsync(file.FullName, text, ct);
                    if (parse.GetValue(CliSettings.Json)) CliJson.Print(JsonSerializer.SerializeToElement(new { path = file.FullName, format = kind, bytes = new FileInfo(file.FullName).Length }));
                    else AnsiConsole.MarkupLine($"Wrote {(kind == "prov" ? "PROV-JSON" : "the FHIR Bundle")} to [bold]{Markup.Escape(file.FullName)}[/]");
                }
                else
                {
                    Console.Out.WriteLine(text);
                }
                return;
            }
            var lineage = await api.GetAsync($"api/audit/lineage{query}", ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(lineage); return; }
            var graph = lineage.GetProperty("graph");
            var nodes = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"Lineage of {graph.GetProperty("root").GetString()}")).AddColumns("Kind", "Id", "Type", "What").KeepingIds(1);
            foreach (var n in graph.GetProperty("nodes").EnumerateArray())
                nodes.AddRow(Text(n, "kind"), Text(n, "id"), Text(n, "type"), Text(n, "label"));
            AnsiConsole.Write(nodes);
            var edges = new Table().Border(TableBorder.Rounded).AddColumns("From", "Relation", "To", "Event");
            foreach (var e in graph.GetProperty("edges").EnumerateArray())
                edges.AddRow(Text(e, "from"), Text(e, "relation"), Text(e, "to"), Markup.Escape($"{e.GetProperty("stream").GetString()} v{e.GetProperty("version")}"));
            AnsiConsole.Write(edges);
            if (graph.GetProperty("truncated").GetBoolean()) AnsiConsole.MarkupLine("[yellow]Cut at the node cap: ask for a smaller --depth or a more specific entity.[/]");
        }));
        return command;
    }

    private static Command Decisions()
    {
        var id = new Argument<string>("request") { Description = "The access request id" };
        var command = new Command("decisions", "Each decision on an access application with what the steward saw, checked against the ledger") { id };
        command.SetAction((parse, ct) => CliJson.Run(async () =>
        {
            using var api = ApiClient.From(parse);
            var decisions = await api.GetAsync($"api/audit/access-requests/{Uri.EscapeDataString(parse.GetValue(id)!)}/decisions", ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(decisions); return; }
            foreach (var d in decisions.EnumerateArray())
            {
                var approve = d.GetProperty("approve").GetBoolean();
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(Raw(d, "institution"))}[/] {(approve ? "[green]approved[/]" : "[red]refused[/]")} by {Markup.Escape(Raw(d, "by"))} at {Markup.Escape(Time(d, "decidedAt"))}: {Markup.Escape(Raw(d, "reason"))}");
                if (!d.TryGetProperty("context", out var context) || context.ValueKind != JsonValueKind.Object)
                {
                    AnsiConsole.MarkupLine("  [yellow]recorded before decision contexts were[/]");
                    continue;
                }
                var policy = context.GetProperty("policy");
                AnsiConsole.MarkupLine(Markup.Escape($"  application version {context.GetProperty("applicationVersion")}; policy {Raw(policy, "id")} {Raw(policy, "version")} ({Raw(policy, "digest")})"));
                var seen = new Table().Border(TableBorder.Rounded).AddColumns("Dataset", "Pinned", "Latest", "Metadata v", "Status", "Access rights", "Licence");
                foreach (var s in context.GetProperty("datasets").EnumerateArray())
                    seen.AddRow(Text(s, "id"), Text(s, "pinnedVersion"), Text(s, "latestVersion"), s.GetProperty("metadataVersion").ToString(), Text(s, "status"), Text(s, "accessRights"), Text(s, "licence"));
                AnsiConsole.Write(seen);
                foreach (var c in d.GetProperty("checks").EnumerateArray())
                    AnsiConsole.MarkupLine($"  {(c.GetProperty("agrees").GetBoolean() ? "[green]✓[/]" : "[red]✗[/]")} {Markup.Escape($"{Raw(c, "what")}: recorded {Raw(c, "recorded")}, ledger {Raw(c, "ledger")}")}");
            }
        }));
        return command;
    }

    private static Command Subject()
    {
        var pseudonym = new Argument<string>("pseudonym") { Description = "The subject's pseudonym in the dataset" };
        var dataset = new Option<string?>("--dataset") { Description = "Only this dataset" };
        var command = new Command("subject", "A data subject's access log (EHDS Art. 9): every read of and refused read of their data") { pseudonym, dataset };
        command.SetAction((parse, ct) => CliJson.Run(async () =>
        {
            using var api = ApiClient.From(parse);
            // Every page, oldest first, each after the last entry's sequence.
            const int pageSize = 1000;
            var log = await api.GetArrayPagesAsync(read => $"api/audit/subjects/{Uri.EscapeDataString(parse.GetValue(pseudonym)!)}/accesses?limit={pageSize}"
                + $"&after={(read.Count == 0 ? 0 : read[^1].GetProperty("sequence").GetInt64())}"
                + (parse.GetValue(dataset) is { } d ? "&dataset=" + Uri.EscapeDataString(d) : ""), pageSize, ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(log); return; }
            var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"Uses of {parse.GetValue(pseudonym)}'s data")).AddColumns("When", "Outcome", "Who", "Dataset", "Purpose", "Grant").KeepingIds(5);
            // The grant id is copied into the next command, so its column never wraps; refusals' reasons get a column of their own only when there are any.
            var refusals = log.EnumerateArray().Any(e => Raw(e, "grantId").Length == 0);
            if (refusals) table.AddColumn("Why refused");
            foreach (var e in log.EnumerateArray())
            {
                string[] cells = [Time(e, "at"), e.GetProperty("outcome").GetString() == "read" ? "read" : "[red]refused[/]", Text(e, "who"),
                    Markup.Escape($"{e.GetProperty("dataset").GetString()} {e.GetProperty("datasetVersion").GetString()}"), Text(e, "purpose"),
                    Raw(e, "grantId") is { Length: > 0 } grant ? Markup.Escape(grant) : "-"];
                table.AddRow(refusals ? [.. cells, Raw(e, "grantId").Length > 0 ? "" : Text(e, "reason")] : cells);
            }
            AnsiConsole.Write(table);
        }));
        return command;
    }

    /// <summary>A property as markup-safe text for a table cell.</summary>
    private static string Text(JsonElement e, string name) => Markup.Escape(Raw(e, name));

    private static string Raw(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) ? p.ValueKind == JsonValueKind.String ? p.GetString() ?? "" : p.ValueKind == JsonValueKind.Null ? "" : p.ToString() : "";
}
