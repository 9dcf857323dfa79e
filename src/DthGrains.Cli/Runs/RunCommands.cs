using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DthGrains.Cli.Catalogue;
using DthGrains.Cli.Platform;
using DthGrains.Contracts.Platform;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;
using static DthGrains.Cli.Platform.CliText;

namespace DthGrains.Cli.Runs;

/// <summary><c>dth run submit|watch|list|usage|models|show|cancel|release-rows|results|verify</c>: simulation runs on the platform, under <c>/api/runs</c>.</summary>
public static partial class RunCommands
{
    internal const string RunsPath = "api/runs";

    public static Command Build()
    {
        var command = new Command("run", "Simulation runs on the platform: submit, follow live, results with provenance");
        command.Subcommands.Add(Submit());
        command.Subcommands.Add(Watch());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Usage());
        command.Subcommands.Add(RunModelsCommand.Build());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Cancel());
        command.Subcommands.Add(ReleaseRows());
        command.Subcommands.Add(Results());
        command.Subcommands.Add(RunShardsCommand.Build());
        command.Subcommands.Add(RunVerifyCommand.Build());
        return command;
    }

    private static Command Submit()
    {
        var kind = new Option<string>("--kind") { Description = "single, scenario-set, sweep, monte-carlo, cohort-trial, sensitivity (default cohort-trial, single without --cohort)", HelpName = "kind" };
        kind.AcceptOnlyFromAmong("single", "scenario-set", "sweep", "monte-carlo", "cohort-trial", "sensitivity");
        var model = new Option<string>("--model", "-m") { Description = "Model: hovorka, bergman, windkessel, pkpd (or a model id)", DefaultValueFactory = _ => "hovorka" };
        var cohort = new Option<int?>("--cohort", "-n") { Description = "Size: virtual patients, draws, design points or Sobol base samples" };
        var seed = new Option<ulong>("--seed") { Description = "Seed (same request, same seed: the same results)", DefaultValueFactory = _ => 1UL };
        var scenario = new Option<string?>("--scenario", "-s") { Description = "Scenario (reference; bergman also day); several for scenario-set, comma-separated" };
        var duration = new Option<double?>("--duration") { Description = "Simulated period in the model's time unit (e.g. 1440 min for a day)" };
        var days = new Option<double?>("--days") { Description = "Simulated period in days, turned into the model's time unit (instead of --duration)" };
        var step = new Option<double?>("--step") { Description = "Output step in the model's time unit" };
        var datasets = new Option<string[]>("--dataset") { Description = "A dataset the run uses (repeatable); needs a grant with action simulate", AllowMultipleArgumentsPerToken = true };
        var purpose = new Option<string?>("--purpose") { Description = "Purpose of the data use, e.g. scientific-research (required with --dataset)" };
        var cohortFrom = new Option<string?>("--cohort-from")
        {
            Description = "cohort-trial: seed the virtual patients from this dataset's subjects (fitted at the data owner's silos; needs a grant with action simulate and --purpose)",
        };
        var shardSize = new Option<int?>("--shard-size") { Description = "Subjects per shard (default: about 8 shards)" };
        var vary = new Option<string[]>("--vary") { Description = "monte-carlo/sensitivity: PARAM=CV (lognormal around the value); sweep: PARAM=LOW:HIGH; several comma-separated or repeated (a model's parameters: dth run models <model>)", AllowMultipleArgumentsPerToken = true };
        var points = new Option<int?>("--points") { Description = "sweep: points per axis of a full grid (otherwise a Latin hypercube of --cohort points)" };
        var of = new Option<string?>("--of")
        {
            Description = "sensitivity: what to analyse, OUTPUT[:STATISTIC] with mean, final, min, max or auc over the grid (default: the model's first output, mean); " +
                "several, comma-separated (G:mean,G:min), come from the same evaluations at no further cost",
        };
        var follow = new Option<bool>("--follow", "-f") { Description = $"Follow the run live (progress bar), then print the results; {RunWatch.ExitCodes}" };
        var wait = new Option<bool>("--wait") { Description = "At your cap on unfinished runs, wait for one of them to end, then submit (instead of stopping at the 429)" };
        var command = new Command("submit", "Submit a run (202: it runs on the cluster); --follow to watch it") { kind, model, cohort, seed, scenario, duration, days, step, datasets, purpose, cohortFrom, shardSize, vary, points, of, follow, wait };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var size = parse.GetValue(cohort);
            // A cohort seeded from a dataset is a cohort trial, as a cohort size makes one.
            var k = parse.GetValue(kind) ?? (size is null && parse.GetValue(cohortFrom) is null ? "single" : "cohort-trial");
            var (ranges, uncertain) = ParseVary(parse.GetValue(vary) ?? [], k);
            var scenarios = parse.GetValue(scenario)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            // Options the kind does not read were dropped without a word (a cohort trial "varied" nothing).
            if (parse.GetValue(points) is not null && k != "sweep")
                throw new UsageException($"--points sets the grid of a sweep; this run is a {k} (--kind sweep for a grid).");
            if (scenarios is { Length: > 1 } && k != "scenario-set")
                throw new UsageException($"Several scenarios run as a scenario set (--kind scenario-set); a {k} runs one.");
            using var api = ApiClient.From(parse);
            var modelName = parse.GetValue(model)!;
            // An external code's time unit is the platform's to tell: this dth knows the engine's own models only.
            var platformUnit = parse.GetValue(days) is not null && parse.GetValue(duration) is null && LocalTimeUnit(modelName) is null
                ? (await api.GetAsync($"api/runs/models/{Uri.EscapeDataString(modelName)}", ct)).TryGetProperty("timeUnit", out var tu) ? tu.GetString() : null
                : null;
            var body = new Dictionary<string, object?>
            {
                ["kind"] = k, ["model"] = modelName, ["seed"] = parse.GetValue(seed), ["size"] = size,
                ["duration"] = DurationOf(modelName, parse.GetValue(duration), parse.GetValue(days), platformUnit), ["outputStep"] = parse.GetValue(step),
                ["datasets"] = parse.GetValue(datasets) ?? [], ["purpose"] = parse.GetValue(purpose), ["shardSize"] = parse.GetValue(shardSize),
                ["pointsPerAxis"] = parse.GetValue(points),
            };
            if (k == "scenario-set") body["scenarios"] = scenarios ?? [];
            else if (scenarios is { Length: > 0 }) body["scenario"] = scenarios[0];
            if (ranges.Count > 0) body["ranges"] = ranges;
            if (uncertain.Count > 0) body["uncertain"] = uncertain;
            if (parse.GetValue(cohortFrom) is { } from) body["cohortFrom"] = new Dictionary<string, object?> { ["dataset"] = from };
            if (parse.GetValue(of) is { } targets)
            {
                static Dictionary<string, object?> Target(string target)
                {
                    var parts = target.Split(':', 2, StringSplitOptions.TrimEntries);
                    return new Dictionary<string, object?> { ["output"] = parts[0], ["statistic"] = parts.Length > 1 ? parts[1] : null }
                        .Where(p => p.Value is not null).ToDictionary();
                }
                var named = targets.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (named.Length == 0) throw new UsageException("--of names at least one OUTPUT[:STATISTIC], e.g. --of G:mean,G:min.");
                body["sensitivityOf"] = Target(named[0]);
                if (named.Length > 1) body["sensitivityAlso"] = named[1..].Select(Target).ToList();
            }
            var run = await SubmitAsync(api, body.Where(p => p.Value is not null).ToDictionary(), parse.GetValue(wait), ct);
            var id = run.GetProperty("id").GetString()!;
            if (!parse.GetValue(follow))
            {
                if (parse.GetValue(CliSettings.Json)) CliJson.Print(run);
                else AnsiConsole.MarkupLineInterpolated($"Submitted run [bold]{id}[/] ({run.GetProperty("shardsTotal")} shards, {run.GetProperty("subjectsTotal")} subjects). Follow it: dth run watch {id}");
                return 0;
            }
            // On standard error: with --json, standard output holds the followed run's JSON alone.
            CliErrors.Console.MarkupLineInterpolated($"Submitted run [bold]{id}[/]; request hash [grey]{run.GetProperty("requestHash").GetString()}[/]");
            return await RunWatch.FollowAsync(parse, api, id, ct);
        }));
        return command;
    }

    /// <summary>
    /// The simulated period in the model's time unit: <c>--duration</c> as given, or <c>--days</c> turned into the unit
    /// (a day was always 1440, which a model in hours took for 60 days, and one in seconds for 24 minutes).
    /// </summary>
    /// <param name="platformUnit">the model's time unit as the platform gives it (GET /api/runs/models/{model}), for a
    /// model this dth does not know (an external code); null: the engine's own models' units only.</param>
    public static double? DurationOf(string model, double? duration, double? days, string? platformUnit = null)
    {
        if (days is not { } d) return duration;
        if (duration is not null) throw new UsageException("Give the period once: --days or --duration (in the model's time unit).");
        var symbol = LocalTimeUnit(model) ?? platformUnit
            ?? throw new UsageException($"--days needs the time unit of '{model}', which this dth does not know: give --duration in its unit (dth run models {model}).");
        DthGrains.Simulation.Units.Unit unit;
        try
        {
            unit = DthGrains.Simulation.Units.UnitRegistry.Parse(symbol);
        }
        catch (ArgumentException)
        {
            throw new UsageException($"--days cannot be turned into '{model}''s time unit '{symbol}': give --duration in it.");
        }
        if (unit.Dimension != DthGrains.Simulation.Units.UnitRegistry.Day.Dimension)
            throw new UsageException($"'{model}' counts time in '{symbol}', not a unit of time: give --duration in it.");
        return d * DthGrains.Simulation.Units.UnitRegistry.Day.ToBase / unit.ToBase;
    }

    /// <summary>The time unit of one of the engine's own models; null for a model this dth does not know (an external code).</summary>
    public static string? LocalTimeUnit(string model)
    {
        try
        {
            return DthGrains.Simulation.Models.ModelLibrary.Get(model).Info.TimeUnit.Symbol;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>How often a submission waiting at the cap looks at the caller's unfinished runs.</summary>
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Submits the run. With <paramref name="wait"/>, a refusal at the cap on unfinished runs (a 429 without Retry-After:
    /// a slot frees when a run ends, not after a time) waits, looking at the caller's usage, until one has ended, then
    /// submits again; nothing was recorded by the refusal, so the new try is a new command.
    /// </summary>
    private static async Task<JsonElement> SubmitAsync(ApiClient api, object body, bool wait, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return await api.SendAsync(HttpMethod.Post, RunsPath, body, ct: ct);
            }
            catch (ApiException ex) when (wait && ex.Status == 429 && ex.Message.StartsWith("Too many unfinished runs", StringComparison.Ordinal))
            {
                // The wait is told on standard error: with --json, standard output holds the submitted run alone.
                await CliErrors.Console.Status().StartAsync("At your cap on unfinished runs: waiting for one to end...", async status =>
                {
                    while (UsageOf(await api.GetAsync(RunsPath + "/usage", ct)) is { AtCap: true } usage)
                    {
                        status.Status($"{usage.Unfinished.Length} unfinished runs of {usage.Cap} at once: waiting for one to end...");
                        await Task.Delay(PollEvery, ct);
                    }
                });
                CliErrors.Console.MarkupLine("One of your runs has ended: submitting.");
            }
        }
    }

    /// <summary>
    /// The <c>--vary</c> values as the request's <c>ranges</c> (PARAM=LOW:HIGH) and <c>uncertain</c> (PARAM=CV) entries.
    /// Several may come in one value, comma-separated, as <c>--of</c> and <c>--scenario</c> take them: a comma is in no
    /// parameter name and in no invariant-culture number.
    /// </summary>
    public static (List<object> Ranges, List<object> Uncertain) ParseVary(string[] items, string kind)
    {
        ArgumentNullException.ThrowIfNull(items);
        var ranges = new List<object>();
        var uncertain = new List<object>();
        foreach (var item in items.SelectMany(i => i.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var parts = item.Split('=', 2, StringSplitOptions.TrimEntries);
            var bounds = parts.Length == 2 ? parts[1].Split(':') : [];
            if (parts.Length == 2 && parts[0].Length > 0 && bounds.Length == 2
                && double.TryParse(bounds[0], CultureInfo.InvariantCulture, out var low) && double.TryParse(bounds[1], CultureInfo.InvariantCulture, out var high))
                ranges.Add(new { parameter = parts[0], lower = low, upper = high });
            else if (parts.Length == 2 && parts[0].Length > 0 && bounds.Length == 1 && double.TryParse(bounds[0], CultureInfo.InvariantCulture, out var cv))
                uncertain.Add(new { parameter = parts[0], cv });
            else throw new UsageException($"--vary {item}: use PARAM=CV or PARAM=LOW:HIGH, several comma-separated or each with its own --vary (a model's parameters: dth run models <model>).");
        }
        // The API refuses these too, in the request's terms ({parameter, cv}); here the answer names the option to give.
        if (kind == "sweep" && (uncertain.Count > 0 || ranges.Count == 0))
            throw new UsageException("A sweep varies parameters over ranges: --vary PARAM=LOW:HIGH (e.g. --vary SIT=0.0005:0.002,EGP0=0.01:0.02; a model's parameters: dth run models <model>).");
        if (kind == "monte-carlo" && (ranges.Count > 0 || uncertain.Count == 0))
            throw new UsageException("A monte-carlo run draws parameters around their values: --vary PARAM=CV, a coefficient of variation (e.g. --vary SIT=0.2,EGP0=0.1; a model's parameters: dth run models <model>).");
        if (kind is not ("sweep" or "monte-carlo" or "sensitivity") && (ranges.Count > 0 || uncertain.Count > 0))
            throw new UsageException($"--vary sets what a sweep, a monte-carlo run or a sensitivity study varies; a {kind} varies nothing (--kind to choose one).");
        // A sensitivity study takes its inputs either as CVs or as ranges; given both, the ranges would go unused.
        if (kind == "sensitivity" && (ranges.Count > 0) == (uncertain.Count > 0))
            throw new UsageException("A sensitivity study varies its inputs either around their values (--vary PARAM=CV) or over ranges (--vary PARAM=LOW:HIGH), all of one form (e.g. --vary CL=0.3,EC50=0.3).");
        return (ranges, uncertain);
    }

    private static Command Watch()
    {
        var id = new Argument<string>("id") { Description = "Run id" };
        var command = new Command("watch", $"Follow a run live: progress bar with subjects done, rate and ETA, then the results; {RunWatch.ExitCodes}") { id };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            return await RunWatch.FollowAsync(parse, api, parse.GetValue(id)!, ct);
        }));
        return command;
    }

    private static Command List()
    {
        var status = new Option<string?>("--status") { Description = "Only runs in this state: submitted, running, suspended, cancelled, failed, completed" };
        var command = new Command("list", "Your runs, newest first") { status };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var page = await api.GetAllPagesAsync(RunsPath + (parse.GetValue(status) is { } s ? $"?status={Uri.EscapeDataString(s)}" : ""), 100, ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(page); return; }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Kind", "Model", "Status", "Shards", "Subjects", "Submitted").KeepingIds();
            foreach (var r in page.GetProperty("items").EnumerateArray())
                table.AddRow(Markup.Escape(Text(r, "id")), Text(r, "kind"), Markup.Escape($"{Text(r, "modelId")} {Text(r, "modelVersion")}"), Text(r, "status"),
                    $"{r.GetProperty("shardsDone")}/{r.GetProperty("shardsTotal")}", $"{r.GetProperty("subjectsDone")}/{r.GetProperty("subjectsTotal")}", Time(r, "submittedAt"));
            AnsiConsole.Write(table);
        }));
        return command;
    }

    private static Command Usage()
    {
        var command = new Command("usage", "What you hold against your caps: unfinished runs and per-subject rows kept");
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var answer = await api.GetAsync(RunsPath + "/usage", ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(answer); return; }
            var usage = UsageOf(answer);
            var (runs, cap, kept, coming, quota) = usage;
            var table = new Table().Border(TableBorder.Rounded).AddColumns("", "Used", "Cap", "Free");
            table.AddRow("unfinished runs", runs.Length.ToString(CultureInfo.InvariantCulture), cap > 0 ? cap.ToString(CultureInfo.InvariantCulture) : "none",
                cap > 0 ? Math.Max(0, cap - runs.Length).ToString(CultureInfo.InvariantCulture) : "-");
            table.AddRow("per-subject rows", $"{ByteSize.Format(kept)} kept" + (coming > 0 ? $" + {ByteSize.Format(coming)} coming" : ""), quota > 0 ? ByteSize.Format(quota) : "none",
                quota > 0 ? ByteSize.Format(Math.Max(0, quota - kept - coming)) : "-");
            AnsiConsole.Write(table);
            foreach (var id in runs) AnsiConsole.MarkupLineInterpolated($"[grey]unfinished:[/] {id}");
            if (usage.AtCap) AnsiConsole.MarkupLine("[yellow]At the cap:[/] a new run waits until one of these ends ('dth run watch <id>') or is cancelled ('dth run cancel <id>').");
        }));
        return command;
    }

    /// <summary>The answer of <c>GET /api/runs/usage</c>.</summary>
    private sealed record RunUsage(string[] Unfinished, int Cap, long RowBytesKept, long RowBytesComing, long RowsQuota)
    {
        public bool AtCap => Cap > 0 && Unfinished.Length >= Cap;
    }

    private static RunUsage UsageOf(JsonElement usage) => new(
        [.. usage.GetProperty("unfinishedRuns").EnumerateArray().Select(r => r.GetString()!)], usage.GetProperty("maxUnfinishedRuns").GetInt32(),
        usage.GetProperty("rowBytesKept").GetInt64(), usage.GetProperty("rowBytesComing").GetInt64(), usage.GetProperty("rowsQuota").GetInt64());

    private static Command Show()
    {
        var id = new Argument<string>("id") { Description = "Run id" };
        var command = new Command("show", "A run: status, progress, provenance and results summary") { id };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var run = await api.GetAsync($"{RunsPath}/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(run); return; }
            PrintRun(run);
        }));
        return command;
    }

    private static Command Cancel()
    {
        var id = new Argument<string>("id") { Description = "Run id" };
        var reason = new Option<string?>("--reason") { Description = "Why the run is cancelled" };
        var command = new Command("cancel", "Cancel a run: no shard is dispatched or counted afterwards") { id, reason };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var run = await api.SendAsync(HttpMethod.Post, $"{RunsPath}/{Uri.EscapeDataString(parse.GetValue(id)!)}/cancel", new { reason = parse.GetValue(reason) }, ct: ct);
            if (parse.GetValue(CliSettings.Json)) CliJson.Print(run);
            else AnsiConsole.MarkupLineInterpolated($"Run {Text(run, "id")} is {Text(run, "status")} ({Text(run, "statusReason")}).");
        }));
        return command;
    }

    private static Command ReleaseRows()
    {
        var id = new Argument<string>("id") { Description = "Run id" };
        var reason = new Option<string?>("--reason") { Description = "Why the rows are released" };
        var command = new Command("release-rows",
            "Delete an ended run's per-subject rows to give their storage back (the summary, bands and the ledger's digests of the rows stay)") { id, reason };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var run = await api.SendAsync(HttpMethod.Post, $"{RunsPath}/{Uri.EscapeDataString(parse.GetValue(id)!)}/rows/release", new { reason = parse.GetValue(reason) }, ct: ct);
            if (parse.GetValue(CliSettings.Json)) CliJson.Print(run);
            else AnsiConsole.MarkupLineInterpolated($"Run {Text(run, "id")}: per-subject rows released; its summary and bands stay (dth run show).");
        }));
        return command;
    }

    private static Command Results()
    {
        var id = new Argument<string>("id") { Description = "Run id" };
        var format = new Option<string>("--format") { Description = "csv or json", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json");
        var output = new Option<string?>("--out", "-o") { Description = "File to write the per-subject results to (default: print)" };
        var crate = new Option<string?>("--ro-crate") { Description = "Also save the Workflow Run RO-Crate (zip) to this file" };
        var command = new Command("results", "Per-subject results of a completed run (CSV or JSON) and its RO-Crate") { id, format, output, crate };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var runId = Uri.EscapeDataString(parse.GetValue(id)!);
            using var api = ApiClient.From(parse);
            // The crate first: it is there even once the per-subject rows were released (without them), when the
            // table below answers 410 saying so.
            if (parse.GetValue(crate) is { } zip)
            {
                await api.DownloadAsync($"{RunsPath}/{runId}/ro-crate", (body, c) => SaveAsync(body, zip, c), ct);
                // Status on standard error: the results may be printed after it, into a file ('> subjects.csv').
                CliErrors.Console.MarkupLineInterpolated($"Wrote the RO-Crate to {Path.GetFullPath(zip)}");
            }
            // Downloads are streamed: a large cohort's table of subjects is hundreds of megabytes.
            var results = $"{RunsPath}/{runId}/results?format={parse.GetValue(format)}";
            if (parse.GetValue(output) is { } path)
            {
                await api.DownloadAsync(results, (body, c) => SaveAsync(body, path, c), ct);
                CliErrors.Console.MarkupLineInterpolated($"Wrote {Path.GetFullPath(path)}");
            }
            else await api.DownloadAsync(results, PrintAsync, ct);
        }));
        return command;
    }

    /// <summary>
    /// Saves a download beside <paramref name="path"/> and renames it there at the end: a download cut short (the
    /// connection dropped, Ctrl-C, a full disk) leaves no file, and not a truncated one that looks whole, nor does it
    /// spoil a file of that name saved before.
    /// </summary>
    private static async Task SaveAsync(Stream body, string path, CancellationToken ct)
    {
        var target = Path.GetFullPath(path);
        var part = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.part");
        try
        {
            await using (var file = new FileStream(part, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
                await body.CopyToAsync(file, ct);
            File.Move(part, target, overwrite: true);
        }
        catch
        {
            if (File.Exists(part)) File.Delete(part);
            throw;
        }
    }

    private static async Task PrintAsync(Stream body, CancellationToken ct)
    {
        using var reader = new StreamReader(body);
        var buffer = new char[16 * 1024];
        int read;
        while ((read = await reader.ReadAsync(buffer, ct)) > 0) await Console.Out.WriteAsync(buffer.AsMemory(0, read), ct);
    }
}
