using System.CommandLine;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using DthGrains.Cli.Catalogue;
using DthGrains.Cli.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Simulation.Engine;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;

namespace DthGrains.Cli.Runs;

/// <summary>
/// <c>dth run verify</c>: executes a completed run's recorded request on this machine and compares what it gives with what
/// the run recorded: the request's hash (the request is the one that was hashed) and the result hash (the results were
/// made from it by this engine). From the platform by run id, or offline from the run's RO-Crate.
/// </summary>
internal static class RunVerifyCommand
{
    /// <summary>The exit code when the results are not reproduced (as <c>dth audit verify</c> when something is broken).</summary>
    public const int NotReproduced = 1;

    /// <summary>The exit code when stopped by Ctrl-C (as shells report SIGINT).</summary>
    public const int Cancelled = 130;

    public static Command Build()
    {
        var run = new Argument<string[]>("run")
        {
            Description = "A completed run's id, or the path of its RO-Crate (.zip, from 'dth run results --ro-crate') to verify offline; several for a table of verdicts",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("verify",
            "Re-run completed runs' recorded requests on this machine and check that they give the recorded result hashes; exit code 1 when one does not") { run };
        command.SetAction(async (parse, ct) =>
        {
            var code = 0;
            try
            {
                var json = parse.GetValue(CliSettings.Json);
                if (parse.GetValue(run)! is { Length: > 1 } several) return await VerifySeveralAsync(parse, several, json, ct);
                var exit = await CatalogueCommands.RunAsync(async () =>
                {
                    var recorded = await RecordedAsync(parse, parse.GetValue(run)![0], ct);
                    // Off the invoking thread: a verification of a crate never awaits before it, and Ctrl-C must reach it mid-way.
                    var reproduced = await Task.Run(() => Reproduce(recorded, json, ct), ct);
                    var verdict = Verdict.Of(recorded, reproduced);
                    code = verdict.Reproduced ? 0 : NotReproduced;
                    if (json) CliJson.Print(JsonSerializer.SerializeToElement(verdict.ToJson(recorded, reproduced)));
                    else Print(recorded, reproduced, verdict);
                });
                return exit != 0 ? exit : code;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl-C: a verification stopped half way says nothing either way.
                AnsiConsole.MarkupLine("[yellow]Stopped before the end: nothing was verified.[/]");
                return Cancelled;
            }
        });
        return command;
    }

    /// <summary>
    /// Several runs (an auditor checking a study's): each verified in turn, one that cannot be (not completed, not found,
    /// not a crate) said so without stopping the others; then one table of verdicts, or a JSON array.
    /// </summary>
    private static async Task<int> VerifySeveralAsync(ParseResult parse, string[] sources, bool json, CancellationToken ct)
    {
        var results = new List<(string Source, Recorded? Recorded, ReproducedRun? Local, Verdict? Verdict, string? Error)>();
        foreach (var source in sources)
        {
            try
            {
                var recorded = await RecordedAsync(parse, source, ct);
                var local = await Task.Run(() => Reproduce(recorded, json, ct), ct);
                results.Add((source, recorded, local, Verdict.Of(recorded, local), null));
            }
            catch (Exception ex) when (ex is UsageException or ApiException or HttpRequestException or IOException)
            {
                results.Add((source, null, null, null, ex is ApiException api ? $"{api.Status} {api.Message}" : ex.Message));
            }
        }
        if (json)
        {
            CliJson.Print(JsonSerializer.SerializeToElement(results.Select(r => r.Verdict is { } v
                ? v.ToJson(r.Recorded!, r.Local!)
                : new { reproduced = false, source = r.Source, error = r.Error }).ToList<object>()));
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns("run", "verdict", "result hash", "why").KeepingIds().KeepingIds(2);
            foreach (var (source, recorded, _, verdict, error) in results)
                table.AddRow(new Text(source),
                    new Markup(verdict is null ? "[yellow]not verified[/]" : verdict.Reproduced ? "[green]reproduced[/]" : "[red]not reproduced[/]"),
                    new Text(recorded?.ResultHash ?? "-"), new Text(error ?? string.Join(" ", verdict!.Reasons)));
            var good = results.Count(r => r.Verdict?.Reproduced == true);
            AnsiConsole.Write(table.Caption($"{good} of {results.Count} reproduced bit for bit"));
        }
        return results.All(r => r.Verdict?.Reproduced == true) ? 0 : NotReproduced;
    }

    /// <summary>What the run recorded: its normalised request and the hashes and figures it gave.</summary>
    internal sealed record Recorded(string Source, RunRequest Request, string RequestHash, string? EngineVersion, string ResultHash, long? Subjects, long? Failed);

    private static async Task<Recorded> RecordedAsync(ParseResult parse, string run, CancellationToken ct)
    {
        if (run.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) || File.Exists(run)) return FromCrate(run);
        using var api = ApiClient.From(parse);
        var document = await api.GetAsync($"{RunCommands.RunsPath}/{Uri.EscapeDataString(run)}", ct);
        var status = Text(document, "status");
        if (status != "completed")
            throw new UsageException($"Run {run} is {status}: only a completed run has results to verify (dth run watch {run} follows it to its end).");
        if (!document.TryGetProperty("request", out var request) || request.ValueKind != JsonValueKind.Object)
            throw new UsageException($"Run {run} was recorded without its request, so it cannot be re-run.");
        return new Recorded($"run {run}", RunJson.RequestOf(request, "the run's request"), Text(document, "requestHash"), Text(document, "engineVersion"),
            Text(document, "resultHash"), Long(document, "subjectsTotal"), Long(document, "failed"));
    }

