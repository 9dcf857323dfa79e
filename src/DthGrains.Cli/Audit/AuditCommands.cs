using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Cli.Platform;
using Spectre.Console;
using static DthGrains.Cli.Platform.CliText;

namespace DthGrains.Cli.Audit;

/// <summary><c>dth audit verify|checkpoint|stream|lineage|decisions|subject</c>: the auditor's side of the ledger (schemas/ledger/).</summary>
public static class AuditCommands
{
    /// <summary>
    /// Exit code of <c>dth audit verify</c> and <c>verify-lineage</c> when the check finds something broken: a code of its
    /// own, so that a script tells a broken ledger from a usage mistake (1) or an unreachable platform (2 to 4); not 5 to
    /// 7, which <c>run watch</c> gives a run's end.
    /// </summary>
    public const int Broken = 8;

    public static Command Build()
    {
        var command = new Command("audit", "Verify the ledger, take and keep signed checkpoints, replay any stream as of a time or version, trace lineage, show decision contexts and data-subject access logs");
        command.Subcommands.Add(Verify());
        command.Subcommands.Add(VerifyLineage());
        command.Subcommands.Add(Checkpoint());
        command.Subcommands.Add(Stream());
        foreach (var sub in LineageCommands.Build()) command.Subcommands.Add(sub);
        return command;
    }

    private static Command Verify()
    {
        var file = new Option<FileInfo?>("--checkpoint", "-c") { Description = "A checkpoint document kept outside the system (from 'dth audit checkpoint --out'); default: the latest stored" };
        var command = new Command("verify", "Recompute every hash chain and compare with a checkpoint; exit code 8 when something is broken") { file };
        command.SetAction(async (parse, ct) =>
        {
            var code = 0;
            var run = await CliJson.Run(async () =>
            {
                using var api = ApiClient.From(parse, Timeout.InfiniteTimeSpan);
                StringContent? content = null;
                if (parse.GetValue(file) is { } f)
                {
                    if (!f.Exists) throw new Catalogue.UsageException($"No checkpoint file at {f.FullName}.");
                    content = new StringContent(await File.ReadAllTextAsync(f.FullName, ct), Encoding.UTF8);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                }
                // A long ledger takes minutes: a spinner says the work goes on (not in --json, which scripts read).
                Task<RawResponse> Call() => content is null
                    ? api.SendRawAsync(HttpMethod.Get, "api/audit/verify", ct: ct)
                    : api.SendRawAsync(HttpMethod.Post, "api/audit/verify", content, ct: ct);
                var response = parse.GetValue(CliSettings.Json) ? await Call()
                    : await AnsiConsole.Status().Spinner(Spinner.Known.Dots).StartAsync("Recomputing every hash chain of the ledger...", _ => Call());
                if (!response.IsSuccess) throw ApiClient.ErrorOf(response);
                using var doc = JsonDocument.Parse(response.Body);
                var report = doc.RootElement;
                code = report.GetProperty("ok").GetBoolean() ? 0 : Broken;
                if (parse.GetValue(CliSettings.Json)) { CliJson.Print(report); return; }
                PrintReport(report);
            });
            return run != 0 ? run : code;
        });
        return command;
    }

    private static Command VerifyLineage()
    {
        var command = new Command("verify-lineage",
            "Read every lineage fact again from the ledger and compare with the lineage store; exit code 8 when they differ");
        command.SetAction(async (parse, ct) =>
        {
            var code = 0;
            var run = await CliJson.Run(async () =>
            {
                using var api = ApiClient.From(parse, Timeout.InfiniteTimeSpan);
                Task<RawResponse> Call() => api.SendRawAsync(HttpMethod.Get, "api/audit/lineage/verify", ct: ct);
                var response = parse.GetValue(CliSettings.Json) ? await Call()
                    : await AnsiConsole.Status().Spinner(Spinner.Known.Dots).StartAsync("Reading the lineage again from the ledger...", _ => Call());
                if (!response.IsSuccess) throw ApiClient.ErrorOf(response);
                using var doc = JsonDocument.Parse(response.Body);
                var report = doc.RootElement;
                code = report.GetProperty("ok").GetBoolean() ? 0 : Broken;
                if (parse.GetValue(CliSettings.Json)) { CliJson.Print(report); return; }
                var grid = new Grid().AddColumn().AddColumn();
                grid.AddRow("[bold]Lineage store[/]", code == 0 ? "[green]matches the ledger[/]" : "[red]DIFFERS from the ledger[/]");
                grid.AddRow("[bold]Read again[/]", $"{report.GetProperty("eventsRead")} events, up to sequence {report.GetProperty("upToSequence")}");
                grid.AddRow("[bold]Store[/]", $"{report.GetProperty("nodes")} nodes, {report.GetProperty("edges")} edges");
                AnsiConsole.Write(grid);
                var first = report.GetProperty("first");
                if (first.GetArrayLength() == 0) return;
                var table = new Table().Border(TableBorder.Rounded).Title("Differences").AddColumns("Kind", "Node or edge");
                foreach (var d in first.EnumerateArray()) table.AddRow(d.GetProperty("kind").GetString() ?? "", Markup.Escape(d.GetProperty("what").GetString() ?? ""));
                AnsiConsole.Write(table);
                var total = report.GetProperty("differences").GetInt64();
                if (total > first.GetArrayLength()) AnsiConsole.MarkupLine($"[grey]{total} differences in all; the first {first.GetArrayLength()} are shown.[/]");
                AnsiConsole.MarkupLine("[grey]The ledger is the truth: truncate the dth.lineage_* tables and the next query reads the lineage again from it.[/]");
            });
            return run != 0 ? run : code;
        });
        return command;
    }