    /// <summary>A run's RO-Crate holds its normalised request (<c>request.json</c>) and its provenance (<c>provenance.json</c>).</summary>
    private static Recorded FromCrate(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"No RO-Crate at {Path.GetFullPath(path)}.");
        try
        {
            using var zip = ZipFile.OpenRead(path);
            JsonElement Entry(string name)
            {
                var entry = zip.GetEntry(name) ?? throw new UsageException($"{Path.GetFileName(path)} has no {name}: is it a run's RO-Crate (dth run results <id> --ro-crate)?");
                using var stream = entry.Open();
                try
                {
                    return JsonDocument.Parse(stream).RootElement.Clone();
                }
                catch (JsonException ex)
                {
                    throw new UsageException($"{name} in {Path.GetFileName(path)} is not valid JSON: {ex.Message}");
                }
            }
            var provenance = Entry("provenance.json");
            if (Text(provenance, "resultHash") is not { Length: > 0 } resultHash)
                throw new UsageException($"{Path.GetFileName(path)} records no result hash: the run had not completed when the crate was exported.");
            return new Recorded(Path.GetFileName(path), RunJson.RequestOf(Entry("request.json"), "request.json"), Text(provenance, "requestHash"),
                Text(provenance, "engineVersion"), resultHash, Long(provenance, "subjects"), Long(provenance, "failed"));
        }
        catch (InvalidDataException ex)
        {
            throw new UsageException($"{Path.GetFileName(path)} is not a zip archive ({ex.Message}).");
        }
    }

    private static long? Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    private static ReproducedRun Reproduce(Recorded recorded, bool json, CancellationToken ct) =>
        LocalReproduction.Run(recorded.Request, recorded.Source, quiet: json, ct).Run;

    /// <summary>Whether every recorded figure was reproduced, and if not, the likeliest reasons, most telling first.</summary>
    internal sealed record Verdict(bool Reproduced, string[] Reasons)
    {
        public static Verdict Of(Recorded recorded, ReproducedRun local)
        {
            var reasons = new List<string>();
            if (local.RequestHash != recorded.RequestHash)
                reasons.Add("The request does not hash to the recorded request hash: it was changed after the run, or made by another planner.");
            if (recorded.EngineVersion is { Length: > 0 } engine && !EngineIdentity.Same(engine, local.EngineVersion))
                reasons.Add($"The run was computed by engine {engine}, this CLI has {local.EngineVersion}: verify with a CLI of the run's engine.");
            if (recorded.Subjects is { } subjects && subjects != local.Subjects)
                reasons.Add($"The run recorded {subjects:N0} subjects, its request gives {local.Subjects:N0}.");
            if (recorded.Failed is { } failed && failed != local.Failed)
                reasons.Add($"The run recorded {failed:N0} failed subjects, the re-run {local.Failed:N0}.");
            if (local.ResultHash != recorded.ResultHash && reasons.Count == 0)
                reasons.Add("Same request and engine, other results: the recorded results were not made from this request, or this machine's floating point differs.");
            // Every recorded figure must be what the request gives: a matching result hash beside a wrong subject count is a false record too.
            return new Verdict(local.ResultHash == recorded.ResultHash && reasons.Count == 0, [.. reasons]);
        }

        public object ToJson(Recorded recorded, ReproducedRun local) => new
        {
            reproduced = Reproduced,
            source = recorded.Source,
            recorded = new { requestHash = recorded.RequestHash, engineVersion = recorded.EngineVersion, resultHash = recorded.ResultHash, subjects = recorded.Subjects, failed = recorded.Failed },
            local = new { requestHash = local.RequestHash, engineVersion = local.EngineVersion, resultHash = local.ResultHash, subjects = local.Subjects, failed = local.Failed, shards = local.Shards },
            reasons = Reasons,
        };
    }

    private static void Print(Recorded recorded, ReproducedRun local, Verdict verdict)
    {
        // One value where both agree, the two on their own lines where they differ: a row never holds two 64-digit hashes
        // side by side, which no terminal of usual width fits without cutting them.
        var table = new Table().Border(TableBorder.Rounded).AddColumns("", "", "recorded / re-run here").KeepingIds(2);
        void Row(string what, string? then, string now) => table.AddRow(
            new Markup($"[grey]{what}[/]"),
            new Markup(then is null ? "[grey]not recorded[/]" : then == now ? "[green]same[/]" : "[red]differs[/]"),
            new Text(then is null || then == now ? now : $"{then}\n{now}"));
        Row("request hash", recorded.RequestHash, local.RequestHash);
        Row("engine", recorded.EngineVersion, local.EngineVersion);
        Row("subjects", recorded.Subjects?.ToString("N0", CultureInfo.InvariantCulture), local.Subjects.ToString("N0", CultureInfo.InvariantCulture));
        Row("failed", recorded.Failed?.ToString("N0", CultureInfo.InvariantCulture), local.Failed.ToString("N0", CultureInfo.InvariantCulture));
        Row("result hash", recorded.ResultHash, local.ResultHash);
        AnsiConsole.Write(table);
        if (verdict.Reproduced)
            AnsiConsole.MarkupLineInterpolated($"[green]Reproduced:[/] {recorded.Source}'s request, re-run here in {local.Shards} {(local.Shards == 1 ? "shard" : "shards")}, gives its recorded results bit for bit.");
        else
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Not reproduced:[/] {recorded.Source}'s recorded results are not what its request gives here.");
            foreach (var reason in verdict.Reasons) AnsiConsole.MarkupLineInterpolated($"  · {reason}");
        }
    }
}