    private static void PrintReport(JsonElement report)
    {
        var ok = report.GetProperty("ok").GetBoolean();
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]Ledger[/]", ok ? "[green]OK[/]" : "[red]BROKEN[/]");
        grid.AddRow("[bold]Events[/]", report.GetProperty("events").ToString());
        grid.AddRow("[bold]Streams[/]", report.GetProperty("streams").ToString());
        grid.AddRow("[bold]Current root[/]", report.GetProperty("currentRoot").GetString() ?? "");
        if (report.TryGetProperty("checkpoint", out var c) && c.ValueKind == JsonValueKind.Object)
        {
            grid.AddRow("[bold]Checkpoint[/]", Markup.Escape($"#{c.GetProperty("number")} of {Time(c, "takenAt")}, {c.GetProperty("streams")} streams, {c.GetProperty("events")} events"));
            grid.AddRow("[bold]Signed root[/]", c.GetProperty("root").GetString() ?? "");
            grid.AddRow("[bold]Recomputed[/]", (c.GetProperty("matches").GetBoolean() ? "[green]" : "[red]") + c.GetProperty("recomputedRoot").GetString() + "[/]");
        }
        else
        {
            grid.AddRow("[bold]Checkpoint[/]", "[yellow]none: a cut tail cannot be seen without one[/]");
        }
        AnsiConsole.Write(grid);
        var findings = report.GetProperty("findings");
        if (findings.GetArrayLength() == 0) return;
        var table = new Table().Border(TableBorder.Rounded).Title("Broken links (first per stream, earliest first)").AddColumns("Kind", "Stream", "Version", "Sequence", "What is wrong");
        foreach (var f in findings.EnumerateArray())
            table.AddRow(f.GetProperty("kind").GetString() ?? "", Markup.Escape(f.GetProperty("stream").GetString() ?? ""), f.GetProperty("version").ToString(),
                f.TryGetProperty("sequence", out var s) ? s.ToString() : "-", Markup.Escape(f.GetProperty("detail").GetString() ?? ""));
        AnsiConsole.Write(table);
        var total = report.GetProperty("findingCount").GetInt64();
        if (total > findings.GetArrayLength()) AnsiConsole.MarkupLine($"[grey]{total} findings in all; the first {findings.GetArrayLength()} are shown.[/]");
    }

    private static Command Checkpoint()
    {
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write the checkpoint document to this file, to keep outside the system" };
        var latest = new Option<bool>("--latest") { Description = "Download the latest stored checkpoint instead of taking a new one" };
        var heads = new Option<bool>("--heads") { Description = "Include every stream head (a larger, self-contained document)" };
        var command = new Command("checkpoint", "Take a signed checkpoint now (auditors, platform admins) and print or save it") { output, latest, heads };
        command.SetAction((parse, ct) => CliJson.Run(async () =>
        {
            using var api = ApiClient.From(parse);
            var response = await api.SendRawAsync(parse.GetValue(latest) ? HttpMethod.Get : HttpMethod.Post,
                parse.GetValue(latest) ? "api/audit/checkpoints/latest" : "api/audit/checkpoints", ct: ct);
            if (!response.IsSuccess) throw ApiClient.ErrorOf(response);
            var body = response.Body;
            using (var taken = JsonDocument.Parse(body))
            {
                if (parse.GetValue(heads))
                {
                    var full = await api.SendRawAsync(HttpMethod.Get, $"api/audit/checkpoints/{taken.RootElement.GetProperty("number")}?heads=true", ct: ct);
                    if (!full.IsSuccess) throw ApiClient.ErrorOf(full);
                    body = full.Body;
                }
            }
            using var doc = JsonDocument.Parse(body);
            var checkpoint = doc.RootElement;
            if (parse.GetValue(output) is { } file)
                await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(checkpoint, CliJson.Options) + "\n", ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(checkpoint); return; }
            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow("[bold]Checkpoint[/]", $"#{checkpoint.GetProperty("number")}");
            grid.AddRow("[bold]Taken at[/]", Time(checkpoint, "takenAt"));
            grid.AddRow("[bold]Root[/]", checkpoint.GetProperty("root").GetString() ?? "");
            grid.AddRow("[bold]Streams / events[/]", $"{checkpoint.GetProperty("streams")} / {checkpoint.GetProperty("events")}");
            grid.AddRow("[bold]Key id[/]", Markup.Escape(checkpoint.GetProperty("keyId").GetString() ?? ""));
            if (parse.GetValue(output) is { } saved) grid.AddRow("[bold]Saved to[/]", Markup.Escape(saved.FullName));
            AnsiConsole.Write(grid);
        }));
        return command;
    }

    private static Command Stream()
    {
        var key = new Argument<string>("stream") { Description = "Stream key, for example organisation:charite or ledger:checkpoints" };
        var asOf = new Option<string?>("--as-of") { Description = "Replay as of this time (ISO 8601, e.g. 2026-11-25T10:00:00Z)" };
        var version = new Option<long?>("--version") { Description = "Replay up to this version" };
        version.Validators.Add(r => { if (r.GetValueOrDefault<long?>() is < 1) r.AddError("--version is a stream version, 1 or more."); });
        asOf.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } t && !DateTimeOffset.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out _))
                r.AddError($"--as-of {t}: give a date and time, e.g. 2026-11-25T10:00:00Z.");
        });
        var pageSize = new Option<int>("--page-size") { Description = "Events fetched per request (1 to 10000); every page is read", DefaultValueFactory = _ => 1000 };
        pageSize.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 10_000) r.AddError("--page-size is 1 to 10000 events."); });
        var command = new Command("stream", "Replay a stream as of a time or version: its events with envelopes and hashes, and the state then") { key, asOf, version, pageSize };
        command.SetAction((parse, ct) => CliJson.Run(async () =>
        {
            using var api = ApiClient.From(parse);
            var query = new List<string>();
            if (parse.GetValue(asOf) is { } t) query.Add("asOf=" + Uri.EscapeDataString(t));
            if (parse.GetValue(version) is { } v) query.Add("version=" + v);
            query.Add("limit=" + parse.GetValue(pageSize));
            var path = $"api/audit/streams/{Uri.EscapeDataString(parse.GetValue(key)!)}";
            var replay = await api.GetAsync(path + "?" + string.Join("&", query), ct);
            // The first page carries the chain's check and the state; the following ones, read to the first page's
            // version, add their events.
            var events = replay.GetProperty("events").EnumerateArray().Select(e => e.Clone()).ToList();
            var page = replay;
            while (page.TryGetProperty("nextAfter", out var next) && next.ValueKind == JsonValueKind.Number)
            {
                var pageQuery = query.Where(q => !q.StartsWith("version=", StringComparison.Ordinal))
                    .Append($"version={replay.GetProperty("version")}").Append($"after={next}");
                page = await api.GetAsync(path + "?" + string.Join("&", pageQuery), ct);
                events.AddRange(page.GetProperty("events").EnumerateArray().Select(e => e.Clone()));
            }
            if (parse.GetValue(CliSettings.Json))
            {
                var whole = JsonNode.Parse(replay.GetRawText())!.AsObject();
                whole["events"] = JsonSerializer.SerializeToNode(events);
                whole.Remove("nextAfter");
                CliJson.Print(JsonSerializer.SerializeToElement(whole));
                return;
            }

            var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{replay.GetProperty("stream").GetString()} at version {replay.GetProperty("version")}"))
                .AddColumns("Version", "Sequence", "Event", "Actor", "Recorded at", "Hash");
            foreach (var e in events)
            {
                var envelope = e.GetProperty("envelope");
                var hash = e.TryGetProperty("hash", out var h) ? h.GetString() ?? "" : "";
                table.AddRow(e.GetProperty("version").ToString(), e.GetProperty("sequence").ToString(), Markup.Escape(e.GetProperty("eventType").GetString() ?? ""),
                    Markup.Escape(envelope.GetProperty("actorSubject").GetString() ?? ""), Time(envelope, "recordedAt"),
                    hash.Length > 12 ? hash[..12] + "…" : hash);
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine(replay.GetProperty("chainIntact").GetBoolean()
                ? "[green]Hash chain intact[/]"
                : $"[red]Hash chain broken:[/] {Markup.Escape(replay.GetProperty("chainProblem").GetProperty("detail").GetString() ?? "")}");
            if (replay.TryGetProperty("state", out var state) && state.ValueKind != JsonValueKind.Null)
            {
                AnsiConsole.MarkupLine($"[bold]State ({Markup.Escape(replay.GetProperty("stateType").GetString() ?? "")})[/]");
                CliJson.Print(state);
            }
            else if (replay.TryGetProperty("stateError", out var stateError) && stateError.ValueKind == JsonValueKind.String)
                // A body that does not fold (tampered, or of an unknown type): the events are shown, the state cannot be.
                AnsiConsole.MarkupLine($"[yellow]State not rebuilt:[/] {Markup.Escape(stateError.GetString() ?? "")}");
        }));
        return command;
    }
}
